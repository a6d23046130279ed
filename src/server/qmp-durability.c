/* SPDX-License-Identifier: MIT */
/*
 * qmp-durability.c - query-cxl-durability (ours, docs/qmp.md): whether
 * the state store accepts writes, and whether erases answered Internal
 * Error are still in doubt (a proof record owed, owed-proof.c).  A read:
 * never journaled, answered at once, also while the store fails.
 */
#include <errno.h>

#include "qmp/qmp.h"
#include "daemon.h"
#include "qmp-discovery.h"

int qmp_query_durability(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	(void)args;
	(void)err;
	*ret = srv_proof_query(opaque);
	return *ret ? 0 : -ENOMEM;
}
