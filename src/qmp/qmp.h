/* SPDX-License-Identifier: MIT */
/*
 * qmp.h - the QEMU Machine Protocol, transport-free and loop-free.
 *
 * A struct qmp_server holds the command registry and the list of live
 * sessions; a struct qmp_session is one client connection.  The owner of the
 * transport feeds received bytes with qmp_session_feed() and receives every
 * byte to send through the session's write callback.  Nothing here opens a
 * socket, reads a clock other than through the configured hook, or runs a
 * loop, so the whole protocol is unit-tested and fuzzed without I/O.
 *
 * What it is: framing (JSON objects back to back), the greeting, capability
 * negotiation, "execute"/"exec-oob" with "arguments" and "id", generic
 * argument validation against a declarative schema with QEMU's error texts,
 * asynchronous events broadcast to negotiated sessions, and the built-in
 * commands qmp_capabilities, query-version, query-commands and quit.
 * What it is not: the device commands (registered by the daemon) and any
 * socket or loop code (src/server).
 *
 * Threading: none.  A server and its sessions are used from one thread.
 */
#ifndef CXLDCD_QMP_H
#define CXLDCD_QMP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

struct qmp_server;
struct qmp_session;

/* Default limit on one incoming JSON message (bytes). */
#define QMP_MAX_MSG_DEFAULT (1u << 20)
/* Nesting limit of one incoming JSON message ({ and [ levels). */
#define QMP_MAX_DEPTH 1024
#define QMP_ERR_DESC 512

/* ----------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------- */

/* QMP error classes (the "class" member of an error response). */
enum qmp_err_class {
	QMP_ERR_GENERIC = 0,     /* GenericError */
	QMP_ERR_COMMAND_NOT_FOUND, /* CommandNotFound */
	QMP_ERR_DEVICE_NOT_ACTIVE, /* DeviceNotActive */
	QMP_ERR_DEVICE_NOT_FOUND,  /* DeviceNotFound */
	QMP_ERR_KVM_MISSING_CAP,   /* KVMMissingCap */
};

/* An error a handler reports: class plus human-readable description. */
struct qmp_error {
	enum qmp_err_class cls;
	char desc[QMP_ERR_DESC];
};

