/* SPDX-License-Identifier: MIT */
/*
 * session.c - one QMP client: greeting, framing, request checks in QEMU's
 * order, negotiation mode, dispatch and the reply with the echoed "id".
 *
 * Order of checks for one request (each with QEMU's text):
 *   JSON syntax            "JSON parse error, ..."
 *   top level is object   "QMP input must be a JSON object"
 *   members               "QMP input member 'x' is unexpected" / "... must be a string"
 *   execute present       "QMP input lacks member 'execute'"
 *   negotiation mode      CommandNotFound "Expecting capabilities negotiation with 'qmp_capabilities'"
 *   command known         CommandNotFound "The command x has not been found"
 *   arguments (schema.c)  "Parameter 'x' is missing" ...
 * Everything echoes the request's "id", whatever its type; a syntax error
 * (a message too long, too deep or not JSON) echoes the id the framer read
 * while it went by, if it read one (qmp_framer_id()).  A request is read
 * with qmp_json_load() (integers up to UINT64_MAX, as QEMU reads them), and
 * its id is kept as its JSON text (qmp_json_dumps(): such an integer is
 * echoed as sent), which the reply ends with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmp-int.h"

/* The text of a request's "id" as the framer read it; text NULL: none. */
struct frame_id {
	const char *text;
	size_t len;
};

struct qmp_text qmp_text_take(struct qmp_server *srv)
{
	struct qmp_text t = srv->text;

	memset(&srv->text, 0, sizeof(srv->text));
	qmp_text_reset(&t);
	return t;
}

void qmp_text_give(struct qmp_server *srv, struct qmp_text *t)
{
	qmp_text_reset(t);      /* a burst's large buffer is not kept */
	if (srv->text.buf || !t->buf)
		qmp_text_fini(t);
	else
		srv->text = *t;
	memset(t, 0, sizeof(*t));
}

static void write_line(struct qmp_session *s, const char *line, size_t len)
{
	if (s->write(s->opaque, line, len) < 0) {
		s->closed = true;
		qmp_log(s->srv, LOG_DEBUG, "qmp[%s]: write failed, session closed", s->name);
	}
}

void qmp_session_send_line(struct qmp_session *s, struct qmp_text *t)
{
	if (t->oom) {
		qmp_log(s->srv, LOG_ERR, "qmp[%s]: out of memory encoding a reply", s->name);
		qmp_text_reset(t);
		return;
	}
	qmp_log(s->srv, LOG_DEBUG, "qmp[%s]: -> %s", s->name, t->buf);
	/* QMP lines end with CRLF, as QEMU writes them. */
	qmp_text_put(t, "\r\n", 2);
	if (t->oom)
		qmp_log(s->srv, LOG_ERR, "qmp[%s]: out of memory encoding a reply", s->name);
	else
		write_line(s, t->buf, t->len);
	qmp_text_reset(t);
}

/* Write one encoded message (text is freed) as a CRLF-terminated line. */
void qmp_session_send_text(struct qmp_session *s, char *text)
{
	struct qmp_text t = qmp_text_take(s->srv);

	qmp_text_put(&t, text, strlen(text));
	free(text);
	qmp_session_send_line(s, &t);
	qmp_text_give(s->srv, &t);
}

/* ---- integers above INT64_MAX in replies ----------------------------- */

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(json_t *const *)a, y = (uintptr_t)*(json_t *const *)b;

	return x < y ? -1 : x > y;
}

json_t *qmp_reply_uint(struct qmp_server *srv, uint64_t v)
{
	json_t *n = json_integer((json_int_t)v);
	struct qmp_out *o = &srv->out;

	if (!n || v <= INT64_MAX)
		return n;
	if (o->nr == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 4;
		json_t **nb = realloc(o->big, ncap * sizeof(*nb));

		if (!nb) {
			json_decref(n);
			return NULL;
		}
		o->big = nb;
		o->cap = ncap;
	}
	/* held, so no other node takes its address before the reply is written */
	o->big[o->nr++] = json_incref(n);
	return n;
}

/* The integers qmp_reply_uint() made since the last reply, for this one. */
static struct qmp_out out_take(struct qmp_server *srv)
{
	struct qmp_out o = srv->out;

