/* SPDX-License-Identifier: MIT */
/*
 * qmp-listen.h - QMP over sockets: a listener whose connections each get a
 * qmp_session of one shared qmp_server.  Glue only: the protocol is in
 * src/qmp, the sockets in sock.c.
 */
#ifndef CXLDCD_SERVER_QMP_LISTEN_H
#define CXLDCD_SERVER_QMP_LISTEN_H

#include "sock.h"

struct loop;
struct qmp_server;
struct qmp_listen;

/**
 * qmp_listen_new() - listen on @addr and serve @qmp (borrowed; must
 * outlive the listener) to every client.
 * @log: borrowed, must outlive the listener
 * @out: caller frees with qmp_listen_free()
 * Return: 0 or -errno.
 */
int qmp_listen_new(struct loop *l, struct qmp_server *qmp, const struct sock_addr *addr,
		   const struct srv_log *log, struct qmp_listen **out);

/** qmp_listen_free() - flush and close clients, remove the socket file. */
void qmp_listen_free(struct qmp_listen *ql);

/**
 * qmp_listen_set_max_conns() - sessions kept open (0: default, 64); at the
 * limit the oldest session that has not run qmp_capabilities is dropped
 * for a newcomer, and with none such the newcomer is refused.
 */
void qmp_listen_set_max_conns(struct qmp_listen *ql, uint32_t max);

/** qmp_listen_addr() - bound address ("tcp:127.0.0.1:43117"). */
void qmp_listen_addr(const struct qmp_listen *ql, char *buf, size_t len);

#endif
