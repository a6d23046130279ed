/* SPDX-License-Identifier: MIT */
/*
 * groups-api.c - the public entry points on groups and static capacity:
 * list the groups, open one (waiting for a move's REMAP), map the static
 * capacity.  Calls link.c, groups.c and segments.c (host-int.h gives the
 * order).
 */
#include "host/host-int.h"

#include <errno.h>
#include <sys/mman.h>

uint32_t cxldcd_host_list_groups(const struct cxldcd_host *h, struct cxldcd_host_group_info *out,
				 uint32_t cap)
{
	uint32_t n = 0;

	for (const struct group *g = h->groups; g; g = g->next) {
		if (g->state != G_ACTIVE)
			continue;
		if (n < cap)
			out[n] = g->info;
		n++;
	}
	return n;
}

/*
 * Whether g may be handed out now: 0, -ENOENT, -EBUSY (release pending, or
 * nothing left: a forced release took all of it), -ENODEV (not mapped, or a
 * live piece has no segment: a move ended without remapping it), or -EAGAIN
 * while a move has a piece paused (its pages are read-only until the
 * REMAP).  *out receives g on 0 and -EAGAIN.  A group a forced release took
 * part of opens: what it still holds, at its offsets (the mapping's
 * revoked pieces are inaccessible).
 */
static int openable(const struct cxldcd_host *h, const uint8_t *tag, uint64_t id,
		    struct group **out)
{
	struct group *g = group_find(h, tag, id);
	bool paused = false;

	if (!g || g->state != G_ACTIVE)
		return -ENOENT;
	if (g->info.release_pending || !group_live(g))
		return -EBUSY;
	if (!g->map)
		return -ENODEV;
	for (uint32_t i = 0; i < g->nr; i++) {
		uint64_t end = g->ext[i].dpa + g->ext[i].len;

		for (uint64_t cur = g->xn[i].st == X_REVOKED ? end : g->ext[i].dpa; cur < end;) {
			struct gseg p;

			if (host_piece_find(h, cur, end, &p))
				return -ENODEV;
			paused |= p.paused;
			cur += p.len;
		}
	}
	*out = g;
	return paused ? -EAGAIN : 0;
}

/*
 * One step of an open's wait for the move that paused g: drive the link
 * (its REMAP or MOVE_END), at most until due on the library's clock.
 * Return 0 (look again), -EBUSY (due: no REMAP came), -EAGAIN (called from
 * a callback of cxldcd_host_process(), which cannot be driven from inside),
 * or the host's failure.
 */
static int open_wait_step(struct cxldcd_host *h, const struct group *g, uint64_t due)
{
	uint64_t now = host_now_ms(h), left = due > now ? due - now : 0;
	int rc;

	if (h->in_process) {
		host_log(h, LOG_WARNING,
			 "group id=%llu: a move has it paused and an open from a callback cannot wait: refused",
			 (unsigned long long)g->info.id);
		return -EAGAIN;
	}
	if (!left) {
		host_log(h, LOG_WARNING,
			 "group id=%llu: a move paused it and no REMAP came in %u ms: open refused",
			 (unsigned long long)g->info.id, h->cfg.move_wait_ms);
		return -EBUSY;
	}
	/* short steps: a caller's cfg.clock need not follow the real time of poll() */
	rc = cxldcd_host_run_once(h, left < HOST_MOVE_POLL_MS ? (int)left : (int)HOST_MOVE_POLL_MS);
	return rc < 0 ? rc : 0;
}

int cxldcd_host_group_open(struct cxldcd_host *h, const uint8_t tag[CXLDCD_HOST_TAG_SIZE],
			   uint64_t id, void **addr, uint64_t *size)
{
	struct group *g = NULL;
	uint64_t due = 0;
	int rc;

	/*
	 * A move's PAUSE made the group's pages read-only: handing them out
	 * would let the caller's first write fault.  Wait, as the agent holds
	 * an application's OPEN (apps.c), for the REMAP (writable again, in
	 * place) or the MOVE_END; the group is looked up again after each
	 * step, as the link may have released or revoked it meanwhile.
	 */
	while ((rc = openable(h, tag, id, &g)) == -EAGAIN) {
		if (!due)
			due = host_now_ms(h) + h->cfg.move_wait_ms; /* move_wait_ms >= 1 */
		rc = open_wait_step(h, g, due);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	g->info.open_count++;
	g->open_local++;
	if (addr)
		*addr = g->map;
	if (size)
		*size = group_span(g);
	return 0;
}

/*
 * Static capacity (docs/host.md): every host's, DPA 0 up to static_size,
 * mapped from the MAP segments the device sent at connect; made once, kept
 * until cxldcd_host_free().
 */
uint64_t cxldcd_host_static_size(const struct cxldcd_host *h)
{
	return h->state == CXLDCD_HOST_CONNECTING ? 0 : h->static_size;
}

int cxldcd_host_static_map(struct cxldcd_host *h, void **addr, uint64_t *size)
{
	uint8_t *base;

	if (h->state == CXLDCD_HOST_CONNECTING || h->state == CXLDCD_HOST_FAILED)
		return -EAGAIN;
	if (!h->static_size)
		return -ENOENT;
	if (!h->mapping)
		return -ENODEV;
	if (!h->static_map) {
		base = mmap(NULL, h->static_size, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (base == MAP_FAILED)
			return -ENOMEM;
		for (uint64_t cur = 0; cur < h->static_size;) {
			struct gseg p;

			if (host_piece_find(h, cur, h->static_size, &p) || host_piece_map(base + cur, &p)) {
				munmap(base, h->static_size);
				return -ENODEV;
			}
			cur += p.len;
		}
		h->static_map = base;
	}
	if (addr)
		*addr = h->static_map;
	if (size)
		*size = h->static_size;
	return 0;
}
