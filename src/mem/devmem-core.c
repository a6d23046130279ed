/* SPDX-License-Identifier: MIT */
/*
 * devmem-core.c - attach a mem_dev to a device model through a
 * core_observer.  Kept apart from devmem.c so that programs that drive a
 * mem_dev by hand (tests, benchmarks) do not link the model.
 *
 * The model calls these synchronously and in effect order: extent_revoked
 * before it logs Forced Capacity Release, capacity_freed only after the last
 * holder (host or FM reference) has let go, and offers the capacity again only
 * after capacity_freed has returned, so sanitize is complete before reuse.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mem/devmem.h"

static enum cxldcd_rc on_check_add(void *opaque, const struct core_extent_info *x, uint32_t n,
				   struct cxldcd_diag *diag)
{
	return mem_dev_check_add(opaque, x, n, diag);
}

static void on_accepted(void *opaque, const struct core_extent_info *x)
{
	/* Errors are counted in stats and kept in mem_dev_last_error(). */
	mem_dev_bind(opaque, x, NULL, 0);
}

/*
 * Released or revoked alike: a shared grant the host leaves to other sharers
 * is marked to be moved (mem_dev_move_take()).
 */
static void on_released(void *opaque, const struct core_extent_info *x)
{
	mem_dev_unbind(opaque, x);
}

static void on_freed(void *opaque, const struct core_extent_info *x)
{
	mem_dev_sanitize(opaque, x);
}

/*
 * Sanitize / Secure Erase by a host: zero what it holds of the range where
 * the live pages are (its views, shared grants, the static capacity's store;
 * the backend when trusted), by punching.
 */
static void on_media_sanitized(void *opaque, uint16_t host, uint64_t dpa, uint64_t len)
{
	(void)mem_zero(opaque, host, dpa, len);
}

/*
 * Set LSA: the label bytes go to the lsa backend too, so a memory-backend-file
 * keeps them across restarts, as QEMU's LSA does.  An I/O error is counted
 * (the model, and --state, still have the bytes).
 */
static void on_lsa_written(void *opaque, uint32_t offset, uint32_t len, const uint8_t *data)
{
	struct mem_dev *md = opaque;

	if (md->lsa && offset <= md->lsa->size && len <= md->lsa->size - offset &&
	    pwrite(md->lsa->fd, data, len, (off_t)offset) != (ssize_t)len) {
		md->stats.copy_errors++;
		snprintf(md->last_err, sizeof(md->last_err),
			 "lsa write offset=0x%x len=0x%x to backend %s failed", offset, len,
			 md->lsa->id);
	}
}

/*
 * What a file-backed LSA holds becomes the model's LSA (the file is the
 * truth: it outlives the daemon, with or without --state).  Holes and zero
 * chunks are skipped, so an empty file costs nothing.
 */
static int lsa_load(struct mem_dev *md, struct cxldcd_dev *dev, char *err, size_t cap)
{
	uint8_t buf[4096];
	uint64_t size = md->lsa->size < core_dev_cfg(dev)->lsa_size ? md->lsa->size
								     : core_dev_cfg(dev)->lsa_size;

	if (!md->lsa->mem_path)
		return 0;
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		off_t d = lseek(md->lsa->fd, (off_t)off, SEEK_DATA);
		size_t n;
		ssize_t got;

		if (d < 0 || (uint64_t)d >= size)
			break;          /* ENXIO: holes up to the end */
		off = (uint64_t)d & ~(uint64_t)(sizeof(buf) - 1);
		n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		got = pread(md->lsa->fd, buf, n, (off_t)off);
		if (got != (ssize_t)n) {
			mem_errf(err, cap, "lsa=%s: cannot read offset=0x%llx", md->lsa->id,
				 (unsigned long long)off);
			return -EIO;
		}
		for (size_t i = 0; i < n; i++) {
			if (!buf[i])
				continue;
			if (core_lsa_write(dev, CORE_OWNER_FM, (uint32_t)off, (uint32_t)n, buf, NULL) !=
			    CXLDCD_RC_SUCCESS) {
				mem_errf(err, cap, "lsa=%s: out of memory", md->lsa->id);
				return -ENOMEM;
			}
			break;
		}
	}
	return 0;
}

