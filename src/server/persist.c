/* SPDX-License-Identifier: MIT */
/*
 * persist.c - --state DIR: the daemon's use of src/store
 * (docs/persistence.md, "How the daemon uses it").
 *
 * The canonical configuration is the JSON of the -object and -device
 * arguments (sockets and tracing may change between runs).  A store made
 * with another configuration is refused; one spelt otherwise (256M for
 * 268435456, properties in another order) is the same configuration.  The journal is replayed through
 * the same faces that wrote it (QMP handlers, the FM CCI, object-add/del,
 * ticks), with QMP events suppressed and no memory attached: memory is bound
 * to the final state afterwards (dcd_attach_memory), so a sanitize in the
 * past cannot zero data written later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uuid/uuid.h>

#include "cci/cci.h"
#include "store/store.h"
#include "cmdline.h"
#include "commands.h"
#include "daemon.h"

static const char *obj_type(enum cmdline_obj_type t)
{
	static const char *const n[] = { "", "memory-backend-ram", "memory-backend-memfd",
					 "memory-backend-file", "memory-backend-tagged" };

	return (unsigned)t < 5 ? n[t] : "";
}

static json_t *props_json(const char *k0, const char *v0, const struct cmdline_prop *p, size_t n)
{
	json_t *o = json_object();

	if (o)
		json_object_set_new(o, k0, json_string(v0));
	for (size_t i = 0; o && i < n; i++)
		json_object_set_new(o, p[i].key, json_string(p[i].value));
	return o;
}

char *srv_config_text(const struct cmdline_cfg *cfg)
{
	json_t *objs = json_array(), *devs = json_array(), *all;
	char *text;

	for (size_t i = 0; objs && i < cfg->nr_objects; i++)
		json_array_append_new(objs, props_json("qom-type", obj_type(cfg->objects[i].type),
						       cfg->objects[i].props, cfg->objects[i].nr_props));
	for (size_t i = 0; devs && i < cfg->nr_devices; i++)
		json_array_append_new(devs, props_json("driver", "cxl-type3", cfg->devices[i].props,
						       cfg->devices[i].nr_props));
	all = json_pack("{s:o, s:o}", "objects", objs, "devices", devs);
	text = all ? json_dumps(all, JSON_COMPACT) : NULL;
	json_decref(all);
	return text;
}

struct replay {
	struct server_ctx *s;
	char *err;
	size_t cap;
	uint64_t n;
};

static int replay_cci(struct server_ctx *s, const struct store_rec *rec, char *err, size_t cap)
{
	struct dcd *dv = rec->dev < s->nr_devs ? s->devs[rec->dev] : NULL;
	uint8_t *rsp;
	size_t rsp_cap, rsp_len;
	int rc;

	if (!dv || rec->port != SRV_PORT_FM) {
		snprintf(err, cap, "cci record for dev=%u port=%u does not match this configuration",
			 rec->dev, rec->port);
		return -EIO;
	}
	rsp_cap = CXLDCD_CCI_HDR_SIZE + core_dev_cfg(dv->dev)->mbox_payload_size;
	rsp = malloc(rsp_cap);
	if (!rsp)
		return -ENOMEM;
	srv_request_begin(s);
	rc = cci_handle_msg(dv->replay_fm, rec->data, rec->len, rsp, rsp_cap, &rsp_len);
	free(rsp);
	if (rc)
		snprintf(err, cap, "cci record not answerable: %s", strerror(-rc));
	return rc ? -EIO : 0;
}

static int replay_hostlink(struct server_ctx *s, const struct store_rec *rec, char *err,
			   size_t cap)
{
	struct dcd *dv = rec->dev < s->nr_devs ? s->devs[rec->dev] : NULL;
	struct cci_ctx *ctx;
	uint8_t *rsp;
	size_t rsp_cap, rsp_len;
	int rc;

	if (!dv || rec->port != SRV_PORT_HOSTLINK || rec->host >= core_dev_cfg(dv->dev)->nr_hosts) {
		snprintf(err, cap, "host-link record for dev=%u port=%u host=%u does not match this configuration",
			 rec->dev, rec->port, rec->host);
		return -EIO;
	}
	srv_request_begin(s);
	if (!rec->len) {        /* the host's connection closed with a chain open */
		dcd_replay_mbox_drop(dv, (uint16_t)rec->host);
		return 0;
	}
	ctx = dcd_replay_mbox(dv, (uint16_t)rec->host);
	rsp_cap = CXLDCD_CCI_HDR_SIZE + core_dev_cfg(dv->dev)->mbox_payload_size;
	rsp = malloc(rsp_cap);
	if (!ctx || !rsp) {
		free(rsp);
		return -ENOMEM;
	}
	rc = cci_handle_msg(ctx, rec->data, rec->len, rsp, rsp_cap, &rsp_len);
	free(rsp);
	if (rc)
		snprintf(err, cap, "host-link record not answerable: %s", strerror(-rc));
	return rc ? -EIO : 0;
}

static int replay_object(struct server_ctx *s, const struct store_rec *rec, char *err, size_t cap)
{
	json_t *o = json_loadb((const char *)rec->data, rec->len, 0, NULL);
	int rc = -EIO;

	if (!json_is_object(o))
		snprintf(err, cap, "object record is not JSON");
	else if (rec->kind == STORE_REC_OBJECT_ADD)
		rc = srv_object_add(s, o, err, cap);   /* an unavailable backend fails alone */
	else if (!json_is_string(json_object_get(o, "id")))
		snprintf(err, cap, "object-del record has no id");
	else    /* journaled before it ran: a refusal then is a refusal now */
		rc = (srv_object_del(s, json_string_value(json_object_get(o, "id")), err, cap), 0);
	json_decref(o);
	return rc ? -EIO : 0;
}

