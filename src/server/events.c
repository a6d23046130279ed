/* SPDX-License-Identifier: MIT */
/*
 * events.c - the daemon's observer on each device model, turned into QMP
 * events (docs/qmp.md, "Events"):
 *
 *   CXL_DC_CAPACITY_ACCEPTED  a host answered an offer and kept some of it
 *   CXL_DC_CAPACITY_REJECTED  a host answered an offer and kept nothing
 *   CXL_DC_CAPACITY_RELEASED  a host gave capacity back (Release DC, 4803h)
 *   CXL_DC_FORCED_RELEASE     access was revoked by a forced release
 *   CXL_DC_PENDING_TIMEOUT    an offer expired unanswered (pending-timeout-ms)
 *
 * What the observer sees during one request is queued and emitted by
 * srv_request_end(), i.e. after the request is durable; during journal
 * replay nothing is queued.  One RELEASED / FORCED_RELEASE event per host
 * and request lists every piece, up to EVENT_MAX_EXTENTS: past that it
 * lists the first ones and counts the rest in "extents-omitted".  An event
 * is one line that every negotiated client must take whole: a forced
 * tag-based release of 160,000 extents made one of 20.8 MB, more than QEMU's
 * Python QMP library reads in a line (10 MiB) and more than the daemon lets
 * a connection leave unread (16 MiB), so every client was dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tag.h"
#include "qmp/qmp.h"
#include "daemon.h"

static const uint8_t null_tag[CXLDCD_TAG_SIZE];

/*
 * Extents one event lists at most: an extent is at most about 170 bytes of
 * JSON, so an event stays under 1.5 MB.
 */
#define EVENT_MAX_EXTENTS 8192

json_t *dcd_extent_json(const struct dcd *dv, const struct cxldcd_extent *e)
{
	int r = core_region_of(dv->dev, e->dpa, e->len);
	struct core_region_info ri = { 0 };
	json_t *o;

	if (r >= 0)
		core_region_get(dv->dev, (uint8_t)r, &ri);
	o = json_pack("{s:i, s:I, s:I, s:I}", "region", r, "offset", (json_int_t)(e->dpa - ri.base),
		      "dpa", (json_int_t)e->dpa, "len", (json_int_t)e->len);
	if (o && memcmp(e->tag, null_tag, sizeof(null_tag))) {
		char tag[37];

		common_tag_format(e->tag, tag);
		json_object_set_new(o, "tag", json_string(tag));
	}
	if (o)
		json_object_set_new(o, "shared-seq", json_integer(e->shared_seq));
	return o;
}

static void queue(struct server_ctx *s, const char *name, json_t *data)
{
	if (!s->events)
		s->events = json_array();
	if (s->events && data)
		json_array_append_new(s->events, json_pack("{s:s, s:o}", "event", name, "data", data));
	else
		json_decref(data);
}

static json_t *base_data(const struct dcd *dv, uint16_t host)
{
	return json_pack("{s:s, s:s, s:i}", "device", dv->id, "path", dv->path, "host-id", host);
}

/*
 * Add an extent to the "extents" of @d (an event's data so far, made on
 * first use), or, once EVENT_MAX_EXTENTS are listed, count it in
 * "extents-omitted".
 */
static void list_extent(json_t **d, const struct dcd *dv, const struct cxldcd_extent *e)
{
	json_t *list, *omitted;

	if (!*d)
		*d = json_pack("{s:[]}", "extents");
	list = json_object_get(*d, "extents");
	if (!list)
		return;
	if (json_array_size(list) < EVENT_MAX_EXTENTS) {
		json_array_append_new(list, dcd_extent_json(dv, e));
		return;
	}
	omitted = json_object_get(*d, "extents-omitted");
	json_object_set_new(*d, "extents-omitted",
			    json_integer(json_integer_value(omitted) + 1));
}

