/* SPDX-License-Identifier: MIT */
/*
 * qmp-dcd.c - the QMP commands that change a device's capacity (docs/qmp.md,
 * "Device commands"): QEMU's cxl-add-dynamic-capacity,
 * cxl-release-dynamic-capacity and the tagged-memory series'
 * cxl-release-dynamic-capacity-status; and what every device command shares
 * (device path, host-id, region and tag arguments, the request bracket that
 * journals).  query-cxl-dynamic-capacity is in qmp-dcd-query.c,
 * cxl-cci-request in qmp-cci.c.
 *
 * QEMU's argument names, enum values and, where QEMU has them, its error
 * texts and check order (reference §5.2: device, region, then per extent
 * length, alignment, region end, duplicates, then the host's state).  This
 * file checks only its arguments (device, host-id, region, tag syntax,
 * required members); every check of extents and device state is the
 * model's, made in QEMU's order, and its reason becomes QEMU's text through
 * one table (qemu_text[]) or else the model's own text: one validator for
 * QMP, FM-API and the host link alike.
 *
 * QMP extents are {offset, len} with offset relative to the region base; the
 * model takes absolute DPA.  For the free and contiguous policies the length
 * to allocate is the sum of extents[].len (offsets are ignored), so QEMU's
 * one-extent form and a list both work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cci/cci.h"
#include "common/tag.h"
#include "qmp/qmp.h"
#include "store/store.h"
#include "daemon.h"
#include "qmp-dcd.h"
#include "qmp-discovery.h"

/* ---- argument helpers ------------------------------------------------- */

struct dcd *dcd_resolve(struct server_ctx *s, json_t *args, struct qmp_error *err)
{
	struct dcd *dv = dcd_find(s, qmp_arg_str(args, "path", NULL));

	if (!dv)
		qmp_error_set(err, QMP_ERR_GENERIC, "Unable to resolve CXL type 3 device");
	return dv;
}

struct dcd *dcd_resolve_inject(struct server_ctx *s, json_t *args, struct qmp_error *err)
{
	const char *path = qmp_arg_str(args, "path", "");
	struct dcd *dv = dcd_find(s, path);

	if (!dv)
		qmp_error_set(err, QMP_ERR_GENERIC, qom_is_container(path) ?
			      "Path does not point to a CXL type 3 device" : "Unable to resolve path");
	return dv;
}

/* A cxl-type3 without DC regions (static capacity only): QEMU's text (hw/mem/cxl_type3.c). */
static int check_dc(const struct dcd *dv, struct qmp_error *err)
{
	if (core_region_count(dv->dev))
		return 0;
	qmp_error_set(err, QMP_ERR_GENERIC, "No dynamic capacity support from the device");
	return -EINVAL;
}

int dcd_check_host(const struct dcd *dv, json_t *args, uint16_t *host, struct qmp_error *err)
{
	uint16_t nr = core_dev_cfg(dv->dev)->nr_hosts;

	*host = (uint16_t)qmp_arg_uint(args, "host-id", 0);
	if (*host < nr)
		return 0;
	qmp_error_set(err, QMP_ERR_GENERIC, "host-id=%u is out of range: the device has num-hosts=%u",
		      *host, nr);
	return -EINVAL;
}

int dcd_check_region(const struct dcd *dv, json_t *args, uint8_t *region,
			struct core_region_info *ri, struct qmp_error *err)
{
	*region = (uint8_t)qmp_arg_uint(args, "region", 0);
	if (*region >= core_region_count(dv->dev)) {
		qmp_error_set(err, QMP_ERR_GENERIC, "region id is too large");
		return -EINVAL;
	}
	core_region_get(dv->dev, *region, ri);
	return 0;
}

/* Optional "tag": *has = false when absent.  A malformed UUID is an error. */
int dcd_parse_tag(json_t *args, uint8_t tag[CXLDCD_TAG_SIZE], bool *has, struct qmp_error *err)
{
	const char *t = qmp_arg_str(args, "tag", NULL);
	char msg[160];

	memset(tag, 0, CXLDCD_TAG_SIZE);
	*has = t != NULL;
	if (!t || !common_tag_parse(t, tag, msg, sizeof(msg)))
		return 0;
	qmp_error_set(err, QMP_ERR_GENERIC, "%s", msg);
	return -EINVAL;
}

/* ---- extents ------------------------------------------------------------ */

/*
 * A prescriptive list as absolute extents (offset + region base), all with
 * tag; *out is freed by the caller.  The model checks them (the region is
 * passed with in_region).
 */
