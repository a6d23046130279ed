/* SPDX-License-Identifier: MIT */
/*
 * qmp-inject.c - QEMU's RAS injection commands (qapi/cxl.json, since 8.0/
 * 8.1): cxl-inject-poison, cxl-inject-general-media-event,
 * cxl-inject-dram-event, cxl-inject-memory-module-event, and the two AER
 * commands cxl-inject-uncorrectable-errors / cxl-inject-correctable-error.
 *
 * The event commands take QEMU's CXL r3.2 arguments (Shiju Jose's "cxl:
 * r3.2 specification event updates", merged on QEMU master in Feb 2026,
 * commits 2fc064e23ecb..1fc57dd25094): CXLCommonEventBase's flags as uint32
 * and optional
 * maint-op-class, maint-op-subclass, ld-id and head-id (CXL r3.2 Table 8-55),
 * and each record's new fields (Tables 8-57 to 8-59), with the names, types,
 * valid bits and offsets of that series' qapi/cxl.json and cxl_type3.c;
 * calls without them produce the r3.1 records unchanged.
 *
 * QEMU's argument names, types and error texts.  Every command that reaches
 * the device is journaled before it runs (srv_journal_qmp), so poison and
 * injected records survive a restart with --state.
 *
 * Event records go to the hosts that can access the record's DPA (static
 * capacity: every host; dynamic capacity: the hosts that accepted it); when
 * no host can (free capacity), and for memory-module events, to every host.
 * COMPAT: QEMU has one host and logs there.  Each host's log raises its
 * interrupt as for any record (Set Event Interrupt Policy, host link).
 *
 * The two AER commands set the CXL RAS Capability registers of every
 * host's device (src/core/ras.c; optional host-id, ours: one host's) as
 * QEMU does, and the host link tells each host (RAS_IRQ, the AER message).
 * They are not journaled: the RAS registers are volatile across a daemon
 * restart, as RW1CS/RWS bits are across a power cycle.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cci/memdev.h"
#include "common/wire.h"
#include "qmp/qmp.h"
#include "daemon.h"
#include "qmp-dcd.h"
#include "qmp-inject.h"

typedef dcd_dev_fn inject_fn;

static const char *const event_log[] = { "informational", "warning", "failure", "fatal", NULL };

/*
 * Resolve, journal, run (dcd_run_dev(), as every device command): joins the
 * loop round's group commit and runs once it is durable (a request the store
 * cannot hold is refused unapplied); one that then fails changed nothing and
 * fails again on replay.
 */
static int run(struct server_ctx *s, const char *name, json_t *args, struct qmp_error *err,
	       inject_fn *fn)
{
	return dcd_run_dev(s, name, args, err, fn);
}

/* ---- cxl-inject-poison -------------------------------------------------- */

/*
 * QEMU's checks and texts first (length, alignment, path, overlap); then the
 * model's: the range must be device capacity, and the list has room.  The
 * poison is device-wide (the FM's reach) with Error Source Internal, as
 * QEMU marks QMP-injected poison.
 */
static int inject_poison(struct server_ctx *s, struct dcd *dv, json_t *args,
			 struct qmp_error *err)
{
	uint64_t start = qmp_arg_uint(args, "start", 0), len = qmp_arg_uint(args, "length", 0);
	struct cxldcd_diag diag = { 0 };
	struct core_poison p;
	bool more;

	(void)s;
	/* COMPAT: QEMU takes a length of 0 (a multiple of 64) and lists an empty range; we add none */
	if (!len)
		return 0;
	if (core_poison_list(dv->dev, CORE_OWNER_FM, start, len, &p, 1, &more) || more) {
		qmp_error_set(err, QMP_ERR_GENERIC, "Overlap with existing poisoned region not supported");
		return -EEXIST;
	}
	if (core_poison_inject(dv->dev, CORE_OWNER_FM, start, len, CORE_POISON_SRC_INTERNAL,
			       &diag) != CXLDCD_RC_SUCCESS) {
		qmp_error_set(err, QMP_ERR_GENERIC, "%s", diag.text);
		return -EINVAL;
	}
	return 0;
}

