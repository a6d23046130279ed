/* SPDX-License-Identifier: MIT */
/*
 * qmp-int.h - structures shared by the files of src/qmp (not an API).
 */
#ifndef CXLDCD_QMP_INT_H
#define CXLDCD_QMP_INT_H

#include <syslog.h>

#include "qmp.h"
#include "frame.h"

/*
 * Integers above INT64_MAX in replies (qmp_reply_uint()): held references,
 * sorted by address once taken for a reply.
 */
struct qmp_out {
	json_t **big;
	size_t nr, cap;
};

struct qmp_entry {
	const struct qmp_cmd *cmd;
	void *opaque;
};

struct qmp_server {
	int64_t ver_major, ver_minor, ver_micro;
	char *package;
	size_t max_msg;
	qmp_quit_fn *quit;
	void *quit_opaque;
	qmp_clock_fn *clock;
	void *clock_opaque;

	struct qmp_entry *cmds;
	size_t nr_cmds, cap_cmds;

	struct qmp_session *sessions;   /* doubly linked, newest first */
	size_t nr_sessions;

	qmp_log_fn *log_fn;
	void *log_opaque;
	int log_level;

	qmp_gate_fn *gate;
	void *gate_opaque;

	bool quit_requested;            /* set by "quit", acted on after the reply */
	struct qmp_out out;             /* qmp_reply_uint() since the last reply took them */
	/*
	 * The text of the message being written (qmp_text_take()), and of the
	 * last request record (qmp_request_text()): kept for the next one.
	 */
	struct qmp_text text, rec;
	/* the request being handled (for qmp_defer()) */
	struct qmp_session *cur;
	const char *cur_id;             /* its id's JSON text, NULL: none */
	const struct qmp_json *cur_doc;
	const char *cur_name;
	unsigned cur_flags;
	bool cur_deferred;
};

/* A frame held while the session waits for a deferred answer. */
struct qmp_held {
	struct qmp_held *next;
	size_t len;                     /* SIZE_MAX: a framing error, whose text is msg */
	size_t id_len;                  /* SIZE_MAX: no id; else the id's text follows msg's NUL */
	char msg[];
};

/*
 * What a held frame costs in memory, and what the session counts for it
 * (qmp_session_held_bytes(), the owner's input limit): the node, its text
 * and id, and an allocator's header.  Counting the text alone let a client
 * of one-byte requests hold ~48 times the limit.
 */
#define QMP_HELD_ALLOC_HEADER 16u
static inline size_t qmp_held_cost(size_t text_len, size_t id_len)
{
	return sizeof(struct qmp_held) + text_len + 1 + id_len + QMP_HELD_ALLOC_HEADER;
}

/*
 * A request of a session whose answer is not sent yet, in the session's
 * answer queue: deferred (waiting for qmp_complete()), or done (answered,
 * waiting for the requests before it: answers keep the requests' order).
 */
struct qmp_deferred {
	struct qmp_deferred *next;
	struct qmp_session *s;          /* NULL once the session closed */
	struct qmp_server *srv;
	char *id;                       /* the id's JSON text, NULL: none */
	struct qmp_out out;             /* the integers above INT64_MAX of ret */
	char name[64];
	bool done;
	int rc;
	json_t *ret;
	struct qmp_error *err;          /* rc != 0: why (a block of its own: most answers succeed) */
};

struct qmp_session {
	struct qmp_server *srv;
	struct qmp_session *prev, *next;
	qmp_write_fn *write;
	qmp_room_fn *room;              /* NULL: unbounded */
	qmp_busy_fn *busy;              /* NULL: never busy */
	qmp_queued_fn *queued;          /* NULL: events always written */
	void *opaque;
	struct qmp_framer fr;
	bool negotiated;
	bool oob;
	bool closed;
	char name[64];
	struct qmp_deferred *pending, **pending_tail;   /* requests not answered yet, in order */
	unsigned nr_pending;
	struct qmp_held *held, **held_tail;
	size_t held_bytes;              /* memory held in @held (qmp_held_cost()) */
	bool draining;                  /* drain_held() is running */
	/* events left out while the client did not read (QMP_EVENT_OMITTED) */
	struct {
		uint64_t count, bytes;
		json_t *names;          /* {"NAME": count} */
		json_t *first, *last;   /* timestamps */
	} omit;
};

void qmp_log(struct qmp_server *srv, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The server's message buffer, empty, for one message; qmp_text_give()
 * puts it back for the next (a message written meanwhile, as an event
 * while a reply is written, takes a buffer of its own).
 */
struct qmp_text qmp_text_take(struct qmp_server *srv);
void qmp_text_give(struct qmp_server *srv, struct qmp_text *t);
/* Write @t's text (a message, without CRLF; then reset) as a CRLF-terminated line to @s. */
void qmp_session_send_line(struct qmp_session *s, struct qmp_text *t);

/* Send one message (stolen reference) to @s. */
void qmp_session_send(struct qmp_session *s, json_t *msg);

/* session.c: write an encoded message (@text freed) as a CRLF-terminated line. */
void qmp_session_send_text(struct qmp_session *s, char *text);
/* session.c: the owner holds too much unsent output (qmp_session_set_busy()). */
bool qmp_session_busy(struct qmp_session *s);

/*
 * session-event.c: send the QMP_EVENT_OMITTED event owed, if the owner is
 * no longer busy and it fits with @more bytes after it.  Return: whether
 * none is owed now.
 */
bool qmp_session_send_omitted(struct qmp_session *s, size_t more);
/* session-event.c: forget the events left out (the session is freed, or told). */
void qmp_session_omit_clear(struct qmp_session *s);

/* A timestamp member's value, now: {"seconds": S, "microseconds": U}. */
json_t *qmp_timestamp(struct qmp_server *srv);

/*
 * Send an event (@line: its text and CRLF, @len bytes; @ts its timestamp,
 * borrowed) to @s, or leave it out and count it (qmp_server_emit_event()).
 * Return: whether it was written.
 */
bool qmp_session_event(struct qmp_session *s, const char *name, const char *line, size_t len,
		       json_t *ts);

/* Drop the references of @o (NULL or empty: nothing). */
void qmp_out_release(struct qmp_out *o);

/* Register the built-in commands (builtin.c). */
int qmp_builtins_register(struct qmp_server *srv);

const struct qmp_entry *qmp_server_lookup(const struct qmp_server *srv, const char *name);

#endif