	memset(&srv->out, 0, sizeof(srv->out));
	if (o.nr)
		qsort(o.big, o.nr, sizeof(*o.big), cmp_ptr);
	return o;
}

void qmp_out_release(struct qmp_out *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nr; i++)
		json_decref(o->big[i]);
	free(o->big);
	memset(o, 0, sizeof(*o));
}

/*
 * Append @msg (stolen) to @t, the integers of @out (may be NULL) as they
 * are.  Return: false when there is nothing to send (closed, or out of
 * memory: @t->oom).
 */
static bool encode(struct qmp_session *s, struct qmp_text *t, json_t *msg,
		   const struct qmp_out *out)
{
	struct qmp_json view = { .big = out ? out->big : NULL, .nr_big = out ? out->nr : 0 };

	if (!msg) {
		t->oom = true;
		return false;
	}
	if (s->closed) {
		json_decref(msg);
		return false;
	}
	qmp_json_dump_to(t, &view, msg, JSON_ENSURE_ASCII);
	json_decref(msg);
	return !t->oom;
}

/* Send @msg (stolen). */
void qmp_session_send(struct qmp_session *s, json_t *msg)
{
	struct qmp_text t = qmp_text_take(s->srv);

	if (encode(s, &t, msg, NULL) || t.oom)
		qmp_session_send_line(s, &t);
	qmp_text_give(s->srv, &t);
}

/*
 * End a reply in @t (an object with a member or more, its closing brace
 * last) with the id's text (NULL: none), as jansson writes a last member:
 * {"return": {}, "id": ID}.
 */
static void end_reply(struct qmp_text *t, const char *id)
{
	static const char member[] = ", \"id\": ";

	if (t->oom || !id)
		return;
	t->len--;       /* the closing brace */
	qmp_text_put(t, member, sizeof(member) - 1);
	qmp_text_put(t, id, strlen(id));
	qmp_text_put(t, "}", 1);
}

static void send_error(struct qmp_session *s, const char *id, const struct qmp_error *err)
{
	json_t *rsp = json_pack("{s:{s:s,s:s}}", "error", "class", qmp_err_class_str(err->cls),
				"desc", err->desc);
	struct qmp_text t = qmp_text_take(s->srv);

	if (encode(s, &t, rsp, NULL) || t.oom) {
		end_reply(&t, id);
		qmp_session_send_line(s, &t);
	}
	qmp_text_give(s->srv, &t);
}

/*
 * A reply longer than the owner takes at all (qmp_session_set_room())
 * becomes an error that says why: the daemon never loses a client over its
 * own answer.  Replies that merely wait behind others are held back by
 * qmp_session_set_busy() instead.  The reply is written as jansson writes
 * {"return": RET} (RET NULL: {}), without building that object.
 */
static void send_return(struct qmp_session *s, const char *id, json_t *ret, const char *name,
			const struct qmp_out *out)
{
	static const char head[] = "{\"return\": ";
	struct qmp_text t = qmp_text_take(s->srv);
	struct qmp_error err;
	size_t room, len;

	if (s->closed) {
		json_decref(ret);
		qmp_text_give(s->srv, &t);
		return;
	}
	qmp_text_put(&t, head, sizeof(head) - 1);
	if (ret)
		encode(s, &t, ret, out);
	else
		qmp_text_put(&t, "{}", 2);
	qmp_text_put(&t, "}", 1);
	end_reply(&t, id);
	len = t.len + 2;
	room = s->room ? s->room(s->opaque) : SIZE_MAX;
	if (t.oom || len <= room) {
		qmp_session_send_line(s, &t);
		qmp_text_give(s->srv, &t);
		return;
	}
	qmp_text_give(s->srv, &t);
	qmp_log(s->srv, LOG_WARNING, "qmp[%s]: reply to %s of %zu bytes exceeds the %zu bytes a reply may take: answered with an error",
		s->name, name, len, room);
	qmp_error_set(&err, QMP_ERR_GENERIC,
		      "the reply to %s is %zu bytes, more than the %zu bytes this session can take; ask for less: use the command's filters or paging (start-index, max-count)",
		      name, len, room);
	send_error(s, id, &err);
}