int qmp_inject_poison(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	uint64_t start = qmp_arg_uint(args, "start", 0), len = qmp_arg_uint(args, "length", 0);

	*ret = NULL;
	if (len % 64) {
		qmp_error_set(err, QMP_ERR_GENERIC, "Poison injection must be in multiples of 64 bytes");
		return -EINVAL;
	}
	if (start % 64) {
		qmp_error_set(err, QMP_ERR_GENERIC, "Poison start address must be 64 byte aligned");
		return -EINVAL;
	}
	return run(opaque, "cxl-inject-poison", args, err, inject_poison);
}

/* ---- event records ------------------------------------------------------ */

/* Common Event Record flags (CXL r3.2 Table 8-55, 0x11) the optional header arguments set. */
#define EVF_MAINT_SUBCLASS_VALID (1u << 6)
#define EVF_HEAD_ID_VALID (1u << 8)

/*
 * The common header arguments (QEMU's CXLCommonEventBase): flags (uint32;
 * the record keeps 24 bits, as QEMU stores it), and the r3.2 optional
 * maint-op-class (no valid bit: 0 when absent), maint-op-subclass, ld-id
 * and head-id, each setting its valid bit in the flags.
 */
static void event_header(json_t *args, struct cxldcd_event *ev)
{
	uint32_t flags = (uint32_t)qmp_arg_uint(args, "flags", 0);

	ev->maint_class = (uint8_t)qmp_arg_uint(args, "maint-op-class", 0);
	if (json_object_get(args, "maint-op-subclass")) {
		ev->maint_subclass = (uint8_t)qmp_arg_uint(args, "maint-op-subclass", 0);
		flags |= EVF_MAINT_SUBCLASS_VALID;
	}
	if (json_object_get(args, "ld-id")) {
		ev->ld_id = (uint16_t)qmp_arg_uint(args, "ld-id", 0);
		flags |= CXLDCD_EVF_LD_ID_VALID;
	}
	if (json_object_get(args, "head-id")) {
		ev->head_id = (uint8_t)qmp_arg_uint(args, "head-id", 0);
		flags |= EVF_HEAD_ID_VALID;
	}
	ev->flags = flags & 0xffffffu;
}

/*
 * Log one record to the hosts that can access dpa (all hosts when none can,
 * or when dpa is UINT64_MAX: a record about the whole module).
 */
