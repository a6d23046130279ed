/* SPDX-License-Identifier: MIT */
/*
 * qmp-fault.c - device fault injection over QMP (docs/qmp.md,
 * "cxl-inject-fault"): cxl-inject-fault turns one fault of src/cci/fault.h
 * on (or every fault off) for one host of the device that serves
 * --host-socket, and query-cxl-faults reads what is on.
 *
 * A fault is set on the host's host-link mailbox (hostlink_set_faults():
 * the current connection and later ones) and, with the same set, on the
 * QMP mailbox context of that host (cxl-cci-request cci=mailbox), which
 * counts its occurrences on its own.  Faults are test configuration, not
 * device state: nothing here is journaled, and a restarted daemon starts
 * without faults.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cci/cci.h"
#include "cci/fault.h"
#include "qmp/qmp.h"
#include "daemon.h"
#include "qmp-dcd.h"

#define FAULT_NONE "none"

/* "unclosed-chain, duplicate-tag, ..., none" */
static void fault_names(char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned f = 0; f < CCI_NR_FAULTS && n < cap; f++)
		n += (size_t)snprintf(buf + n, cap - n, "%s, ", cci_fault_name((enum cci_fault)f));
	if (n < cap)
		snprintf(buf + n, cap - n, "%s", FAULT_NONE);
}

/* [{"fault": NAME, "remaining": N}] of a set, in fault order. */
static json_t *faults_json(const struct cci_faults *fs)
{
	json_t *a = json_array();

	for (unsigned f = 0; a && f < CCI_NR_FAULTS; f++)
		if (fs->mask & CCI_FAULT_BIT(f))
			json_array_append_new(a, json_pack("{s:s, s:I}", "fault",
							   cci_fault_name((enum cci_fault)f), "remaining",
							   (json_int_t)fs->remaining[f]));
	return a;
}

static json_t *host_faults_json(uint16_t host, const struct cci_faults *fs)
{
	return json_pack("{s:i, s:o}", "host-id", host, "faults", faults_json(fs));
}

int qmp_inject_fault(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	struct dcd *dv = dcd_find(s, qmp_arg_str(args, "path", NULL));
	const char *name = qmp_arg_str(args, "fault", "");
	uint32_t count = (uint32_t)qmp_arg_uint(args, "count", 0);
	struct cci_faults set = { 0 };
	enum cci_fault f = CCI_FAULT_UNCLOSED_CHAIN;
	struct cci_ctx *qctx;
	uint16_t host, nr;
	bool none = !strcmp(name, FAULT_NONE);
	int rc;

	if (!dv) {
		qmp_error_set(err, QMP_ERR_GENERIC, "Unable to resolve CXL type 3 device");
		return -EINVAL;
	}
	nr = core_dev_cfg(dv->dev)->nr_hosts;
	host = (uint16_t)qmp_arg_uint(args, "host-id", 0);
	if (host >= nr) {
		qmp_error_set(err, QMP_ERR_GENERIC,
			      "host-id=%u is out of range: the device has num-hosts=%u", host, nr);
		return -EINVAL;
	}
	if (!none && cci_fault_parse(name, &f)) {
		char names[256];

		fault_names(names, sizeof(names));
		qmp_error_set(err, QMP_ERR_GENERIC, "unknown fault '%s' (valid: %s)", name, names);
		return -EINVAL;
	}
	if (!dv->hl) {
		qmp_error_set(err, QMP_ERR_GENERIC,
			      "device %s has no host link (no --host-socket serves it)", dv->id);
		return -EINVAL;
	}
	/* One fault more (or its count renewed) in the host's set; "none" clears the set. */
	if (!none && (hostlink_get_faults(dv->hl, host, &set) || cci_faults_add(&set, f, count))) {
		qmp_error_set(err, QMP_ERR_GENERIC, "cannot read the faults of host-id=%u", host);
		return -EINVAL;
	}
	rc = hostlink_set_faults(dv->hl, host, &set);
	qctx = rc ? NULL : dcd_qmp_mbox(dv, host);
	if (!rc)
		rc = qctx ? cci_ctx_set_faults(qctx, &set) : -ENOMEM;
	if (rc) {
		qmp_error_set(err, QMP_ERR_GENERIC, "cannot set the faults of host-id=%u: %s", host,
			      strerror(-rc));
		return rc;
	}
	hostlink_get_faults(dv->hl, host, &set);
	if (none)
		srv_log(s->log, LOG_NOTICE, "device %s host %u: faults cleared", dv->id, host);
	else
		srv_log(s->log, LOG_NOTICE, "device %s host %u: fault %s on (count %u, 0 = until cleared)",
			dv->id, host, name, count);
	*ret = host_faults_json(host, &set);
	if (!*ret) {
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int qmp_query_faults(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	struct dcd *dv = dcd_find(s, qmp_arg_str(args, "path", NULL));
	json_t *a;

	if (!dv) {
		qmp_error_set(err, QMP_ERR_GENERIC, "Unable to resolve CXL type 3 device");
		return -EINVAL;
	}
	a = json_array();
	for (uint16_t h = 0; a && dv->hl && h < core_dev_cfg(dv->dev)->nr_hosts; h++) {
		struct cci_faults fs;

		if (!hostlink_get_faults(dv->hl, h, &fs) && fs.mask)
			json_array_append_new(a, host_faults_json(h, &fs));
	}
	*ret = a;
	if (!a) {
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

const struct qmp_arg qmp_inject_fault_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG("host-id", QMP_T_UINT16),
	QMP_ARG("fault", QMP_T_STR),
	QMP_OPT("count", QMP_T_UINT32),
	QMP_ARG_END
};

const struct qmp_arg qmp_query_faults_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG_END
};
