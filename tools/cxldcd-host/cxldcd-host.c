/* SPDX-License-Identifier: MIT */
/*
 * cxldcd-host - the host agent CLI over libcxldcd-host.
 *
 *   cxldcd-host [--connect PATH | --tcp HOST:PORT] --host-id N
 *               [--accept all|none|tags=UUID[,UUID...]|limit=SIZE]
 *               [--agent-socket PATH [--agent-socket-mode MODE]
 *                [--agent-socket-group GROUP] [--group-access RULE]...
 *                [--group-access-file PATH]]
 *               [--chain-timeout MS] [--chain-cap N]
 *               [--seq-one-based] [--no-mapping] [--wait SECONDS] [-v|--verbose]
 *       run the agent: one line per event on stdout, until SIGINT/SIGTERM;
 *       when the device goes away it reconnects with backoff and replays
 *       (link-closed: clean stop of the daemon; link-lost: crash);
 *       without --connect or --tcp, the daemon's default host link
 *       (src/common/rundir.c: $XDG_RUNTIME_DIR/cxldcd/host.sock, else
 *       /tmp/cxldcd-$UID/host.sock); a device that is still restoring
 *       its --state answers HELLO "starting": the agent tries again for up
 *       to --wait SECONDS (default 60, 0: fail at once); who may connect to
 *       the application socket and open which group: --agent-socket-mode,
 *       --agent-socket-group, --group-access, --group-access-file (read
 *       again at SIGHUP; docs/host.md)
 *   cxldcd-host --agent-socket PATH list
 *   cxldcd-host --agent-socket PATH fill GROUP PATTERN
 *   cxldcd-host --agent-socket PATH verify GROUP PATTERN
 *       one-shot commands through a running agent's application socket;
 *       GROUP is a tag (UUID) or id=N (untagged groups), PATTERN is 0xHEX
 *       (bytes) or text (docs/host.md)
 *   cxldcd-host [--connect PATH | --tcp HOST:PORT] --host-id N [--no-mapping]
 *               static-fill|static-verify DPA LEN PATTERN
 *       one-shot: connect as host N (no agent of that host may run), fill
 *       or verify [DPA, DPA+LEN) of the device's static capacity
 *       (volatile-memdev, persistent-memdev), mapped or by the slow path
 *
 * Exit status: 0 success, 1 failure (link, device, verify mismatch), 2 bad
 * arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/quote.h"
#include "common/rundir.h"
#include "cxldcd/cxldcd-host.h"

/*
 * Command-line text quoted in an error, escaped (cx_quote()): a value with
 * a control byte cannot act on the terminal or split the line.  Room for any
 * path (PATH_MAX) escaped whole; the buffer lives to the end of the call.
 */
#define QUOTE_ROOM (4u * 4096u + 1u)
#define Q(s) cx_quote((char[QUOTE_ROOM]){ 0 }, QUOTE_ROOM, (s))

#define CXLDCD_HOST_VERSION "0.1.0"
#define PATTERN_MAX 4096
/* --wait: how long a device that answers "starting" is waited for, seconds. */
#define WAIT_DEFAULT_S 60u

static volatile sig_atomic_t stop;
static volatile sig_atomic_t reload;    /* SIGHUP: read the access rules again */

/* What the agent connected to and the last fatal event, for the final message. */
static struct {
	const char *link;          /* "unix:PATH" or "tcp:HOST:PORT" */
	unsigned host_id;
	char failed[384];
	struct cxldcd_host *h;     /* the connection, for the ready line's static capacity */
} agent;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cxldcd-host [--connect PATH | --tcp HOST:PORT] --host-id N\n"
		"                   [--accept all|none|tags=UUID[,UUID...]|limit=SIZE]\n"
		"                   [--agent-socket PATH [--agent-socket-mode MODE]\n"
		"                    [--agent-socket-group GROUP] [--group-access RULE]...\n"
		"                    [--group-access-file PATH]]\n"
		"                   [--chain-timeout MS] [--chain-cap N]\n"
		"                   [--seq-one-based] [--no-mapping] [--wait SECONDS] [-v|--verbose]\n"
		"       cxldcd-host --agent-socket PATH list\n"
		"       cxldcd-host --agent-socket PATH fill GROUP PATTERN\n"
		"       cxldcd-host --agent-socket PATH verify GROUP PATTERN\n"
		"       cxldcd-host [--connect PATH | --tcp HOST:PORT] --host-id N [--no-mapping]\n"
		"                   static-fill|static-verify DPA LEN PATTERN\n"
		"       cxldcd-host -h|--help | -V|--version\n"
		"\n"
		"Without --connect or --tcp the agent connects to the default host link,\n"
		"$XDG_RUNTIME_DIR/cxldcd/host.sock (/tmp/cxldcd-$UID/host.sock without\n"
		"XDG_RUNTIME_DIR).  --accept defaults to all.  GROUP: a tag (UUID) or id=N\n"
		"from 'list' (untagged groups).  PATTERN: 0xHEX is bytes (0xa5 is the byte\n"
		"A5h, 0xdeadbeef four bytes), anything else its text; repeated over the group.\n"
		"--wait: while the device restores its state it answers \"starting\"; the\n"
		"agent tries again for up to SECONDS (default 60; 0: fail at once).\n"
		"--agent-socket-mode MODE (octal, default 0600; 0660 lets GROUP connect)\n"
		"and --agent-socket-group GROUP: who may connect to the application socket\n"
		"(or one line 'socket,mode=MODE,group=GROUP' of --group-access-file), set\n"
		"again at SIGHUP (connections of users it no longer lets in are closed).\n"
		"--group-access 'tag=UUID|untagged|all,owner=USER,group=GROUP,mode=0640'\n"
		"(repeatable): who may open which group, as a dax device's owner, group\n"
		"and mode; read lists and opens read-only (verify), read+write opens\n"
		"writable (fill); root may do everything.  Default: owner the agent's\n"
		"user, mode 0600.  --group-access-file PATH: more rules, one per line\n"
		"('#' comments), read again at SIGHUP (opens they no longer allow are\n"
		"revoked; a bad file leaves the rules in force).\n"
		"See docs/host.md.\n");
}