static int log_record(struct dcd *dv, json_t *args, const uint8_t uuid[16], const uint8_t *data,
		      uint64_t dpa, struct qmp_error *err)
{
	const struct cxldcd_dev_cfg *cfg = core_dev_cfg(dv->dev);
	uint8_t log = (uint8_t)qmp_arg_enum(args, "log", event_log, 0);
	struct cxldcd_event ev = { .length = 0x80 };
	bool any = false;

	memcpy(ev.uuid, uuid, 16);
	memcpy(ev.data, data, sizeof(ev.data));
	event_header(args, &ev);
	for (uint16_t h = 0; dpa != UINT64_MAX && h < cfg->nr_hosts; h++)
		any |= core_host_can_access(dv->dev, h, dpa & ~63ull, 64);
	for (uint16_t h = 0; h < cfg->nr_hosts; h++) {
		if (any && !core_host_can_access(dv->dev, h, dpa & ~63ull, 64))
			continue;
		if (core_evlog_inject(dv->dev, h, log, &ev) != CXLDCD_RC_SUCCESS) {
			qmp_error_set(err, QMP_ERR_GENERIC, "host-id=%u: cannot log the record", h);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Optional uint8/16/24/32 argument: its value, and its validity bit in *v. */
static uint32_t opt(json_t *args, const char *name, uint16_t bit, uint16_t *v)
{
	if (!json_object_get(args, name))
		return 0;
	*v |= bit;
	return (uint32_t)qmp_arg_uint(args, name, 0);
}

/*
 * The arguments General Media and DRAM events share (MEDIA_EVENT_ARGS);
 * channel and rank are validity bits 0 and 1 in both records.
 */
static void media_event_head(json_t *args, struct cci_media_event_head *h)
{
	h->dpa = qmp_arg_uint(args, "dpa", 0);
	h->descriptor = (uint8_t)qmp_arg_uint(args, "descriptor", 0);
	h->type = (uint8_t)qmp_arg_uint(args, "type", 0);
	h->transaction_type = (uint8_t)qmp_arg_uint(args, "transaction-type", 0);
	h->channel = (uint8_t)opt(args, "channel", 1u << 0, &h->validity);
	h->rank = (uint8_t)opt(args, "rank", 1u << 1, &h->validity);
}

/* Memory Event Descriptor bit 1, Threshold Event (CXL r3.2 Tables 8-57, 8-58). */
#define MEDIA_DESC_THRESHOLD_EVENT (1u << 1)

/*
 * The optional component-id into id[] with validity bit `bit`, and
 * is-comp-id-pldm (r3.2) as the next bit, which QEMU sets only with an id.
 */
static int component_id(json_t *args, uint8_t id[CCI_COMPONENT_ID_SIZE], uint16_t bit,
			uint16_t *validity, struct qmp_error *err)
{
	const char *cid = qmp_arg_str(args, "component-id", NULL);

	if (!cid)
		return 0;
	/*
	 * COMPAT: QEMU copies at most 15 bytes (strncpy of size - 1), so it
	 * drops the 16th byte of a 16-byte id and the rest of a longer one
	 * silently; we keep all 16 (the field's size) and refuse a longer id.
	 */
	if (strlen(cid) > CCI_COMPONENT_ID_SIZE) {
		qmp_error_set(err, QMP_ERR_GENERIC, "component-id is longer than %u bytes",
			      CCI_COMPONENT_ID_SIZE);
		return -EINVAL;
	}
	memcpy(id, cid, strlen(cid));
	*validity |= bit;
	if (qmp_arg_bool(args, "is-comp-id-pldm", false))
		*validity |= (uint16_t)(bit << 1);
	return 0;
}

/*
 * A corrected-error count (cme-count, cvme-count; r3.2): 24 bits in the
 * record, valid only with the Memory Event Descriptor's Threshold Event bit
 * (Tables 8-57, 8-58), which giving one sets, as QEMU master does.
 */
static uint32_t cme_count(json_t *args, const char *name, struct cci_media_event_head *h)
{
	if (!json_object_get(args, name))
		return 0;
	h->descriptor |= MEDIA_DESC_THRESHOLD_EVENT;
	return (uint32_t)qmp_arg_uint(args, name, 0) & 0xffffffu;
}

static int gm_event(struct server_ctx *s, struct dcd *dv, json_t *args, struct qmp_error *err)
{
	static const uint8_t uuid[16] = CCI_GM_EVENT_UUID;
	struct cci_gm_event e = { 0 };
	uint8_t data[CCI_EVENT_DATA_SIZE];
	struct wwr w;

	(void)s;
	media_event_head(args, &e.head);
	e.device = opt(args, "device", 1u << 2, &e.head.validity) & 0xffffffu;
	if (component_id(args, e.component_id, 1u << 3, &e.head.validity, err))
		return -EINVAL;
	e.cme_ev_flags = (uint8_t)qmp_arg_uint(args, "cme-ev-flags", 0);
	e.cme_count = cme_count(args, "cme-count", &e.head);
	e.sub_type = (uint8_t)qmp_arg_uint(args, "sub-type", 0);
	wwr_init(&w, data, sizeof(data));
	cci_enc_gm_event(&w, &e);
	return log_record(dv, args, uuid, data, e.head.dpa, err);
}

static int dram_event(struct server_ctx *s, struct dcd *dv, json_t *args, struct qmp_error *err)
{
	static const uint8_t uuid[16] = CCI_DRAM_EVENT_UUID;
	struct cci_dram_event e = { 0 };
	json_t *masks = json_object_get(args, "correction-mask");
	uint8_t data[CCI_EVENT_DATA_SIZE];
	struct wwr w;

	(void)s;
	media_event_head(args, &e.head);
	e.nibble_mask = opt(args, "nibble-mask", 1u << 2, &e.head.validity) & 0xffffffu;
	e.bank_group = (uint8_t)opt(args, "bank-group", 1u << 3, &e.head.validity);
	e.bank = (uint8_t)opt(args, "bank", 1u << 4, &e.head.validity);
	e.row = opt(args, "row", 1u << 5, &e.head.validity) & 0xffffffu;
	e.column = (uint16_t)opt(args, "column", 1u << 6, &e.head.validity);
	if (masks) {
		/* COMPAT: QEMU ignores masks past the fourth; we refuse them */
		if (json_array_size(masks) > CCI_CORRECTION_MASKS) {
			qmp_error_set(err, QMP_ERR_GENERIC, "correction-mask holds at most %u values",
				      CCI_CORRECTION_MASKS);
			return -EINVAL;
		}
		for (size_t i = 0; i < json_array_size(masks); i++)
			e.correction_mask[i] = (uint64_t)json_integer_value(json_array_get(masks, i));
		e.head.validity |= 1u << 7;
	}
	if (component_id(args, e.component_id, 1u << 8, &e.head.validity, err))
		return -EINVAL;
	e.sub_channel = (uint8_t)opt(args, "sub-channel", 1u << 10, &e.head.validity);
	e.cme_ev_flags = (uint8_t)qmp_arg_uint(args, "cme-ev-flags", 0);
	e.cvme_count = cme_count(args, "cvme-count", &e.head);
	e.sub_type = (uint8_t)qmp_arg_uint(args, "sub-type", 0);
	wwr_init(&w, data, sizeof(data));
	cci_enc_dram_event(&w, &e);
	return log_record(dv, args, uuid, data, e.head.dpa, err);
}

static int mm_event(struct server_ctx *s, struct dcd *dv, json_t *args, struct qmp_error *err)
{
	static const uint8_t uuid[16] = CCI_MM_EVENT_UUID;
	int64_t temp = qmp_arg_int(args, "temperature", 0);
	struct cci_mm_event e = { 0 };
	uint8_t data[CCI_EVENT_DATA_SIZE];
	struct wwr w;

	(void)s;
	e.type = (uint8_t)qmp_arg_uint(args, "type", 0);
	e.health.health_status = (uint8_t)qmp_arg_uint(args, "health-status", 0);
	e.health.media_status = (uint8_t)qmp_arg_uint(args, "media-status", 0);
	e.health.additional_status = (uint8_t)qmp_arg_uint(args, "additional-status", 0);
	e.health.life_used = (uint8_t)qmp_arg_uint(args, "life-used", 0);
	e.health.temperature = (uint16_t)(int16_t)temp;
	e.health.dirty_shutdowns = (uint32_t)qmp_arg_uint(args, "dirty-shutdown-count", 0);
	e.health.corrected_volatile =
		(uint32_t)qmp_arg_uint(args, "corrected-volatile-error-count", 0);
	e.health.corrected_persistent =
		(uint32_t)qmp_arg_uint(args, "corrected-persistent-error-count", 0);
	if (component_id(args, e.component_id, 1u << 0, &e.validity, err))
		return -EINVAL;
	e.sub_type = (uint8_t)qmp_arg_uint(args, "sub-type", 0);
	wwr_init(&w, data, sizeof(data));
	cci_enc_mm_event(&w, &e);
	return log_record(dv, args, uuid, data, UINT64_MAX, err);
}

int qmp_inject_gm_event(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	*ret = NULL;
	return run(opaque, "cxl-inject-general-media-event", args, err, gm_event);
}

int qmp_inject_dram_event(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	*ret = NULL;
	return run(opaque, "cxl-inject-dram-event", args, err, dram_event);
}

int qmp_inject_mm_event(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	int64_t temp = qmp_arg_int(args, "temperature", 0);

	*ret = NULL;
	/* An argument's type (int16) is checked before the path, as QEMU's visitor does. */
	if (temp < INT16_MIN || temp > INT16_MAX) {
		qmp_error_set(err, QMP_ERR_GENERIC, "Parameter 'temperature' expects int16_t");
		return -EINVAL;
	}
	return run(opaque, "cxl-inject-memory-module-event", args, err, mm_event);
}

/* ---- AER: the CXL RAS capability (src/core/ras.c) ----------------------- */

static const char *const uncor_type[] = {
	"cache-data-parity", "cache-address-parity", "cache-be-parity", "cache-data-ecc",
	"mem-data-parity", "mem-address-parity", "mem-be-parity", "mem-data-ecc",
	"reinit-threshold", "rsvd-encoding", "poison-received", "receiver-overflow",
	"internal", "cxl-ide-tx", "cxl-ide-rx", NULL
};

/* Uncorrectable Error Status bit of each CxlUncorErrorType (CXL r3.2 §8.2.4.17.1). */
static const uint8_t uncor_bit[] = {
	CXLDCD_RAS_UNC_CACHE_DATA_PARITY, CXLDCD_RAS_UNC_CACHE_ADDRESS_PARITY,
	CXLDCD_RAS_UNC_CACHE_BE_PARITY, CXLDCD_RAS_UNC_CACHE_DATA_ECC,
	CXLDCD_RAS_UNC_MEM_DATA_PARITY, CXLDCD_RAS_UNC_MEM_ADDRESS_PARITY,
	CXLDCD_RAS_UNC_MEM_BE_PARITY, CXLDCD_RAS_UNC_MEM_DATA_ECC,
	CXLDCD_RAS_UNC_REINIT_THRESHOLD, CXLDCD_RAS_UNC_RSVD_ENCODING,
	CXLDCD_RAS_UNC_POISON_RECEIVED, CXLDCD_RAS_UNC_RECEIVER_OVERFLOW,
	CXLDCD_RAS_UNC_INTERNAL, CXLDCD_RAS_UNC_IDE_TX, CXLDCD_RAS_UNC_IDE_RX,
};

_Static_assert(sizeof(uncor_bit) == sizeof(uncor_type) / sizeof(uncor_type[0]) - 1,
	       "one status bit per CxlUncorErrorType");

/* The enum order is the status bit order (CXL r3.2 §8.2.4.17.4). */
static const char *const cor_type[] = { "cache-data-ecc", "mem-data-ecc", "crc-threshold",
					"retry-threshold", "cache-poison-received",
					"mem-poison-received", "physical", NULL };

/* QEMU accepts up to 32 header DWORDs (its example sends 32). */
#define UNCOR_HEADER_MAX 32u

/*
 * The device and the host(s) of an AER injection, not journaled: the RAS
 * registers are volatile across a daemon restart (docs/qmp.md).  *host:
 * the optional host-id (ours), else CORE_RAS_ALL_HOSTS.
 */
static struct dcd *aer_target(struct server_ctx *s, json_t *args, uint16_t *host,
			      struct qmp_error *err)
{
	struct dcd *dv = dcd_resolve_inject(s, args, err);
	uint16_t nr;

	if (!dv)
		return NULL;
	*host = CORE_RAS_ALL_HOSTS;
	if (!json_object_get(args, "host-id"))
		return dv;
	*host = (uint16_t)qmp_arg_uint(args, "host-id", 0);
	nr = core_dev_cfg(dv->dev)->nr_hosts;
	if (*host >= nr) {
		qmp_error_set(err, QMP_ERR_GENERIC,
			      "host-id=%u is out of range: the device has num-hosts=%u", *host, nr);
		return NULL;
	}
	return dv;
}

/*
 * COMPAT: QEMU keeps up to 32 header DWORDs and stores all 32 from the Header
 * Log's offset on, past the end of the RAS capability (whose Header Log is
 * 16 DWORDs, CXL r3.2 §8.2.4.17.7); we keep the first 16.  More than 32 is
 * refused with QEMU's text (QEMU drops the rest).
 */
static int uncor_records(json_t *list, struct core_uncor_error *out, struct qmp_error *err)
{
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *rec = json_array_get(list, i), *hdr = json_object_get(rec, "header");
		int type = qmp_arg_enum(rec, "type", uncor_type, 0);

		if (json_array_size(hdr) > UNCOR_HEADER_MAX) {
			qmp_error_set(err, QMP_ERR_GENERIC, "Header must be 32 DWORD or less");
			return -EINVAL;
		}
		out[i] = (struct core_uncor_error){ .bit = uncor_bit[type] };
		for (size_t j = 0; j < json_array_size(hdr) && j < CXLDCD_RAS_HEADER_DWORDS; j++)
			out[i].header[j] = (uint32_t)json_integer_value(json_array_get(hdr, j));
	}
	return 0;
}

int qmp_inject_uncor_errors(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	json_t *list = json_object_get(args, "errors");
	size_t n = json_array_size(list);
	struct core_uncor_error e[CORE_RAS_QUEUE_MAX];
	struct cxldcd_diag diag = { 0 };
	struct dcd *dv;
	uint16_t host;
	int rc = -EINVAL;

	*ret = NULL;
	srv_request_begin(s);
	dv = aer_target(s, args, &host, err);
	/* COMPAT: QEMU records any number; the device records CORE_RAS_QUEUE_MAX per host */
	if (dv && n > CORE_RAS_QUEUE_MAX) {
		qmp_error_set(err, QMP_ERR_GENERIC, "at most %u errors can be injected at once",
			      CORE_RAS_QUEUE_MAX);
		dv = NULL;
	}
	if (dv && !uncor_records(list, e, err)) {
		rc = 0;
		if (core_ras_inject_uncor(dv->dev, host, e, (uint32_t)n, &diag) != CXLDCD_RC_SUCCESS) {
			qmp_error_set(err, QMP_ERR_GENERIC, "%s", diag.text);
			rc = -ENOSPC;
		}
	}
	srv_request_end(s);
	return rc;
}

int qmp_inject_cor_error(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	int type = qmp_arg_enum(args, "type", cor_type, 0);
	struct cxldcd_diag diag = { 0 };
	struct dcd *dv;
	uint16_t host;
	int rc = -EINVAL;

	*ret = NULL;
	srv_request_begin(s);
	dv = aer_target(s, args, &host, err);
	if (dv) {
		rc = 0;
		if (core_ras_inject_cor(dv->dev, host, (uint8_t)type, &diag) != CXLDCD_RC_SUCCESS) {
			qmp_error_set(err, QMP_ERR_GENERIC, "%s", diag.text);
			rc = -EINVAL;
		}
	}
	srv_request_end(s);
	return rc;
}

/* One host's registers as query-cxl-ras shows them; NULL: out of memory. */
static json_t *ras_json(const struct cxldcd_dev *dev, uint16_t host)
{
	struct core_ras_regs r;
	json_t *o, *log = json_array();

	core_ras_get(dev, host, &r);
	for (unsigned i = 0; log && i < CXLDCD_RAS_HEADER_DWORDS; i++)
		json_array_append_new(log, json_integer(r.header_log[i]));
	o = log ? json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "host-id", host,
			    "uncorrectable-status", (json_int_t)r.unc_status,
			    "uncorrectable-mask", (json_int_t)r.unc_mask,
			    "uncorrectable-severity", (json_int_t)r.unc_severity,
			    "correctable-status", (json_int_t)r.cor_status,
			    "correctable-mask", (json_int_t)r.cor_mask,
			    "capability-control", (json_int_t)r.cap_ctrl,
			    "first-error-pointer", (json_int_t)(r.cap_ctrl & CXLDCD_RAS_FEP_MASK),
			    "header-log", log) : NULL;
	return o;
}

/* query-cxl-ras (ours): each host's RAS Capability registers, as the host reads them. */
int qmp_query_ras(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct dcd *dv;
	uint16_t host, lo, hi;
	json_t *list;

	*ret = NULL;
	dv = aer_target(opaque, args, &host, err);
	if (!dv)
		return -EINVAL;
	lo = host == CORE_RAS_ALL_HOSTS ? 0 : host;
	hi = host == CORE_RAS_ALL_HOSTS ? core_dev_cfg(dv->dev)->nr_hosts : (uint16_t)(host + 1);
	list = json_array();
	for (uint16_t h = lo; list && h < hi; h++)
		if (json_array_append_new(list, ras_json(dv->dev, h))) {
			json_decref(list);
			list = NULL;
		}
	if (!list) {
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	*ret = list;
	return 0;
}

const struct qmp_arg qmp_query_ras_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_OPT("host-id", QMP_T_UINT16),
	QMP_ARG_END
};

/* ---- schemas (qapi/cxl.json) -------------------------------------------- */

const struct qmp_arg qmp_inject_poison_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG("start", QMP_T_UINT64),
	QMP_ARG("length", QMP_T_UINT64),
	QMP_ARG_END
};