static void greet(struct qmp_session *s)
{
	struct qmp_server *srv = s->srv;
	json_t *g = json_pack("{s:{s:{s:{s:I,s:I,s:I},s:s},s:[s]}}", "QMP", "version", "qemu",
			      "micro", (json_int_t)srv->ver_micro, "minor", (json_int_t)srv->ver_minor,
			      "major", (json_int_t)srv->ver_major, "package", srv->package,
			      "capabilities", "oob");

	qmp_session_send(s, g);
}

/* Check the request's members; return the command name or NULL with @err set. */
static const char *check_request(struct qmp_session *s, json_t *req, bool *oob,
				 struct qmp_error *err)
{
	const char *key, *exec = NULL, *exec_oob = NULL;
	json_t *v;

	json_object_foreach(req, key, v) {
		if (strcmp(key, "execute") == 0 || strcmp(key, "exec-oob") == 0) {
			if (!json_is_string(v)) {
				qmp_error_set(err, QMP_ERR_GENERIC,
					      "QMP input member '%s' must be a string", key);
				return NULL;
			}
			if (key[4] == '-')
				exec_oob = json_string_value(v);
			else
				exec = json_string_value(v);
		} else if (strcmp(key, "arguments") == 0) {
			if (!json_is_object(v)) {
				qmp_error_set(err, QMP_ERR_GENERIC,
					      "QMP input member 'arguments' must be an object");
				return NULL;
			}
		} else if (strcmp(key, "id") != 0) {
			qmp_error_set(err, QMP_ERR_GENERIC, "QMP input member '%s' is unexpected", key);
			return NULL;
		}
	}
	if (exec && exec_oob) {
		qmp_error_set(err, QMP_ERR_GENERIC,
			      "QMP input must not contain both 'execute' and 'exec-oob'");
		return NULL;
	}
	if (exec_oob && !s->oob) {
		qmp_error_set(err, QMP_ERR_GENERIC, "QMP input member 'exec-oob' is unexpected");
		return NULL;
	}
	if (!exec && !exec_oob) {
		qmp_error_set(err, QMP_ERR_GENERIC, "QMP input lacks member 'execute'");
		return NULL;
	}
	*oob = exec_oob != NULL;
	return exec ? exec : exec_oob;
}

/* Capability negotiation is per session, so qmp_capabilities lives here. */
static int capabilities(struct qmp_session *s, json_t *args, struct qmp_error *err)
{
	json_t *enable = json_object_get(args, "enable");

	if (s->negotiated) {
		qmp_error_set(err, QMP_ERR_COMMAND_NOT_FOUND,
			      "Capabilities negotiation is already complete, command ignored");
		return -1;
	}
	/* The schema restricts values to the capabilities we offer ("oob"). */
	s->oob = json_array_size(enable) > 0;
	s->negotiated = true;
	return 0;
}

static int run(struct qmp_session *s, const char *name, const struct qmp_json *doc,
	       json_t *args, json_t **ret, struct qmp_error *err)
{
	const struct qmp_entry *e = qmp_server_lookup(s->srv, name);
	int rc;

	if (!s->negotiated && strcmp(name, "qmp_capabilities") != 0) {
		qmp_error_set(err, QMP_ERR_COMMAND_NOT_FOUND,
			      "Expecting capabilities negotiation with 'qmp_capabilities'");
		return -1;
	}
	if (!e) {
		qmp_error_set(err, QMP_ERR_COMMAND_NOT_FOUND, "The command %s has not been found",
			      name);
		return -1;
	}
	if (qmp_schema_check_json(e->cmd->args, doc, args, e->cmd->flags & QMP_CMD_ALLOW_EXTRA, err))
		return -1;
	if (strcmp(name, "qmp_capabilities") == 0)
		return capabilities(s, args, err);
	if (s->srv->gate && e->opaque != s->srv &&
	    !s->srv->gate(s->srv->gate_opaque, name, err))
		return -1;
	err->cls = QMP_ERR_GENERIC;
	err->desc[0] = 0;
	s->srv->cur_flags = e->cmd->flags;
	rc = e->cmd->fn(e->opaque, args, ret, err);
	s->srv->cur_flags = 0;
	if (rc == 0)
		return 0;
	if (!err->desc[0])
		snprintf(err->desc, sizeof(err->desc), "command %s failed", name);
	json_decref(*ret);
	*ret = NULL;
	return -1;
}