__attribute__((format(printf, 1, 2)))
static int bad_args(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cxldcd-host: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	return 2;
}

static int parse_u64(const char *s, uint64_t *out, bool suffix)
{
	char *end;
	unsigned long long v;

	/* a digit first: strtoull() would take blanks and a sign, wrapping a negative number */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (suffix && *end) {
		unsigned shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20
				 : *end == 'G' || *end == 'g'                       ? 30
										    : 64;

		if (shift == 64 || end[1] || v > (UINT64_MAX >> shift))
			return -EINVAL;
		v <<= shift;
		end++;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* MODE: 1 to 4 octal digits ("0660"); the library says which bits may be set. */
static int parse_octal(const char *s, uint64_t *out)
{
	size_t n = strlen(s);

	if (!n || n > 4 || strspn(s, "01234567") != n)
		return -EINVAL;
	*out = strtoull(s, NULL, 8);
	return 0;
}

/*
 * A CXL RAS error the library read and cleared: one line in the shape of
 * Linux's cxl_aer_uncorrectable_error / cxl_aer_correctable_error trace
 * events (TP_printk), memdev memN for host id N, host the link.
 */
static void print_ras(const struct cxldcd_host_event *ev)
{
	bool unc = ev->type == CXLDCD_HOST_EV_RAS_UNCORRECTABLE;

	printf("cxl_aer_%s_error: memdev=mem%u host=%s serial=%llu: %s\n",
	       unc ? "uncorrectable" : "correctable", agent.host_id, agent.link,
	       (unsigned long long)ev->ras->serial, ev->text);
	fflush(stdout);
}

/*
 * One line of the agent on stdout: NAME, tag= (the group's tag, "-" for none:
 * cxldcd_host_group_tag_format()) and the text, flushed, as every event and
 * every line of the agent's own (starting, static, link-lost, rules-kept ...).
 */
__attribute__((format(printf, 3, 4)))
static void say(const char *name, const struct cxldcd_host_group_info *g, const char *fmt, ...)
{
	char tag[37];
	va_list ap;

	cxldcd_host_group_tag_format(g, tag);
	printf("%s tag=%s ", name, tag);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void on_event(void *opaque, const struct cxldcd_host_event *ev)
{
	(void)opaque;
	if (ev->ras) {
		print_ras(ev);
		return;
	}
	if (ev->type == CXLDCD_HOST_EV_FAILED && ev->err == -EAGAIN) {
		/* the device is restoring its state: run_agent() tries again */
		say("starting", NULL, "%s", ev->text ? ev->text : "device is starting");
		snprintf(agent.failed, sizeof(agent.failed), "%s", ev->text ? ev->text : "");
		return;
	}
	say(cxldcd_host_event_name(ev->type), ev->group, "%s", ev->text ? ev->text : "");
	if (ev->type == CXLDCD_HOST_EV_READY && agent.h) {
		struct cxldcd_host_dev_info di;

		/* static capacity: every host's, at DPA 0 (docs/host.md) */
		if (!cxldcd_host_get_dev_info(agent.h, &di) && cxldcd_host_static_size(agent.h))
			say("static", NULL, "dpa=0x0 len=0x%llx %s",
			    (unsigned long long)cxldcd_host_static_size(agent.h),
			    di.mapping ? "mapped" : "slow-path");
	}
	if (ev->type == CXLDCD_HOST_EV_FAILED && ev->text)
		snprintf(agent.failed, sizeof(agent.failed), "%s", ev->text);
}

/*
 * -v: the library's log on stderr with syslog level names.  Events are not
 * in it (cxldcd_host_set_log_events(false) at every connect): on_event()
 * prints them on stdout, once.
 */
static void on_log(void *opaque, int level, const char *msg)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error", "warning",
					      "notice", "info", "debug" };

	(void)opaque;
	fprintf(stderr, "cxldcd-host: %s: %s\n", names[level & 7], msg);
}

/* What to do about a link failure @rc (-errno), after what it was. */
static const char *link_hint(int rc, bool connecting)
{
	switch (rc) {
	case -ENOENT:
		return connecting ? "is cxldcd running?  It prints its host link ('host link: listening on ...'); give that path with --connect"
				  : "this host id does not exist on the device: use --host-id 0..num-hosts-1 (cxldcd-ctl list shows the hosts)";
	case -ECONNREFUSED:
		return connecting ? "nobody listens there (a stale socket file?): start cxldcd, or check --connect/--tcp"
				  : "the device refused the connection";
	case -EBUSY:
		return "another agent is connected with this host id: stop it, or use another --host-id";
	case -EACCES:
	case -EPERM:
		return "the socket belongs to another user (cxldcd makes it mode 0600): run as that user";
	case -EPROTONOSUPPORT:
		return "the daemon speaks another host-link version: use the cxldcd-host of the same release";
	case -ECONNRESET:
	case -EPIPE:
		return "the daemon closed the link (stopped or restarted?)";
	case -EAGAIN:
		return "the device was still restoring its state (--state replay) when --wait ran out: give it longer with --wait SECONDS";
	default:
		return NULL;
	}
}

static int link_failed(const char *what, int rc, bool connecting)
{
	const char *hint = link_hint(rc, connecting);

	fprintf(stderr, "cxldcd-host: %s %s (host=%u): %s%s%s\n", what, agent.link, agent.host_id,
		agent.failed[0] ? agent.failed : strerror(-rc), agent.failed[0] ? ": " : "",
		agent.failed[0] ? strerror(-rc) : "");
	if (hint)
		fprintf(stderr, "cxldcd-host: %s\n", hint);
	return 1;
}

/* --accept all|none|tags=UUID,...|limit=SIZE */
static int parse_accept(const char *s, struct cxldcd_host_cfg *c, uint8_t (**tags)[16])
{
	if (!strcmp(s, "all")) {
		c->accept = CXLDCD_HOST_ACCEPT_ALL;
	} else if (!strcmp(s, "none")) {
		c->accept = CXLDCD_HOST_ACCEPT_NONE;
	} else if (!strncmp(s, "limit=", 6)) {
		c->accept = CXLDCD_HOST_ACCEPT_LIMIT;
		return parse_u64(s + 6, &c->accept_limit, true);
	} else if (!strncmp(s, "tags=", 5)) {
		char *copy = strdup(s + 5), *save = NULL, *tok;
		uint32_t n = 0;

		if (!copy)
			return -ENOMEM;
		free(*tags);    /* a second --accept tags= replaces the first */
		*tags = calloc(strlen(s) / 36 + 1, 16);
		for (tok = strtok_r(copy, ",", &save); tok && *tags; tok = strtok_r(NULL, ",", &save))
			if (cxldcd_tag_parse(tok, (*tags)[n++])) {
				free(copy);
				return -EINVAL;
			}
		free(copy);
		if (!n)
			return -EINVAL;
		c->accept = CXLDCD_HOST_ACCEPT_TAGS;
		c->accept_tags = (const uint8_t (*)[16]) * tags;
		c->nr_accept_tags = n;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* A loss of the link, not a refusal of the device: worth reconnecting. */
static bool link_lost(int err)
{
	return err == -ECONNRESET || err == -ESHUTDOWN || err == -ETIMEDOUT || err == -EPIPE ||
	       err == -ECONNREFUSED || err == -ENOENT || err == -EBUSY || err == -EAGAIN ||
	       err == -EMFILE || err == -ENFILE;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sleep up to ms, waking on a stop signal. */
static void nap(unsigned ms)
{
	for (unsigned t = 0; t < ms && !stop; t += 50)
		poll(NULL, 0, 50);
}

/*
 * Where the agent's access rules come from: the command line (socket mode
 * and group, --group-access rules, as given) and --group-access-file, read
 * at start and again at each SIGHUP.
 */
struct access_src {
	const char *sock_mode, *sock_group;
	const char **rules;
	unsigned nr_rules;
	const char *file;
};

/* A rules file: a regular file of at most 1 MiB.  *text (caller frees), *len; 0 or -errno. */
static int read_rules_file(const char *path, char **text, size_t *len, char *why, size_t cap)
{
	const size_t max = 1u << 20;
	struct stat st;
	size_t have = 0;
	char *buf = NULL;
	int fd, rc = 0;

	/* O_NONBLOCK: a FIFO there must not hold the agent (it is refused below) */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(why, cap, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		rc = -EINVAL;
		snprintf(why, cap, "%s", S_ISREG(st.st_mode) ? "larger than 1 MiB" : "not a regular file");
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		rc = -ENOMEM;
		snprintf(why, cap, "out of memory");
	}
	while (!rc && have <= (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size + 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(why, cap, "%s", strerror(errno));
		} else if (n == 0) {
			break;
		} else {
			have += (size_t)n;
		}
	}
	if (!rc && have > (size_t)st.st_size) {
		rc = -EAGAIN;   /* it grew while read: a writer is at it */
		snprintf(why, cap, "it changed while it was read");
	}
	if (fd >= 0)
		close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	*text = buf;
	*len = have;
	return 0;
}

/*
 * The rules of src, built anew (names resolved now): 0 and *out (caller
 * frees), or -errno and why (naming the option or the file's line).
 */
static int build_access(const struct access_src *src, struct cxldcd_host_access **out, char *why,
			size_t cap)
{
	struct cxldcd_host_access *acc;
	char err[256];
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (cxldcd_host_access_new(&acc)) {
		snprintf(why, cap, "out of memory");
		return -ENOMEM;
	}
	if (src->sock_mode || src->sock_group) {
		uint64_t mode = 0600;

		if (src->sock_mode && parse_octal(src->sock_mode, &mode)) {
			rc = -EINVAL;
			snprintf(why, cap, "--agent-socket-mode '%s': expected an octal mode such as 0660",
				 Q(src->sock_mode));
			goto err;
		}
		rc = cxldcd_host_access_set_socket(acc, (uint32_t)mode, src->sock_group, err, sizeof(err));
		if (rc) {
			snprintf(why, cap, "--agent-socket-%s '%s': %s", src->sock_group ? "group" : "mode",
				 src->sock_group ? src->sock_group : src->sock_mode, err);
			goto err;
		}
	}
	for (unsigned i = 0; i < src->nr_rules; i++) {
		rc = cxldcd_host_access_add_rule(acc, src->rules[i], err, sizeof(err));
		if (rc) {
			snprintf(why, cap, "--group-access '%s': %s", Q(src->rules[i]), err);
			goto err;
		}
	}
	if (src->file) {
		rc = read_rules_file(src->file, &text, &len, err, sizeof(err));
		if (!rc)
			rc = cxldcd_host_access_load(acc, text, len, err, sizeof(err));
		free(text);
		if (rc) {
			snprintf(why, cap, "--group-access-file %s: %s", Q(src->file), err);
			goto err;
		}
	}
	*out = acc;
	return 0;
err:
	cxldcd_host_access_free(acc);
	return rc;
}

/*
 * SIGHUP: the rules of src again, all of them parsed before any is used.
 * Good: in force (the connection's, when there is one: opens they no longer
 * allow are revoked) and for later connections (*acc).  Bad: the rules in
 * force stay, and the agent says why.
 */
static void reload_access(struct cxldcd_host *h, const struct access_src *src,
			  struct cxldcd_host_access **acc)
{
	struct cxldcd_host_access *na;
	char why[600];
	int rc = build_access(src, &na, why, sizeof(why));

	if (rc) {
		say("rules-kept", NULL, "SIGHUP: %s: the rules in force stay", why);
		fprintf(stderr, "cxldcd-host: SIGHUP: %s: the rules in force stay\n", why);
		return;
	}
	rc = h ? cxldcd_host_set_access(h, na) : 0;
	if (rc < 0) {
		const char *hint = rc == -EPERM ? " (the socket's group: the agent's user is not in it)"
						: "";

		say("rules-kept", NULL, "SIGHUP: --agent-socket: %s%s: the rules in force stay",
		    strerror(-rc), hint);
		fprintf(stderr, "cxldcd-host: SIGHUP: --agent-socket: %s%s: the rules in force stay\n",
			strerror(-rc), hint);
		cxldcd_host_access_free(na);
		return;
	}
	cxldcd_host_access_free(*acc);
	*acc = na;
	say("rules-reloaded", NULL, "%s%s%s%u --group-access rule%s: %d open%s revoked",
	    src->file ? "--group-access-file " : "", src->file ? src->file : "",
	    src->file ? " and " : "", src->nr_rules, src->nr_rules == 1 ? "" : "s", rc,
	    rc == 1 ? "" : "s");
}

/*
 * Connect (again) and serve the application socket.  Return 0, the -errno
 * of the connection, or 1 when the application socket failed (said on
 * stderr); *h is NULL unless 0.
 */
static int agent_connect(const struct cxldcd_host_cfg *c, const char *agent_sock,
			 const struct cxldcd_host_access *acc, struct cxldcd_host **h)
{
	int rc = cxldcd_host_new(c, h);

	if (rc) {
		*h = NULL;
		return rc;
	}
	cxldcd_host_set_log_events(*h, false);
	agent.h = *h;
	if (agent_sock && (rc = cxldcd_host_serve_apps_access(*h, agent_sock, acc))) {
		fprintf(stderr, "cxldcd-host: --agent-socket %s: %s%s\n", agent_sock, strerror(-rc),
			rc == -EADDRINUSE ? " (another agent serves it: stop it or choose another path)"
			: rc == -EPERM ? " (--agent-socket-group: the agent's user is not in that group)"
				       : "");
		cxldcd_host_free(*h);
		*h = NULL;
		return 1;
	}
	return 0;
}

/*
 * The agent survives its device: when the link is lost (crash, kill -9) or
 * the device closes it cleanly (the daemon stops), it reconnects with
 * backoff (100 ms doubling to 2 s) and bring-up replays what the device
 * holds (4801h) and drains its log, as after a restart of the agent.  A
 * device the bring-up refuses ends the agent (exit 1).  Before the first
 * bring-up, a device that answers "starting" (-EAGAIN: it replays its
 * --state) is tried again the same way for up to @wait_s seconds.
 */
static int run_agent(struct cxldcd_host_cfg *c, const char *agent_sock,
		     const struct access_src *src, struct cxldcd_host_access **acc, unsigned wait_s)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct cxldcd_host *h;
	unsigned backoff = 100;
	bool was_ready = false;
	double deadline = mono_s() + wait_s;
	int rc;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (agent_sock)
		sigaction(SIGHUP, &sa, NULL);   /* else SIGHUP stops the agent, as it did */
	rc = agent_connect(c, agent_sock, *acc, &h);
	if (rc) {
		if (rc < 0)
			link_failed("cannot connect to", rc, true);
		return 1;
	}
	while (!stop) {
		struct pollfd p = { .fd = cxldcd_host_get_fd(h), .events = POLLIN };

		poll(&p, 1, 200);
		if (reload) {
			reload = 0;
			reload_access(h, src, acc);
		}
		rc = cxldcd_host_process(h);
		if (cxldcd_host_get_state(h) == CXLDCD_HOST_READY) {
			was_ready = true;
			backoff = 100;
		}
		if (rc >= 0)
			continue;
		cxldcd_host_free(h);
		h = NULL;
		if (rc == -EAGAIN && !was_ready) {      /* starting (on_event said so): wait */
			if (mono_s() >= deadline)
				return link_failed("link to", rc, false);
		} else if (!was_ready || !link_lost(rc)) {
			return link_failed("link to", rc, false);
		} else if (rc != -EAGAIN) {
			if (rc == -ESHUTDOWN)
				say("link-closed", NULL, "device closed the link cleanly, reconnecting");
			else
				say("link-lost", NULL, "link lost: %s, reconnecting", strerror(-rc));
			if (rc == -ESHUTDOWN)
				fprintf(stderr, "cxldcd-host: device closed the link cleanly, reconnecting\n");
			else
				fprintf(stderr, "cxldcd-host: link lost: %s, reconnecting\n", strerror(-rc));
		}
		if (rc == -EMFILE || rc == -ENFILE)
			backoff = 2000;   /* out of fds: not in a tight loop, whatever state it reached */
		while (!stop && !h) {
			nap(backoff);
			backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
			if (stop)
				break;
			if (reload) {
				reload = 0;
				reload_access(NULL, src, acc);
			}
			rc = agent_connect(c, agent_sock, *acc, &h);
			if (rc > 0)
				return 1;
			if (rc && (!link_lost(rc) || (!was_ready && mono_s() >= deadline)))
				return link_failed("cannot reconnect to", rc, true);
		}
		if (h)
			agent.failed[0] = '\0';
		if (h && was_ready)
			say("reconnected", NULL, "host=%u", c->host_id);
	}
	cxldcd_host_free(h);
	return 0;
}

static int cmd_list(struct cxldcd_app *app)
{
	struct cxldcd_host_group_info g[1024];
	int n = cxldcd_app_list(app, g, 1024);

	if (n < 0) {
		fprintf(stderr, "cxldcd-host: list: %s\n", strerror(-n));
		return 1;
	}
	for (int i = 0; i < n && i < 1024; i++) {
		char tag[37];

		cxldcd_host_group_tag_format(&g[i], tag);
		printf("id=%llu tag=%s size=0x%llx extents=%u open=%u%s%s%s\n",
		       (unsigned long long)g[i].id, tag, (unsigned long long)g[i].size,
		       g[i].nr_extents, g[i].open_count, g[i].mapped ? " mapped" : "",
		       g[i].release_pending ? " release-pending" : "", g[i].revoked ? " revoked" : "");
	}
	return 0;
}

/* GROUP: a tag (UUID), or id=N / N (a group id from 'list', tagged or not). */
static int parse_group(const char *s, uint8_t tag[16], uint64_t *id)
{
	const char *num = !strncmp(s, "id=", 3) ? s + 3 : s;

	*id = 0;
	if (!cxldcd_tag_parse(s, tag))
		return 1;
	if (*num >= '0' && *num <= '9' && !parse_u64(num, id, false) && *id)
		return 0;
	return -EINVAL;
}

/*
 * PATTERN: "0x" and an even number of hex digits is those bytes ("0xa5" is
 * the byte A5h); anything else is its own text.  Return the length, or
 * -EINVAL.
 */
static int parse_pattern(const char *s, uint8_t out[PATTERN_MAX])
{
	size_t n = strlen(s);

	if (!n || n > PATTERN_MAX)
		return -EINVAL;
	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) {
		memcpy(out, s, n);
		return (int)n;
	}
	s += 2;
	n = strlen(s);
	if (!n || n % 2)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		int hi = cx_hex_digit(s[i]), lo = cx_hex_digit(s[i + 1]);

		if (hi < 0 || lo < 0)   /* strtoul() took "\t5" as 05 */
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

#define MAX_RUNS 4096

struct run {
	uint64_t off, len;
};

/*
 * The readable runs of [base, base+size), offsets from base, in order, from
 * /proc/self/maps: a group a forced release took part of maps its revoked
 * pieces inaccessible (PROT_NONE) at their offsets (docs/host.md).  Return
 * the number of runs (at most cap), or -errno.
 */
static int readable_runs(const void *base, uint64_t size, struct run *r, int cap)
{
	uint64_t lo = (uint64_t)(uintptr_t)base, hi = lo + size;
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b;
		char perms[5];

		if (sscanf(line, "%llx-%llx %4s", &a, &b, perms) != 3 || perms[0] != 'r' ||
		    b <= lo || a >= hi)
			continue;
		a = a < lo ? lo : a;
		b = b > hi ? hi : b;
		if (n && r[n - 1].off + r[n - 1].len == a - lo) {
			r[n - 1].len += b - a; /* the kernel splits one mapping at its own will */
			continue;
		}
		if (n == cap) {
			fclose(f);
			return -E2BIG;
		}
		r[n++] = (struct run){ a - lo, b - a };
	}
	fclose(f);
	return n;
}

static int cmd_fill_verify(struct cxldcd_app *app, bool verify, const char *group,
			   const char *pattern)
{
	static struct run runs[MAX_RUNS];
	uint64_t done = 0;
	int nr;
	uint8_t tag[16], pat[PATTERN_MAX];
	struct cxldcd_app_map m;
	int plen = parse_pattern(pattern, pat), by_tag;
	uint64_t bad = 0, id;
	char name[48];
	int rc;

	by_tag = parse_group(group, tag, &id);
	/* the group as list and the events name it ("tag=UUID", "id=N"), whatever was typed */
	if (by_tag == 1) {
		memcpy(name, "tag=", 4);
		cxldcd_tag_format(tag, name + 4);
	} else {
		snprintf(name, sizeof(name), "id=%llu", (unsigned long long)id);
	}
	/* verify only reads: a read-only grant is enough, and its fds are O_RDONLY */
	rc = cxldcd_app_open_flags(app, by_tag == 1 ? tag : NULL, id,
				   verify ? CXLDCD_APP_OPEN_READ_ONLY : 0, &m);
	if (rc) {
		fprintf(stderr, "cxldcd-host: %s %s: %s", verify ? "verify" : "fill", name,
			strerror(-rc));
		if (rc == -ENOENT)
			fprintf(stderr, " (no such group: 'cxldcd-host --agent-socket PATH list' shows them)");
		else if (rc == -EBUSY)
			fprintf(stderr, " (the device asked for it back, or took all of it; it can no longer be opened)");
		else if (rc == -ENODEV)
			fprintf(stderr, " (not mapped: the agent uses the slow path, --tcp or --no-mapping)");
		else if (rc == -EACCES && cxldcd_app_open_denied(app) == CXLDCD_APP_DENIED_SHARED_FILE)
			fprintf(stderr, " (group %s has no file of its own: it shares one with the host's "
				"other groups, and the agent's --group-access rules do not let uid %u %s "
				"all of them; the agent's access-denied line says why)",
				name, (unsigned)getuid(), verify ? "read" : "write");
		else if (rc == -EACCES)
			fprintf(stderr, " (the agent's --group-access rules do not let uid %u %s group %s)",
				(unsigned)getuid(), verify ? "read" : "write", name);
		fputc('\n', stderr);
		return 1;
	}
	nr = readable_runs(m.addr, m.size, runs, MAX_RUNS);
	if (nr < 0) {
		fprintf(stderr, "cxldcd-host: %s %s: reading /proc/self/maps: %s\n",
			verify ? "verify" : "fill", name, strerror(-nr));
		cxldcd_app_close(app, &m);
		return 1;
	}
	for (int r = 0; r < nr; r++) {
		for (uint64_t i = runs[r].off; i < runs[r].off + runs[r].len; i++) {
			uint8_t want = pat[i % (uint64_t)plen];

			if (!verify)
				((uint8_t *)m.addr)[i] = want;
			else if (((uint8_t *)m.addr)[i] != want && !bad++)
				fprintf(stderr, "cxldcd-host: mismatch at offset 0x%llx: 0x%02x, expected 0x%02x\n",
					(unsigned long long)i, ((uint8_t *)m.addr)[i], want);
		}
		done += runs[r].len;
	}
	cxldcd_app_close(app, &m);
	printf("%s %s size=0x%llx", verify ? "verify" : "fill", name, (unsigned long long)m.size);
	if (done < m.size) /* a forced release took part of it: those pieces are not there */
		printf(" revoked=0x%llx", (unsigned long long)(m.size - done));
	printf("%s\n", verify ? (bad ? " MISMATCH" : " ok") : "");
	return bad ? 1 : 0;
}

/*
 * static-fill / static-verify DPA LEN PATTERN: as host c->host_id, through
 * the static mapping when the device gave one, else the slow path (1 MiB at
 * a time).  The pattern starts at DPA 0, so a verify of any sub-range of a
 * fill matches.
 */
static int cmd_static(struct cxldcd_host_cfg *c, bool verify, uint64_t dpa, uint64_t len,
		      const uint8_t *pat, int plen)
{
	const char *name = verify ? "static-verify" : "static-fill";
	struct cxldcd_host *h = NULL;
	uint8_t *map = NULL, *buf = malloc(1u << 20);
	uint64_t bad = 0, size, st = 0;
	int rc = buf ? cxldcd_host_new(c, &h) : -ENOMEM;

	if (!rc) {
		cxldcd_host_set_log_events(h, false);
		rc = cxldcd_host_wait_ready(h, 10000);
	}
	if (!rc)
		st = cxldcd_host_static_size(h);
	if (!rc && (dpa > st || len > st - dpa || !len)) {
		fprintf(stderr, "cxldcd-host: %s: dpa=0x%llx len=0x%llx is outside the static capacity (0x%llx bytes at DPA 0)\n",
			name, (unsigned long long)dpa, (unsigned long long)len,
			(unsigned long long)st);
		cxldcd_host_free(h);
		free(buf);
		return 1;
	}
	if (!rc && cxldcd_host_static_map(h, (void **)&map, &size))
		map = NULL;
	for (uint64_t off = 0; !rc && off < len;) {
		uint32_t n = len - off < (1u << 20) ? (uint32_t)(len - off) : 1u << 20;
		uint8_t *p = map ? map + dpa + off : buf;

		if (!map && verify)
			rc = cxldcd_host_read(h, dpa + off, buf, n, 10000);
		for (uint32_t i = 0; !rc && i < n; i++) {
			uint8_t want = pat[(dpa + off + i) % (uint64_t)plen];

			if (!verify)
				p[i] = want;
			else if (p[i] != want && !bad++)
				fprintf(stderr, "cxldcd-host: mismatch at dpa 0x%llx: 0x%02x, expected 0x%02x\n",
					(unsigned long long)(dpa + off + i), p[i], want);
		}
		if (!rc && !map && !verify)
			rc = cxldcd_host_write(h, dpa + off, buf, n, 10000);
		off += n;
	}
	cxldcd_host_free(h);
	free(buf);
	if (rc) {
		fprintf(stderr, "cxldcd-host: %s %s (host=%u): %s\n", name, agent.link,
			c->host_id, strerror(-rc));
		return 1;
	}
	printf("%s dpa=0x%llx len=0x%llx %s%s\n", name, (unsigned long long)dpa,
	       (unsigned long long)len, map ? "mapped" : "slow-path",
	       verify ? (bad ? " MISMATCH" : " ok") : "");
	return bad ? 1 : 0;
}

/* --tcp HOST:PORT: HOST may be a name; the library takes an IPv4 address. */
static int parse_tcp(const char *arg, char addr[INET_ADDRSTRLEN], uint16_t *port)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	const char *colon = strrchr(arg, ':');
	char host[256];
	uint64_t v;
	int rc;

	if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof(host) ||
	    parse_u64(colon + 1, &v, false) || !v || v > 65535)
		return bad_args("--tcp '%s': expected HOST:PORT, e.g. 127.0.0.1:4500 or localhost:4500",
				arg);
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc)
		return bad_args("--tcp '%s': cannot resolve '%s' to an IPv4 address: %s", arg, host,
				gai_strerror(rc));
	rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, INET_ADDRSTRLEN, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(ai);
	if (rc)
		return bad_args("--tcp '%s': '%s': %s", arg, host, gai_strerror(rc));
	*port = (uint16_t)v;
	return 0;
}

