/* SPDX-License-Identifier: MIT */
/*
 * qmp-object.c - memory backends over QMP: object-add, object-del and
 * query-memdev, with QEMU's names.  object-add takes the same properties as
 * -object (one parser, cmdline-objdev.c), flat as QEMU's object-add does;
 * memory-backend-tagged (the RFC's type) is accepted.
 *
 * object-del is refused while the backend is bound to accepted extents
 * (src/mem) and, here, while its tag has capacity pending on any host: an
 * offer made against a backend must still find it when the host accepts.
 * Refusals QEMU also makes get QEMU's texts (an id in use, size 0, unknown
 * id, in use: docs/qmp.md); why a backend is in use goes to the debug log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "cmdline.h"
#include "daemon.h"
#include "qmp-dcd.h"

/*
 * A snapshot makes the object-add backends of s->objects again (persist.c):
 * @args there, in place of an earlier entry of its id (one that was
 * unavailable).
 */
static void objects_keep(struct server_ctx *s, json_t *args)
{
	const char *id = json_string_value(json_object_get(args, "id"));

	for (size_t i = 0; id && i < json_array_size(s->objects); i++) {
		const char *oid = json_string_value(json_object_get(json_array_get(s->objects, i), "id"));

		if (oid && !strcmp(oid, id)) {
			json_array_remove(s->objects, i);
			break;
		}
	}
	if (s->objects)
		json_array_append_new(s->objects, json_deep_copy(args));
}

int srv_object_add(struct server_ctx *s, json_t *args, char *err, size_t cap)
{
	struct cmdline_cfg tmp = { 0 };
	/* integers above INT64_MAX as sent (replay: outside a request, as journaled) */
	char *text = qmp_request_dumps(s->qmp, args, JSON_COMPACT);
	int rc;

	if (!text) {
		snprintf(err, cap, "out of memory");
		return -ENOMEM;
	}
	if (!json_object_get(args, "size")) {
		snprintf(err, cap, "Parameter 'size' is missing");
		free(text);
		return -EINVAL;
	}
	rc = cmdline_parse_object(text, &tmp, err, cap);
	if (!rc)
		rc = srv_backend_add(s, &tmp.objects[0], err, cap);
	if (rc && !s->replaying)
		goto out;
	if (rc) {
		/*
		 * A journaled backend that cannot be made again (its mem-path
		 * vanished, ...) fails alone: the model does not depend on it,
		 * its extents stay unbound (dcd_attach_memory warns).
		 */
		srv_log(s->log, LOG_ERR, "state: backend %s is unavailable: %s",
			json_string_value(json_object_get(args, "id")) ?
			json_string_value(json_object_get(args, "id")) : "?", err);
		rc = tmp.nr_objects ? 0 : rc;
		/*
		 * Kept for the snapshots too: a start after one (a clean stop
		 * writes one) tries it again, as the replay of its record would.
		 */
		if (!rc)
			objects_keep(s, args);
		goto out;
	}
	/* Owed a zeroing while it was unavailable: done before anything binds it (owed.c). */
	if (!s->replaying) {
		rc = srv_owed_backend_back(s, tmp.objects[0].id, err, cap);
		if (rc) {
			mem_registry_del(s->reg, tmp.objects[0].id, NULL, 0);
			goto out;
		}
	}
	objects_keep(s, args);
out:
	free(text);
	cmdline_fini(&tmp);
	return rc;
}

static bool any_bit(const uint8_t map[32])
{
	for (int i = 0; i < 32; i++)
		if (map[i])
			return true;
	return false;
}

/* The tag of b has capacity pending on some host of some device: say where. */
static bool tag_pending(struct server_ctx *s, const struct mem_backend_info *bi, char *msg, size_t cap)
{
	for (size_t i = 0; bi->has_tag && i < s->nr_devs; i++) {
		struct core_tag_info ti;

		if (core_tag_get(s->devs[i]->dev, bi->tag, &ti) || !any_bit(ti.pending_map))
			continue;
		for (unsigned h = 0; h < 256; h++) {
			if (ti.pending_map[h / 8] & (1u << (h % 8))) {
				snprintf(msg, cap, "tag=%s has capacity pending on host=%u of device %s",
					 bi->tag_str, h, s->devs[i]->id);
				return true;
			}
		}
	}
	return false;
}

