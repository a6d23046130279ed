/* SPDX-License-Identifier: MIT */
/*
 * qmp-client.h - a small blocking QMP client for tests: connect over Unix or
 * TCP, send raw bytes or commands, read one message at a time with a
 * timeout.  Every call is bounded by its timeout, so tests never hang.
 */
#ifndef CXLDCD_TESTS_QMP_CLIENT_H
#define CXLDCD_TESTS_QMP_CLIENT_H

#include <stddef.h>

#include <jansson.h>

struct qmp_client;

/* Retry connecting until @timeout_ms (the daemon may still be starting). */
int qmp_client_connect_unix(const char *path, int timeout_ms, struct qmp_client **out);
int qmp_client_connect_tcp(const char *host, int port, int timeout_ms, struct qmp_client **out);
void qmp_client_free(struct qmp_client *c);
int qmp_client_fd(const struct qmp_client *c);

/* Send @len bytes as they are.  Return 0 or -errno. */
int qmp_client_send_raw(struct qmp_client *c, const void *buf, size_t len);

/* Next message (greeting, reply or event); NULL on timeout, EOF or bad JSON. Caller decrefs. */
json_t *qmp_client_recv(struct qmp_client *c, int timeout_ms);

/* Send @text and return the next message that is not an event. */
json_t *qmp_client_cmd(struct qmp_client *c, const char *text, int timeout_ms);

/* printf-style qmp_client_cmd(). */
json_t *qmp_client_cmdf(struct qmp_client *c, int timeout_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The oldest event called @name: one qmp_client_cmd() skipped, or the next
 * to arrive within @timeout_ms (other messages are kept for later calls).
 * NULL on timeout.  Caller decrefs.
 */
json_t *qmp_client_event(struct qmp_client *c, const char *name, int timeout_ms);

/* Read the greeting and run qmp_capabilities.  Return 0 or -EPROTO. */
int qmp_client_negotiate(struct qmp_client *c, int timeout_ms);

/* Wait until the peer closes the connection.  Return 0, or -ETIMEDOUT. */
int qmp_client_wait_eof(struct qmp_client *c, int timeout_ms);

/* Convenience: "desc" / "class" of an error reply, or NULL. */
const char *qmp_client_err_desc(json_t *rsp);
const char *qmp_client_err_class(json_t *rsp);

#endif
