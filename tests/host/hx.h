/* SPDX-License-Identifier: MIT */
/*
 * hx.h - in-process end-to-end fixture: a model device, its memory, a
 * hostlink server on a temporary Unix socket, and libcxldcd-host clients.
 * The test drives both sides' loops itself (poll on all their fds).
 */
#ifndef CXLDCD_TESTS_HOST_HX_H
#define CXLDCD_TESTS_HOST_HX_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "cxldcd/cxldcd-host.h"
#include "hostlink/hostlink.h"
#include "mem/mem.h"

#define MiB (1024ull * 1024)
#define HX_MAX_EVENTS 256
#define TAG_A "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define TAG_B "0f8c4d1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5"

struct hx_ev {
	enum cxldcd_host_event_type type;
	uint64_t dpa, len;
	uint64_t group_id;
	char text[384];
	char reason[32];            /* ev->reason, "" when NULL */
};

struct hx {
	struct cxldcd_dev *dev;
	struct mem_registry *reg;
	struct mem_dev *md;
	struct hostlink *hl;
	char dir[64];
	char sock[96];
	char app_sock[96];
	uint64_t base[2];
	struct cxldcd_host *h;
	struct cxldcd_host_cfg hcfg;
	struct hx_ev ev[HX_MAX_EVENTS];
	unsigned nr_ev;
	uint32_t answered;          /* group_answered observer calls */
	uint32_t hl_port;           /* TCP listener, when asked */
	/*
	 * The hostlink's clock with hx_opts.fake_clock (ms; starts at
	 * HX_CLOCK_T0 and moves only when the test sets it); else unused and
	 * the hostlink runs on CLOCK_MONOTONIC.
	 */
	uint64_t clock_ms;
	struct hostlink_watch_ops watch;    /* hx_opts.round_ends */
	unsigned flush_asks;
	bool flush_asked;                   /* hostlink_flush() due at the end of the round */
};

#define HX_CLOCK_T0 1000u

/* Create device (2 regions x 256 MiB at DPA 0, 2 hosts), memory and server. */
void hx_init(struct hx *x, bool tcp);

/* Fixture options: TCP listener, device pending-group timeout, one more observer. */
struct hx_opts {
	bool tcp;
	uint64_t pending_timeout_ms;
	const struct core_observer *obs; /* borrowed; registered after the fixture's own */
	void *obs_opaque;
	bool trusted_hosts;              /* mem_dev_cfg.trusted: hosts get the backend fd */
	uint16_t nr_hosts;               /* 0: the default (2) */
	bool fake_clock;                 /* the hostlink runs on x->clock_ms */
	uint32_t move_timeout_ms;        /* hostlink_cfg's; 0: the default */
	uint32_t rbuf_idle_ms;           /* hostlink_cfg's; 0: the default */
	uint32_t hello_slice_us;         /* hostlink_cfg's; 0: the default */
	/* hostlink_cfg.move_fault and its opaque (a move's steps fail on demand); NULL: none */
	int (*move_fault)(void *opaque, enum hostlink_move_step step, uint16_t host);
	void *move_fault_opaque;
	uint64_t region_len;             /* both regions'; 0: 256 MiB (a multiple of it) */
	uint32_t evlog_depth;            /* the device's; 0: the default */
	uint32_t mbox_payload_size;      /* the device's; 0: the default (2048) */
	size_t max_out_bytes;            /* hostlink_cfg's; 0: the default */
	/*
	 * The hostlink gets watch ops with flush (a loop with round ends, as
	 * the daemon's): each pump round ends with hostlink_flush() when it
	 * was asked for (x->flush_asks counts the asks).
	 */
	bool round_ends;
};
void hx_init_opts(struct hx *x, const struct hx_opts *o);
void hx_fini(struct hx *x);