/* What refuses an object-del before anything is journaled: unknown, or a tag pending. */
static int object_del_check(struct server_ctx *s, const char *id, struct mem_backend_info *bi,
			    char *err, size_t cap)
{
	struct mem_backend *b = mem_registry_find(s->reg, id);
	char msg[SRV_ERR_MAX - 64];

	if (!b) {
		snprintf(err, cap, "object '%s' not found", id);
		return -ENOENT;
	}
	mem_backend_get_info(b, bi);
	if (tag_pending(s, bi, msg, sizeof(msg))) {
		snprintf(err, cap, "object '%s' is in use, can not be deleted: %s", id, msg);
		return -EBUSY;
	}
	return 0;
}

/* Remove the backend (the registry refuses one bound or in use). */
static int object_del_do(struct server_ctx *s, const char *id, char *err, size_t cap)
{
	char msg[SRV_ERR_MAX - 64];
	int fd = srv_zerosync_dup(s, id);       /* zeroed there, not synced yet: kept */
	int rc = mem_registry_del(s->reg, id, msg, sizeof(msg));

	if (rc && fd >= 0)
		close(fd);
	else
		srv_zerosync_keep(s, fd, id);
	if (rc) {
		if (rc == -EBUSY)
			snprintf(err, cap, "object '%s' is in use, can not be deleted: %s", id, msg);
		else
			snprintf(err, cap, "%s", msg);
		return rc;
	}
	for (size_t i = 0; i < json_array_size(s->objects); i++) {
		const char *oid = json_string_value(json_object_get(json_array_get(s->objects, i), "id"));

		if (oid && !strcmp(oid, id)) {
			json_array_remove(s->objects, i);
			break;
		}
	}
	return 0;
}

int srv_object_del(struct server_ctx *s, const char *id, char *err, size_t cap)
{
	struct mem_backend_info bi;
	int rc = object_del_check(s, id, &bi, err, cap);

	return rc ? rc : object_del_do(s, id, err, cap);
}

/* ---- QMP: journaled in the loop round's group commit, answered after it -- */

/* An object-add or object-del waiting for its commit. */
struct object_cmd {
	struct server_ctx *s;
	struct qmp_deferred *d;
	char *id;
};

/*
 * The error of a refused object-add or object-del.  A backend in use gets
 * QEMU's exact text (user_creatable_del()); why it is in use (bound extents,
 * a device's memdev, a pending tag: query-memdev and
 * query-cxl-dynamic-capacity show it) goes to the debug log.
 */
static void object_error(struct server_ctx *s, const char *id, int rc, const char *msg,
			 struct qmp_error *err)
{
	if (rc != -EBUSY) {
		qmp_error_set(err, QMP_ERR_GENERIC, "%s", msg);
		return;
	}
	srv_log(s->log, LOG_DEBUG, "object-del %s: %s", id, msg);
	qmp_error_set(err, QMP_ERR_GENERIC, "object '%s' is in use, can not be deleted", id);
}

static void object_done(struct object_cmd *oc, int rc, const char *msg)
{
	struct qmp_error err = { .cls = QMP_ERR_GENERIC };

	if (rc)
		object_error(oc->s, oc->id, rc, msg, &err);
	qmp_complete(oc->d, rc, NULL, &err);
	free(oc->id);
	free(oc);
}

/* The record of a made backend is durable, or not: then the backend goes again. */
static void object_add_done(void *opaque, int rc)
{
	struct object_cmd *oc = opaque;
	char msg[SRV_ERR_MAX];

	if (rc) {
		srv_object_del(oc->s, oc->id, msg, sizeof(msg));
		srv_store_error_text(oc->s, msg, sizeof(msg));
		rc = -EIO;
	}
	object_done(oc, rc, msg);
}

/* The record is durable: remove it now (a refusal then is a refusal on replay too). */
static void object_del_done(void *opaque, int rc)
{
	struct object_cmd *oc = opaque;
	char msg[SRV_ERR_MAX];

	if (rc) {
		srv_store_error_text(oc->s, msg, sizeof(msg));
		rc = -EIO;
	} else {
		rc = object_del_do(oc->s, oc->id, msg, sizeof(msg));
		srv_request_end(oc->s);
	}
	object_done(oc, rc, msg);
}