/*
 * The default host link, RUNDIR/host.sock, in def.  RUNDIR may sit in /tmp
 * (no XDG_RUNTIME_DIR), where another user can make it first with a socket
 * of their own in it: that user would be the device the agent connects to
 * and hands its host's writes.  So it must be this user's alone, as the
 * daemon requires (made 0700 here if missing).  0, 2 (too long) or 1.
 */
static int default_link(char *def, size_t cap)
{
	char dir[256];
	int rc;

	if (rundir_path(NULL, dir, sizeof(dir)) || rundir_path("host.sock", def, cap))
		return bad_args("the default host link path is too long: give --connect PATH");
	rc = rundir_ensure(dir);
	if (rc) {
		fprintf(stderr, "cxldcd-host: runtime directory %s: %s: not connecting to its "
			"host.sock (give --connect PATH)\n", dir,
			rc == -EPERM ? "not a private directory owned by this user" : strerror(-rc));
		return 1;
	}
	return 0;
}

/* Where the one-shot static commands connect: as the agent would. */
static int link_of(struct cxldcd_host_cfg *c, bool have_id, char *link, char *def)
{
	if (c->socket_path && c->tcp_addr)
		return bad_args("give --connect PATH or --tcp HOST:PORT, not both");
	if (!have_id)
		return bad_args("--host-id N is required (the host's LD-ID, 0..num-hosts-1)");
	if (!c->socket_path && !c->tcp_addr) {
		int rc = default_link(def, 256);

		if (rc)
			return rc;
		c->socket_path = def;
	}
	if (c->socket_path)
		snprintf(link, 300, "unix:%s", c->socket_path);
	else
		snprintf(link, 300, "tcp:%s:%u", c->tcp_addr, c->tcp_port);
	agent.link = link;
	agent.host_id = c->host_id;
	return 0;
}