/* QEMU's CXLCommonEventBase: every event command's first arguments. */
#define COMMON_EVENT_ARGS                               \
	QMP_ARG("path", QMP_T_STR),                     \
	QMP_ARG_ENUM("log", event_log),                 \
	QMP_ARG("flags", QMP_T_UINT32),                 \
	QMP_OPT("maint-op-class", QMP_T_UINT8),         \
	QMP_OPT("maint-op-subclass", QMP_T_UINT8),      \
	QMP_OPT("ld-id", QMP_T_UINT16),                 \
	QMP_OPT("head-id", QMP_T_UINT8)

/*
 * The r3.2 arguments every record takes (the component id and its format,
 * the sub-type).  COMPAT: QEMU master makes sub-type mandatory
 * ('sub-type': 'uint8' in all three) since the r3.2 series; ours defaults
 * to 0, so calls written for QEMU before it (8.1 .. 10.x) keep working.
 */
#define R32_EVENT_ARGS                                  \
	QMP_OPT("component-id", QMP_T_STR),             \
	QMP_OPT("is-comp-id-pldm", QMP_T_BOOL),         \
	QMP_OPT("sub-type", QMP_T_UINT8)

/* The arguments General Media and DRAM events share (QEMU's order). */
#define MEDIA_EVENT_ARGS                                \
	COMMON_EVENT_ARGS,                              \
	QMP_ARG("dpa", QMP_T_UINT64),                   \
	QMP_ARG("descriptor", QMP_T_UINT8),             \
	QMP_ARG("type", QMP_T_UINT8),                   \
	QMP_ARG("transaction-type", QMP_T_UINT8),       \
	QMP_OPT("channel", QMP_T_UINT8),                \
	QMP_OPT("rank", QMP_T_UINT8)