/* Queue @text for the group commit and answer from done(); -ENOMEM if it cannot be. */
static int object_defer(struct server_ctx *s, uint32_t kind, const char *id, json_t *rec,
			srv_group_done_fn *done)
{
	struct object_cmd *oc = calloc(1, sizeof(*oc));
	char *text = json_dumps(rec, JSON_COMPACT);

	if (!oc || !text || !(oc->id = strdup(id)) || !(oc->d = qmp_defer(s->qmp))) {
		if (oc)
			free(oc->id);
		free(oc);
		free(text);
		return -ENOMEM;
	}
	oc->s = s;
	if (srv_group_add(s, kind, 0, 0, 0, text, strlen(text), done, oc))
		done(oc, -ENOMEM);  /* qmp_defer() was called: answer through qmp_complete() */
	free(text);
	return 0;
}

int qmp_object_add(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	char msg[SRV_ERR_MAX];
	int rc;

	(void)ret;
	srv_request_begin(s);
	/* Made first (it may fail on the file system), journaled, undone if not stored. */
	rc = srv_object_add(s, args, msg, sizeof(msg));
	if (!rc && srv_grouping(s) && srv_qmp_journaled(s, args)) {
		const char *id = json_string_value(json_object_get(args, "id"));

		if (object_defer(s, STORE_REC_OBJECT_ADD, id, args, object_add_done) == 0)
			return QMP_DEFER;
		srv_object_del(s, id, msg, sizeof(msg));
		snprintf(msg, sizeof(msg), "out of memory");
		rc = -ENOMEM;
	}
	if (rc)
		qmp_error_set(err, QMP_ERR_GENERIC, "%s", msg);
	srv_request_end(s);
	return rc;
}

int qmp_object_del(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	char msg[SRV_ERR_MAX];
	int rc;

	const char *id = qmp_arg_str(args, "id", "");
	struct mem_backend_info bi;
	json_t *rec;

	(void)ret;
	srv_request_begin(s);
	rc = object_del_check(s, id, &bi, msg, sizeof(msg));
	/*
	 * Journaled before it runs, unless the registry will refuse it (bound
	 * or in use: refused now, no record); should it still refuse after the
	 * commit, replay refuses the same.
	 */
	if (!rc && srv_grouping(s) && srv_qmp_journaled(s, args) && !bi.in_use && !bi.nr_bound) {
		rec = json_pack("{s:s}", "id", id);
		rc = rec ? object_defer(s, STORE_REC_OBJECT_DEL, id, rec, object_del_done) : -ENOMEM;
		json_decref(rec);
		if (!rc)
			return QMP_DEFER;
		snprintf(msg, sizeof(msg), "out of memory");
	} else if (!rc) {
		rc = object_del_do(s, id, msg, sizeof(msg));
	}
	if (rc)
		object_error(s, id, rc, msg, err);
	srv_request_end(s);
	return rc;
}

int qmp_query_memdev(void *opaque, json_t *args, json_t **ret, struct qmp_error *err)
{
	struct server_ctx *s = opaque;
	json_t *a = json_array();

	(void)args;
	for (struct mem_backend *b = mem_registry_first(s->reg); a && b;
	     b = mem_registry_next(s->reg, b)) {
		struct mem_backend_info bi;
		json_t *o;

		mem_backend_get_info(b, &bi);
		o = json_pack("{s:s, s:I, s:b, s:b, s:b, s:b, s:[], s:s, s:s, s:b, s:i, s:b}", "id",
			      bi.id, "size", (json_int_t)bi.size, "merge", 0, "dump", 1, "prealloc", 0,
			      "share", bi.share, "host-nodes", "policy", "default", "qom-type", bi.type,
			      "hugetlb", bi.hugetlb, "bound-extents", bi.nr_bound, "in-use", bi.in_use);
		if (o && bi.has_tag)
			json_object_set_new(o, "tag", json_string(bi.tag_str));
		if (o && bi.mem_path)
			json_object_set_new(o, "mem-path", json_string(bi.mem_path));
		json_array_append_new(a, o);
	}
	if (!a) {
		qmp_error_set(err, QMP_ERR_GENERIC, "out of memory");
		return -ENOMEM;
	}
	*ret = a;
	return 0;
}

const struct qmp_arg qmp_object_add_args[] = {
	QMP_ARG("qom-type", QMP_T_STR),
	QMP_ARG("id", QMP_T_STR),
	QMP_ARG_END
};

const struct qmp_arg qmp_object_del_args[] = {
	QMP_ARG("id", QMP_T_STR),
	QMP_ARG_END
};