/* static-fill|static-verify DPA LEN PATTERN (argv[0] is the command). */
static int static_main(struct cxldcd_host_cfg *c, bool have_id, int argc, char **argv, char *link,
		       char *def)
{
	bool verify = !strcmp(argv[0], "static-verify");
	uint8_t pat[PATTERN_MAX];
	uint64_t dpa, len;
	int plen, rc;

	if (!verify && strcmp(argv[0], "static-fill"))
		return bad_args("unknown command '%s' (list, fill, verify, static-fill, static-verify)",
				argv[0]);
	if (argc != 4)
		return bad_args("%s takes DPA LEN PATTERN", argv[0]);
	if (parse_u64(argv[1], &dpa, true) || parse_u64(argv[2], &len, true))
		return bad_args("%s: DPA '%s' and LEN '%s' must be numbers (K/M/G suffix)", argv[0],
				argv[1], argv[2]);
	plen = parse_pattern(argv[3], pat);
	if (plen < 0)
		return bad_args("PATTERN '%s': expected 0x and pairs of hex digits (0xa5), or 1..%d bytes of text",
				argv[3], PATTERN_MAX);
	rc = link_of(c, have_id, link, def);
	if (rc)
		return rc;
	c->event_fn = NULL;     /* one line of result, not the agent's events */
	return cmd_static(c, verify, dpa, len, pat, plen);
}