/* Add x to its host's entry in *map ({"0": {"extents": [...]}, ...}). */
static void note(json_t **map, const struct dcd *dv, const struct core_extent_info *x)
{
	char key[8];
	json_t *entry;

	if (!*map)
		*map = json_object();
	if (!*map)
		return;
	snprintf(key, sizeof(key), "%u", x->host);
	entry = json_object_get(*map, key);
	list_extent(&entry, dv, &x->ext);
	if (entry && !json_object_get(*map, key))
		json_object_set_new(*map, key, entry);
}

static void on_accepted(void *opaque, const struct core_extent_info *x)
{
	struct dcd *dv = opaque;

	if (!dv->srv->replaying)
		list_extent(&dv->acc, dv, &x->ext);
}

static void on_answered(void *opaque, uint16_t host, uint64_t group, uint32_t nr_offered,
			uint32_t nr_accepted)
{
	struct dcd *dv = opaque;
	json_t *d;

	if (dv->srv->replaying)
		return;
	d = base_data(dv, host);
	if (d) {
		json_object_set_new(d, "group", json_integer((json_int_t)group));
		json_object_set_new(d, "offered", json_integer(nr_offered));
		json_object_set_new(d, "accepted", json_integer(nr_accepted));
		if (nr_accepted && dv->acc)
			json_object_update(d, dv->acc);
		else if (nr_accepted)
			json_object_set_new(d, "extents", json_array());
	}
	json_decref(dv->acc);
	dv->acc = NULL;
	queue(dv->srv, nr_accepted ? "CXL_DC_CAPACITY_ACCEPTED" : "CXL_DC_CAPACITY_REJECTED", d);
}

static void on_released(void *opaque, const struct core_extent_info *x)
{
	struct dcd *dv = opaque;

	if (!dv->srv->replaying)
		note(&dv->rel, dv, x);
}

static void on_revoked(void *opaque, const struct core_extent_info *x)
{
	struct dcd *dv = opaque;

	if (!dv->srv->replaying)
		note(&dv->rev, dv, x);
}

static void on_timeout(void *opaque, uint16_t host, uint64_t group)
{
	struct dcd *dv = opaque;
	json_t *d;

	if (dv->srv->replaying)
		return;
	d = base_data(dv, host);
	if (d)
		json_object_set_new(d, "group", json_integer((json_int_t)group));
	queue(dv->srv, "CXL_DC_PENDING_TIMEOUT", d);
}

static const struct core_observer events_observer = {
	.extent_accepted = on_accepted,
	.group_answered = on_answered,
	.extent_released = on_released,
	.extent_revoked = on_revoked,
	.group_timeout = on_timeout,
};

int dcd_events_attach(struct dcd *dv)
{
	return core_observer_add(dv->dev, &events_observer, dv);
}

static void queue_map(struct dcd *dv, json_t **map, const char *name)
{
	const char *key;
	json_t *entry;

	if (!*map)
		return;
	json_object_foreach(*map, key, entry) {
		json_t *d = base_data(dv, (uint16_t)atoi(key));

		if (d)
			json_object_update(d, entry);
		queue(dv->srv, name, d);
	}
	json_decref(*map);
	*map = NULL;
}

void srv_events_flush(struct server_ctx *s)
{
	size_t i;
	json_t *e;

	for (i = 0; i < s->nr_devs; i++) {
		struct dcd *dv = s->devs[i];

		queue_map(dv, &dv->rev, "CXL_DC_FORCED_RELEASE");
		queue_map(dv, &dv->rel, "CXL_DC_CAPACITY_RELEASED");
		json_decref(dv->acc);   /* accepted outside a group answer: none today */
		dv->acc = NULL;
	}
	if (!s->events)
		return;
	if (!s->replaying) {
		/* qmp_server_emit_event() logs each event ("qmp: event NAME") */
		json_array_foreach(s->events, i, e)
			qmp_server_emit_event(s->qmp, json_string_value(json_object_get(e, "event")),
					      json_object_get(e, "data"));
	}
	json_array_clear(s->events);
}
