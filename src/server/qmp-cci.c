/* SPDX-License-Identifier: MIT */
/*
 * qmp-cci.c - cxl-cci-request (ours, docs/qmp.md): one CCI command, payload
 * in hex, through the same firmware as the sockets (cci_execute()) on a
 * QMP-owned mailbox context of a host or the device's FM context.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cci/cci.h"
#include "common/hex.h"
#include "qmp/qmp.h"
#include "daemon.h"
#include "qmp-dcd.h"

/* ---- cxl-cci-request ---------------------------------------------------- */

static const char *const cci_kind[] = { "mailbox", "fm", NULL };

static int hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = cx_hex_digit(s[2 * i]), lo = cx_hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static char *hex_encode(const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	char *s = malloc(2 * n + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = d[p[i] >> 4];
		s[2 * i + 1] = d[p[i] & 15];
	}
	s[2 * n] = 0;
	return s;
}

static int cci_request(struct server_ctx *s, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct dcd *dv = dcd_resolve(s, args, err);
	int kind = qmp_arg_enum(args, "cci", cci_kind, 0);
	uint16_t op = (uint16_t)qmp_arg_uint(args, "opcode", 0), host = 0;
	size_t cap, in_len = 0, out_len = 0;
	uint8_t *in = NULL, *out = NULL;
	struct cci_ctx *ctx;
	enum cxldcd_rc rc;
	char *hex;
	int ret_rc = -EINVAL;

	if (!dv)
		return -EINVAL;
	if (kind == 0) {
		if (!json_object_get(args, "host-id")) {
			qmp_error_set(err, QMP_ERR_GENERIC, "host-id is required for cci mailbox");
			return -EINVAL;
		}
		if (dcd_check_host(dv, args, &host, err))
			return -EINVAL;
		ctx = dcd_qmp_mbox(dv, host);
	} else {
		ctx = dv->qmp_fm;
	}
	cap = core_dev_cfg(dv->dev)->mbox_payload_size;
	in = malloc(cap);
	out = malloc(cap);
	if (!ctx || !in || !out) {
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		goto out;
	}
	if (hex_decode(qmp_arg_str(args, "payload", ""), in, cap, &in_len)) {
		qmp_error_set(err, QMP_ERR_GENERIC,
			      "payload must be a hex string of at most %zu bytes (mbox-payload-size)", cap);
		goto out;
	}
	rc = cci_execute(ctx, op, in, in_len, out, cap, &out_len);
	hex = hex_encode(out, out_len);
	*ret = json_pack("{s:i, s:s, s:s}", "return-code", rc, "return-code-name", cxldcd_rc_str(rc),
			 "payload", hex ? hex : "");
	/* The model's verdict, when it refused the command: the same reason as QMP's own commands. */
	if (*ret && rc != CXLDCD_RC_SUCCESS && cci_ctx_diag(ctx)->reason) {
		json_object_set_new(*ret, "reason", json_string(core_reason_str(cci_ctx_diag(ctx)->reason)));
		json_object_set_new(*ret, "message", json_string(cci_ctx_diag(ctx)->text));
	}
	free(hex);
	ret_rc = 0;
out:
	free(in);
	free(out);
	return ret_rc;
}

bool dcd_cci_mutates(struct server_ctx *s, json_t *args)
{
	struct dcd *dv = dcd_find(s, qmp_arg_str(args, "path", NULL));
	uint16_t op = (uint16_t)qmp_arg_uint(args, "opcode", 0);
	uint64_t host = qmp_arg_uint(args, "host-id", UINT64_MAX);

	if (!dv)
		return false;
	return srv_opcode_journaled(op, qmp_arg_enum(args, "cci", cci_kind, 0) == 0 &&
					host < core_dev_cfg(dv->dev)->nr_hosts &&
					cci_ctx_chain_open(dv->qmp_mbox[host]));
}

int qmp_cci_request(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	return dcd_run(opaque, "cxl-cci-request", args, ret, err, cci_request);
}

const struct qmp_arg qmp_cci_request_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG_ENUM("cci", cci_kind),
	QMP_OPT("host-id", QMP_T_UINT16),
	QMP_ARG("opcode", QMP_T_UINT16),
	QMP_OPT("payload", QMP_T_STR),
	QMP_ARG_END
};
