/* SPDX-License-Identifier: MIT */
/*
 * owed-int.h - what owed.c (finding what a replay owes) gives owed-settle.c
 * (paying it at the end of the replay).  Not an API: the daemon uses the
 * srv_owed_*() calls of daemon.h.
 */
#ifndef CXLDCD_SERVER_OWED_INT_H
#define CXLDCD_SERVER_OWED_INT_H

#include "daemon.h"

struct owed_node;

/* Each place of the treap @t, in (backend tag, start) order. */
void srv_owed_tree_each(const struct owed_node *t, srv_owed_fn *fn, void *opaque);
/* Forget all @dv owes (its three treaps). */
void srv_owed_forget(struct dcd *dv);

#endif
