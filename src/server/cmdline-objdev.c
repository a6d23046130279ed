/* SPDX-License-Identifier: MIT */
/*
 * cmdline-objdev.c - -object (memory backends) and -device cxl-type3:
 * property tables, value checks and the typed config they fill.  The
 * KEY=VALUE splitting and option dispatch are in cmdline.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <uuid/uuid.h>

#include "cxldcd/spec.h"
#include "qmp/qmp.h"
#include "cmdline-int.h"

/* ---- -object -------------------------------------------------------- */

enum pkind { P_STR, P_SIZE, P_BOOL, P_U32, P_U64, P_UUID };

struct pdef {
	const char *name;
	enum pkind kind;
};

static const struct pdef obj_common[] = {
	{ "id", P_STR }, { "size", P_SIZE }, { "share", P_BOOL }, { "tag", P_UUID },
	{ "prealloc", P_BOOL }, { "prealloc-threads", P_U32 }, { "merge", P_BOOL },
	{ "dump", P_BOOL }, { "reserve", P_BOOL }, { "host-nodes", P_STR }, { "policy", P_STR },
	{ NULL, P_STR },
};
static const struct pdef obj_file[] = {
	{ "mem-path", P_STR }, { "align", P_SIZE }, { "offset", P_SIZE },
	{ "discard-data", P_BOOL }, { "pmem", P_BOOL }, { "readonly", P_BOOL }, { "rom", P_STR },
	{ NULL, P_STR },
};
static const struct pdef obj_memfd[] = {
	{ "hugetlb", P_BOOL }, { "hugetlbsize", P_SIZE }, { "seal", P_BOOL }, { NULL, P_STR },
};

static const struct {
	const char *name;
	enum cmdline_obj_type type;
	const struct pdef *extra;
} obj_types[] = {
	{ "memory-backend-ram", CMDLINE_OBJ_RAM, NULL },
	{ "memory-backend-memfd", CMDLINE_OBJ_MEMFD, obj_memfd },
	{ "memory-backend-file", CMDLINE_OBJ_FILE, obj_file },
	{ "memory-backend-tagged", CMDLINE_OBJ_TAGGED, NULL },
};

static const struct pdef *find_pdef(const struct pdef *t, const char *key)
{
	for (; t && t->name; t++)
		if (!strcmp(t->name, key))
			return t;
	return NULL;
}

static int check_value(struct cmdline_ctx *c, const struct pdef *d, const char *v)
{
	uint64_t u;
	bool b;
	uuid_t uu;

	switch (d->kind) {
	case P_STR:
		return 0;
	case P_SIZE:
		if (cmdline_parse_size(v, &u))
			return cmdline_fail(c, "invalid size '%s' for '%s' (a number with an optional K, M, G, T suffix)", v, d->name);
		return 0;
	case P_BOOL:
		if (cmdline_parse_bool(v, &b))
			return cmdline_fail(c, "invalid value '%s' for '%s' (on/off, yes/no, true/false)", v, d->name);
		return 0;
	case P_U32:
		if (cmdline_parse_u64(v, &u) || u > UINT32_MAX)
			return cmdline_fail(c, "invalid value '%s' for '%s' (0..4294967295)", v, d->name);
		return 0;
	case P_U64:
		if (cmdline_parse_u64(v, &u))
			return cmdline_fail(c, "invalid value '%s' for '%s' (an unsigned number)", v, d->name);
		return 0;
	case P_UUID:
		if (strlen(v) != 36 || uuid_parse(v, uu))
			return cmdline_fail(c, "invalid UUID '%s' for '%s'", v, d->name);
		return 0;
	}
	return 0;
}

