/* SPDX-License-Identifier: MIT */
/*
 * owed-settle.c - what a replay owes, paid at its end (srv_owed_settle()):
 * the zeroing still owed, done through each device's layout (tagged
 * capacity) or in the static backends' files (an erase of static
 * capacity), and the Set LSA bytes still owed, written to the lsa backend.
 * What is not here: finding what is owed during the replay, and the proof
 * records that cancel it (owed.c).
 *
 * What is owed on a tag whose backend is unavailable at the end of the
 * replay (its file vanished) is kept in the store (store_owed_set()), out
 * of reach of proof records and snapshots, and zeroed when that backend
 * is back: at a later start, or at the object-add that makes it again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "mem/mem.h"
#include "store/store.h"
#include "daemon.h"
#include "loop.h"
#include "owed-int.h"

struct settle {
	struct dcd *dv;
	struct mem_dev *md;         /* settle_one(): what zeroes through the device's layout */
	size_t n, carried;
	int fd;                     /* settle_lsa(), settle_static(): the backend's, or -1 */
	uint64_t base, size;        /* settle_static(): the backend's first DPA and size */
};

/*
 * Between two zeroings of the settling: let the loop run a round, at most
 * every 10 ms, as the replay does (clients are answered "starting"; its
 * timers send the watchdog's ping): 100,000 places owed take a while.
 */
static void settle_pump(struct server_ctx *s)
{
	if (s->loop && loop_now_ms() - s->replay_pump_ms >= 10) {
		loop_run_once(s->loop, 0);
		s->replay_pump_ms = loop_now_ms();
	}
}

/* ---- places owed on unavailable backends -------------------------------------- */