static int lsa_attach(struct mem_dev *md, struct cxldcd_dev *dev, const char *id, char *err,
		      size_t cap)
{
	struct mem_backend *b = id ? mem_registry_find(md->reg, id) : NULL;

	if (!id)
		return 0;
	if (!b) {
		mem_errf(err, cap, "lsa=%s: no such memory backend", id);
		return -EINVAL;
	}
	if (mem_backend_claim(b, err, cap))
		return -EBUSY;
	md->lsa = b;
	return lsa_load(md, dev, err, cap);
}

static bool poisoned(const void *model, uint64_t dpa, uint64_t len)
{
	return core_poison_test(model, dpa, len);
}

static int list_accepted(const void *model, uint16_t host, uint32_t start, uint32_t max,
			 struct core_extent_info *out, uint32_t *n)
{
	return core_extent_list_info(model, host, start, max, out, n) == CXLDCD_RC_SUCCESS ? 0
											  : -EIO;
}

static const struct core_observer mem_observer = {
	.check_add = on_check_add,
	.extent_accepted = on_accepted,
	.extent_released = on_released,
	.extent_revoked = on_released,
	.capacity_freed = on_freed,
	.media_sanitized = on_media_sanitized,
	.lsa_written = on_lsa_written,
};

/* The DC layout of the model @dev. */
static void layout_of(const struct cxldcd_dev *dev, struct mem_layout *l)
{
	const struct cxldcd_dev_cfg *dc = core_dev_cfg(dev);

	memset(l, 0, sizeof(*l));
	l->nr_hosts = dc->nr_hosts;
	l->nr_regions = dc->nr_regions;
	for (unsigned int i = 0; i < dc->nr_regions && i < CXLDCD_MAX_REGIONS; i++) {
		l->regions[i].base = dc->regions[i].base;
		l->regions[i].decode_len = dc->regions[i].decode_len;
		l->regions[i].len = dc->regions[i].len;
		l->regions[i].read_only = dc->regions[i].read_only;
	}
}

/*
 * What mem_dev_sync() would note of the extents the model @dev has accepted.
 * The backends it noted are remembered (tag_walked): a restart with nothing
 * replayed since notes the same ones (mem_dev_checker_restart_same()).
 */
static void checker_note_accepted(struct mem_dev *md, const struct cxldcd_dev *dev)
{
	if (md->mode != MEM_DEV_TAGGED)
		return;         /* nothing to note: one backing for every extent */
	for (uint16_t h = 0; h < core_dev_cfg(dev)->nr_hosts; h++) {
		struct core_extent_info x[64];
		uint32_t start = 0, n = 0;

		do {
			if (core_extent_list_info(dev, h, start, 64, x, &n) != CXLDCD_RC_SUCCESS)
				break;
			for (uint32_t i = 0; i < n; i++)
				mem_dev_checker_accepted(md, &x[i]);
			start += n;
		} while (n);
	}
	/* called on a checker with no notes (new, or just cleared): these are the walk's */
	for (struct mem_backend *b = mem_registry_first(md->reg); b; b = mem_registry_next(md->reg, b))
		if (b->tag_dev == md)
			b->tag_walked = md;
		else if (b->tag_walked == md)
			b->tag_walked = NULL;
}

int mem_dev_new_checker(const struct cxldcd_dev *dev, struct mem_registry *reg,
			const struct mem_dev_cfg *cfg, struct mem_dev **out, char *err, size_t cap)
{
	/* trusted, not mapped: static capacity is claimed with no store, no copy, no window */
	struct mem_dev_cfg c = *cfg;
	struct mem_backend *lsa = cfg->lsa ? mem_registry_find(reg, cfg->lsa) : NULL;
	struct mem_layout l;
	int rc;

	c.trusted = true;
	c.direct_map = false;
	layout_of(dev, &l);
	rc = mem_dev_new_layout(&l, reg, &c, out, err, cap);
	if (rc)
		return rc;
	/* claimed as mem_dev_new() claims it (an add naming it is refused), but not read */
	if (lsa && !mem_backend_claim(lsa, NULL, 0))
		(*out)->lsa = lsa;
	checker_note_accepted(*out, dev);   /* a snapshot's */
	return 0;
}