static int object_fill(struct cmdline_ctx *c, struct cmdline_object *o, const struct cmdline_kv *kv,
		       const struct pdef *extra)
{
	const char *v;

	for (size_t i = 0; i < kv->n; i++) {
		const struct pdef *d = find_pdef(obj_common, kv->p[i].key);
		int rc;

		if (!strcmp(kv->p[i].key, "qom-type"))
			continue;
		if (!d)
			d = find_pdef(extra, kv->p[i].key);
		if (!d)
			return cmdline_fail(c, "unknown property '%s'", kv->p[i].key);
		rc = check_value(c, d, kv->p[i].value);
		if (rc)
			return rc;
	}
	v = cmdline_kv_get(kv, "id");
	if (!v)
		return cmdline_fail(c, "id= is required");
	if (!cmdline_id_ok(v))
		return cmdline_fail(c, "invalid id '%s' (a letter, then letters, digits, '-', '.', '_')", v);
	if (!(v = cmdline_kv_get(kv, "size")))
		return cmdline_fail(c, "size= is required");
	cmdline_parse_size(v, &o->size);   /* 0: the backend refuses it, after the id (QEMU's order) */
	o->share = o->type == CMDLINE_OBJ_MEMFD;
	if ((v = cmdline_kv_get(kv, "share")))
		cmdline_parse_bool(v, &o->share);
	if ((v = cmdline_kv_get(kv, "hugetlb")))
		cmdline_parse_bool(v, &o->hugetlb);
	if ((v = cmdline_kv_get(kv, "tag"))) {
		uuid_t uu;

		uuid_parse(v, uu);
		uuid_unparse_lower(uu, o->tag);
		memcpy(o->tag_bytes, uu, sizeof(o->tag_bytes));
		o->has_tag = true;
	} else if (o->type == CMDLINE_OBJ_TAGGED) {
		return cmdline_fail(c, "tag= is required for memory-backend-tagged");
	}
	if (o->type == CMDLINE_OBJ_FILE && !cmdline_kv_get(kv, "mem-path"))
		return cmdline_fail(c, "mem-path= is required for memory-backend-file");
	return 0;
}

static int object_take(struct cmdline_ctx *c, struct cmdline_object *o, struct cmdline_kv *kv)
{
	const char *v;
	size_t n = 0;

	o->id = strdup(cmdline_kv_get(kv, "id"));
	if ((v = cmdline_kv_get(kv, "mem-path")))
		o->mem_path = strdup(v);
	o->props = calloc(kv->n, sizeof(*o->props));
	if (!o->id || (v && !o->mem_path) || !o->props)
		return cmdline_oom(c);
	for (size_t i = 0; i < kv->n; i++) {
		if (!strcmp(kv->p[i].key, "qom-type")) {
			free(kv->p[i].key);
			free(kv->p[i].value);
			continue;
		}
		o->props[n++] = kv->p[i];
	}
	o->nr_props = n;
	free(kv->p);
	kv->p = NULL;
	kv->n = 0;
	return 0;
}

/*
 * -object '{"qom-type": ..., "id": ..., "size": 1073741824}' (QEMU's JSON
 * form), also object-add's arguments: integers up to UINT64_MAX, as QEMU
 * reads them (qmp_json_load()).
 */
static int json_to_kv(struct cmdline_ctx *c, const char *s, struct cmdline_kv *kv)
{
	struct qmp_json doc;
	json_error_t jerr;
	json_t *o = qmp_json_load(&doc, s, strlen(s), 0, &jerr) ? NULL : doc.root, *v;
	const char *key;
	int rc = 0;

	if (!json_is_object(o)) {
		qmp_json_fini(&doc);
		return cmdline_fail(c, "invalid JSON: %s", o ? "not an object" : jerr.text);
	}
	json_object_foreach(o, key, v) {
		char num[32];
		const char *text = num;

		if (json_is_string(v))
			text = json_string_value(v);
		else if (qmp_json_is_big(&doc, v))
			snprintf(num, sizeof(num), "%llu",
				 (unsigned long long)(uint64_t)json_integer_value(v));
		else if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		else if (json_is_boolean(v))
			text = json_is_true(v) ? "on" : "off";
		else {
			rc = cmdline_fail(c, "property '%s' must be a string, integer or boolean", key);
			break;
		}
		if (cmdline_kv_add(kv, key, strlen(key), text, strlen(text))) {
			rc = cmdline_oom(c);
			break;
		}
	}
	qmp_json_fini(&doc);
	return rc;
}

