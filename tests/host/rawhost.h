/* SPDX-License-Identifier: MIT */
/*
 * rawhost.h - raw hosts (rawmsg.h) against the in-process device (hx.h):
 * the test plays each host on the host link itself (HELLO, 4802h/4803h,
 * the MAPs and their fds, a move's PAUSE, REMAP and MOVE_END), beside the
 * real agent and its applications when it wants them.  A helper that
 * expects something asserts it.  Used by test-hostile-map.c and
 * test-host-move.c.
 */
#ifndef CXLDCD_TESTS_HOST_RAWHOST_H
#define CXLDCD_TESTS_HOST_RAWHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hx.h"
#include "rawmsg.h"

/* Data patterns the tests write (each test says whose is which). */
#define PAT1 0xa5
#define PAT2 0xb6
#define PAT3 0xc7

/* ------------------------------------------------------------ a raw host */

/* Connect r as host with HELLO flags (HL_HELLO_F_*); the HELLO_ACK is left unread. */
void raw_open(struct hx *x, struct raw *r, uint16_t host, uint32_t flags);
/* raw_open() and its HELLO_ACK: the flags the device granted. */
uint32_t raw_hello(struct hx *x, struct raw *r, uint16_t host, uint32_t flags);
/*
 * raw_pop() for at most ms, pumping both loops meanwhile.  Return the
 * message's type, or -1 when none came (or the device hung up).
 */
int raw_take(struct hx *x, struct raw *r, uint8_t want, uint8_t *payload, size_t cap, int *fd,
	     int ms);
/* raw_take() of a message of type want that must come within 3 s. */
void raw_expect(struct hx *x, struct raw *r, uint8_t want, uint8_t *payload, size_t cap, int *fd);
/* r gets nothing more for ms. */
void expect_nothing(struct hx *x, struct raw *r, int ms);
/* Send 4802h or 4803h with the one-extent list [dpa, dpa+len). */
void raw_extent_cmd(struct raw *r, uint16_t opcode, uint64_t dpa, uint64_t len);
/* Release [dpa, dpa+len) with 4803h, as a host does of its own accord. */
void raw_release(struct hx *x, struct raw *r, uint64_t dpa, uint64_t len);
/* The next MAP r gets, for [dpa, dpa+len): its fd in out. */
void expect_map(struct hx *x, struct raw *r, uint64_t dpa, uint64_t len, struct map_fd *out);
/* Accept [dpa, dpa+len) with 4802h; collect its MAP (one segment) and the Success response. */
void raw_accept(struct hx *x, struct raw *r, uint64_t dpa, uint64_t len, struct map_fd *out);
/* mmap() a MAP's range of its fd, shared and writable. */
uint8_t *map_it(const struct map_fd *f);

/* ------------------------------------------------------------ the device's side */

/* Host is forced out of [dpa, dpa+len) (prescriptive release), with sanitize or not. */
void force_release(struct hx *x, uint16_t host, uint64_t dpa, uint64_t len, bool sanitize);
/* Host h (raw r) joins tag A's allocation at [d, d+len) with enable-shared. */
void join_shared(struct hx *x, struct raw *r, uint16_t h, uint64_t d, uint64_t len,
		 struct map_fd *m);
/*
 * Raw hosts 0, 1, 2 (HELLO flags[i]; MOVE_END granted exactly when asked
 * for) share tag A's allocation [d, d+len), host 0 first, each mapping it.
 */
void three_sharers(struct hx *x, uint64_t d, uint64_t len, const uint32_t flags[3],
		   struct raw r[3], struct map_fd m[3], uint8_t *p[3]);
/* Unmap, close and hang up all three; nfd[i] (a REMAP's fd) closed unless -1. */
void close_sharers(uint64_t len, struct raw r[3], struct map_fd m[3], uint8_t *p[3],
		   const int nfd[3]);

/* ------------------------------------------------------------ moves */

void send_move_ack(struct raw *r, uint64_t id, uint32_t phase);
/* The PAUSE r gets, for [d, d+len): its move id. */
uint64_t expect_pause(struct hx *x, struct raw *r, uint64_t d, uint64_t len);
/*
 * The REMAP r gets for [d, d+len) of move id: a fresh grant (writable, not
 * old_fd's file, exactly len bytes), mapped in place at p as the library
 * does.  Return its fd.
 */
int expect_remap(struct hx *x, struct raw *r, uint64_t d, uint64_t len, uint64_t id, uint8_t *p,
		 int old_fd);
/*
 * The REMAP r gets for [d, d+len) of move id when no fresh grant could be
 * made: old_fd's file (the old grant), mapped in place at p.  Return its fd.
 */
int expect_remap_old(struct hx *x, struct raw *r, uint64_t d, uint64_t len, uint64_t id,
		     uint8_t *p, int old_fd);
/* r answers move id's PAUSE, gets its REMAP (expect_remap()) and answers that: the REMAP's fd. */
int answer_move(struct hx *x, struct raw *r, uint64_t d, uint64_t len, uint64_t id, uint8_t *p,
		int old_fd);
