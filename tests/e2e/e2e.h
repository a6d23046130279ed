/* SPDX-License-Identifier: MIT */
/*
 * e2e.h - end-to-end tests with real processes (docs/e2e.md): the cxldcd
 * daemon ($CXLDCD, via tests/support/dproc) and cxldcd-host agents
 * ($CXLDCD_HOST, fork/exec), driven the way users drive them: QMP for the
 * orchestrator, the agents' application sockets (cxldcd_app_*) for
 * applications, and the agents' stdout (one line per host event) for what
 * the hosts saw.
 *
 * Every wait is bounded (E2E_TMO unless told); a per-test watchdog (alarm)
 * kills every process the test started and fails the test if it hangs; the
 * teardown kills and removes everything even after a failed assertion.
 */
#ifndef CXLDCD_TESTS_E2E_H
#define CXLDCD_TESTS_E2E_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "cxldcd/cxldcd-host.h"
#include "dproc.h"

#define E2E_TMO 5000            /* ms: any single wait */
#define E2E_WATCHDOG_S 40       /* s: one whole test */
#define MiB (1024ull * 1024ull)

#define TAG_A "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define TAG_B "0b0e0f2a-7d8e-4c1f-9a3b-5c6d7e8f9a0b"
#define TAG_C "0e4a0b4c-1f2a-4d55-9a8e-31e0c8a1b2c3"

#define DEV_ID "d0"
#define DEV_PATH "/machine/peripheral/" DEV_ID

#define E2E_MAX_AGENTS 2

/* One cxldcd-host agent process. */
struct agent {
	pid_t pid;
	uint16_t host;
	char sock[160];             /* its --agent-socket */
	char out[160];              /* its stdout: "EVENT tag=UUID|- TEXT" per line */
	char err[160];              /* its stderr */
	const char *opts[12];       /* extra options, kept for restarts */
	int exit_status;            /* after agent_wait_exit(): exit code, 128+signal */
};

struct e2e {
	struct dproc d;
	struct qmp_client *c;
	struct agent ag[E2E_MAX_AGENTS];
	bool with_state;            /* set before starting: the daemon runs with --state DIR/state */
	char device[512];           /* the daemon's arguments, kept for e2e_restart_daemon() */
	char more[40][256];
	unsigned nr_more;
};

/*
 * Setup/teardown for cmocka: *state = a struct e2e; the watchdog is armed.
 * e2e_teardown() kills the agents (SIGKILL), then the daemon, and removes
 * the temporary directory.
 */
int e2e_setup(void **state);
int e2e_teardown(void **state);

/*
 * Start the daemon with "-device DEVICE" (cxl-type3,id=d0,...) plus the
 * extra arguments @more (NULL-terminated, may be NULL), --host-socket, and
 * connect QMP.  Memory backends: give them in @more ("-object", ...).
 */
void e2e_start_daemon(struct e2e *e, const char *device, const char *const *more);
/*
 * Stop the daemon (kill9: SIGKILL, else SIGTERM and a clean exit) and start
 * it again with the same arguments (and --state when with_state); QMP is
 * reconnected.  The agents are left alone.
 */
void e2e_restart_daemon(struct e2e *e, bool kill9);
/* The tag-backed device most tests use, with backends for TAG_A/B/C (64 MiB each, memfd). */
void e2e_start_default(struct e2e *e, const char *device_extra);

/*
 * Start agent @i as host @host: cxldcd-host --connect HOST.SOCK --host-id
 * @host --agent-socket DIR/agentN.sock @opts...  Waits for its "ready" line.
 * @opts (NULL-terminated, may be NULL) are kept for agent_restart().
 */
struct agent *agent_start(struct e2e *e, unsigned i, uint16_t host, const char *const *opts);
/* Start agent i again with the same options (after it exited or was killed). */
void agent_restart(struct e2e *e, unsigned i, bool wait_ready);
/* Send sig and reap.  Return the exit status as agent_wait_exit(). */
int agent_kill(struct agent *a, int sig);
/* Wait for the agent to exit on its own: exit code, 128+signal, -1 on timeout. */
int agent_wait_exit(struct agent *a, int timeout_ms);
/* True while the agent process runs. */
bool agent_alive(struct agent *a);
/* Number of stdout lines starting with "EVENT " (e.g. "group-added"). */
unsigned agent_count(struct agent *a, const char *event);
/*
 * Wait until there are more than @have lines of @event; true if so.  When
 * @text is non-NULL, the (have+1)-th such line must contain it (asserted).
 */
bool agent_wait(struct agent *a, const char *event, unsigned have, const char *text,
		int timeout_ms);
/* The agent's stdout and stderr (static buffer), for failure messages. */
const char *agent_log(struct agent *a);
/* Wait until the daemon shows the host (dis)connected on the host link. */
void wait_connected(struct e2e *e, uint16_t host, bool want);

/* ---- QMP ---------------------------------------------------------------- */

/* Run a command that must succeed; returns the whole reply (caller decrefs; RET(r) is its value). */
#define RET(r) json_object_get((r), "return")
json_t *qmp_ok(struct e2e *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run a command that must fail; returns its error desc (static copy). */
const char *qmp_err(struct e2e *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cxl-add-dynamic-capacity; @extents is a JSON list ("[{\"offset\":0,\"len\":2097152}]"). */
void dc_add(struct e2e *e, uint16_t host, const char *policy, const char *tag, const char *extents);
/* cxl-release-dynamic-capacity tag-based for the whole tag. */
void dc_release_tag(struct e2e *e, uint16_t host, const char *tag, bool forced);
/* cxl-release-dynamic-capacity-status: "pending", "committed", ... (static copy). */
const char *dc_status(struct e2e *e, uint16_t host, const char *tag);
/* Poll the status until it is @want; asserts. */
void dc_wait_status(struct e2e *e, uint16_t host, const char *tag, const char *want);

struct host_state {
	uint64_t generation;
	size_t nr_extents, nr_pending;
	uint64_t bytes;
	int connected;
};
/* The host's entry of query-cxl-dynamic-capacity. */
struct host_state dc_host(struct e2e *e, uint16_t host);

/*
 * The next QMP event @name for @host (events of that name for other hosts
 * are skipped); NULL on timeout.  Caller decrefs.
 */
json_t *dc_event(struct e2e *e, const char *name, uint16_t host, int timeout_ms);
/* dc_event() that must arrive; returns its "data" member's integer @key (or -1). */
json_int_t dc_expect_event(struct e2e *e, const char *name, uint16_t host, const char *key);

/* cxl-inject-fault (fault "none" clears). */
void inject_fault(struct e2e *e, uint16_t host, const char *fault, uint32_t count);
/* Active faults of host from query-cxl-faults (bit mask of cci_fault_parse() values). */
uint32_t faults_of(struct e2e *e, uint16_t host);

/* ---- applications (the agent's app socket) ------------------------------ */

struct cxldcd_app *app_connect(struct agent *a);
/* Groups listed by the agent; @g (may be NULL) receives the one with @tag. Return the count. */
int app_groups(struct cxldcd_app *app, const char *tag, struct cxldcd_host_group_info *g);
/* Open @tag; return 0 or -errno. */
int app_open(struct cxldcd_app *app, const char *tag, struct cxldcd_app_map *m);

/* Monotonic ms. */
uint64_t e2e_now_ms(void);

#endif