static void queue_answer(struct qmp_session *s, const char *id, const char *name, int rc,
			 json_t *ret, const struct qmp_error *err, struct qmp_out *out);

static void handle(struct qmp_session *s, const struct qmp_json *doc)
{
	struct qmp_error err = { .cls = QMP_ERR_GENERIC };
	json_t *req = doc->root, *args, *ret = NULL;
	struct qmp_out out;
	const char *name;
	char *id = NULL;
	bool oob = false;
	int rc;

	if (!json_is_object(req)) {
		qmp_error_set(&err, QMP_ERR_GENERIC, "QMP input must be a JSON object");
		send_error(s, NULL, &err);
		return;
	}
	if (json_object_get(req, "id")) {
		id = qmp_json_dumps(doc, json_object_get(req, "id"), JSON_ENSURE_ASCII);
		if (!id) {
			qmp_log(s->srv, LOG_ERR, "qmp[%s]: out of memory reading a request's id: closing",
				s->name);
			s->closed = true;
			return;
		}
	}
	name = check_request(s, req, &oob, &err);
	if (!name) {
		send_error(s, id, &err);
		free(id);
		return;
	}
	args = json_object_get(req, "arguments");
	if (args)
		json_incref(args);
	else
		args = json_object();
	if (!args) {
		qmp_error_set(&err, QMP_ERR_GENERIC, "out of memory");
		send_error(s, id, &err);
		free(id);
		return;
	}
	s->srv->cur = s;
	s->srv->cur_id = id;
	s->srv->cur_doc = doc;
	s->srv->cur_name = name;
	s->srv->cur_deferred = false;
	rc = run(s, name, doc, args, &ret, &err);
	s->srv->cur = NULL;
	s->srv->cur_doc = NULL;
	out = out_take(s->srv);
	if (s->srv->cur_deferred) {
		/* answered by qmp_complete(), in order */
		json_decref(ret);
	} else if (s->pending) {
		/* behind unanswered requests: its answer waits for theirs */
		queue_answer(s, id, name, rc, ret, &err, &out);
	} else if (rc == 0) {
		qmp_log(s->srv, LOG_INFO, "qmp[%s]: %s ok", s->name, name);
		send_return(s, id, ret, name, &out);
	} else {
		qmp_log(s->srv, LOG_INFO, "qmp[%s]: %s failed: %s: %s", s->name, name,
			qmp_err_class_str(err.cls), err.desc);
		send_error(s, id, &err);
	}
	qmp_out_release(&out);
	qmp_text_reset(&s->srv->rec);
	json_decref(args);
	free(id);
}

/*
 * Whether @req may start now: always when the session has no unanswered
 * request; behind them only a well-formed execute of a QMP_CMD_QUEUES
 * command (anything else waits, so it sees their effects).
 */
static bool may_start(struct qmp_session *s, json_t *req)
{
	struct qmp_error err;
	const struct qmp_entry *e;
	const char *name;
	bool oob = false;

	if (!s->pending)
		return true;
	if (!req || !json_is_object(req) || !s->negotiated || s->nr_pending >= QMP_MAX_QUEUED)
		return false;
	name = check_request(s, req, &oob, &err);
	e = name && !oob ? qmp_server_lookup(s->srv, name) : NULL;
	return e && (e->cmd->flags & QMP_CMD_QUEUES);
}

/*
 * A syntax error answers with the id the framer read from the message
 * (qmp_framer_id()), when it read one that parses: QEMU's Python QMP
 * library takes an error without an id for a server parse failure and drops
 * the connection, though only this one request was refused.
 */
static void send_syntax_error(struct qmp_session *s, const struct frame_id *fid,
			      const struct qmp_error *err)
{
	struct qmp_json doc = { 0 };
	json_error_t jerr;
	char *id = NULL;

	if (fid->text && !qmp_json_load(&doc, fid->text, fid->len, JSON_DECODE_ANY |
					JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr))
		id = qmp_json_dumps(&doc, doc.root, JSON_ENSURE_ASCII);
	send_error(s, id, err);
	free(id);
	qmp_json_fini(&doc);
}