/** qmp_error_set() - fill @err (may be NULL) with @cls and a printf message. */
void qmp_error_set(struct qmp_error *err, enum qmp_err_class cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** qmp_err_class_str() - the wire name of @cls ("GenericError", ...). */
const char *qmp_err_class_str(enum qmp_err_class cls);

/* ----------------------------------------------------------------------
 * Argument schema
 * ------------------------------------------------------------------- */

enum qmp_type {
	QMP_T_STR = 1,
	QMP_T_INT,      /* int64 */
	QMP_T_UINT8,
	QMP_T_UINT16,
	QMP_T_UINT32,
	QMP_T_UINT64,   /* 0..UINT64_MAX (above INT64_MAX: see struct qmp_json) */
	QMP_T_BOOL,
	QMP_T_NUMBER,   /* integer or real */
	QMP_T_ENUM,     /* string, one of .values */
	QMP_T_ARRAY,    /* JSON array; elements of type .elem */
	QMP_T_STRUCT,   /* JSON object checked against .fields */
	QMP_T_OBJECT,   /* any JSON object, not checked */
	QMP_T_ANY,      /* any JSON value */
};

/*
 * One argument (or one field of a struct).  A schema is an array of these
 * ended by an entry whose name is NULL (QMP_ARG_END).  For QMP_T_ARRAY, .elem
 * is the element type and .values/.fields describe the element (enum values
 * or struct fields).  Schemas are normally static const tables.
 */
struct qmp_arg {
	const char *name;
	enum qmp_type type;
	bool optional;
	enum qmp_type elem;                 /* QMP_T_ARRAY only */
	const char *const *values;          /* QMP_T_ENUM: NULL-terminated list */
	const struct qmp_arg *fields;       /* QMP_T_STRUCT: sub-schema */
};

#define QMP_ARG(n, t)            { .name = (n), .type = (t) }
#define QMP_OPT(n, t)            { .name = (n), .type = (t), .optional = true }
#define QMP_ARG_ENUM(n, v)       { .name = (n), .type = QMP_T_ENUM, .values = (v) }
#define QMP_OPT_ENUM(n, v) \
	{ .name = (n), .type = QMP_T_ENUM, .values = (v), .optional = true }
#define QMP_ARG_STRUCT(n, f)     { .name = (n), .type = QMP_T_STRUCT, .fields = (f) }
#define QMP_ARG_ARRAY(n, e)      { .name = (n), .type = QMP_T_ARRAY, .elem = (e) }
#define QMP_OPT_ARRAY(n, e)      { .name = (n), .type = QMP_T_ARRAY, .elem = (e), .optional = true }
#define QMP_ARG_ARRAY_OF(n, f) \
	{ .name = (n), .type = QMP_T_ARRAY, .elem = QMP_T_STRUCT, .fields = (f) }
#define QMP_OPT_ARRAY_OF(n, f) \
	{ .name = (n), .type = QMP_T_ARRAY, .elem = QMP_T_STRUCT, .fields = (f), \
	  .optional = true }
#define QMP_ARG_END              { .name = NULL }

/**
 * qmp_schema_check() - validate @obj (a JSON object) against @schema.
 * @schema: NULL means "no arguments allowed"
 * @allow_extra: members not in @schema are accepted (passed to the handler)
 * @err: receives QEMU's text for the first problem, class GenericError
 *
 * Declared members are checked in schema order (missing, type, range), then
 * undeclared members are reported as unexpected.  Nested names read as QEMU
 * writes them: "extents[1].len".
 * Return: 0 if valid, -EINVAL otherwise.
 */
int qmp_schema_check(const struct qmp_arg *schema, json_t *obj, bool allow_extra,
		     struct qmp_error *err);

/* ----------------------------------------------------------------------
 * JSON as QMP reads it: unsigned integers above INT64_MAX
 * ------------------------------------------------------------------- */

/*
 * jansson's integers are signed 64-bit and it refuses a literal above
 * INT64_MAX as a syntax error.  QEMU's parser keeps a literal up to
 * UINT64_MAX as an unsigned number (its uint64 arguments take it, narrower
 * and signed ones refuse it with their usual texts) and one beyond both
 * ranges as a double.  qmp_json_load() reads a text the same way with
 * jansson: a literal in (INT64_MAX, UINT64_MAX] becomes a jansson integer
 * holding the same 64 bits, so (uint64_t)json_integer_value() and
 * qmp_arg_uint() read the value sent, and the struct remembers which nodes
 * those are (for the schema check and for writing them back as sent,
 * qmp_json_dumps()); a literal beyond both ranges becomes a real.  The
 * session reads every request this way: handlers see nothing of it.
 */
struct qmp_json {
	json_t *root;           /* owned */
	json_t **big;           /* the integers above INT64_MAX, sorted by address */
	size_t nr_big;
	json_t **anc;           /* the containers holding them, sorted by address */
	size_t nr_anc;
};

/**
 * qmp_json_load() - json_loadb() with @flags, as QMP reads numbers (above).
 * @err: may be NULL
 * Return: 0 with @j filled (free with qmp_json_fini()), -EINVAL with @err
 * set (jansson's), -ENOMEM.  On failure @j is empty (qmp_json_fini() is a
 * no-op).
 */
int qmp_json_load(struct qmp_json *j, const char *text, size_t len, size_t flags,
		  json_error_t *err);
void qmp_json_fini(struct qmp_json *j);
/** qmp_json_is_big() - @v is one of @j's integers above INT64_MAX (@j may be NULL). */
bool qmp_json_is_big(const struct qmp_json *j, const json_t *v);
/**
 * qmp_json_dumps() - json_dumps() of @v (a node of @j's tree, or a tree
 * holding such nodes) with JSON_ENCODE_ANY, the integers above INT64_MAX
 * written as sent.  @j NULL: json_dumps().  No indentation is written.
 * Return: a string to free(), or NULL.
 */
char *qmp_json_dumps(const struct qmp_json *j, const json_t *v, size_t flags);

/*
 * A text written in place: replies, events and journal records are encoded
 * into one the server keeps (qmp_text_reset()), not into a new allocation
 * each, so a request leaves no large block behind for malloc to merge.
 */
struct qmp_text {
	char *buf;              /* NUL-terminated once anything was put */
	size_t len, cap;
	bool oom;               /* a put failed: the text is incomplete */
};

/* A kept buffer larger than this is freed by qmp_text_reset(): a burst does not keep its peak. */
#define QMP_TEXT_KEEP 65536u

/** qmp_text_put() - append @n bytes of @s (sets @t->oom on failure). */
void qmp_text_put(struct qmp_text *t, const char *s, size_t n);
/** qmp_text_reset() - empty @t for the next text; free its buffer if larger than QMP_TEXT_KEEP. */
void qmp_text_reset(struct qmp_text *t);
/** qmp_text_fini() - free @t's buffer. */
void qmp_text_fini(struct qmp_text *t);
/**
 * qmp_json_dump_to() - append qmp_json_dumps() of @v to @t.
 * Return: 0, or -ENOMEM (@t->oom set).
 */
int qmp_json_dump_to(struct qmp_text *t, const struct qmp_json *j, const json_t *v, size_t flags);

/** qmp_schema_check_json() - qmp_schema_check() of @obj, a node of @j's tree. */
int qmp_schema_check_json(const struct qmp_arg *schema, const struct qmp_json *j, json_t *obj,
			  bool allow_extra, struct qmp_error *err);

/* ----------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------- */

/*
 * A command handler.  @args is the validated "arguments" object (borrowed;
 * an empty object when the request had none).  On success return 0 and
 * optionally set *@ret to a new reference (the server takes it; NULL means
 * {}).  On failure return non-zero and fill @err (qmp_error_set()).
 */
typedef int qmp_handler_fn(void *opaque, json_t *args, json_t **ret, struct qmp_error *err);

/*
 * A handler may answer later: it calls qmp_defer() and returns QMP_DEFER.
 * The session then holds its further requests (in order) until
 * qmp_complete() answers the deferred one, except those of commands flagged
 * QMP_CMD_QUEUES, which may start meanwhile (pipelining; at most
 * QMP_MAX_QUEUED unanswered per session).  Answers are sent in the order of
 * the requests.  The daemon uses this to journal the requests of several
 * clients, and several requests of one client, in one commit (group commit).
 */
#define QMP_DEFER 1
struct qmp_deferred;
struct qmp_server;

/*
 * qmp_defer() - inside a handler: keep the request being handled for a later
 * answer.  Return: the handle, or NULL (out of memory: answer now instead).
 */
struct qmp_deferred *qmp_defer(struct qmp_server *srv);

/*
 * qmp_complete() - answer a deferred request: rc 0 sends {"return": ret}
 * (@ret stolen, NULL means {}), else the error @err.  Frees @d, then the
 * session goes on with the requests it held (which may defer again).  If
 * the session has closed meanwhile, nothing is sent.
 */
void qmp_complete(struct qmp_deferred *d, int rc, json_t *ret, const struct qmp_error *err);

/* The arguments may contain members the schema does not declare. */
#define QMP_CMD_ALLOW_EXTRA (1u << 0)
/*
 * The handler only defers the request (qmp_defer()) or refuses it on its
 * arguments alone, reading and changing nothing before its deferred run:
 * it may start while earlier requests of its session are unanswered.
 */
#define QMP_CMD_QUEUES (1u << 1)
/* Unanswered requests one session may have (more are held until some are answered). */
#define QMP_MAX_QUEUED 64u
/* Flag bits from here up are the registrant's: the library only hands them back. */
#define QMP_CMD_OWNER_SHIFT 16

/**
 * qmp_current_flags() - inside a handler run by a session: the flags of its
 * command-table entry (QMP_CMD_*, and the registrant's bits); 0 outside one.
 */
unsigned qmp_current_flags(const struct qmp_server *srv);

/**
 * qmp_reply_uint() - a reply value of @v, a uint64: above INT64_MAX it is
 * written as that number, as QEMU writes it (a jansson integer holds the
 * same 64 bits).  For the ret of a handler that answers at once, or of the
 * qmp_complete() that follows.
 * Return: a new reference, or NULL (out of memory).
 */
json_t *qmp_reply_uint(struct qmp_server *srv, uint64_t v);

/**
 * qmp_request_dumps() - inside a handler: qmp_json_dumps() of @v with the
 * request being handled, so a record of its arguments (a journal) keeps
 * every integer as sent; json_dumps() outside one.
 */
char *qmp_request_dumps(const struct qmp_server *srv, const json_t *v, size_t flags);

/**
 * qmp_request_text() - qmp_request_dumps() of {"execute": @name, "arguments":
 * @args} (@args NULL: {}) with JSON_COMPACT, written without building that
 * object into a buffer the server keeps: valid until the next call or the
 * end of the request.  @len: the text's length.
 * Return: the text, or NULL (out of memory).
 */
const char *qmp_request_text(struct qmp_server *srv, const char *name, const json_t *args,
			     size_t *len);

struct qmp_cmd {
	const char *name;
	qmp_handler_fn *fn;
	const struct qmp_arg *args;   /* NULL: the command takes no arguments */
	unsigned flags;               /* QMP_CMD_* */
};

/* ----------------------------------------------------------------------
 * Server
 * ------------------------------------------------------------------- */

/* Log callback: syslog level, one line without newline. */
typedef void qmp_log_fn(void *opaque, int level, const char *msg);
/* Called once the "quit" command has been answered. */
typedef void qmp_quit_fn(void *opaque);
/* Wall clock for event timestamps. */
typedef void qmp_clock_fn(void *opaque, struct timespec *now);

struct qmp_server_cfg {
	/* Version reported by the greeting and query-version. */
	int64_t ver_major, ver_minor, ver_micro;
	const char *package;          /* borrowed; copied */
	size_t max_msg;               /* 0: QMP_MAX_MSG_DEFAULT */
	qmp_quit_fn *quit;            /* NULL: quit only answers */
	void *quit_opaque;
	qmp_clock_fn *clock;          /* NULL: CLOCK_REALTIME */
	void *clock_opaque;
};

/**
 * qmp_server_new() - create a server with the built-in commands registered.
 * @cfg: borrowed; NULL gives defaults (version 9.1.0, package "cxldcd")
 * @out: caller frees with qmp_server_free()
 * Return: 0 or -ENOMEM.
 */
int qmp_server_new(const struct qmp_server_cfg *cfg, struct qmp_server **out);

/** qmp_server_free() - free the server and every session still attached. */
void qmp_server_free(struct qmp_server *srv);

/**
 * qmp_server_set_log() - route log lines to @fn (silent by default).
 * Commands are logged at LOG_INFO, every message in and out at LOG_DEBUG.
 */
void qmp_server_set_log(struct qmp_server *srv, qmp_log_fn *fn, void *opaque, int max_level);

/*
 * A gate asked before every registered command other than the built-ins runs
 * (after its arguments are checked): false refuses it with @err filled.
 */
typedef bool qmp_gate_fn(void *opaque, const char *name, struct qmp_error *err);

/** qmp_server_set_gate() - install @fn (NULL: every command runs). */
void qmp_server_set_gate(struct qmp_server *srv, qmp_gate_fn *fn, void *opaque);

/**
 * qmp_server_register() - add one command.
 * @cmd: must outlive the server (a static const table entry): its name,
 *       schema and enum lists are referenced, not copied
 * @opaque: handed to the handler
 * Return: 0, -EEXIST for a duplicate name, -EINVAL for a malformed entry,
 * -ENOMEM.
 */
int qmp_server_register(struct qmp_server *srv, const struct qmp_cmd *cmd, void *opaque);

/** qmp_server_register_table() - qmp_server_register() for @n entries; stops at the first error. */
int qmp_server_register_table(struct qmp_server *srv, const struct qmp_cmd *cmds, size_t n,
			      void *opaque);

/**
 * qmp_server_emit_event() - broadcast an event to every negotiated session.
 * @data: borrowed, may be NULL (no "data" member); must be an object
 * A session whose owner reports its unsent output (qmp_session_set_queued())
 * gets the event only if it fits in the room beside that output; otherwise
 * the event is omitted for that session and counted, and once the owner is
 * no longer busy the session is sent one QMP_EVENT_OMITTED event that says
 * how many of which were left out (qmp_session_resume(), or before its next
 * event).  A client that does not read is so never sent more than its room
 * of events, and loses none silently.
 * Return: number of sessions written to, or -ENOMEM.
 */
int qmp_server_emit_event(struct qmp_server *srv, const char *name, json_t *data);

/** qmp_server_nr_sessions() - number of live sessions. */
size_t qmp_server_nr_sessions(const struct qmp_server *srv);

/* ----------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------- */

/*
 * Output callback: send @len bytes (one complete JSON message plus CRLF).
 * Return 0, or a negative errno: the session is then closed and produces
 * no more output (the owner frees it when convenient).
 */
typedef int qmp_write_fn(void *opaque, const char *buf, size_t len);

/**
 * qmp_session_new() - attach a client and send the greeting.
 * @name: borrowed, copied; used in log lines ("unix:3")
 * @out: owned by @srv until qmp_session_free() (caller frees)
 * Return: 0 or -ENOMEM.  A failing greeting write still returns 0 with the
 * session closed (see qmp_session_is_closed()).
 */
int qmp_session_new(struct qmp_server *srv, const char *name, qmp_write_fn *write,
		    void *opaque, struct qmp_session **out);

/*
 * The largest one reply may be (the owner's bound on a message), called
 * with the write callback's opaque.  A longer reply is replaced by a
 * GenericError naming its size.  With qmp_session_set_queued(), it is also
 * the room events may fill beside the unsent output (0: the owner is
 * closing).
 */
typedef size_t qmp_room_fn(void *opaque);
void qmp_session_set_room(struct qmp_session *s, qmp_room_fn *room);

/*
 * Backpressure: true while the owner holds too much unsent output.  Requests
 * that complete meanwhile are held, in order, and run by
 * qmp_session_resume() once the owner has sent enough.
 */
typedef bool qmp_busy_fn(void *opaque);
void qmp_session_set_busy(struct qmp_session *s, qmp_busy_fn *busy);

/*
 * Bytes the owner holds unsent for the session (called with the write
 * callback's opaque): events are written only while they fit in the room
 * beside them (qmp_server_emit_event()).  Not set: every event is written.
 */
typedef size_t qmp_queued_fn(void *opaque);
void qmp_session_set_queued(struct qmp_session *s, qmp_queued_fn *queued);

/*
 * The event a session is sent in place of the events it was not sent:
 * {"count": N, "bytes": B, "events": {"NAME": n, ...}, "first": TIMESTAMP,
 * "last": TIMESTAMP} (the timestamps of the first and last left out).
 */
#define QMP_EVENT_OMITTED "EVENTS_OMITTED"

/**
 * qmp_session_resume() - send the QMP_EVENT_OMITTED event owed, then run
 * the held requests, in order, until the owner is busy again or one is
 * deferred.  Never from inside the session's own callbacks.
 */
void qmp_session_resume(struct qmp_session *s);

/** qmp_session_held_bytes() - memory of the requests received and held, not yet run (text, id, node). */
size_t qmp_session_held_bytes(const struct qmp_session *s);

/** qmp_session_free() - detach and free; NULL is a no-op.  Never from inside its own callbacks. */
void qmp_session_free(struct qmp_session *s);

/**
 * qmp_session_feed() - process received bytes; complete requests are
 * executed and answered before this returns.  Partial messages are kept.
 * Return: 0, -EPIPE if the session is closed, -ENOMEM.
 */
int qmp_session_feed(struct qmp_session *s, const void *buf, size_t len);

bool qmp_session_is_closed(const struct qmp_session *s);
bool qmp_session_is_negotiated(const struct qmp_session *s);

/* ----------------------------------------------------------------------
 * Helpers for handlers (arguments were validated: types are right)
 * ------------------------------------------------------------------- */

const char *qmp_arg_str(json_t *args, const char *name, const char *def);
int64_t qmp_arg_int(json_t *args, const char *name, int64_t def);
uint64_t qmp_arg_uint(json_t *args, const char *name, uint64_t def);
bool qmp_arg_bool(json_t *args, const char *name, bool def);
/* Index of the enum value in @values, or @def when absent. */
int qmp_arg_enum(json_t *args, const char *name, const char *const *values, int def);

#endif
