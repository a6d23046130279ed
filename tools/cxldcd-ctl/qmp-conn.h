/* SPDX-License-Identifier: MIT */
/*
 * qmp-conn.h - cxldcd-ctl's QMP connection: connect over a Unix or TCP
 * stream socket, read the greeting, negotiate capabilities, then send
 * commands and read messages one JSON line at a time.  Blocking, with a
 * deadline on every read.  Events that arrive while a command waits for its
 * reply are kept, oldest first, for ctl_qmp_next_event().
 *
 * A read interrupted by a signal returns -EINTR, so "events --follow" can
 * stop on SIGINT/SIGTERM.
 */
#ifndef CXLDCD_CTL_QMP_CONN_H
#define CXLDCD_CTL_QMP_CONN_H

#include <stddef.h>

#include <jansson.h>

#include "parse.h"

struct ctl_qmp;

/*
 * ctl_qmp_open() - connect to @addr and negotiate within @timeout_ms.
 * On failure, @err says what failed (naming the socket and the errno text).
 * Caller frees *@out with ctl_qmp_free().  Return 0 or -errno.
 */
int ctl_qmp_open(const struct ctl_addr *addr, int timeout_ms, struct ctl_qmp **out, char *err,
		 size_t cap);
void ctl_qmp_free(struct ctl_qmp *q);

/* The address as given ("unix:/run/..." or "tcp:HOST:PORT"), for messages. */
const char *ctl_qmp_name(const struct ctl_qmp *q);

/* Send @len bytes as they are.  Return 0 or -errno. */
int ctl_qmp_send(struct ctl_qmp *q, const char *text, size_t len);

/*
 * ctl_qmp_send_cmd() - send one command's text and its line end in one
 * write.  A peer that already closed its side is not an error here: its
 * reply (or the EOF) is what ctl_qmp_reply() reads next.
 */
int ctl_qmp_send_cmd(struct ctl_qmp *q, const char *text, size_t len);

/*
 * ctl_qmp_recv() - the next message within @timeout_ms (< 0: no limit).
 * Return 0 with *@msg (caller decrefs), -ETIMEDOUT, -EINTR, -ECONNRESET
 * (the daemon closed the connection), -EPROTO (not JSON) or -errno.
 */
int ctl_qmp_recv(struct ctl_qmp *q, int timeout_ms, json_t **msg);

/*
 * ctl_qmp_reply() - the next message that is not an event (events are
 * queued).  Same returns as ctl_qmp_recv().
 */
int ctl_qmp_reply(struct ctl_qmp *q, int timeout_ms, json_t **reply);

/*
 * ctl_qmp_execute() - send {"execute": @cmd, "arguments": @args} and wait
 * for the reply, which is {"return": ...} or {"error": ...}.  @args is
 * borrowed and may be NULL.  Same returns as ctl_qmp_recv().
 */
int ctl_qmp_execute(struct ctl_qmp *q, const char *cmd, json_t *args, int timeout_ms,
		    json_t **reply);

/*
 * ctl_qmp_next_event() - an event queued by ctl_qmp_reply(), else the next
 * message to arrive within @timeout_ms that is an event (a stray reply is
 * dropped).  Same returns as ctl_qmp_recv().
 */
int ctl_qmp_next_event(struct ctl_qmp *q, int timeout_ms, json_t **event);

#endif