/* Run one framed message.  Return: false when it must wait (not run; keep it). */
static bool process(struct qmp_session *s, const char *msg, size_t len, const char *error,
		    const struct frame_id *fid)
{
	struct qmp_error err = { .cls = QMP_ERR_GENERIC };
	struct qmp_json doc;
	json_error_t jerr;

	if (!msg) {
		if (s->pending)
			return false;
		qmp_log(s->srv, LOG_DEBUG, "qmp[%s]: <- framing error: %s", s->name, error);
		qmp_error_set(&err, QMP_ERR_GENERIC, "%s", error);
		send_syntax_error(s, fid, &err);
		return true;
	}
	if (qmp_json_load(&doc, msg, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			  &jerr))
		doc.root = NULL;
	if (!may_start(s, doc.root)) {
		qmp_json_fini(&doc);
		return false;
	}
	qmp_log(s->srv, LOG_DEBUG, "qmp[%s]: <- %.*s", s->name, (int)(len > 4096 ? 4096 : len), msg);
	if (!doc.root) {
		qmp_error_set(&err, QMP_ERR_GENERIC, "JSON parse error, %s", jerr.text);
		send_syntax_error(s, fid, &err);
		return true;
	}
	handle(s, &doc);
	qmp_json_fini(&doc);
	if (s->srv->quit_requested) {
		json_t *data = json_pack("{s:b,s:s}", "guest", 0, "reason", "host-qmp-quit");

		s->srv->quit_requested = false;
		qmp_server_emit_event(s->srv, "SHUTDOWN", data);
		json_decref(data);
		if (s->srv->quit)
			s->srv->quit(s->srv->quit_opaque);
	}
	return true;
}

/* Keep a frame that must wait, in order, with the id the framer read. */
static void hold(struct qmp_session *s, const char *msg, size_t len, const char *error,
		 const struct frame_id *fid)
{
	const char *text = msg ? msg : error;
	size_t n = msg ? len : strlen(error), idn = fid->text ? fid->len : 0;
	struct qmp_held *h = malloc(sizeof(*h) + n + 1 + idn);

	if (!h) {
		qmp_log(s->srv, LOG_ERR, "qmp[%s]: out of memory holding a request: closing", s->name);
		s->closed = true;
		return;
	}
	h->next = NULL;
	h->len = msg ? len : SIZE_MAX;
	h->id_len = fid->text ? idn : SIZE_MAX;
	memcpy(h->msg, text, n);
	h->msg[n] = 0;
	if (idn)
		memcpy(h->msg + n + 1, fid->text, idn);
	s->held_bytes += qmp_held_cost(n, idn);
	*s->held_tail = h;
	s->held_tail = &h->next;
}

bool qmp_session_busy(struct qmp_session *s)
{
	return s->busy && s->busy(s->opaque);
}

static void on_frame(void *opaque, const char *msg, size_t len, const char *error)
{
	struct qmp_session *s = opaque;
	struct frame_id fid = { 0 };

	if (s->closed)
		return;
	if (!qmp_framer_id(&s->fr, &fid.text, &fid.len))
		fid.text = NULL;
	/*
	 * Behind held frames, the client has not read what came before, or not
	 * allowed to start yet (behind unanswered requests): hold it, in order.
	 */
	if (s->held || qmp_session_busy(s) || !process(s, msg, len, error, &fid))
		hold(s, msg, len, error, &fid);
}

/* Run held frames until one must wait again or the owner is busy. */
static void drain_held(struct qmp_session *s)
{
	if (s->draining)
		return;         /* a held request's reply completed another one: the outer loop goes on */
	s->draining = true;
	while (s->held && !s->closed && !qmp_session_busy(s)) {
		struct qmp_held *h = s->held;
		size_t n = h->len == SIZE_MAX ? strlen(h->msg) : h->len;
		struct frame_id fid = { 0 };

		if (h->id_len != SIZE_MAX) {
			fid.text = h->msg + n + 1;
			fid.len = h->id_len;
		}
		if (!process(s, h->len == SIZE_MAX ? NULL : h->msg, h->len, h->msg, &fid))
			break;
		s->held = h->next;
		if (!s->held)
			s->held_tail = &s->held;
		s->held_bytes -= qmp_held_cost(n, h->id_len == SIZE_MAX ? 0 : h->id_len);
		free(h);
	}
	s->draining = false;
}