static int extents_abs(const struct core_region_info *ri, json_t *list, const uint8_t *tag,
		       uint16_t seq0, struct cxldcd_extent **out, uint32_t *nr, struct qmp_error *err)
{
	size_t n = json_array_size(list);
	struct cxldcd_extent *e = calloc(n ? n : 1, sizeof(*e));

	if (!e) {
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(list, i);
		uint64_t off = (uint64_t)json_integer_value(json_object_get(x, "offset"));

		/* Past the region's end stays past it (the model says so), never wraps. */
		e[i].dpa = off > UINT64_MAX - ri->base ? UINT64_MAX : ri->base + off;
		e[i].len = (uint64_t)json_integer_value(json_object_get(x, "len"));
		memcpy(e[i].tag, tag, CXLDCD_TAG_SIZE);
		/* A sharable region numbers a tag's extents 0..n-1 (1..n); others use 0. */
		e[i].shared_seq = ri->sharable ? (uint16_t)(seq0 + i) : 0;
	}
	*out = e;
	*nr = (uint32_t)n;
	return 0;
}

/* Sum of extents[].len (free, contiguous, tag-based). */
static int extents_total(json_t *list, uint64_t *total, struct qmp_error *err)
{
	size_t i;
	json_t *x;

	*total = 0;
	json_array_foreach(list, i, x) {
		uint64_t len = (uint64_t)json_integer_value(json_object_get(x, "len"));

		if (__builtin_add_overflow(*total, len, total)) {
			qmp_error_set(err, QMP_ERR_GENERIC, "extents: total length overflows");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * QEMU's texts for the model's reasons, prescriptive add and release only
 * (QEMU checks nothing else in these words); NULL: the model's own text.
 */
static const struct {
	enum core_reason why;
	const char *add, *release;
} qemu_text[] = {
	{ CORE_REASON_ZERO_LENGTH, "extent with 0 length is not allowed",
	  "extent with 0 length is not allowed" },
	{ CORE_REASON_UNALIGNED, "dpa or len is not aligned to region block size",
	  "dpa or len is not aligned to region block size" },
	{ CORE_REASON_BEYOND_REGION, "extent range is beyond the region end",
	  "extent range is beyond the region end" },
	{ CORE_REASON_LIST_OVERLAP, "duplicate or overlapped extents are detected",
	  "duplicate or overlapped extents are detected" },
	{ CORE_REASON_ALREADY_ACCESSIBLE, "cannot add DPA already accessible to the same LD", NULL },
	{ CORE_REASON_STILL_PENDING, "cannot add DPA again while still pending",
	  "cannot release extent with pending DPA range" },
	{ CORE_REASON_NOT_HELD, NULL, "cannot release extent with non-existing DPA range" },
};

/* The error desc for a refusal of the model: QEMU's text where it has one, else the model's. */
static const char *reason_text(const struct cxldcd_diag *d, bool prescriptive, bool release)
{
	for (size_t i = 0; prescriptive && i < sizeof(qemu_text) / sizeof(qemu_text[0]); i++) {
		const char *t = release ? qemu_text[i].release : qemu_text[i].add;

		if (qemu_text[i].why == d->reason && t)
			return t;
	}
	return d->text[0] ? d->text : cxldcd_rc_str(d->rc);
}

static int model_error(const struct cxldcd_diag *d, bool prescriptive, bool release,
		       struct qmp_error *err)
{
	qmp_error_set(err, QMP_ERR_GENERIC, "%s", reason_text(d, prescriptive, release));
	return -EINVAL;
}

/* ---- the request bracket ------------------------------------------------ */

/* A QMP command waiting for its group commit. */
struct deferred_cmd {
	struct server_ctx *s;
	struct qmp_deferred *d;
	dcd_cmd_fn *fn;
	dcd_dev_fn *dev_fn;     /* instead of fn: the body of dcd_run_dev() */
	json_t *args;
};

/* Run the body of a command (model time set; journaled, or nothing to journal). */
static int run_body(struct server_ctx *s, json_t *args, json_t **ret, struct qmp_error *err,
		    dcd_cmd_fn *fn, dcd_dev_fn *dev_fn)
{
	struct dcd *dv;

	if (fn)
		return fn(s, args, ret, err);
	dv = dcd_find(s, qmp_arg_str(args, "path", NULL));   /* devices never go away */
	return dv ? dev_fn(s, dv, args, err) : -ENOENT;
}

static void run_deferred(void *opaque, int rc)
{
	struct deferred_cmd *dc = opaque;
	struct qmp_error err = { .cls = QMP_ERR_GENERIC };
	json_t *ret = NULL;

	if (rc) {
		char msg[SRV_ERR_MAX];

		qmp_error_set(&err, QMP_ERR_GENERIC, "%s", srv_store_error_text(dc->s, msg, sizeof(msg)));
	} else {
		/* srv_group_flush() set the record's model time */
		rc = run_body(dc->s, dc->args, &ret, &err, dc->fn, dc->dev_fn);
		/* cxl-cci-request of an erase whose proof the store refused (request.c) */
		if (srv_request_end(dc->s) && !rc) {
			char msg[SRV_ERR_MAX];

			qmp_error_set(&err, QMP_ERR_GENERIC, "%s",
				      srv_unproven_text(dc->s, msg, sizeof(msg)));
			rc = -EIO;
		} else if (!rc && json_is_object(ret) && srv_request_bg_unproven(dc->s)) {
			char msg[SRV_ERR_MAX];

			/* 01h as on the wire: its result, Internal Error, is 0002h's at its end */
			json_object_set_new(ret, "message",
					    json_string(srv_unproven_text(dc->s, msg, sizeof(msg))));
		}
	}
	if (rc) {
		json_decref(ret);
		ret = NULL;
	}
	qmp_complete(dc->d, rc, ret, &err);
	json_decref(dc->args);
	free(dc);
}

/* Queue the command for the next group commit and answer it after; -errno if it cannot be. */
static int defer(struct server_ctx *s, const char *name, json_t *args, dcd_cmd_fn *fn,
		 dcd_dev_fn *dev_fn)
{
	struct deferred_cmd *dc = calloc(1, sizeof(*dc));
	size_t len = 0;
	const char *text = qmp_request_text(s->qmp, name, args, &len);  /* the server's buffer */

	if (!dc || !text || !(dc->d = qmp_defer(s->qmp))) {
		free(dc);
		return -ENOMEM;
	}
	dc->s = s;
	dc->fn = fn;
	dc->dev_fn = dev_fn;
	dc->args = json_incref(args);
	if (srv_group_add(s, STORE_REC_QMP, 0, 0, 0, text, len, run_deferred, dc)) {
		/* qmp_defer() was called: the answer must come through qmp_complete() */
		struct qmp_error err = { .cls = QMP_ERR_GENERIC };

		qmp_error_set(&err, QMP_ERR_GENERIC, "out of memory");
		qmp_complete(dc->d, -ENOMEM, NULL, &err);
		json_decref(dc->args);
		free(dc);
	}
	return 0;
}

/*
 * Time, journal (before the model runs it: a request the store cannot hold
 * is refused unapplied, with no event), run, events.  With a store the
 * command joins the loop round's group commit and is answered after it
 * (QMP_DEFER).  A journaled command that then fails in the model changed
 * nothing and fails again on replay.
 */
static int run(struct server_ctx *s, const char *name, json_t *args, json_t **ret,
	       struct qmp_error *err, dcd_cmd_fn *fn, dcd_dev_fn *dev_fn)
{
	int rc;

	srv_request_begin(s);
	if (srv_grouping(s) && srv_qmp_journaled(s, args)) {
		if (defer(s, name, args, fn, dev_fn) == 0)
			return QMP_DEFER;
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	rc = run_body(s, args, ret, err, fn, dev_fn);
	srv_request_end(s);
	return rc;
}

bool srv_qmp_journaled(struct server_ctx *s, json_t *args)
{
	unsigned flags = qmp_current_flags(s->qmp);

	if (flags & SRV_QMP_JOURNALED)
		return true;
	return (flags & SRV_QMP_JOURNALED_CCI) && dcd_cci_mutates(s, args);
}

int dcd_run(struct server_ctx *s, const char *name, json_t *args, json_t **ret,
	    struct qmp_error *err, dcd_cmd_fn *fn)
{
	return run(s, name, args, ret, err, fn, NULL);
}

int dcd_run_dev(struct server_ctx *s, const char *name, json_t *args, struct qmp_error *err,
		dcd_dev_fn *fn)
{
	json_t *ret = NULL;
	int rc;

	if (!dcd_resolve_inject(s, args, err))
		return -ENOENT;
	rc = run(s, name, args, &ret, err, NULL, fn);
	json_decref(ret);
	return rc;
}

char *srv_qmp_record(struct server_ctx *s, const char *name, json_t *args)
{
	size_t len = 0;
	const char *text = qmp_request_text(s->qmp, name, args, &len);

	return text ? strndup(text, len) : NULL;
}

int srv_journal_qmp(struct server_ctx *s, const char *name, json_t *args)
{
	const char *text;
	size_t len = 0;

	if (!s->st || s->replaying)
		return 0;
	text = qmp_request_text(s->qmp, name, args, &len);
	if (!text)
		return -ENOMEM;
	return srv_journal(s, STORE_REC_QMP, 0, 0, 0, text, len);
}

/* ---- cxl-add-dynamic-capacity ------------------------------------------- */

static const char *const sel_policy[] = { "free", "contiguous", "prescriptive",
					  "enable-shared-access", NULL };

static int need_extents(json_t *args, json_t **list, struct qmp_error *err)
{
	*list = json_object_get(args, "extents");
	if (*list)
		return 0;
	qmp_error_set(err, QMP_ERR_GENERIC, "Parameter 'extents' is missing");
	return -EINVAL;
}

static int add_dc(struct server_ctx *s, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct core_add_req req = { 0 };
	struct core_region_info ri;
	struct cxldcd_diag diag = { 0 };
	struct cxldcd_extent *ext = NULL;
	struct dcd *dv = dcd_resolve(s, args, err);
	json_t *list = NULL;
	bool has_tag;
	uint8_t region;
	enum cxldcd_rc rc;

	(void)ret;
	if (!dv || check_dc(dv, err) || dcd_check_host(dv, args, &req.host, err) ||
	    dcd_check_region(dv, args, &region, &ri, err) || dcd_parse_tag(args, req.tag, &has_tag, err))
		return -EINVAL;
	req.policy = (enum cxldcd_add_policy)qmp_arg_enum(args, "selection-policy", sel_policy, 0);
	req.region = region;
	if (req.policy != CXLDCD_ADD_ENABLE_SHARED && need_extents(args, &list, err))
		return -EINVAL;
	if (req.policy == CXLDCD_ADD_ENABLE_SHARED && !has_tag) {
		qmp_error_set(err, QMP_ERR_GENERIC, "tag is required for selection-policy enable-shared-access");
		return -EINVAL;
	}
	if (req.policy == CXLDCD_ADD_FREE || req.policy == CXLDCD_ADD_CONTIGUOUS) {
		if (extents_total(list, &req.length, err))
			return -EINVAL;
	} else if (req.policy == CXLDCD_ADD_PRESCRIPTIVE) {
		uint16_t seq0 = core_dev_cfg(dv->dev)->seq_one_based ? 1 : 0;

		/* COMPAT: QEMU takes an empty list and offers nothing; the FM's 5604h refuses it */
		if (!json_array_size(list))
			return 0;
		if (extents_abs(&ri, list, req.tag, seq0, &ext, &req.nr_extents, err))
			return -EINVAL;
		req.extents = ext;
		req.in_region = true;
	}
	rc = core_add(dv->dev, &req, NULL, &diag);
	free(ext);
	if (rc)
		return model_error(&diag, req.policy == CXLDCD_ADD_PRESCRIPTIVE, false, err);
	return 0;
}

/* ---- cxl-release-dynamic-capacity --------------------------------------- */

static const char *const rm_policy[] = { "tag-based", "prescriptive", NULL };

static int release_dc(struct server_ctx *s, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct core_release_req req = { 0 };
	struct core_region_info ri;
	struct cxldcd_diag diag = { 0 };
	struct cxldcd_extent *ext = NULL;
	struct dcd *dv = dcd_resolve(s, args, err);
	json_t *list = json_object_get(args, "extents");
	bool has_tag;
	uint8_t region;
	enum cxldcd_rc rc;

	(void)ret;
	if (!dv || check_dc(dv, err) || dcd_check_host(dv, args, &req.host, err) ||
	    dcd_check_region(dv, args, &region, &ri, err) || dcd_parse_tag(args, req.tag, &has_tag, err))
		return -EINVAL;
	req.policy = (enum cxldcd_release_policy)qmp_arg_enum(args, "removal-policy", rm_policy, 0);
	req.forced = qmp_arg_bool(args, "forced-removal", false);
	req.sanitize = qmp_arg_bool(args, "sanitize-on-release", false);
	if (req.policy == CXLDCD_RELEASE_TAG_BASED) {
		if (!has_tag) {
			qmp_error_set(err, QMP_ERR_GENERIC, "tag is required for removal-policy tag-based");
			return -EINVAL;
		}
		/* Tag-based: extents[].len adds up to the tag's bytes on the host (none: all). */
		if (extents_total(list, &req.length, err))
			return -EINVAL;
	} else {
		if (need_extents(args, &list, err))
			return -EINVAL;
		/* COMPAT: as for add, QEMU takes an empty list (5605h refuses it) */
		if (!json_array_size(list))
			return 0;
		if (extents_abs(&ri, list, req.tag, 0, &ext, &req.nr_extents, err))
			return -EINVAL;
		req.extents = ext;
		req.region = region;
		req.in_region = true;
	}
	rc = core_release(dv->dev, &req, &diag);
	free(ext);
	if (rc)
		return model_error(&diag, req.policy == CXLDCD_RELEASE_PRESCRIPTIVE, true, err);
	return 0;
}

/* ---- cxl-release-dynamic-capacity-status -------------------------------- */

static const char *status_message(enum core_tag_state st, char *buf, size_t cap, uint16_t host)
{
	switch (st) {
	case CORE_TAG_PENDING:
		snprintf(buf, cap, "capacity with the tag is offered to host=%u and not answered yet", host);
		break;
	case CORE_TAG_COMMITTED:
		snprintf(buf, cap, "capacity with the tag is accepted by host=%u", host);
		break;
	case CORE_TAG_RELEASE_PENDING:
		snprintf(buf, cap, "release requested: host=%u has not released all capacity with the tag", host);
		break;
	case CORE_TAG_RELEASED:
		snprintf(buf, cap, "host=%u released all capacity with the tag", host);
		break;
	default:
		snprintf(buf, cap, "no capacity with the tag on host=%u", host);
		break;
	}
	return buf;
}

static int release_status(struct server_ctx *s, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct dcd *dv = dcd_resolve(s, args, err);
	struct core_region_info ri;
	uint8_t tag[CXLDCD_TAG_SIZE], region = 0;
	enum core_tag_state st;
	char msg[160];
	uint16_t host;
	bool has_tag;

	if (!dv || check_dc(dv, err) || dcd_check_host(dv, args, &host, err))
		return -EINVAL;
	/* The RFC's text for this command (its add and release say "region id ...") */
	if (json_object_get(args, "region") && dcd_check_region(dv, args, &region, &ri, err)) {
		qmp_error_set(err, QMP_ERR_GENERIC, "Region id is too large");
		return -EINVAL;
	}
	if (dcd_parse_tag(args, tag, &has_tag, err))
		return -EINVAL;
	st = core_tag_status(dv->dev, host, json_object_get(args, "region") ? region : -1, tag);
	*ret = json_pack("{s:s, s:s}", "status", core_tag_state_str(st), "message",
			 status_message(st, msg, sizeof(msg), host));
	return 0;
}

/* ---- handlers ----------------------------------------------------------- */

#define DCD_HANDLER(fn, name)                                                              \
	int qmp_##fn(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)       \
	{                                                                                  \
		return dcd_run(opaque, name, args, ret, err, fn);                           \
	}

DCD_HANDLER(add_dc, "cxl-add-dynamic-capacity")
DCD_HANDLER(release_dc, "cxl-release-dynamic-capacity")
DCD_HANDLER(release_status, "cxl-release-dynamic-capacity-status")

/* ---- schemas ------------------------------------------------------------ */

static const struct qmp_arg extent_fields[] = {
	QMP_ARG("offset", QMP_T_UINT64),
	QMP_ARG("len", QMP_T_UINT64),
	QMP_ARG_END
};

const struct qmp_arg qmp_add_dc_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG("host-id", QMP_T_UINT16),
	QMP_ARG_ENUM("selection-policy", sel_policy),
	QMP_ARG("region", QMP_T_UINT8),
	QMP_OPT("tag", QMP_T_STR),
	QMP_OPT_ARRAY_OF("extents", extent_fields),
	QMP_ARG_END
};

const struct qmp_arg qmp_release_dc_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG("host-id", QMP_T_UINT16),
	QMP_ARG_ENUM("removal-policy", rm_policy),
	QMP_OPT("forced-removal", QMP_T_BOOL),
	QMP_OPT("sanitize-on-release", QMP_T_BOOL),
	QMP_ARG("region", QMP_T_UINT8),
	QMP_OPT("tag", QMP_T_STR),
	QMP_OPT_ARRAY_OF("extents", extent_fields),
	QMP_ARG_END
};

const struct qmp_arg qmp_release_status_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG("host-id", QMP_T_UINT16),
	QMP_OPT("region", QMP_T_UINT8),
	QMP_ARG("tag", QMP_T_STR),
	QMP_ARG_END
};