const struct qmp_arg qmp_inject_gm_event_args[] = {
	MEDIA_EVENT_ARGS,
	QMP_OPT("device", QMP_T_UINT32),
	R32_EVENT_ARGS,
	QMP_OPT("cme-ev-flags", QMP_T_UINT8),
	QMP_OPT("cme-count", QMP_T_UINT32),
	QMP_ARG_END
};

const struct qmp_arg qmp_inject_dram_event_args[] = {
	MEDIA_EVENT_ARGS,
	QMP_OPT("nibble-mask", QMP_T_UINT32),
	QMP_OPT("bank-group", QMP_T_UINT8),
	QMP_OPT("bank", QMP_T_UINT8),
	QMP_OPT("row", QMP_T_UINT32),
	QMP_OPT("column", QMP_T_UINT16),
	QMP_OPT_ARRAY("correction-mask", QMP_T_UINT64),
	R32_EVENT_ARGS,
	QMP_OPT("sub-channel", QMP_T_UINT8),
	QMP_OPT("cme-ev-flags", QMP_T_UINT8),
	QMP_OPT("cvme-count", QMP_T_UINT32),
	QMP_ARG_END
};

const struct qmp_arg qmp_inject_mm_event_args[] = {
	COMMON_EVENT_ARGS,
	QMP_ARG("type", QMP_T_UINT8),
	QMP_ARG("health-status", QMP_T_UINT8),
	QMP_ARG("media-status", QMP_T_UINT8),
	QMP_ARG("additional-status", QMP_T_UINT8),
	QMP_ARG("life-used", QMP_T_UINT8),
	QMP_ARG("temperature", QMP_T_INT),
	QMP_ARG("dirty-shutdown-count", QMP_T_UINT32),
	QMP_ARG("corrected-volatile-error-count", QMP_T_UINT32),
	QMP_ARG("corrected-persistent-error-count", QMP_T_UINT32),
	R32_EVENT_ARGS,
	QMP_ARG_END
};

static const struct qmp_arg uncor_record[] = {
	QMP_ARG_ENUM("type", uncor_type),
	QMP_ARG_ARRAY("header", QMP_T_UINT32),
	QMP_ARG_END
};

const struct qmp_arg qmp_inject_uncor_errors_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG_ARRAY_OF("errors", uncor_record),
	QMP_OPT("host-id", QMP_T_UINT16),   /* ours: one host's device, not every host's */
	QMP_ARG_END
};

const struct qmp_arg qmp_inject_cor_error_args[] = {
	QMP_ARG("path", QMP_T_STR),
	QMP_ARG_ENUM("type", cor_type),
	QMP_OPT("host-id", QMP_T_UINT16),   /* ours */
	QMP_ARG_END
};
