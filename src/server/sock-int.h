/* SPDX-License-Identifier: MIT */
/*
 * sock-int.h - what sock.c (connections) and sock-listen.c (listeners)
 * share: the two structs and the calls between them.  Not an API: the
 * daemon uses sock.h.
 */
#ifndef CXLDCD_SERVER_SOCK_INT_H
#define CXLDCD_SERVER_SOCK_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/sockpolicy.h"
#include "loop.h"
#include "sock.h"

struct sock_conn {
	struct sock_listener *ls;
	struct sock_conn *prev, *next;
	int fd;
	char *out;
	size_t out_off, out_len, out_cap, out_max;
	bool closing;
	bool established;               /* sock_conn_set_established() */
	bool timer_set;
	bool backlogged;                /* out_len reached the high mark, not yet the low one */
	bool reading;                   /* LOOP_IN is in the watch */
	uint64_t timer_id;
	struct loop_defer round_end;    /* queued: output to send at the end of the round */
	const struct sock_conn_ops *ops;
	void *opaque;
	char name[96];
};

struct sock_listener {
	struct loop *loop;
	const struct srv_log *log;
	struct sock_addr addr;
	int fd;
	struct sockpolicy_owned own;    /* the Unix socket file we created */
	size_t outbuf_max;
	uint32_t max_conns;             /* sock_listener_set_max_conns() */
	bool paused;                    /* out of fds: not watching, see pause_accept() */
	bool starved_logged;            /* the one log line of this shortage is out */
	bool retry_set;
	uint64_t retry_timer;
	bool trim_set;                  /* give_back_memory() after this round (trim_after_round()) */
	uint64_t trim_timer;
	sock_accept_fn *accept;
	void *opaque;
	struct sock_conn *conns;
	unsigned long nr_accepted;
};

/* sock.c: a connection's loop callbacks, its output sent now, its end now. */
void sock_conn_on_io(struct loop *l, int fd, unsigned events, void *opaque);
void sock_conn_on_round_end(struct loop *l, void *opaque);
bool sock_conn_flush(struct sock_conn *c);
void sock_conn_destroy(struct sock_conn *c);

/* sock-listen.c: watch the listener again if accepting was paused (a connection closed). */
void sock_listener_resume_accept(struct sock_listener *ls);

#endif
