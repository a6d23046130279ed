/* SPDX-License-Identifier: MIT */
/*
 * dproc.h - run the real cxldcd binary ($CXLDCD) in tests: a private temp
 * directory per daemon holding its QMP, FM and host-link sockets, its
 * stderr log and its --state directory; bounded waits; teardown that kills
 * and removes everything even after a failed assertion (dproc_reap_all()).
 */
#ifndef CXLDCD_TESTS_DPROC_H
#define CXLDCD_TESTS_DPROC_H

#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>

#include "qmp-client.h"

/*
 * DPROC_SANITIZED: 1 when this test (and so the daemon, built alike) runs
 * under AddressSanitizer, whose allocator keeps freed memory in quarantine:
 * RSS then says nothing about memory given back.
 */
#if defined(__SANITIZE_ADDRESS__)
#define DPROC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DPROC_SANITIZED 1
#endif
#endif
#ifndef DPROC_SANITIZED
#define DPROC_SANITIZED 0
#endif

struct dproc {
	pid_t pid;
	char dir[64];
	char qmp[128];      /* DIR/qmp.sock, always passed as -qmp */
	char fm[128];       /* DIR/fm.sock (pass "--fm", p->fm_arg to use it) */
	char fm_arg[140];   /* "unix:DIR/fm.sock" */
	char host[128];     /* DIR/host.sock */
	char state[128];    /* DIR/state */
	char log[128];      /* DIR/stderr.log */
	/*
	 * Run the daemon as this user and group (0: as the test).  Set after
	 * dproc_init(); the test gives it DIR (chown) first.
	 */
	uid_t uid;
	gid_t gid;
	/* Its RLIMIT_NOFILE, soft and hard, set before exec (0: the test's). */
	unsigned nofile;
};

/* Make the temp directory and the paths.  Return 0 or -errno. */
int dproc_init(struct dproc *p);
/*
 * Start cxldcd with --log-level=info -qmp unix:p->qmp and @args
 * (NULL-terminated), XDG_RUNTIME_DIR=p->dir (default sockets land in
 * DIR/cxldcd).  Return 0 or -errno.
 */
int dproc_start(struct dproc *p, const char *const *args);
/*
 * Start bin with @args (NULL-terminated, at most 30), stdout and stderr
 * appended to DIR/@name.log, killed when the test dies; as p's user and
 * group when @as_user (and p->uid is set), else as the test.  Its pid
 * (tracked for dproc_reap_all()), or -errno when fork() failed.
 */
pid_t dproc_spawn(const struct dproc *p, const char *bin, const char *name,
		  const char *const *args, bool as_user);
/*
 * dproc_spawn() with the child's RLIMIT_NOFILE, soft and hard, set to
 * @nofile before it drops to p's user (0: the test's, as dproc_spawn()).
 */
pid_t dproc_spawn_nofile(const struct dproc *p, const char *bin, const char *name,
			 const char *const *args, bool as_user, unsigned nofile);
/* Connect to p->qmp (retrying while it starts) and negotiate; NULL on failure. */
struct qmp_client *dproc_connect(struct dproc *p, int timeout_ms);
/* Connect a stream socket to the Unix socket @path, retrying while the daemon starts; -1 on timeout. */
int dproc_connect_unix(const char *path, int timeout_ms);
/* Wait for exit: exit status, or -1 on timeout or death by signal. */
int dproc_wait_exit(struct dproc *p, int timeout_ms);
/* SIGKILL and reap (the files stay). */
void dproc_kill9(struct dproc *p);
/*
 * The scheduler state of @pid's main thread (/proc/PID/stat): 'R' running,
 * 'S' sleeping, 'T' stopped, 'Z' exited and not yet reaped, ...; 0 when
 * there is no such process.
 */
char dproc_state(pid_t pid);
/*
 * The child processes of @pid's main thread (/proc/PID/task/PID/children:
 * a snapshot child, ...), or -1 when the kernel does not say.
 */
int dproc_children(pid_t pid);
/* SIGSTOP the daemon and wait until it is stopped (kill() returns before it is); -1 on timeout. */
int dproc_sigstop(struct dproc *p);
/* The stderr log (static buffer, last 64 KiB). */
const char *dproc_log(struct dproc *p);
/* The daemon's resident set (VmRSS) in KiB, or -1 when /proc does not say. */
long dproc_rss_kib(pid_t pid);
/* How often needle occurs in the file DIR/name (first 8 MiB; 0 when it cannot be read). */
int dproc_count_in(const struct dproc *p, const char *name, const char *needle);
/* Wait up to timeout_ms until DIR/name holds want of needle: how many it holds then. */
int dproc_wait_count(const struct dproc *p, const char *name, const char *needle, int want,
		     int timeout_ms);
/* Kill every daemon started and remove every directory made (a teardown). */
int dproc_reap_all(void **state);
/* Leave a process or a directory a test made by itself to dproc_reap_all() too. */
void dproc_track_pid(pid_t pid);
void dproc_track_dir(const char *dir);

#endif