/* The backends a checker (or mem_dev) @md notes as holding its tags' capacity. */
static uint32_t tag_backends_of(const struct mem_dev *md)
{
	uint32_t n = 0;

	for (struct mem_backend *b = mem_registry_first(md->reg); b; b = mem_registry_next(md->reg, b))
		n += b->tag_dev == md;
	return n;
}

bool mem_dev_checker_restart(struct mem_dev *md, const struct cxldcd_dev *dev)
{
	uint32_t before = tag_backends_of(md);

	for (struct mem_backend *b = mem_registry_first(md->reg); b; b = mem_registry_next(md->reg, b))
		if (b->tag_dev == md)
			b->tag_dev = NULL;
	checker_note_accepted(md, dev);
	/* what is accepted now was noted before: a count that differs means some was forgotten */
	return tag_backends_of(md) != before;
}

bool mem_dev_checker_restart_same(struct mem_dev *md)
{
	bool forgot = false;

	/* what mem_dev_checker_restart() notes again is what its last walk noted */
	for (struct mem_backend *b = mem_registry_first(md->reg); b; b = mem_registry_next(md->reg, b))
		if (b->tag_dev == md && b->tag_walked != md) {
			b->tag_dev = NULL;
			forgot = true;
		}
	return forgot;
}

struct mem_backend *mem_dev_tag_backend_next(const struct mem_dev *md,
					     const struct mem_backend *b)
{
	struct mem_backend *n = !md->reg ? NULL
			      : b ? mem_registry_next(md->reg, b) : mem_registry_first(md->reg);

	while (n && n->tag_dev != md)
		n = mem_registry_next(md->reg, n);
	return n;
}

int mem_dev_checker_note(struct mem_dev *md, struct mem_backend *b)
{
	if (md->mode != MEM_DEV_TAGGED || !b->has_tag)
		return -EINVAL;
	if (b->users || (b->tag_dev && b->tag_dev != md))
		return -EBUSY;
	b->tag_dev = md;
	return 0;
}

int mem_dev_new(struct cxldcd_dev *dev, struct mem_registry *reg, const struct mem_dev_cfg *cfg,
		struct mem_dev **out, char *err, size_t cap)
{
	struct mem_layout l;
	struct mem_dev *md;
	int rc;

	layout_of(dev, &l);
	rc = mem_dev_new_layout(&l, reg, cfg, &md, err, cap);
	if (rc)
		return rc;
	rc = lsa_attach(md, dev, cfg->lsa, err, cap);   /* before the observer: no write back */
	if (rc) {
		mem_dev_free(md);
		return rc;
	}
	rc = core_observer_add(dev, &mem_observer, md);
	if (rc) {
		mem_errf(err, cap, "cannot observe the device model: no observer slot left");
		mem_dev_free(md);
		return rc;
	}
	md->poisoned = poisoned;
	md->list = list_accepted;
	md->model = dev;
	*out = md;
	return 0;
}

int mem_dev_sync(struct mem_dev *md, const struct cxldcd_dev *dev, char *err, size_t cap)
{
	uint16_t nr_hosts = core_dev_cfg(dev)->nr_hosts;
	int first = 0;

	/* one bind pass: what it learns of the backends' and views' holes serves every extent */
	md->pass = mem_pass_new();
	for (uint16_t h = 0; h < nr_hosts; h++) {
		char msg[256];
		int rc = mem_dev_bind_host(md, dev, h, msg, sizeof(msg));

		/* -EEXIST: already bound (sync twice); keep the first real error. */
		if (rc && rc != -EEXIST && !first) {
			first = rc;
			mem_errf(err, cap, "%s", msg);
		}
	}
	md->pass = 0;
	return first;
}