/* Zero [off, off+len) of @fd: a hole, else written zeros.  0 or -errno. */
static int zero_fd(int fd, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[65536];

	if (fd < 0)
		return -EBADF;
	if (!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return 0;
	for (uint64_t d = off; d < off + len; d += sizeof(zeros)) {
		size_t n = off + len - d < sizeof(zeros) ? (size_t)(off + len - d) : sizeof(zeros);

		if (pwrite(fd, zeros, n, (off_t)d) != (ssize_t)n)
			return errno ? -errno : -EIO;
	}
	return 0;
}

/*
 * s->owed_carry: an object whose keys name the places ("TAG/START/LEN"),
 * so that the same place owed again (by the same records at each start
 * while the backend stays away) is kept once; the store holds its values,
 * [TAG, START, LEN] each.
 */
static void carry_put(struct server_ctx *s, const char *tag, uint64_t start, uint64_t len)
{
	char key[37 + 2 * 21];

	snprintf(key, sizeof(key), "%s/%llu/%llu", tag, (unsigned long long)start,
		 (unsigned long long)len);
	if (json_object_get(s->owed_carry, key))
		return;
	json_object_set_new(s->owed_carry, key, json_pack("[s, I, I]", tag, (json_int_t)start,
							  (json_int_t)len));
	s->owed_carry_dirty = true;
}

/* Keep owing [start, start+len) of @tag's backend, unavailable now. */
static void carry(struct server_ctx *s, const uint8_t *tag, uint64_t start, uint64_t len)
{
	char str[37];

	uuid_unparse_lower(tag, str);
	if (!s->owed_carry && !(s->owed_carry = json_object()))
		return;
	carry_put(s, str, start, len);
}

/*
 * Zero the carried places whose backend is there now (of @only's tag
 * when not NULL) and forget them; how many.
 */
static size_t settle_carried(struct server_ctx *s, const uint8_t *only)
{
	const char *key;
	json_t *e;
	void *tmp;
	size_t n = 0;

	json_object_foreach_safe(s->owed_carry, tmp, key, e) {
		const char *str = json_string_value(json_array_get(e, 0));
		uint64_t start = (uint64_t)json_integer_value(json_array_get(e, 1));
		uint64_t len = (uint64_t)json_integer_value(json_array_get(e, 2));
		struct mem_backend *b = NULL;
		uuid_t tag;
		int rc;

		if (str && !uuid_parse(str, tag) && (!only || !memcmp(only, tag, CXLDCD_TAG_SIZE)))
			b = mem_registry_find_tag(s->reg, tag);
		if (!b)
			continue;
		if (start > mem_backend_size(b) || len > mem_backend_size(b) - start)
			len = start > mem_backend_size(b) ? 0 : mem_backend_size(b) - start;
		rc = len ? zero_fd(mem_backend_fd(b), start, len) : 0;
		if (rc) {
			srv_log(s->log, LOG_WARNING,
				"state: cannot zero offset 0x%llx of backend %s, owed since it was unavailable: %s",
				(unsigned long long)start, mem_backend_id(b), strerror(-rc));
			continue;
		}
		json_object_del(s->owed_carry, key);
		s->owed_carry_dirty = true;
		n++;
		if (s->replaying)
			settle_pump(s);
	}
	return n;
}

/* The carried places the store holds, once (before the replay's are added). */
static void carry_load(struct server_ctx *s)
{
	char *text = NULL;
	json_t *a;
	size_t i;
	json_t *e;

	if (s->owed_carry || !s->st)
		return;
	s->owed_carry = json_object();
	if (store_owed_get(s->st, &text))
		srv_log(s->log, LOG_WARNING, "state: cannot read the places owed on unavailable backends: %s",
			store_last_error(s->st));
	a = text ? json_loads(text, 0, NULL) : NULL;
	if (text && !json_is_array(a))
		srv_log(s->log, LOG_WARNING, "state: the places owed on unavailable backends are not readable: ignored");
	json_array_foreach(a, i, e) {
		const char *str = json_string_value(json_array_get(e, 0));

		if (str && json_is_integer(json_array_get(e, 1)) && json_is_integer(json_array_get(e, 2)))
			carry_put(s, str, (uint64_t)json_integer_value(json_array_get(e, 1)),
				  (uint64_t)json_integer_value(json_array_get(e, 2)));
	}
	s->owed_carry_dirty = false;    /* as stored */
	json_decref(a);
	free(text);
}

int srv_owed_carry_save(struct server_ctx *s, size_t *nr)
{
	const char *key;
	json_t *a, *e;
	char *text;
	int rc;

	*nr = json_object_size(s->owed_carry);
	if (!s->owed_carry_dirty || !s->st)
		return 0;
	/* Places zeroed (and so left out now) are on disk before the store forgets them. */
	s->store_err[0] = 0;
	rc = srv_zerosync_all(s);
	if (rc)
		return rc;
	a = json_array();
	json_object_foreach(s->owed_carry, key, e)
		json_array_append(a, e);
	text = *nr ? json_dumps(a, JSON_COMPACT) : NULL;
	json_decref(a);
	if (*nr && !text)
		return -ENOMEM;
	rc = store_owed_set(s->st, text);
	free(text);
	if (!rc)
		s->owed_carry_dirty = false;
	else
		snprintf(s->store_err, sizeof(s->store_err), "%s", store_last_error(s->st));
	return rc;
}

int srv_owed_backend_back(struct server_ctx *s, const char *id, char *err, size_t cap)
{
	struct mem_backend *b = mem_registry_find(s->reg, id);
	struct mem_backend_info bi;
	size_t n, left;
	int rc;

	if (!b || !json_object_size(s->owed_carry))
		return 0;
	mem_backend_get_info(b, &bi);
	if (!bi.has_tag || !(n = settle_carried(s, bi.tag)))
		return 0;
	s->nr_zeroed++;
	rc = srv_owed_carry_save(s, &left);
	if (rc) {
		snprintf(err, cap, "cannot store that the places owed on backend %s were zeroed: %s",
			 id, s->store_err);
		return rc;
	}
	srv_log(s->log, LOG_NOTICE,
		"state: backend %s is back: %zu range(s) owed a zeroing since it was unavailable: zeroed",
		id, n);
	return 0;
}

static void settle_one(void *opaque, const uint8_t *tag, uint64_t start, uint64_t len)
{
	struct settle *st = opaque;
	struct dcd *dv = st->dv;
	struct core_extent_info x = { .ext = { .dpa = start, .len = len }, .tag_offset = start,
				      .sanitize = true };

	/* Its backend unavailable (its file vanished): owed until it is back. */
	if (dv->mode == MEM_DEV_TAGGED && !mem_registry_find_tag(dv->srv->reg, tag)) {
		carry(dv->srv, tag, start, len);
		st->carried++;
		return;
	}
	memcpy(x.ext.tag, tag, CXLDCD_TAG_SIZE);
	if (mem_dev_sanitize(st->md, &x))
		srv_log(dv->srv->log, LOG_WARNING, "device %s: %s", dv->id, mem_dev_last_error(st->md));
	st->n++;
	settle_pump(dv->srv);
}

/* Write the model's LSA bytes of [start, start+len) to the lsa backend (opaque: its fd). */
static void lsa_one(void *opaque, const uint8_t *tag, uint64_t start, uint64_t len)
{
	struct settle *st = opaque;
	uint8_t buf[4096];

	(void)tag;
	for (uint64_t off = start; off < start + len && st->fd >= 0; off += sizeof(buf)) {
		uint32_t n = (uint32_t)(start + len - off < sizeof(buf) ? start + len - off : sizeof(buf));

		if (core_lsa_read(st->dv->dev, CORE_OWNER_FM, (uint32_t)off, n, buf, NULL) ||
		    pwrite(st->fd, buf, n, (off_t)off) != (ssize_t)n) {
			srv_log(st->dv->srv->log, LOG_WARNING,
				"device %s: cannot write the replayed LSA bytes at offset 0x%llx to the lsa backend",
				st->dv->id, (unsigned long long)off);
			return;
		}
	}
	st->n++;
}

/* The Set LSA bytes the replay owes, into the lsa backend's file; how many ranges. */
static size_t settle_lsa(struct server_ctx *s, struct dcd *dv)
{
	struct settle st = { .dv = dv, .fd = -1 };
	struct mem_backend *b;
	struct mem_dev_cfg mc;

	if (!dv->owed_lsa)
		return 0;
	dcd_mem_cfg(s, dv, &mc);
	b = mc.lsa ? mem_registry_find(s->reg, mc.lsa) : NULL;
	st.fd = b ? mem_backend_fd(b) : -1;
	srv_owed_tree_each(dv->owed_lsa, lsa_one, &st);
	return st.n;
}

/* Zero [start, start+len) of the backend in st->fd at st->off: a hole, else written zeros. */
static void static_one(void *opaque, const uint8_t *tag, uint64_t start, uint64_t len)
{
	static const uint8_t zeros[65536];
	struct settle *st = opaque;
	uint64_t end = start + len < st->base + st->size ? start + len : st->base + st->size;
	off_t off;

	(void)tag;
	if (st->fd < 0 || end <= start || start < st->base)
		return;
	off = (off_t)(start - st->base);
	if (fallocate(st->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, (off_t)(end - start))) {
		for (uint64_t d = start; d < end; d += sizeof(zeros)) {
			size_t n = end - d < sizeof(zeros) ? (size_t)(end - d) : sizeof(zeros);

			if (pwrite(st->fd, zeros, n, (off_t)(d - st->base)) != (ssize_t)n) {
				srv_log(st->dv->srv->log, LOG_WARNING,
					"device %s: cannot zero static capacity dpa=0x%llx",
					st->dv->id, (unsigned long long)d);
				return;
			}
		}
	}
	st->n++;
}

/*
 * The static capacity the replay's erases owe, zeroed in its backends:
 * the volatile one is DPA 0 up to its size, the persistent one follows.
 */
static void settle_static(struct server_ctx *s, struct dcd *dv, struct settle *st)
{
	struct mem_backend *b;
	struct mem_dev_cfg mc;
	const char *ids[2];

	if (!dv->owed_static)
		return;
	dcd_mem_cfg(s, dv, &mc);
	ids[0] = mc.volatile_memdev;
	ids[1] = mc.persistent_memdev;
	st->base = 0;
	for (int i = 0; i < 2; i++) {
		b = ids[i] ? mem_registry_find(s->reg, ids[i]) : NULL;
		if (!b)
			continue;
		st->fd = mem_backend_fd(b);
		st->size = mem_backend_size(b);
		srv_owed_tree_each(dv->owed_static, static_one, st);
		st->base += st->size;
	}
	st->fd = -1;
}

size_t srv_owed_settle(struct server_ctx *s, bool zero)
{
	size_t n = 0, nr_lsa = 0, carried = 0;

	if (zero)
		carry_load(s);
	for (size_t i = 0; i < s->nr_devs; i++) {
		struct dcd *dv = s->devs[i];
		struct settle st = { .dv = dv, .fd = -1, .md = dv->replay_check };

		/*
		 * The memory checks were turned off (a backend unavailable):
		 * a checker made now zeroes what is owed on the others.
		 */
		if (zero && dv->owed && !st.md) {
			struct mem_dev_cfg mc;
			char msg[SRV_ERR_MAX];

			dcd_mem_cfg(s, dv, &mc);
			if (mem_dev_new_checker(dv->dev, s->reg, &mc, &st.md, msg, sizeof(msg))) {
				srv_log(s->log, LOG_WARNING, "device %s: cannot zero what the replay owes: %s",
					dv->id, msg);
				st.md = NULL;
			}
		}
		if (zero && st.md)
			srv_owed_tree_each(dv->owed, settle_one, &st);
		if (st.md != dv->replay_check)
			mem_dev_free(st.md);
		carried += st.carried;
		if (zero) {
			settle_static(s, dv, &st);
			nr_lsa += settle_lsa(s, dv);
		}
		n += st.n;
		if (zero && dv->owed_lost)
			srv_log(s->log, LOG_WARNING,
				"device %s: out of memory noting the sanitizes of the replay: some may be undone",
				dv->id);
		srv_owed_forget(dv);
		dv->owed_lost = false;
		free(dv->erase_xs);
		dv->erase_xs = NULL;
		dv->nr_erase_xs = 0;
	}
	if (nr_lsa)
		srv_log(s->log, LOG_NOTICE,
			"state: %zu LSA range(s) written by the replay and not proven done since: written to the lsa backend (a kill may have come before the Set LSA ran)",
			nr_lsa);
	if (carried)
		srv_log(s->log, LOG_WARNING,
			"state: %zu range(s) freed with sanitize or erased by the replay are on unavailable backends: kept in the store, zeroed when the backend is back (at a start or an object-add)",
			carried);
	if (zero)       /* the places owed before on backends that are back */
		n += settle_carried(s, NULL);
	/* Done now: a later replay must not do it again over what is written next. */
	s->ran_unproven = n || nr_lsa;
	s->nr_zeroed += n || nr_lsa;
	return n;
}