/* cmocka fixtures: a heap struct hx (Unix listener, or also TCP) in *state. */
int hx_setup(void **state);
int hx_setup_tcp(void **state);
/* A heap struct hx made with options o (borrowed) in *state; hx_teardown() frees it. */
int hx_setup_opts(void **state, const struct hx_opts *o);
int hx_teardown(void **state);
/* Default host config (host 0, accept all, events recorded in x->ev). */
void hx_host_cfg(struct hx *x, struct cxldcd_host_cfg *c);
/* Start a host with x->hcfg and pump until READY (asserts). */
void hx_host_start(struct hx *x);
void hx_host_stop(struct hx *x);
/* Pump both loops for up to ms, stopping early when idle (host idle, nothing moved). */
void hx_pump(struct hx *x, int ms);
/* CLOCK_MONOTONIC in milliseconds (deadlines). */
uint64_t hx_now_ms(void);
/*
 * One round of both loops that also polls the caller's @extra fds (@n;
 * their revents are set for the caller to serve) for up to timeout_ms.
 * Return whether anything moved (a hostlink or host fd was ready, or the
 * host has work in flight): false means both sides are idle.
 */
bool hx_pump_round(struct hx *x, struct pollfd *extra, size_t n, int timeout_ms);
/* hx_opts.round_ends: hostlink_flush() if the hostlink asked for it (pump rounds end so). */
void hx_round_end(struct hx *x);
/* Pump until an event of type t has been recorded (count > have) or ms passed. */
bool hx_pump_for(struct hx *x, enum cxldcd_host_event_type t, unsigned have, int ms);
unsigned hx_count(const struct hx *x, enum cxldcd_host_event_type t);
/* Index of the first recorded event of type t, or -1. */
int hx_first(const struct hx *x, enum cxldcd_host_event_type t);

/* Host 0's extents on the device (4801h's list): their count, their bytes in *bytes. */
uint32_t hx_device_holds(struct hx *x, uint64_t *bytes);
/* Force host 0 out of ranges r[n] (prescriptive) and let the agent read the records. */
void hx_force_out(struct hx *x, struct cxldcd_extent *r, uint32_t n);
/* Whether [p, p+len) of this process can be read (process_vm_readv: no fault taken). */
bool hx_readable(const void *p, size_t len);

struct cxldcd_extent hx_ext(uint64_t dpa, uint64_t len, const char *tag, uint16_t seq);
/* FM add (prescriptive) for host. */
enum cxldcd_rc hx_add(struct hx *x, uint16_t host, const struct cxldcd_extent *e, uint32_t n);
/* hx_add() of e[n] for host 0; the agent (started) reports the group added, then 200 ms more. */
void hx_add_group(struct hx *x, const struct cxldcd_extent *e, uint32_t n);
/* The entries of /proc/self/fd (a count to compare: fds leaked or not). */
unsigned hx_open_fds(void);
/* The agent's group of tag (text form); a failure when it has none. */
struct cxldcd_host_group_info hx_group_of(struct hx *x, const char *tag);
/* Inject a raw DC record into host's DC log. */
void hx_inject(struct hx *x, uint16_t host, uint8_t type, const struct cxldcd_extent *e, bool more);

/* The host's log, kept for a test to search: cfg.log_fn hx_log_to_buf, log_opaque a struct hx_log. */
struct hx_log {
	char text[8192];
	size_t len;
};
/* Append "<LEVEL>msg\n" while it fits (a line that does not is dropped whole). */
void hx_log_to_buf(void *opaque, int level, const char *msg);

/* A raw host-link client, for tests that play the host byte by byte. */
/* Connect to the Unix socket path (asserts): the fd. */
int hx_raw_connect(const char *path);
/*
 * Read one message from fd, no further (the next one stays in the socket),
 * pumping both loops for up to ms.  Return its type (payload in p, at most
 * cap bytes; its length in *len; its sequence number in *seq unless NULL),
 * -1 on EOF, 0 on timeout.
 */
int hx_raw_recv(struct hx *x, int fd, uint8_t *p, size_t cap, uint32_t *len, uint32_t *seq,
		int ms);
/* HELLO for host with flags: the HELLO_ACK's status, its flags in *ack_flags. */
uint16_t hx_raw_hello(struct hx *x, int fd, uint16_t host, uint8_t flags, uint32_t *ack_flags);
/*
 * An application's OPEN of tag on the agent's socket app (asserts success):
 * the first segment's fd, its file offset; the group's id and the number of
 * segments unless NULL.
 */
int hx_raw_app_open(struct hx *x, int app, const char *tag, uint64_t *file_offset, uint64_t *id,
		    unsigned *nr_segs);

#endif