/* The answer of a slot whose error could not be kept (slot_set_error()). */
static const struct qmp_error oom_error = { .cls = QMP_ERR_GENERIC, .desc = "out of memory" };

/* Append an answer slot to the session's answer queue; NULL on out of memory. */
static struct qmp_deferred *slot_new(struct qmp_session *s, const char *id, const char *name)
{
	struct qmp_deferred *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (id && !(d->id = strdup(id))) {
		free(d);
		return NULL;
	}
	d->s = s;
	d->srv = s->srv;
	snprintf(d->name, sizeof(d->name), "%s", name);
	*s->pending_tail = d;
	s->pending_tail = &d->next;
	s->nr_pending++;
	return d;
}

static void slot_free(struct qmp_deferred *d)
{
	qmp_out_release(&d->out);
	if (d->err != &oom_error)
		free(d->err);
	free(d->id);
	free(d);
}

/* Keep @err for the answer of @d (out of memory: say that instead). */
static void slot_set_error(struct qmp_deferred *d, const struct qmp_error *err)
{
	struct qmp_error *e = malloc(sizeof(*e));

	if (e)
		*e = *err;
	d->err = e ? e : (struct qmp_error *)&oom_error;
}

/* Send the answers at the head of the queue that are done. */
static void send_ready(struct qmp_session *s)
{
	while (s->pending && s->pending->done) {
		struct qmp_deferred *d = s->pending;

		s->pending = d->next;
		if (!s->pending)
			s->pending_tail = &s->pending;
		s->nr_pending--;
		if (d->rc == 0) {
			qmp_log(s->srv, LOG_INFO, "qmp[%s]: %s ok", s->name, d->name);
			send_return(s, d->id, d->ret, d->name, &d->out);
		} else {
			qmp_log(s->srv, LOG_INFO, "qmp[%s]: %s failed: %s: %s", s->name, d->name,
				qmp_err_class_str(d->err->cls), d->err->desc);
			send_error(s, d->id, d->err);
			json_decref(d->ret);
		}
		slot_free(d);
	}
}

static void queue_answer(struct qmp_session *s, const char *id, const char *name, int rc,
			 json_t *ret, const struct qmp_error *err, struct qmp_out *out)
{
	struct qmp_deferred *d = slot_new(s, id, name);

	if (!d) {
		qmp_log(s->srv, LOG_ERR, "qmp[%s]: out of memory queueing an answer: closing", s->name);
		json_decref(ret);
		s->closed = true;
		return;
	}
	d->done = true;
	d->rc = rc;
	d->ret = rc ? NULL : ret;
	if (rc) {
		json_decref(ret);
		slot_set_error(d, err);
	} else {
		d->out = *out;  /* moved: the caller's release is then a no-op */
		memset(out, 0, sizeof(*out));
	}
}

struct qmp_deferred *qmp_defer(struct qmp_server *srv)
{
	struct qmp_session *s = srv->cur;
	struct qmp_deferred *d;

	if (!s || srv->cur_deferred)
		return NULL;
	d = slot_new(s, srv->cur_id, srv->cur_name);
	if (d)
		srv->cur_deferred = true;
	return d;
}

void qmp_complete(struct qmp_deferred *d, int rc, json_t *ret, const struct qmp_error *err)
{
	struct qmp_session *s = d->s;
	struct qmp_out out = out_take(d->srv);

	if (!s) {
		qmp_out_release(&out);
		json_decref(ret);
		slot_free(d);
		return;
	}
	d->done = true;
	d->rc = rc;
	d->ret = ret;
	d->out = out;
	if (rc)
		slot_set_error(d, err);
	send_ready(s);
	/* Go on with the held requests until one must wait again. */
	drain_held(s);
}