int cmdline_opt_object(struct cmdline_ctx *c, const char *arg)
{
	struct cmdline_cfg *cfg = c->cfg;
	struct cmdline_object o = { 0 }, *n;
	struct cmdline_kv kv = { 0 };
	const struct pdef *extra = NULL;
	const char *type;
	int rc;

	rc = arg[0] == '{' ? json_to_kv(c, arg, &kv) : cmdline_split_kv(c, arg, "qom-type", &kv);
	if (rc)
		goto out;
	type = cmdline_kv_get(&kv, "qom-type");
	if (!type) {
		rc = cmdline_fail(c, "qom-type is required");
		goto out;
	}
	for (size_t i = 0; i < sizeof(obj_types) / sizeof(obj_types[0]); i++) {
		if (!strcmp(obj_types[i].name, type)) {
			o.type = obj_types[i].type;
			extra = obj_types[i].extra;
		}
	}
	/* COMPAT: on the command line, QEMU's other objects belong to the guest */
	if (!o.type && c->opt && strncmp(type, "memory-backend-", 15)) {
		rc = cmdline_ignore(c, "not a memory backend: an object of QEMU's guest");
		goto out;
	}
	if (!o.type) {
		rc = cmdline_fail(c, "unknown object type '%s' (memory-backend-ram, -memfd, -file, -tagged)", type);
		goto out;
	}
	rc = object_fill(c, &o, &kv, extra);
	for (size_t i = 0; !rc && i < cfg->nr_objects; i++)
		if (!strcmp(cfg->objects[i].id, cmdline_kv_get(&kv, "id")))
			rc = cmdline_fail(c, "duplicate object id '%s'", cfg->objects[i].id);
	if (rc)
		goto out;
	n = realloc(cfg->objects, (cfg->nr_objects + 1) * sizeof(*n));
	if (!n) {
		rc = cmdline_oom(c);
		goto out;
	}
	cfg->objects = n;
	rc = object_take(c, &o, &kv);
	n[cfg->nr_objects++] = o;   /* even half-filled: cmdline_fini() frees it */
out:
	cmdline_kv_free(&kv);
	return rc;
}

/* ---- -device cxl-type3 ---------------------------------------------- */

struct devprop {
	const char *name;
	enum pkind kind;
	size_t off;
	size_t size;
	uint64_t min, max;
	uint32_t bit;
};

#define DP(n, k, f, lo, hi, b) \
	{ n, k, offsetof(struct cmdline_device, f), sizeof(((struct cmdline_device *)0)->f), \
	  lo, hi, b }
