/* SPDX-License-Identifier: MIT */
/*
 * session-event.c - the events of one session, and those a client does not
 * read.
 *
 * An event goes to every negotiated session whether or not its client
 * reads.  With the owner's count of unsent bytes (qmp_session_set_queued()),
 * an event is written only if it fits in the room (the cap on one message,
 * qmp_session_set_room()) beside them; else it is left out and counted.
 * The session goes on leaving events out until its owner is no longer busy
 * (the client read its backlog): then, before anything else, it is sent one
 * QMP_EVENT_OMITTED event with the counts.  So a client that does not read
 * is never sent more than the room of events, is never dropped for them,
 * and loses none without being told.  Replies are not subject to this:
 * they wait for the client instead (qmp_session_set_busy()).
 * What it is not: the broadcast (qmp_server_emit_event(), server.c encodes
 * an event once for every session) nor the replies (session.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp-int.h"

/* @len bytes fit beside what the owner holds unsent. */
static bool event_fits(struct qmp_session *s, size_t len)
{
	size_t room, queued;

	if (!s->queued)
		return true;
	room = s->room ? s->room(s->opaque) : SIZE_MAX;
	if (!room)
		return true;    /* the owner is closing: the write fails, nothing to count */
	queued = s->queued(s->opaque);
	return queued <= room && len <= room - queued;
}

/* Count an event left out. */
static void omit(struct qmp_session *s, const char *name, size_t len, json_t *ts)
{
	json_t *n;

	if (!s->omit.count)
		qmp_log(s->srv, LOG_WARNING,
			"qmp[%s]: the client is not reading: events are left out (and counted in %s) until it reads",
			s->name, QMP_EVENT_OMITTED);
	if (!s->omit.names)
		s->omit.names = json_object();
	n = json_object_get(s->omit.names, name);
	/* out of memory: the name goes uncounted, the totals do not */
	json_object_set_new(s->omit.names, name, json_integer(json_integer_value(n) + 1));
	if (!s->omit.first)
		s->omit.first = json_incref(ts);
	json_decref(s->omit.last);
	s->omit.last = json_incref(ts);
	s->omit.count++;
	s->omit.bytes += len;
}

void qmp_session_omit_clear(struct qmp_session *s)
{
	json_decref(s->omit.names);
	json_decref(s->omit.first);
	json_decref(s->omit.last);
	memset(&s->omit, 0, sizeof(s->omit));
}

/* @v, or null when counting it ran out of memory (a new reference). */
static json_t *or_null(json_t *v)
{
	return v ? json_incref(v) : json_null();
}

/* The QMP_EVENT_OMITTED event owed, encoded; NULL: out of memory (tried again later). */
static char *omitted_text(struct qmp_session *s)
{
	json_t *ev = json_pack("{s:o,s:s,s:{s:I,s:I,s:o,s:o,s:o}}", "timestamp",
			       qmp_timestamp(s->srv), "event", QMP_EVENT_OMITTED, "data", "count",
			       (json_int_t)s->omit.count, "bytes", (json_int_t)s->omit.bytes,
			       "events", or_null(s->omit.names), "first", or_null(s->omit.first),
			       "last", or_null(s->omit.last));
	char *text = ev ? json_dumps(ev, JSON_ENSURE_ASCII) : NULL;

	json_decref(ev);
	return text;
}

/*
 * Send the QMP_EVENT_OMITTED event owed if the owner is no longer busy and
 * it fits with @more bytes after it.  Return: whether none is owed now.
 */
bool qmp_session_send_omitted(struct qmp_session *s, size_t more)
{
	char *text;

	if (!s->omit.count)
		return true;
	if (s->closed || qmp_session_busy(s))
		return false;
	text = omitted_text(s);
	if (!text || !event_fits(s, strlen(text) + 2 + more)) {
		free(text);
		return false;
	}
	qmp_log(s->srv, LOG_INFO, "qmp[%s]: %llu events (%llu bytes) were left out while the client did not read",
		s->name, (unsigned long long)s->omit.count, (unsigned long long)s->omit.bytes);
	qmp_session_omit_clear(s);
	qmp_session_send_text(s, text);
	return true;
}

bool qmp_session_event(struct qmp_session *s, const char *name, const char *line, size_t len,
		       json_t *ts)
{
	if (s->closed)
		return false;
	if (!qmp_session_send_omitted(s, len) || !event_fits(s, len)) {
		omit(s, name, len, ts);
		return false;
	}
	qmp_log(s->srv, LOG_DEBUG, "qmp[%s]: -> %.*s", s->name, (int)(len - 2), line);
	if (s->write(s->opaque, line, len) < 0) {
		s->closed = true;
		qmp_log(s->srv, LOG_DEBUG, "qmp[%s]: write failed, session closed", s->name);
		return false;
	}
	return true;
}

void qmp_session_set_queued(struct qmp_session *s, qmp_queued_fn *fn)
{
	s->queued = fn;
}