unsigned qmp_current_flags(const struct qmp_server *srv)
{
	return srv->cur ? srv->cur_flags : 0;
}

char *qmp_request_dumps(const struct qmp_server *srv, const json_t *v, size_t flags)
{
	return qmp_json_dumps(srv ? srv->cur_doc : NULL, v, flags);
}

/* A name written as jansson writes it, without escapes: letters, digits, '-', '_'. */
static bool plain_name(const char *name)
{
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

const char *qmp_request_text(struct qmp_server *srv, const char *name, const json_t *args,
			     size_t *len)
{
	static const char exec_key[] = "{\"execute\":", args_key[] = ",\"arguments\":";
	struct qmp_text *t = &srv->rec;
	json_t *n;

	qmp_text_reset(t);
	qmp_text_put(t, exec_key, sizeof(exec_key) - 1);
	if (plain_name(name)) {
		qmp_text_put(t, "\"", 1);
		qmp_text_put(t, name, strlen(name));
		qmp_text_put(t, "\"", 1);
	} else if ((n = json_string(name))) {
		qmp_json_dump_to(t, NULL, n, JSON_COMPACT);
		json_decref(n);
	} else {
		t->oom = true;
	}
	qmp_text_put(t, args_key, sizeof(args_key) - 1);
	if (args)
		qmp_json_dump_to(t, srv->cur_doc, args, JSON_COMPACT);
	else
		qmp_text_put(t, "{}", 2);
	qmp_text_put(t, "}", 1);
	if (t->oom) {
		qmp_text_reset(t);
		return NULL;
	}
	*len = t->len;
	return t->buf;
}

void qmp_session_resume(struct qmp_session *s)
{
	qmp_session_send_omitted(s, 0);
	drain_held(s);
}

size_t qmp_session_held_bytes(const struct qmp_session *s)
{
	return s->held_bytes;
}

void qmp_session_set_busy(struct qmp_session *s, qmp_busy_fn *fn)
{
	s->busy = fn;
}

int qmp_session_new(struct qmp_server *srv, const char *name, qmp_write_fn *write,
		    void *opaque, struct qmp_session **out)
{
	struct qmp_session *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->srv = srv;
	s->write = write;
	s->opaque = opaque;
	snprintf(s->name, sizeof(s->name), "%s", name ? name : "?");
	s->held_tail = &s->held;
	s->pending_tail = &s->pending;
	qmp_framer_init(&s->fr, srv->max_msg, on_frame, s);
	s->next = srv->sessions;
	if (srv->sessions)
		srv->sessions->prev = s;
	srv->sessions = s;
	srv->nr_sessions++;
	qmp_log(srv, LOG_INFO, "qmp[%s]: session opened", s->name);
	greet(s);
	*out = s;
	return 0;
}

void qmp_session_free(struct qmp_session *s)
{
	struct qmp_server *srv;

	if (!s)
		return;
	srv = s->srv;
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	srv->nr_sessions--;
	qmp_log(srv, LOG_INFO, "qmp[%s]: session closed", s->name);
	qmp_framer_fini(&s->fr);
	while (s->pending) {
		struct qmp_deferred *d = s->pending;

		s->pending = d->next;
		if (d->done) {
			json_decref(d->ret);
			slot_free(d);
		} else {
			d->s = NULL;    /* qmp_complete() will only free it */
		}
	}
	while (s->held) {
		struct qmp_held *h = s->held;

		s->held = h->next;
		free(h);
	}
	qmp_session_omit_clear(s);
	free(s);
}

int qmp_session_feed(struct qmp_session *s, const void *buf, size_t len)
{
	int rc;

	if (s->closed)
		return -EPIPE;
	rc = qmp_framer_feed(&s->fr, buf, len);
	if (rc)
		return rc;
	return s->closed ? -EPIPE : 0;
}

bool qmp_session_is_closed(const struct qmp_session *s)
{
	return s->closed;
}

bool qmp_session_is_negotiated(const struct qmp_session *s)
{
	return s->negotiated;
}

void qmp_session_set_room(struct qmp_session *s, qmp_room_fn *room)
{
	s->room = room;
}