static const struct devprop dev_props[] = {
	DP("num-dc-regions", P_U32, num_dc_regions, 0, 8, CMDLINE_DEV_NUM_DC_REGIONS),
	DP("volatile-dc-memdev", P_STR, volatile_dc_memdev, 0, 0, CMDLINE_DEV_VOLATILE_DC_MEMDEV),
	DP("dc-regions-total-size", P_SIZE, dc_regions_total_size, 1, UINT64_MAX,
	   CMDLINE_DEV_DC_REGIONS_TOTAL_SIZE),
	DP("num-hosts", P_U32, num_hosts, 1, CXLDCD_MAX_HOSTS, CMDLINE_DEV_NUM_HOSTS),   /* the model's limit */
	DP("dc-block-size", P_SIZE, dc_block_size, 64, UINT64_MAX, CMDLINE_DEV_DC_BLOCK_SIZE),
	DP("max-extents", P_U32, max_extents, 1, UINT32_MAX, CMDLINE_DEV_MAX_EXTENTS),
	DP("max-tags", P_U32, max_tags, 0, UINT32_MAX, CMDLINE_DEV_MAX_TAGS),
	DP("event-log-depth", P_U32, event_log_depth, 1, 65535, CMDLINE_DEV_EVENT_LOG_DEPTH),
	DP("mbox-payload-size", P_SIZE, mbox_payload_size, 256, 1u << 20,
	   CMDLINE_DEV_MBOX_PAYLOAD_SIZE),
	DP("seq-one-based", P_BOOL, seq_one_based, 0, 1, CMDLINE_DEV_SEQ_ONE_BASED),
	DP("sanitize-on-release", P_BOOL, sanitize_on_release, 0, 1, CMDLINE_DEV_SANITIZE_ON_RELEASE),
	DP("sharable", P_BOOL, sharable, 0, 1, CMDLINE_DEV_SHARABLE),
	DP("pending-timeout-ms", P_U32, pending_timeout_ms, 0, UINT32_MAX,
	   CMDLINE_DEV_PENDING_TIMEOUT_MS),
	DP("sn", P_U64, sn, 0, UINT64_MAX, CMDLINE_DEV_SN),
	/* Not in QEMU: hosts may reach the whole backend (docs/memory.md, "Trust model"). */
	DP("trusted-hosts", P_BOOL, trusted_hosts, 0, 1, CMDLINE_DEV_TRUSTED_HOSTS),
	/* COMPAT: QEMU needs bus= to place the device; we have no PCI topology. */
	DP("bus", P_STR, bus, 0, 0, CMDLINE_DEV_BUS),
	/* QEMU's Label Storage Area backend: its size is the LSA size (4102h/4103h). */
	DP("lsa", P_STR, lsa, 0, 0, CMDLINE_DEV_LSA),
	/*
	 * QEMU's static capacity (docs/cmdline.md): volatile at DPA 0, then
	 * persistent, then the DC regions.  memdev= is QEMU's older name for
	 * persistent-memdev.
	 */
	DP("volatile-memdev", P_STR, volatile_memdev, 0, 0, CMDLINE_DEV_VOLATILE_MEMDEV),
	DP("persistent-memdev", P_STR, persistent_memdev, 0, 0, CMDLINE_DEV_PERSISTENT_MEMDEV),
	DP("memdev", P_STR, persistent_memdev, 0, 0, CMDLINE_DEV_MEMDEV),
	/* Not in QEMU: only host N reaches the static capacity (default: every host). */
	DP("static-host", P_U32, static_host, 0, CXLDCD_MAX_HOSTS - 1, CMDLINE_DEV_STATIC_HOST),
	/*
	 * Not in QEMU.  COMPAT (Linux): Perform Maintenance (0600h) completes
	 * before its response, memory sparing included, for Linux's EDAC driver,
	 * which sends 0600h without waiting for a background operation
	 * (docs/conformance.md, "Perform Maintenance").  Off: the spec's
	 * background memory sparing.
	 */
	DP("maint-at-once", P_BOOL, maint_at_once, 0, 1, CMDLINE_DEV_MAINT_AT_ONCE),
};

/*
 * COMPAT: QEMU properties of the PCI function and its link that mean nothing
 * for a standalone device: accepted (any value) and ignored, so QEMU
 * command lines paste unchanged (docs/cmdline.md).
 */
static const char *const ignored_props[] = {
	/* cxl-type3's own: link speed and width, CDAT file, SPDM port, HDM-DB (proposed) */
	"x-speed", "x-width", "cdat", "spdm", "hdm-db",
	/* every PCI device's */
	"addr", "multifunction", "rombar", "romfile", "romsize", "failover_pair_id", "acpi-index",
	"x-pcie-lnksta-dllla", "x-pcie-extcap-init", "x-pcie-err-unc-mask", "x-pcie-ari-nextfn-1",
	"x-pcie-ext-tag", "x-max-bounce-buffer-size",
	NULL,
};

/*
 * COMPAT: properties of out-of-tree cxl-type3 series seen in published
 * command lines (docs/cmdline.md, "Properties of out-of-tree series").
 * @why: for an ignored one, why it changes nothing here (logged); for a
 * refused one, the device behaviour it asks for that cxldcd does not have.
 * OOT_IF_ON: refused when on, ignored when off.
 */
enum oot_act { OOT_IGNORE, OOT_REFUSE, OOT_IF_ON };

#define WHY_FM_ATTACH "the MCTP-over-QMP RFC's switch that lets a fabric manager in " \
	"another QEMU reach the device: cxldcd always serves the FM-API, on --fm and --mctp-cci"