/*
 * The agent (and a one-shot command while it maps a group) holds fds of
 * its host's capacity.  Every host agent and application of a Unix host
 * link runs as the daemon's user; dumpable, any of them could open these
 * fds through /proc/PID/fd (or read /proc/PID/mem): another host's memory.
 */
static void not_dumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fprintf(stderr, "cxldcd-host: warning: cannot make the process non-dumpable: %s: "
			"any process of this user can open its memory through /proc\n", strerror(errno));
}

/*
 * With a file per group (--agent-socket) the agent keeps one fd per group
 * it holds: take the soft fd limit up to the hard one, as the daemon does.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * The command line; what it allocates (the --accept tags= list, the
 * --group-access rules) is in *own, which main() frees however cli() returns.
 */
struct cli_owned {
	uint8_t (*tags)[16];
	struct cxldcd_host_access *acc;
	const char **rules;         /* the --group-access values (argv's), for SIGHUP */
};

static int cli(int argc, char **argv, struct cli_owned *own)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "tcp", required_argument, NULL, 't' },
		{ "host-id", required_argument, NULL, 'i' },
		{ "accept", required_argument, NULL, 'a' },
		{ "agent-socket", required_argument, NULL, 's' },
		{ "agent-socket-mode", required_argument, NULL, 'M' },
		{ "agent-socket-group", required_argument, NULL, 'G' },
		{ "group-access", required_argument, NULL, 'R' },
		{ "group-access-file", required_argument, NULL, 'F' },
		{ "chain-timeout", required_argument, NULL, 'T' },
		{ "chain-cap", required_argument, NULL, 'C' },
		{ "seq-one-based", no_argument, NULL, '1' },
		{ "no-mapping", no_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct cxldcd_host_cfg c = { .event_fn = on_event };
	const char *agent_sock = NULL, *sock_mode = NULL, *sock_group = NULL;
	struct access_src src = { 0 };
	char why[256];
	char tcp_addr[INET_ADDRSTRLEN], link[300], def[256];
	bool have_id = false;
	unsigned wait_s = WAIT_DEFAULT_S;
	uint64_t v;
	int o, rc;

	not_dumpable();
	while ((o = getopt_long(argc, argv, "vhV", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			c.socket_path = optarg;
			break;
		case 't':
			if (parse_tcp(optarg, tcp_addr, &c.tcp_port))
				return 2;
			c.tcp_addr = tcp_addr;
			break;
		case 'i':
			if (parse_u64(optarg, &v, false) || v > 0xffff)
				return bad_args("--host-id '%s': expected a number in 0..65535", optarg);
			c.host_id = (uint16_t)v;
			have_id = true;
			break;
		case 'a':
			if (parse_accept(optarg, &c, &own->tags))
				return bad_args("--accept '%s': expected all, none, tags=UUID[,UUID...] or limit=SIZE (K/M/G suffix)",
						optarg);
			break;
		case 's':
			agent_sock = optarg;
			break;
		case 'M':
			if (sock_mode)
				return bad_args("--agent-socket-mode given twice");
			sock_mode = optarg;
			break;
		case 'G':
			if (sock_group)
				return bad_args("--agent-socket-group given twice");
			sock_group = optarg;
			break;
		case 'R':
			if (!own->acc && cxldcd_host_access_new(&own->acc))
				return bad_args("out of memory");
			rc = cxldcd_host_access_add_rule(own->acc, optarg, why, sizeof(why));
			if (rc)
				return bad_args("--group-access '%s': %s", Q(optarg), why);
			if (!own->rules && !(own->rules = calloc((size_t)argc, sizeof(*own->rules))))
				return bad_args("out of memory");
			own->rules[src.nr_rules++] = optarg;
			break;
		case 'F':
			if (src.file)
				return bad_args("--group-access-file given twice");
			src.file = optarg;
			break;
		case 'T':
			if (parse_u64(optarg, &v, false) || !v || v > UINT32_MAX)
				return bad_args("--chain-timeout '%s': expected milliseconds, 1..4294967295",
						optarg);
			c.chain_timeout_ms = (uint32_t)v;
			break;
		case 'C':
			if (parse_u64(optarg, &v, false) || !v || v > 65536)
				return bad_args("--chain-cap '%s': expected a number of extents, 1..65536",
						optarg);
			c.chain_cap = (uint32_t)v;
			break;
		case '1':
			c.seq_one_based = true;
			break;
		case 'n':
			c.no_mapping = true;
			break;
		case 'w':
			if (parse_u64(optarg, &v, false) || v > 86400)
				return bad_args("--wait '%s': expected seconds, 0..86400", optarg);
			wait_s = (unsigned)v;
			break;
		case 'v':
			c.log_fn = on_log;
			c.log_level = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("cxldcd-host " CXLDCD_HOST_VERSION "\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if ((sock_mode || sock_group || own->acc || src.file) && (optind < argc || !agent_sock))
		return bad_args("--agent-socket-mode, --agent-socket-group, --group-access and "
				"--group-access-file are for the agent serving --agent-socket PATH");
	if (sock_mode || sock_group) {
		uint64_t mode = 0600;

		if (!own->acc && cxldcd_host_access_new(&own->acc))
			return bad_args("out of memory");
		if (sock_mode && parse_octal(sock_mode, &mode))
			snprintf(why, sizeof(why), "expected an octal mode such as 0660");
		/* the mode alone first: each error names its option */
		if ((sock_mode && parse_octal(sock_mode, &mode)) ||
		    cxldcd_host_access_set_socket(own->acc, (uint32_t)mode, NULL, why, sizeof(why)))
			return bad_args("--agent-socket-mode '%s': %s", Q(sock_mode), why);
		if (sock_group &&
		    cxldcd_host_access_set_socket(own->acc, (uint32_t)mode, sock_group, why, sizeof(why)))
			return bad_args("--agent-socket-group '%s': %s", Q(sock_group), why);
	}
	src.sock_mode = sock_mode;
	src.sock_group = sock_group;
	src.rules = own->rules;
	if (src.file || (own->acc && (sock_mode || sock_group))) {
		/*
		 * the command line's rules are good (above): what is left to say
		 * is the file's, or a socket rule beside --agent-socket-mode/-group
		 * (refused here as at SIGHUP, which builds the rules this way)
		 */
		cxldcd_host_access_free(own->acc);
		own->acc = NULL;
		if (build_access(&src, &own->acc, why, sizeof(why)))
			return bad_args("%s", why);
	}
	if (optind < argc && !strncmp(argv[optind], "static-", 7))
		return static_main(&c, have_id, argc - optind, argv + optind, link, def);
	if (optind < argc) {
		const char *cmd = argv[optind];
		int nargs = argc - optind - 1;
		struct cxldcd_app *app;

		if (strcmp(cmd, "list") && strcmp(cmd, "fill") && strcmp(cmd, "verify"))
			return bad_args("unknown command '%s' (list, fill, verify)", cmd);
		if (!agent_sock)
			return bad_args("%s talks to a running agent: give its --agent-socket PATH", cmd);
		if (!strcmp(cmd, "list") ? nargs != 0 : nargs != 2)
			return bad_args("%s takes %s", cmd,
					!strcmp(cmd, "list") ? "no arguments" : "GROUP PATTERN");
		if (nargs == 2) {
			uint8_t t[16], pat[PATTERN_MAX];

			if (parse_group(argv[optind + 1], t, &v) < 0)
				return bad_args("GROUP '%s': expected a tag (UUID) or id=N from 'list'",
						argv[optind + 1]);
			if (parse_pattern(argv[optind + 2], pat) < 0)
				return bad_args("PATTERN '%s': expected 0x and pairs of hex digits (0xa5), or 1..%d bytes of text",
						argv[optind + 2], PATTERN_MAX);
		}
		rc = cxldcd_app_connect(agent_sock, &app);
		if (rc) {
			fprintf(stderr, "cxldcd-host: --agent-socket %s: %s%s\n", agent_sock,
				strerror(-rc),
				rc == -ENOENT || rc == -ECONNREFUSED
					? " (is the agent running with this --agent-socket?)" : "");
			return 1;
		}
		rc = !strcmp(cmd, "list") ? cmd_list(app)
					  : cmd_fill_verify(app, !strcmp(cmd, "verify"),
							    argv[optind + 1], argv[optind + 2]);
		cxldcd_app_free(app);
		return rc;
	}
	if (c.socket_path && c.tcp_addr)
		return bad_args("give --connect PATH or --tcp HOST:PORT, not both");
	if (!have_id)
		return bad_args("--host-id N is required (the host's LD-ID, 0..num-hosts-1)");
	if (!c.socket_path && !c.tcp_addr) {
		rc = default_link(def, sizeof(def));
		if (rc)
			return rc;
		c.socket_path = def;
	}
	if (c.socket_path)
		snprintf(link, sizeof(link), "unix:%s", c.socket_path);
	else
		snprintf(link, sizeof(link), "tcp:%s:%u", c.tcp_addr, c.tcp_port);
	agent.link = link;
	agent.host_id = c.host_id;
	/* applications get a group's fds: each must hold that group alone (docs/host.md) */
	c.group_files = agent_sock != NULL;
	if (c.group_files)
		raise_fd_limit();
	return run_agent(&c, agent_sock, &src, &own->acc, wait_s);
}

int main(int argc, char **argv)
{
	struct cli_owned o = { 0 };
	int rc = cli(argc, argv, &o);

	cxldcd_host_access_free(o.acc);
	free(o.rules);
	free(o.tags);
	return rc;
}