static int replay_one(void *opaque, const struct store_rec *rec)
{
	struct replay *r = opaque;
	struct server_ctx *s = r->s;
	char msg[SRV_ERR_MAX];
	int rc = -EIO;

	msg[0] = 0;
	s->now_ns = rec->time_ns;
	switch (rec->kind) {
	case STORE_REC_QMP:
		rc = server_replay_qmp(s, (const char *)rec->data, rec->len, msg, sizeof(msg));
		break;
	case STORE_REC_OBJECT_ADD:
	case STORE_REC_OBJECT_DEL:
		rc = replay_object(s, rec, msg, sizeof(msg));
		break;
	case STORE_REC_CCI:
		rc = replay_cci(s, rec, msg, sizeof(msg));
		break;
	case STORE_REC_HOSTLINK:
		rc = replay_hostlink(s, rec, msg, sizeof(msg));
		break;
	case STORE_REC_TICK:
		if (rec->dev < s->nr_devs) {
			srv_request_begin(s);
			core_tick(s->devs[rec->dev]->dev, rec->time_ns);
			rc = 0;
		} else {
			snprintf(msg, sizeof(msg), "tick record for dev=%u", rec->dev);
		}
		break;
	default:
		snprintf(msg, sizeof(msg), "record kind=%u is unknown", rec->kind);
		break;
	}
	srv_request_end(s);
	if (rc) {
		snprintf(r->err, r->cap, "journal record seq=%llu (%s): %s",
			 (unsigned long long)rec->seq, store_rec_kind_str(rec->kind), msg);
		return -EIO;
	}
	r->n++;
	return 0;
}

/*
 * @text (srv_config_text()) with every value in one spelling - sizes and
 * numbers in decimal bytes ("256M" and "268435456" are one size), booleans
 * on/off, UUIDs in lower case - and keys sorted, so that two spellings of
 * one configuration compare equal.  NULL on a malformed text.
 */
static char *config_canonical(const char *text)
{
	json_t *all = json_loads(text, 0, NULL), *list, *o, *v;
	const char *key, *kind[] = { "objects", "devices" };
	char *out = NULL, num[24];
	size_t i;

	for (int k = 0; all && k < 2; k++) {
		list = json_object_get(all, kind[k]);
		json_array_foreach(list, i, o) {
			json_object_foreach(o, key, v) {
				const char *val = json_string_value(v);
				uint64_t n;
				bool b;
				uuid_t u;
				char uuid[37];

				if (!val)
					continue;
				if (!cmdline_parse_size(val, &n)) {
					snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
					json_string_set(v, num);
				} else if (!cmdline_parse_bool(val, &b)) {
					json_string_set(v, b ? "on" : "off");
				} else if (!uuid_parse(val, u)) {
					uuid_unparse_lower(u, uuid);
					json_string_set(v, uuid);
				}
			}
		}
	}
	if (all)
		out = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(all);
	return out;
}

/* Is the stored configuration the running one, whatever their spelling? */
static bool config_same(const char *stored, const char *mine)
{
	char *a = config_canonical(stored), *b = config_canonical(mine);
	bool same = a && b ? !strcmp(a, b) : !strcmp(stored, mine);

	free(a);
	free(b);
	return same;
}

static int check_config(struct server_ctx *s, const char *dir, char *err, size_t cap)
{
	char *mine = srv_config_text(s->cfg), *stored = NULL;
	int rc;

	if (!mine)
		return -ENOMEM;
	if (store_is_new(s->st)) {
		rc = store_config_set(s->st, mine);
		if (rc)
			snprintf(err, cap, "--state %s: cannot store the configuration: %s", dir,
				 store_last_error(s->st));
		free(mine);
		return rc;
	}
	rc = store_config_get(s->st, &stored);
	if (!rc && !config_same(stored, mine)) {
		snprintf(err, cap,
			 "--state %s holds the state of another configuration; start with the same -object/-device arguments, or use a new directory (stored: %.300s)",
			 dir, stored);
		rc = -EEXIST;
	} else if (rc) {
		snprintf(err, cap, "--state %s: cannot read the configuration: %s", dir,
			 store_last_error(s->st));
	}
	free(stored);
	free(mine);
	return rc;
}

int srv_state_open(struct server_ctx *s, const char *dir, char *err, size_t cap)
{
	struct replay r = { .s = s, .err = err, .cap = cap };
	int rc = store_open(dir, &s->st, err, cap);

	if (rc)
		return rc;
	err[0] = 0;
	rc = check_config(s, dir, err, cap);
	if (rc)
		return rc;
	s->replaying = true;
	rc = store_journal_replay(s->st, replay_one, &r);
	if (rc && rc != -EIO)
		rc = -EIO;
	if (rc && !err[0])
		snprintf(err, cap, "--state %s: journal damaged: %s", dir, store_last_error(s->st));
	if (!rc && dcd_discard_qmp_chains(s)) {
		s->replaying = false;
		rc = server_journal_discard_chains(s);
	}
	s->replaying = false;
	if (!rc)
		srv_log(s->log, LOG_NOTICE, "state: %s: %llu journal record(s) replayed", store_path(s->st),
			(unsigned long long)r.n);
	return rc;
}