#define WHY_MCTP_BUF "the MCTP-over-QMP RFC's shared-memory buffer (/mctp-message-buf) " \
	"for a fabric manager in another QEMU: cxldcd's FM connects to --fm or --mctp-cci"
#define WHY_CHMU "the port of the hotness monitoring unit (CHMU) to QEMU's memory-access " \
	"plugin: CHMU registers live in the PCI function's BAR, which a standalone device " \
	"does not have, and it sees no memory accesses to count"
#define WHY_MHD "the MHD RFC's multi-headed device, each head a QEMU sharing the " \
	"device's state through System V shared memory (mhd_shmid), is not implemented: " \
	"one cxldcd serves every head as a host (num-hosts=N)"
#define WHY_MHD_OFF "only is_mhd=on makes the MHD RFC's multi-headed device"
#define WHY_MHSLD "a property of the MH-SLD RFC's cxl-mhsld device (heads in several " \
	"QEMUs sharing a state file), which is not implemented: one cxldcd serves every " \
	"head as a host (num-hosts=N)"

static const struct oot_prop {
	const char *name;
	enum pkind kind;
	enum oot_act act;
	const char *why;
} oot_props[] = {
	{ "allow-fm-attach", P_BOOL, OOT_IGNORE, WHY_FM_ATTACH },
	{ "mctp-buf-init", P_BOOL, OOT_IGNORE, WHY_MCTP_BUF },
	{ "chmu-port", P_U32, OOT_IGNORE, WHY_CHMU },
	{ "is_mhd", P_BOOL, OOT_IF_ON, WHY_MHD },
	{ "mhd_head", P_U32, OOT_IGNORE, WHY_MHD_OFF },
	{ "mhd_shmid", P_U32, OOT_IGNORE, WHY_MHD_OFF },
	{ "mhd-head", P_STR, OOT_REFUSE, WHY_MHSLD },
	{ "mhd-state_file", P_STR, OOT_REFUSE, WHY_MHSLD },
	{ "mhd-init", P_STR, OOT_REFUSE, WHY_MHSLD },
};

