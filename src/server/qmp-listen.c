/* SPDX-License-Identifier: MIT */
/*
 * qmp-listen.c - one qmp_session per accepted connection (see qmp-listen.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "qmp/qmp.h"
#include "qmp-listen.h"

struct qmp_listen {
	struct qmp_server *qmp;
	struct sock_listener *ls;
	const struct srv_log *log;
};

struct qmp_client {
	struct sock_conn *conn;
	struct qmp_session *session;
};

static int client_write(void *opaque, const char *buf, size_t len)
{
	struct qmp_client *cl = opaque;

	return sock_conn_write(cl->conn, buf, len);
}

static size_t client_room(void *opaque)
{
	return sock_conn_room(((struct qmp_client *)opaque)->conn);
}

/* Backpressure (sock.h): the client has not read enough of its replies yet. */
static bool client_busy(void *opaque)
{
	return sock_conn_backlogged(((struct qmp_client *)opaque)->conn);
}

/* Events beside this: the session leaves out what does not fit in the room (qmp.h). */
static size_t client_queued(void *opaque)
{
	return sock_conn_queued(((struct qmp_client *)opaque)->conn);
}

static size_t client_held(void *opaque, struct sock_conn *c)
{
	(void)c;
	return qmp_session_held_bytes(((struct qmp_client *)opaque)->session);
}

static void client_drained(void *opaque, struct sock_conn *c)
{
	struct qmp_client *cl = opaque;

	qmp_session_resume(cl->session);
	if (qmp_session_is_closed(cl->session))
		sock_conn_close(c);
}

static void client_data(void *opaque, struct sock_conn *c, const uint8_t *buf, size_t len)
{
	struct qmp_client *cl = opaque;

	if (qmp_session_feed(cl->session, buf, len) < 0)
		sock_conn_close(c);
	else if (qmp_session_is_negotiated(cl->session))
		sock_conn_set_established(c); /* no longer evicted for a newcomer */
}

static void client_close(void *opaque, struct sock_conn *c)
{
	struct qmp_client *cl = opaque;

	(void)c;
	qmp_session_free(cl->session);
	free(cl);
}

static const struct sock_conn_ops client_ops = {
	.on_data = client_data,
	.on_close = client_close,
	.held = client_held,
	.on_drained = client_drained,
};

static void on_accept(void *opaque, struct sock_conn *c)
{
	struct qmp_listen *ql = opaque;
	struct qmp_client *cl = calloc(1, sizeof(*cl));

	if (!cl) {
		sock_conn_close(c);
		return;
	}
	cl->conn = c;
	if (qmp_session_new(ql->qmp, sock_conn_name(c), client_write, cl, &cl->session)) {
		free(cl);
		sock_conn_close(c);
		return;
	}
	qmp_session_set_room(cl->session, client_room);
	qmp_session_set_busy(cl->session, client_busy);
	qmp_session_set_queued(cl->session, client_queued);
	sock_conn_set_ops(c, &client_ops, cl);
	if (qmp_session_is_closed(cl->session))
		sock_conn_close(c);
}

int qmp_listen_new(struct loop *l, struct qmp_server *qmp, const struct sock_addr *addr,
		   const struct srv_log *log, struct qmp_listen **out)
{
	struct qmp_listen *ql = calloc(1, sizeof(*ql));
	int rc;

	*out = NULL;
	if (!ql)
		return -ENOMEM;
	ql->qmp = qmp;
	ql->log = log;
	rc = sock_listen(l, addr, log, on_accept, ql, &ql->ls);
	if (rc) {
		free(ql);
		return rc;
	}
	*out = ql;
	return 0;
}

void qmp_listen_free(struct qmp_listen *ql)
{
	if (!ql)
		return;
	sock_listener_free(ql->ls);
	free(ql);
}

void qmp_listen_set_max_conns(struct qmp_listen *ql, uint32_t max)
{
	sock_listener_set_max_conns(ql->ls, max);
}

void qmp_listen_addr(const struct qmp_listen *ql, char *buf, size_t len)
{
	sock_listener_addr(ql->ls, buf, len);
}
