/* SPDX-License-Identifier: MIT */
/*
 * static.c - static capacity: QEMU's volatile-memdev (DPA 0 up to its size)
 * and persistent-memdev (right after it), below the DC regions.
 *
 * Static capacity is not dynamic: nothing adds or releases it, and every
 * host of the device reaches all of it (the model already lists its poison
 * to every host and lets every host inject and clear poison there;
 * docs/memory.md "Static capacity") - or, with static-host=N, host N only.
 * So each such host's binding table holds one binding per static backend
 * from the start to the end of the mem_dev, and
 * the same paths as for DC capacity serve it: the slow path, MAP segments
 * (mem_dev_segments()) and, with direct_map, a window per host.
 *
 * Trust model: unless the device trusts its hosts, the live bytes are not in
 * the backend but in one store per backend (a sealed memfd, shared by every
 * host, as a shared grant is), so no host is given a backend fd (which it
 * could truncate, or through a file, reach beyond the capacity).  The
 * backend's bytes are copied in here; at a clean stop they are copied back
 * into a memory-backend-file, so persistent (and file-backed volatile) data
 * survives a restart of the daemon.  What this is not: a write-through to
 * the file (a kill -9 loses what hosts wrote since the start).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/devmem.h"

static int add_backend(struct mem_dev *md, const char *prop, const char *id, char *err, size_t cap)
{
	struct mem_backend *b = mem_registry_find(md->reg, id);
	struct mem_static *s = &md->statics[md->nr_statics];
	int rc;
	uint64_t limit = md->layout.nr_regions ? md->layout.regions[0].base : UINT64_MAX;

	if (!b) {
		mem_errf(err, cap, "%s=%s: no such memory backend", prop, id);
		return -EINVAL;
	}
	if (md->static_end + b->size < md->static_end || md->static_end + b->size > limit) {
		mem_errf(err, cap, "%s=%s: size=0x%llx at dpa=0x%llx overlaps region 0 at 0x%llx", prop,
			 id, (unsigned long long)b->size, (unsigned long long)md->static_end,
			 (unsigned long long)limit);
		return -EINVAL;
	}
	if (mem_backend_claim(b, err, cap))
		return -EBUSY;
	*s = (struct mem_static){ .be = b, .dpa = md->static_end, .len = b->size };
	md->nr_statics++;
	md->static_end += b->size;
	if (md->trusted)
		return 0;
	/* a memfd backend gives its pages up to the store; a file keeps them until written back */
	rc = mem_store_new(b, 0, b->size, true, 0, &s->st, err, cap);
	if (rc)
		return rc;
	rc = mem_fd_copy(b->fd, 0, s->st->fd, 0, b->size, b->page_size, false);
	if (rc) {
		mem_errf(err, cap, "%s=%s: cannot copy the backend into its store: %s", prop, id,
			 strerror(-rc));
		return rc;
	}
	if (!b->mem_path)
		mem_backend_zero(b, 0, b->size);
	s->st->writable = true;
	return 0;
}

/* Host h's binding of static backend s, mapped in h's static window with direct_map. */
static int bind_host(struct mem_dev *md, const struct mem_static *s, uint16_t h, char *err,
		     size_t cap)
{
	struct mem_bind nb = { .dpa = s->dpa, .len = s->len, .off = 0, .be = s->be, .st = s->st,
			       .host = h, .region = UINT8_MAX, .writable = true };
	int rc;

	if (md->direct_map) {
		if (!md->swins[h].base &&
		    (rc = mem_window_reserve(&md->swins[h], 0, md->static_end, err, cap)))
			return rc;
		rc = mem_window_map(&md->swins[h], s->dpa, s->len, mem_bind_fd(&nb),
				    mem_bind_off(&nb), true, err, cap);
		if (rc)
			return rc;
		nb.mapped = true;
	}
	if (s->st)
		s->st->refs++; /* the table's */
	rc = mem_bind_add(&md->trees[h], &nb);
	if (rc && s->st)
		s->st->refs--;
	return rc;
}

int mem_static_attach(struct mem_dev *md, const struct mem_dev_cfg *cfg, char *err, size_t cap)
{
	int rc = 0;

	if (!cfg->volatile_memdev && !cfg->persistent_memdev)
		return 0;
	md->swins = calloc(md->layout.nr_hosts, sizeof(*md->swins));
	if (!md->swins)
		return -ENOMEM;
	if (cfg->volatile_memdev)
		rc = add_backend(md, "volatile-memdev", cfg->volatile_memdev, err, cap);
	if (!rc && cfg->persistent_memdev)
		rc = add_backend(md, "persistent-memdev", cfg->persistent_memdev, err, cap);
	if (!rc && cfg->static_host_only && cfg->static_host >= md->layout.nr_hosts) {
		mem_errf(err, cap, "static-host=%u: the device has %u host(s)", cfg->static_host,
			 md->layout.nr_hosts);
		rc = -EINVAL;
	}
	for (uint8_t i = 0; !rc && i < md->nr_statics; i++)
		for (uint16_t h = 0; !rc && h < md->layout.nr_hosts; h++)
			if (!cfg->static_host_only || h == cfg->static_host)
				rc = bind_host(md, &md->statics[i], h, err, cap);
	return rc;
}

/*
 * The bindings are gone (mem_dev_free() freed the trees): write each store
 * back into its file (a clean stop keeps the data), release the windows and
 * unpin the backends.
 */
void mem_static_detach(struct mem_dev *md)
{
	for (uint8_t i = 0; i < md->nr_statics; i++) {
		struct mem_static *s = &md->statics[i];

		if (s->st && s->be->mem_path &&
		    mem_fd_copy(s->st->fd, 0, s->be->fd, 0, s->len, s->be->page_size, true))
			md->stats.copy_errors++;
		mem_store_free(s->st);
		s->be->users--;
	}
	md->nr_statics = 0;
	for (uint16_t h = 0; md->swins && h < md->layout.nr_hosts; h++)
		mem_window_release(&md->swins[h]);
	free(md->swins);
	md->swins = NULL;
}

int mem_dev_static_window(struct mem_dev *md, uint16_t host, void **base, uint64_t *size)
{
	if (host >= md->layout.nr_hosts || !md->direct_map)
		return -EINVAL;
	if (!md->static_end || !md->swins[host].base)
		return -ENOENT;         /* none, or not this host's (static-host=) */
	*base = md->swins[host].base;
	*size = md->swins[host].size;
	return 0;
}

uint64_t mem_dev_static_size(const struct mem_dev *md)
{
	return md->static_end;
}
