/* SPDX-License-Identifier: MIT */
/*
 * soak.h - what the parts of bench-soak share (bench-soak.c: the run and
 * its checks; soak-daemon.c: the daemon it starts, stops and measures;
 * soak-clients.c: the FM, QMP and host-agent clients and the patterns;
 * soak-ops.c: the operations of the random mix).
 */
#ifndef CXLDCD_BENCH_SOAK_H
#define CXLDCD_BENCH_SOAK_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cci/events.h"
#include "cci/fm-dcd.h"
#include "cci/msg.h"
#include "common/wire.h"
#include "cxldcd/cxldcd-host.h"
#include "cxldcd/spec.h"
#include "cxldcd/types.h"
#include "fm-client.h"
#include "util.h"

#ifndef CXLDCD_PATH
#define CXLDCD_PATH "cxldcd"
#endif

#define BLK (2ull << 20)
#define NDEV 2
#define D0_BLOCKS 256u            /* 512 MiB */
#define D1_BLOCKS 128u            /* 256 MiB */
#define MAXH 8
#define WAIT_S 60.0
#define PAGE 64u
#define MAX_OPEN 4                /* groups an application keeps open per agent */
#define MAX_MIN 64                /* table rows */

struct soak_daemon {
	pid_t pid;
	char dir[64];
	char fm[NDEV][128], host[NDEV][128], qmp[128], log[128], state[128], mem[NDEV][128];
	uint32_t nr_hosts;
	uint32_t starts;
	uint32_t bad_exits;        /* stops with a non-zero status */
	uint32_t san_reports;      /* sanitizer reports in the log */
};

/* The group touch() is at (for a fault's report); on: inside touch(). */
struct soak_touching {
	volatile bool on;
	volatile int hi, dv;
	volatile uint64_t id, size;
	void *volatile addr;
};

struct agent {
	struct cxldcd_host *h;
	struct { uint64_t id; double until; } open[MAX_OPEN];
	uint32_t nr_open;
};

/* Written-pattern set: open addressing on the key, never shrinks (keys are unique). */
#define WSET (1u << 16)

enum op {
	OP_FM_ADD, OP_FM_ADD_FREE, OP_FM_REL, OP_FM_FORCED, OP_QMP_ADD, OP_QMP_SHARE, OP_QMP_REL,
	OP_QMP_QUERY, OP_APP, OP_HOST_REL, OP_RECONNECT, OP_OBJECT, OP_QMP_CLIENT, OP_RESTART,
	NR_OPS
};

struct lat {
	uint64_t n, refused;
	double sum, max;
};

/* Live sharable tags of d1 (for enable-shared, releases). */
#define MAX_SH 64

struct sample {
	double t;
	long rss_kib;
	int fds;
	uint64_t state;
	uint64_t ops;
};

extern bool verbose;
extern uint64_t rng_state;
extern struct soak_daemon d;
extern bool keep_dir;
extern struct soak_touching touching;
extern struct fm_client fm[NDEV];
extern int qmp;
extern char *qbuf;
extern uint64_t base[NDEV];
extern struct agent ag[MAXH][NDEV];
extern uint64_t next_tag;
extern uint64_t patterns_written, patterns_verified, pattern_errors;
extern uint64_t host_failures;
extern uint64_t agent_errors;
extern const char *const op_name[NR_OPS];
extern struct lat lat_min[MAX_MIN][NR_OPS], lat_all[NR_OPS];
extern uint32_t minute;
extern struct cxldcd_extent lst[4096];
extern struct cxldcd_host_group_info grp[1024];
extern uint32_t restart_diffs;
extern bool settle_first;

/* soak-daemon.c */
uint32_t rnd(uint32_t n);
void cleanup(void);
void on_signal(int sig);
void on_fault(int sig, siginfo_t *si, void *uc);
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
void daemon_exec(void);
void daemon_term(void);
int daemon_connect(const char *path);
int count_fds(void);
uint64_t state_bytes(void);

/* soak-clients.c */
void qmp_send(int fd, const char *s);
int qmp_call_on(int fd, const char *cmd);
int qmp_open(void);
void tag_str(char out[37], uint64_t n);
uint64_t tag_num(const uint8_t t[CXLDCD_TAG_SIZE]);
bool still_whole(struct cxldcd_host *h, uint64_t id);
void touch(int hi, int dv, const struct cxldcd_host_group_info *g, void *addr, uint64_t size);
void agent_up(int hi, int dv);
void agent_down(int hi, int dv);
void pump_hosts(int timeout_ms);
void settle(void);
void connect_clients(void);
void connect_agents(void);
void connect_all(void);
void disconnect_agents(void);
void disconnect_clients(void);
void disconnect_all(void);
uint32_t fm_list(int dv, uint16_t h, struct cxldcd_extent *e, uint32_t cap);
uint16_t fm_add(int dv, uint16_t h, uint8_t policy, uint64_t blk, uint32_t nblk,
		uint64_t tagn);
uint16_t fm_release(int dv, uint16_t h, const struct cxldcd_extent *e, bool by_tag,
		    bool forced);
void fm_drain(int dv);

/* soak-ops.c */
void lat_add(enum op o, double t, bool refused);
void restart(void);
bool run_op(enum op o);
enum op pick(void);
bool daemon_sanitized(void);

#endif /* CXLDCD_BENCH_SOAK_H */
