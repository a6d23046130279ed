/* SPDX-License-Identifier: MIT */
/*
 * owed.c - the sanitizes a kill may have left undone, found by the replay
 * (docs/persistence.md, "Crash semantics").
 *
 * A sanitizing release is journaled and committed before it runs; the
 * zeroing is part of its run (the capacity_freed observer of the memory).
 * A daemon killed between the two leaves the release in the journal and the
 * bytes in the backend.  The replay frees the capacity with no memory
 * attached, so after the restart the capacity is free and may go to another
 * host, which would read the first host's data.
 *
 * Which records of the replayed tail ran before the kill is not known, so
 * every sanitizing free the replay makes is owed, unless the capacity (its
 * place in the backend) was accepted by a host (of any device, for a tag's
 * backend) later in the journal: that
 * acceptance ran, so the release before it ran too, and the host may have
 * written there since.  What is still owed at the end of the replay was
 * accepted by no one since it was freed, so no one wrote it: zeroing it
 * again is harmless when the release had run.  This is not the record of
 * the run of each request (the journal holds inputs, not outcomes), only
 * what that record would have said about sanitizes.
 */
#include <stdlib.h>
#include <string.h>

#include "mem/mem.h"
#include "daemon.h"

/* Where the capacity lives in memory: the tag's backend and offset, or the DPA of the memdev. */
static uint64_t place(const struct dcd *dv, const struct core_extent_info *x)
{
	return dv->mode == MEM_DEV_TAGGED ? x->tag_offset : x->ext.dpa;
}

static bool same_backend(const struct dcd *dv, const struct core_extent_info *a,
			 const struct core_extent_info *b)
{
	return dv->mode != MEM_DEV_TAGGED || !memcmp(a->ext.tag, b->ext.tag, CXLDCD_TAG_SIZE);
}

static bool owed_push(struct dcd *dv, const struct core_extent_info *x)
{
	if (dv->nr_owed == dv->owed_cap) {
		size_t cap = dv->owed_cap ? 2 * dv->owed_cap : 16;
		struct core_extent_info *n = realloc(dv->owed, cap * sizeof(*n));

		if (!n)
			return false;
		dv->owed = n;
		dv->owed_cap = cap;
	}
	dv->owed[dv->nr_owed++] = *x;
	return true;
}

/* @x moved to start @d bytes later and @len long (its DPA and its place in the tag together). */
static struct core_extent_info piece(const struct core_extent_info *x, uint64_t d, uint64_t len)
{
	struct core_extent_info p = *x;

	p.ext.dpa += d;
	p.tag_offset += d;
	p.ext.len = len;
	return p;
}

void srv_owed_freed(struct dcd *dv, const struct core_extent_info *x)
{
	if (x->sanitize && x->ext.len && !owed_push(dv, x))
		dv->owed_lost = true;
}

/* Pay what @dv owes of @x's place. */
static void pay(struct dcd *dv, const struct core_extent_info *x)
{
	uint64_t c = place(dv, x), d = c + x->ext.len;

	for (size_t i = 0; i < dv->nr_owed;) {
		struct core_extent_info o = dv->owed[i];
		uint64_t a = place(dv, &o), b = a + o.ext.len;

		if (!same_backend(dv, &o, x) || b <= c || d <= a) {
			i++;
			continue;
		}
		/* Cut [c, d) out; the pieces left go last (and are looked at again: they do not overlap). */
		dv->owed[i] = dv->owed[--dv->nr_owed];
		if (d < b) {
			struct core_extent_info after = piece(&o, d - a, b - d);

			dv->owed_lost |= !owed_push(dv, &after);
		}
		if (a < c) {
			struct core_extent_info before = piece(&o, 0, c - a);

			dv->owed_lost |= !owed_push(dv, &before);
		}
	}
}

/*
 * A tag's backend is one place for every tag-backed device: after a
 * restart another device may take a tag one let go, and what it writes
 * there must not be zeroed for the first one's release.
 */
void srv_owed_accepted(struct dcd *dv, const struct core_extent_info *x)
{
	struct server_ctx *s = dv->srv;

	if (dv->mode != MEM_DEV_TAGGED || !s) {
		pay(dv, x);
		return;
	}
	for (size_t i = 0; i < s->nr_devs; i++)
		if (s->devs[i]->mode == MEM_DEV_TAGGED)
			pay(s->devs[i], x);
}

size_t srv_owed_settle(struct server_ctx *s, bool zero)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nr_devs; i++) {
		struct dcd *dv = s->devs[i];

		for (size_t k = 0; zero && dv->replay_check && k < dv->nr_owed; k++) {
			if (mem_dev_sanitize(dv->replay_check, &dv->owed[k]))
				srv_log(s->log, LOG_WARNING, "device %s: %s", dv->id,
					mem_dev_last_error(dv->replay_check));
			n++;
		}
		if (zero && dv->owed_lost)
			srv_log(s->log, LOG_WARNING,
				"device %s: out of memory noting the sanitizes of the replay: some may be undone",
				dv->id);
		free(dv->owed);
		dv->owed = NULL;
		dv->nr_owed = dv->owed_cap = 0;
		dv->owed_lost = false;
	}
	return n;
}