/*
 * Raw hosts 1 and 2 (r[1], r[2], mapping the grant at p[1], p[2]) are
 * PAUSEd by one move (nothing moves before both have), answer, get the
 * fresh grant in place (expect_remap(); nfd[i], closed first unless -1)
 * and answer again.  Return the move id.
 */
uint64_t move_sharers(struct hx *x, uint64_t d, uint64_t len, struct raw r[3], uint8_t *p[3],
		      int old_fd, int nfd[3]);
/* The very next message r gets is the MOVE_END of its PAUSE (d, len, id). */
void expect_move_end(struct hx *x, struct raw *r, uint64_t d, uint64_t len, uint64_t id);

/* ------------------------------------------------------------ bytes and files */

bool all_are(const uint8_t *p, size_t n, uint8_t v);
/* Every byte of fd (whole, fstat size): none is v. */
void fd_has_none_of(int fd, uint8_t v);
/* Whether two fds are of one file. */
bool same_file(int a, int b);

/* ------------------------------------------------------------ the agent and its applications */

/* Open tag A's group through the agent (x->h): its mapping, len bytes. */
uint8_t *agent_open_group(struct hx *x, uint64_t len);
/*
 * The agent (host 0, x->h, serving applications; tag A's group open at *g
 * unless g is NULL, and filled with PAT1) shares tag A's extent [d, d+len) with raw hosts 1
 * (HELLO flags1) and 2 (mapping only), each past HELLO with it mapped (*m1,
 * *m2).  Return host 1's mapping of it.
 */
uint8_t *agent_shares(struct hx *x, uint64_t d, uint64_t len, uint32_t flags1, struct raw *r1,
		      struct raw *r2, struct map_fd *m1, struct map_fd *m2, uint8_t **g);
/*
 * agent_shares(), then host 2 releases its share (4803h).  The move is held
 * in its pause phase (raw host 1 has not answered its PAUSE); the agent has
 * paused.  Return the move id; *m2 is host 2's MAP (its fd is the grant
 * being retired).
 */
uint64_t agent_paused(struct hx *x, uint64_t d, uint64_t len, uint32_t flags1, struct raw *r1,
		      struct raw *r2, struct map_fd *m1, struct map_fd *m2, uint8_t **p1,
		      uint8_t **g);
/* Unmap p1, close both MAPs' fds and nfd (unless -1), hang up both raw hosts. */
void close_agent_move(uint64_t len, struct raw *r1, struct raw *r2, struct map_fd *m1,
		      struct map_fd *m2, uint8_t *p1, int nfd);
/*
 * The scene of agent_paused() in one place: raw hosts 1 and 2 share tag A's
 * [d, d+len) with the agent, host 2 let go, and move id holds the agent and
 * host 1 paused (a test may fill one alike by hand).  m2's fd is the grant
 * being retired; nfd is host 1's REMAP fd once it has one, else -1.  An
 * application's agent socket, an OPEN_RSP's segment fd and its mapping go
 * with it (-1, -1, NULL for none).
 */
struct paused {
	uint64_t d, len, id;
	struct map_fd m1, m2;
	struct raw r1, r2;
	uint8_t *p1, *g;        /* host 1's mapping; the agent's open of the group (or NULL) */
	int nfd;
	int app, sfd;
	uint8_t *a;
};
/* The scene with nothing in it yet, at [d, d+len). */
void paused_init(struct paused *s, uint64_t d, uint64_t len);
/*
 * paused_init() and agent_paused() (host 1 with HELLO flags1; the agent
 * opens its group, at s->g, when agent_opens).
 */
void pause_agent(struct hx *x, uint64_t d, uint64_t len, uint32_t flags1, bool agent_opens,
		 struct paused *s);
/* Unmap and close the application's share, then close_agent_move(). */
void close_paused(struct paused *s);
struct cxldcd_host_stats agent_stats(struct hx *x);
/* Send an application OPEN of tag A on the agent's socket fd (raw bytes: the agent runs here). */
void app_send_open(int fd, uint32_t seq);
/* Bytes [from, to) of that OPEN, in one write (a request that arrives in pieces). */
void app_send_open_part(int fd, uint32_t seq, size_t from, size_t to);
/*
 * An application connects to the agent's socket and OPENs tag A (seq 1)
 * while a move has the group paused: no answer comes within 100 ms.
 * Return its socket.
 */
int app_open_waits(struct hx *x);
/* Whether the agent has sent anything on the application socket fd. */
bool app_has_input(int fd);
/*
 * The OPEN_RSP of seq on fd, pumping for up to ms: its status; with OK, one
 * segment of len bytes (the group's size) whose fd goes to *seg_fd.
 */
uint32_t app_open_rsp(struct hx *x, int fd, uint32_t seq, uint64_t len, int ms, int *seg_fd);

#endif