/* @key of an out-of-tree series: 0 (noted as ignored), 1 (not one), or the refusal. */
static int oot_prop(struct cmdline_ctx *c, const char *key, const char *v)
{
	const struct oot_prop *o = NULL;
	bool on = false;
	int rc;

	for (size_t i = 0; !o && i < sizeof(oot_props) / sizeof(oot_props[0]); i++)
		if (!strcmp(oot_props[i].name, key))
			o = &oot_props[i];
	if (!o)
		return 1;
	if (o->kind != P_STR) {
		const struct pdef typed = { key, o->kind };

		if ((rc = check_value(c, &typed, v)))
			return rc;
	}
	if (o->kind == P_BOOL)
		cmdline_parse_bool(v, &on);
	if (o->act == OOT_REFUSE || (o->act == OOT_IF_ON && on))
		return cmdline_fail(c, "%s=%s: %s", key, v, o->why);
	return cmdline_ignore_prop(c, key, v, o->act == OOT_IF_ON ? WHY_MHD_OFF : o->why);
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int dev_number(struct cmdline_ctx *c, struct cmdline_device *d, const struct devprop *p,
		      const char *v)
{
	char *field = (char *)d + p->off;
	uint64_t u;
	bool b;

	if (p->kind == P_BOOL) {
		if (cmdline_parse_bool(v, &b))
			return cmdline_fail(c, "invalid value '%s' for '%s' (on/off, yes/no, true/false)", v, p->name);
		*(bool *)field = b;
		return 0;
	}
	if (p->kind == P_SIZE ? cmdline_parse_size(v, &u) : cmdline_parse_u64(v, &u))
		return cmdline_fail(c, "invalid %s '%s' for '%s'", p->kind == P_SIZE ? "size" : "number", v, p->name);
	if (u < p->min || u > p->max)
		return cmdline_fail(c, "'%s' for '%s' is out of range %llu..%llu", v, p->name,
			    (unsigned long long)p->min, (unsigned long long)p->max);
	if ((p->bit & (CMDLINE_DEV_DC_BLOCK_SIZE | CMDLINE_DEV_MBOX_PAYLOAD_SIZE)) && !pow2(u))
		return cmdline_fail(c, "'%s' for '%s' is not a power of two", v, p->name);
	if (p->size == sizeof(uint64_t)) {
		memcpy(field, &u, sizeof(u));
	} else {
		uint32_t u32 = (uint32_t)u;

		memcpy(field, &u32, sizeof(u32));
	}
	return 0;
}

static int dev_prop(struct cmdline_ctx *c, struct cmdline_device *d, const char *key, const char *v)
{
	int rc;

	for (size_t i = 0; i < sizeof(dev_props) / sizeof(dev_props[0]); i++) {
		const struct devprop *p = &dev_props[i];

		if (strcmp(p->name, key))
			continue;
		if (p->kind == P_STR) {
			char *dup = strdup(v), *old;

			if (!dup)
				return cmdline_oom(c);
			/* given twice, or memdev= with persistent-memdev=: the last one stays */
			memcpy(&old, (char *)d + p->off, sizeof(old));
			free(old);
			memcpy((char *)d + p->off, &dup, sizeof(dup));
		} else if ((rc = dev_number(c, d, p, v))) {
			return rc;
		}
		d->set |= p->bit;
		return 0;
	}
	for (size_t i = 0; ignored_props[i]; i++)
		if (!strcmp(ignored_props[i], key))
			return 0;
	rc = oot_prop(c, key, v);
	return rc <= 0 ? rc : cmdline_fail(c, "unknown property '%s'", key);
}

static int dev_check(struct cmdline_ctx *c, const struct cmdline_device *d)
{
	if (!d->id)
		return cmdline_fail(c, "id= is required (QMP addresses the device as /machine/peripheral/ID)");
	if (!cmdline_id_ok(d->id))
		return cmdline_fail(c, "invalid id '%s' (a letter, then letters, digits, '-', '.', '_')", d->id);
	/*
	 * QEMU's cxl-type3 without DC regions (num-dc-regions absent or 0) is a
	 * plain memory expander: static capacity only (volatile-memdev and/or
	 * persistent-memdev), and neither DC property.
	 */
	if (!d->num_dc_regions) {
		if (!d->volatile_memdev && !d->persistent_memdev)
			return cmdline_fail(c, "at least one memdev property must be set");
		if (d->set & (CMDLINE_DEV_VOLATILE_DC_MEMDEV | CMDLINE_DEV_DC_REGIONS_TOTAL_SIZE))
			return cmdline_fail(c, "volatile-dc-memdev= and dc-regions-total-size= need "
					    "num-dc-regions=1..8");
	} else if ((d->set & CMDLINE_DEV_VOLATILE_DC_MEMDEV) &&
		   (d->set & CMDLINE_DEV_DC_REGIONS_TOTAL_SIZE)) {
		return cmdline_fail(c, "give volatile-dc-memdev or dc-regions-total-size, not both");
	} else if (!(d->set & (CMDLINE_DEV_VOLATILE_DC_MEMDEV | CMDLINE_DEV_DC_REGIONS_TOTAL_SIZE))) {
		return cmdline_fail(c, "volatile-dc-memdev=ID or dc-regions-total-size=SIZE is required");
	}
	/* QEMU's own checks and texts (hw/mem/cxl_type3.c) */
	if ((d->set & CMDLINE_DEV_MEMDEV) && (d->set & CMDLINE_DEV_PERSISTENT_MEMDEV))
		return cmdline_fail(c, "[memdev] cannot be used with new [persistent-memdev] property");
	if (d->persistent_memdev && !d->lsa)
		return cmdline_fail(c, "lsa property must be set for persistent devices");
	if ((d->set & CMDLINE_DEV_STATIC_HOST) && !d->volatile_memdev && !d->persistent_memdev)
		return cmdline_fail(c, "static-host= needs static capacity (volatile-memdev or persistent-memdev)");
	for (size_t i = 0; i < c->cfg->nr_devices; i++)
		if (!strcmp(c->cfg->devices[i].id, d->id))
			return cmdline_fail(c, "duplicate device id '%s'", d->id);
	return 0;
}

void cmdline_device_free(struct cmdline_device *d)
{
	struct cmdline_kv kv = { d->props, d->nr_props };

	free(d->id);
	free(d->volatile_dc_memdev);
	free(d->bus);
	free(d->lsa);
	free(d->volatile_memdev);
	free(d->persistent_memdev);
	cmdline_kv_free(&kv);
}

/*
 * COMPAT: QEMU's CXL topology around a cxl-type3 (host bridge, root port,
 * switch ports and switch CCI): a standalone device sits on no bus, so these
 * are accepted and ignored, and QEMU's CXL command lines paste whole.
 */
static const char *const topology_devices[] = {
	"pxb-cxl", "cxl-rp", "cxl-upstream", "cxl-downstream", "cxl-switch-mailbox-cci", NULL,
};

static bool is_topology_device(const char *drv)
{
	for (size_t i = 0; topology_devices[i]; i++)
		if (!strcmp(topology_devices[i], drv))
			return true;
	return false;
}

int cmdline_opt_device(struct cmdline_ctx *c, const char *arg)
{
	struct cmdline_device d = { 0 }, *n;
	struct cmdline_kv kv = { 0 };
	const char *drv;
	/* QEMU's JSON form too: -device '{"driver":"cxl-type3","id":"d0",...}' */
	int rc = arg[0] == '{' ? json_to_kv(c, arg, &kv) : cmdline_split_kv(c, arg, "driver", &kv);

	if (rc)
		goto out;
	drv = cmdline_kv_get(&kv, "driver");
	if (drv && is_topology_device(drv)) {
		rc = cmdline_ignore(c, CMDLINE_WHY_MACHINE);
		goto out;
	}
	if (drv && strcmp(drv, "cxl-type3") && cmdline_qemu_device_why(drv)) {
		rc = cmdline_ignore(c, cmdline_qemu_device_why(drv));
		goto out;
	}
	if (!drv || strcmp(drv, "cxl-type3")) {
		rc = cmdline_fail(c, "unknown device type '%s' (cxl-type3; QEMU's pxb-cxl, cxl-rp, "
				  "cxl-upstream, cxl-downstream, cxl-switch-mailbox-cci and the guest's devices are ignored)",
				  drv ? drv : "");
		goto out;
	}
	for (size_t i = 0; i < kv.n && !rc; i++) {
		if (!strcmp(kv.p[i].key, "driver"))
			continue;
		if (!strcmp(kv.p[i].key, "id"))
			rc = (d.id = strdup(kv.p[i].value)) ? 0 : cmdline_oom(c);
		else
			rc = dev_prop(c, &d, kv.p[i].key, kv.p[i].value);
	}
	if (!rc)
		rc = dev_check(c, &d);
	if (rc)
		goto out;
	n = realloc(c->cfg->devices, (c->cfg->nr_devices + 1) * sizeof(*n));
	if (!n) {
		rc = cmdline_oom(c);
		goto out;
	}
	c->cfg->devices = n;
	/* Keep every property but the driver, for the device layer. */
	d.props = kv.p;
	d.nr_props = kv.n;
	for (size_t i = 0; i < d.nr_props; i++) {
		if (!strcmp(d.props[i].key, "driver")) {
			free(d.props[i].key);
			free(d.props[i].value);
			memmove(&d.props[i], &d.props[i + 1], (d.nr_props - i - 1) * sizeof(d.props[0]));
			d.nr_props--;
			break;
		}
	}
	kv.p = NULL;
	kv.n = 0;
	n[c->cfg->nr_devices++] = d;
	return 0;
out:
	cmdline_device_free(&d);
	cmdline_kv_free(&kv);
	return rc;
}


int cmdline_parse_object(const char *arg, struct cmdline_cfg *cfg, char *err, size_t errlen)
{
	struct cmdline_ctx c = { .cfg = cfg, .err = err, .errlen = errlen };

	return cmdline_opt_object(&c, arg);
}
