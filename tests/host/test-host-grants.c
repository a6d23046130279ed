/* SPDX-License-Identifier: MIT */
/*
 * test-host-grants.c - integration: how long an application's grant of a
 * group lasts (docs/host.md, "When a grant ends").  The real daemon
 * ($CXLDCD) and the real agent ($CXLDCD_HOST, as root); applications are
 * this test (root) and children that drop to other users.
 *
 *  - The agent's link to the device drops and, at its new HELLO, the
 *    device refuses it a file per group (the daemon's fds do not fit its
 *    300 groups): the group an application mapped through its own file is
 *    moved into the host's per-backend file, and the old file reads zeros.
 *    Every application holding a group is told at the drop (REVOKE, the
 *    agent's app-revoked line naming the group and why): its mapping turns
 *    inaccessible; it opens again and gets the new file with its bytes, or
 *    a clear refusal (EACCES, shared file) when the rules do not give its
 *    user every group.  On the old code the application got EOF alone and
 *    its mapping read zeros.
 *  - The rules change while the agent runs (--group-access-file, SIGHUP):
 *    alice, whose new rights no longer cover her open, has it revoked (and
 *    it no longer holds the group), bob, who gains the group, opens it and
 *    reads alice's bytes; a bad file leaves the rules in force.  On the old
 *    code the option did not exist and the rules never changed.
 *  - cxldcd_host_access_load(): lines, comments, all or nothing.
 *  - An OPEN answer the kernel refuses for the agent's fds in flight
 *    (ETOOMANYREFS: an agent of its own user, an application that reads
 *    none of its answers) waits and comes later; on the old code the agent
 *    dropped the application it was for.
 *
 * The link is dropped by the test: it takes the agent's end of its
 * connection to the daemon (pidfd_getfd(), root) and shuts it down; the
 * daemon runs on.  Needs root: skipped otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../qmp/host-util.h"
#include "common/wire.h"
#include "cxldcd/cxldcd-host.h"
#include "host/access.h"
#include "hostlink/proto.h"

#define TAG_A "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define ALICE 65534u
#define BOB 54330u
#define NR_GROUPS 300           /* more than a daemon under 256 fds has group files for */

static void skip_unless_root(void)
{
	if (geteuid() != 0) {
		print_message("test-host-grants: needs root (other users' applications, pidfd_getfd)\n");
		skip();
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

#define SOCK_CAP 100
#define RULES_CAP 128

/*
 * As root, a test directory other users may pass through (0711): the
 * agent's socket sock (SOCK_CAP) in it, and its rules file rules
 * (RULES_CAP; NULL: none) written with text.
 */
static void users_dir(struct dproc *p, char *sock, char *rules, const char *text)
{
	skip_unless_root();
	assert_int_equal(dproc_init(p), 0);
	assert_int_equal(chmod(p->dir, 0711), 0);
	snprintf(sock, SOCK_CAP, "%s/apps.sock", p->dir);
	if (rules)
		snprintf(rules, RULES_CAP, "%s/rules", p->dir);
	if (text)
		write_file(rules, text);
}

static pid_t spawn_agent(const struct dproc *p, const char *name, const char *const *args)
{
	pid_t pid = dproc_spawn(p, getenv("CXLDCD_HOST") ? getenv("CXLDCD_HOST") : "cxldcd-host",
				name, args, false);

	assert_true(pid >= 0);
	return pid;
}

/* The agent with args, its output in DIR/name.log, refuses them at start: exit status 2. */
static void refused_at_start(const struct dproc *p, const char *name, const char *const *args)
{
	pid_t pid = spawn_agent(p, name, args);
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
}

static int wait_count(const struct dproc *p, const char *name, const char *needle, int want)
{
	return dproc_wait_count(p, name, needle, want, 6 * TMO);
}

/* Whether [p, p+len) of this process can be read (process_vm_readv: no fault taken). */
static bool readable(const void *p, size_t len)
{
	static uint8_t buf[4096];
	struct iovec l = { buf, len < sizeof(buf) ? len : sizeof(buf) }, r = { (void *)p, l.iov_len };

	return process_vm_readv(getpid(), &l, 1, &r, 1, 0) == (ssize_t)l.iov_len;
}

/*
 * Shut down the agent's end of its link: the connected Unix socket of
 * @agent that has no name (its applications' connections are accepted on
 * its named socket, so /proc/net/unix lists them under that name), taken
 * with pidfd_getfd().  The link drops as when the daemon drops the host;
 * the daemon runs on.  The number shut down, -1 when the agent's fds cannot
 * be taken.
 */
static int drop_link_of(pid_t agent)
{
	unsigned long inodes[256];
	int n = 0, done = 0, pidfd;
	char line[512], dir[64];
	struct dirent *e;
	FILE *f = fopen("/proc/net/unix", "r");
	DIR *d;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) && n < 256) {
		char name[300] = "";
		unsigned st;
		unsigned long ino;

		if (sscanf(line, "%*s %*s %*s %*s %*s %x %lu %299s", &st, &ino, name) >= 2 &&
		    st == 3 && !name[0])
			inodes[n++] = ino;
	}
	fclose(f);
	pidfd = (int)syscall(SYS_pidfd_open, agent, 0);
	if (pidfd < 0)
		return -1;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)agent);
	d = opendir(dir);
	assert_non_null(d);
	while (done >= 0 && (e = readdir(d))) {
		char link[64], want[64], fdpath[400];
		ssize_t k;

		snprintf(fdpath, sizeof(fdpath), "%s/%s", dir, e->d_name);
		k = readlink(fdpath, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		for (int i = 0; i < n; i++) {
			int fd;

			snprintf(want, sizeof(want), "socket:[%lu]", inodes[i]);
			if (strcmp(link, want))
				continue;
			fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
			if (fd < 0) {
				done = -1;
				break;
			}
			shutdown(fd, SHUT_RDWR);
			close(fd);
			done++;
		}
	}
	closedir(d);
	close(pidfd);
	return done;
}

/*
 * A raw application: OPEN_REQ of group id on a new connection, its fds
 * closed at once.  The connection (the OPEN_RSP read), to watch what the
 * agent sends next; -errno of the open.
 */
static int raw_open(const char *sock, uint64_t id)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hl_app_open_req rq = { .id = id };
	struct hl_app_open_rsp rs;
	struct hl_app_seg seg[HL_APP_MAX_SEGS];
	uint8_t buf[4096];
	int fds[HL_APP_MAX_SEGS], s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned nfd = 0;
	size_t have = 0;
	struct hl_hdr hd;
	struct wwr w;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_true(s >= 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_APP_OPEN_REQ, 1);
	hl_enc_app_open_req(&w, &rq);
	hl_msg_end(&w);
	assert_int_equal(write(s, buf, w.off), (ssize_t)w.off);
	do {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		unsigned got = 0;
		ssize_t k;

		assert_int_equal(poll(&pf, 1, TMO), 1);
		k = hl_recv(s, buf + have, sizeof(buf) - have, fds + nfd, &got, HL_APP_MAX_SEGS - nfd);
		assert_true(k > 0);
		have += (size_t)k;
		nfd += got;
	} while (hl_dec_hdr(buf, have, &hd) || have < HL_HDR_SIZE + hd.len);
	for (unsigned i = 0; i < nfd; i++)
		close(fds[i]);
	assert_int_equal(hd.type, HL_APP_OPEN_RSP);
	assert_int_equal(have, HL_HDR_SIZE + hd.len);
	assert_int_equal(hl_dec_app_open_rsp(buf + HL_HDR_SIZE, hd.len, &rs, seg, HL_APP_MAX_SEGS), 0);
	assert_int_equal(rs.status, HL_S_OK);
	return s;
}

/*
 * What the agent sends a raw application until it closes the connection:
 * the number of REVOKEs of group id (other messages fail the test); -1 when
 * the connection stays open for TMO.
 */
static int revokes_until_eof(int s, uint64_t id)
{
	uint8_t buf[4096];
	size_t have = 0;
	int n = 0;

	for (;;) {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		struct hl_hdr hd;
		unsigned nfd = 0;
		int fds[4];
		ssize_t k;

		while (!hl_dec_hdr(buf, have, &hd) && have >= HL_HDR_SIZE + hd.len) {
			uint64_t v = 0;

			assert_int_equal(hd.type, HL_APP_REVOKE);
			assert_int_equal(hl_dec_u64_msg(buf + HL_HDR_SIZE, hd.len, &v), 0);
			n += v == id;
			memmove(buf, buf + HL_HDR_SIZE + hd.len, have - HL_HDR_SIZE - hd.len);
			have -= HL_HDR_SIZE + hd.len;
		}
		if (poll(&pf, 1, TMO) != 1)
			return -1;
		k = hl_recv(s, buf + have, sizeof(buf) - have, fds, &nfd, 4);
		assert_int_equal(nfd, 0);
		if (k == -EAGAIN)
			continue;
		if (k <= 0)
			return n;
		have += (size_t)k;
	}
}

/* Connect to the agent's socket, retrying while it is not there (a reconnect makes it anew). */
static struct cxldcd_app *app_connect(const char *sock)
{
	struct cxldcd_app *app = NULL;

	for (int i = 0; i < 500 && cxldcd_app_connect(sock, &app); i++) {
		app = NULL;
		usleep(20000);
	}
	assert_non_null(app);
	return app;
}

/* ------------------------------------------------------------ as another user */

struct child {
	pid_t pid;
	int to, from;           /* pipes: commands to it, results from it */
};

typedef void child_fn(int to_parent, int from_parent, const char *sock, uint64_t id);

static void child_start(struct child *c, uid_t uid, child_fn *fn, const char *sock, uint64_t id)
{
	int down[2], up[2];

	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		close(down[1]);
		close(up[0]);
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
			_exit(126);
		fn(up[1], down[0], sock, id);
		_exit(0);
	}
	dproc_track_pid(c->pid);
	close(down[0]);
	close(up[1]);
	c->to = down[1];
	c->from = up[0];
}

/* The next result of the child (an int), or a failure when none within TMO. */
static int child_result(const struct child *c)
{
	struct pollfd pf = { .fd = c->from, .events = POLLIN };
	int v;

	if (poll(&pf, 1, 6 * TMO) != 1)
		fail_msg("child %d: no result", (int)c->pid);
	assert_int_equal(read(c->from, &v, sizeof(v)), sizeof(v));
	return v;
}

static void child_go(const struct child *c)
{
	char go = 1;

	assert_int_equal(write(c->to, &go, 1), 1);
}

static void child_end(struct child *c)
{
	int st;

	close(c->to);
	close(c->from);
	assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * A raw_holds child the socket's new mode and group shut out, let go: it
 * got REVOKE of its group, then EOF, and may not connect again.
 */
static void shut_out(struct child *c)
{
	child_go(c);
	assert_int_equal(child_result(c), 1);          /* REVOKE of A, then EOF */
	assert_int_equal(child_result(c), -EACCES);    /* it may not connect again */
	child_end(c);
}

static void put(int fd, int v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		_exit(125);
}

static void wait_go(int fd)
{
	char go;

	if (read(fd, &go, 1) != 1)
		_exit(124);
}

/*
 * One open of id writable: its result, then (rc 0) the first byte, after
 * filling the group with v when v >= 0.
 */
static void open_once(int up, int down, const char *sock, uint64_t id, int v)
{
	struct cxldcd_app *app;
	struct cxldcd_app_map m;
	int rc;

	(void)down;
	rc = cxldcd_app_connect(sock, &app);
	if (!rc)
		rc = cxldcd_app_open(app, NULL, id, &m);
	put(up, rc);
	put(up, rc ? (int)cxldcd_app_open_denied(app) : ((uint8_t *)m.addr)[0]);
	if (!rc) {
		if (v >= 0)
			memset(m.addr, v, m.size);
		cxldcd_app_close(app, &m);
	}
	cxldcd_app_free(app);
}

static void open_reading(int up, int down, const char *sock, uint64_t id)
{
	open_once(up, down, sock, id, -1);
}

static void open_writing_b2(int up, int down, const char *sock, uint64_t id)
{
	open_once(up, down, sock, id, 0xb2);
}

/*
 * Alice: open id writable and fill it with 0xa1 (result: the open's rc);
 * at the go, wait for what the agent sends and report cxldcd_app_process()'s
 * result, whether the mapping still reads, a new open's rc, and the close's.
 */
static void alice_holds(int up, int down, const char *sock, uint64_t id)
{
	struct cxldcd_app *app;
	struct cxldcd_app_map m;
	struct pollfd pf;
	int rc;

	rc = cxldcd_app_connect(sock, &app);
	if (!rc)
		rc = cxldcd_app_open(app, NULL, id, &m);
	put(up, rc);
	if (rc)
		return;
	memset(m.addr, 0xa1, m.size);
	wait_go(down);
	pf = (struct pollfd){ .fd = cxldcd_app_get_fd(app), .events = POLLIN };
	put(up, poll(&pf, 1, TMO) == 1 ? cxldcd_app_process(app) : -ETIMEDOUT);
	put(up, readable(m.addr, 4096));
	{
		struct cxldcd_app_map again;

		rc = cxldcd_app_open(app, NULL, id, &again);
		put(up, rc);
		if (!rc)
			cxldcd_app_close(app, &again);
	}
	put(up, cxldcd_app_close(app, &m));
	cxldcd_app_free(app);
}

/* ------------------------------------------------------------ the link drops */

/*
 * A daemon under 256 fds, host 0 holding 300 untagged groups of 2 MiB (the
 * first ones each in a file of its own, the rest spilled into the host's
 * per-backend file), and the agent serving applications, untagged groups
 * alice's (so she reaches a group with a file of its own, but not the
 * shared file: the default owner, root, keeps any other tag).
 */
static void test_an_application_is_told_when_the_link_drops_and_group_files_are_refused(void **state)
{
	const char *dargs[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=1,"
			   "dc-block-size=2M,max-extents=512,event-log-depth=1024,mbox-payload-size=4K",
		"--fm", "none", "--mctp-cci", "none", "--host-socket", NULL, NULL,
	};
	char sock[SOCK_CAP];
	const char *aargs[] = { "--connect", NULL, "--host-id", "0", "--accept", "all",
				"--chain-cap", "512", "--agent-socket", sock,
				"--agent-socket-mode", "0666",
				"--group-access", "tag=untagged,owner=65534,mode=0600", NULL };
	char want[160];
	struct cxldcd_app *app, *again;
	struct cxldcd_app_map m, m2;
	struct qmp_client *c;
	struct child alice;
	struct dproc p;
	pid_t agent;
	int raw;

	(void)state;
	users_dir(&p, sock, NULL, NULL);
	p.nofile = 256;
	dargs[9] = p.host;
	c = connect_dev(&p, dargs);
	aargs[1] = p.host;
	agent = spawn_agent(&p, "agent", aargs);
	assert_int_equal(wait_count(&p, "stderr.log", "host=0 connected", 1), 1);
	add_extents(c, 0, 2 * MiB, 0, NR_GROUPS);              /* untagged: 300 groups */
	assert_int_equal(wait_count(&p, "agent.log", "group-added", NR_GROUPS), NR_GROUPS);
	/* group 1 has a file of its own; the last ones spilled */
	assert_int_equal(dproc_count_in(&p, "stderr.log", "no fd left for a file of its group"), 1);

	/* root maps group 1 (its own file) and writes it; a raw application holds it too */
	app = app_connect(sock);
	assert_int_equal(cxldcd_app_open(app, NULL, 1, &m), 0);
	memset(m.addr, 0x5a, m.size);
	raw = raw_open(sock, 1);

	/* the link drops; at its new HELLO the 300 groups do not fit: no file per group */
	{
		int n = drop_link_of(agent);

		if (n < 0) {
			print_message("test-host-grants: pidfd_getfd() of the agent refused: %s\n",
				      strerror(errno));
			skip();
		}
		assert_int_equal(n, 1);
	}
	assert_int_equal(wait_count(&p, "agent.log", "reconnected", 1), 1);
	assert_int_equal(wait_count(&p, "stderr.log", "host=0: no file per group", 1), 1);
	assert_int_equal(wait_count(&p, "agent.log", "group-added", 2 * NR_GROUPS), 2 * NR_GROUPS);

	/* each application was told before its connection closed (the old code: EOF alone) */
	assert_int_equal(revokes_until_eof(raw, 1), 1);
	close(raw);
	snprintf(want, sizeof(want), "app-revoked tag=- id=1 application pid=%d uid=0", (int)getpid());
	assert_int_equal(dproc_count_in(&p, "agent.log", want), 2);
	assert_int_equal(dproc_count_in(&p, "agent.log", "the agent's link to the device failed"), 2);
	/* the mapping is gone (the old code: it read zeros, the bytes were moved away) */
	assert_int_equal(cxldcd_app_process(app), -ECONNRESET);
	if (readable(m.addr, 4096))
		fail_msg("the mapping of group 1 still reads (0x%02x) after the link dropped",
			 ((uint8_t *)m.addr)[0]);
	cxldcd_app_free(app);

	/* open again: the new file (the host's per-backend one), the bytes in it */
	again = app_connect(sock);
	assert_int_equal(cxldcd_app_open(again, NULL, 1, &m2), 0);
	assert_int_equal(((uint8_t *)m2.addr)[0], 0x5a);
	assert_int_equal(((uint8_t *)m2.addr)[m2.size - 1], 0x5a);
	assert_int_equal(cxldcd_app_close(again, &m2), 0);
	cxldcd_app_free(again);
	/* alice may write every untagged group, not what a shared file reaches: refused, said why */
	child_start(&alice, ALICE, open_reading, sock, 1);
	assert_int_equal(child_result(&alice), -EACCES);
	assert_int_equal(child_result(&alice), CXLDCD_APP_DENIED_SHARED_FILE);
	child_end(&alice);
	assert_true(dproc_count_in(&p, "agent.log", "the device gave this host no file per group") >= 1);
	qmp_client_free(c);
}

/* ------------------------------------------------------------ the rules change */

/* Root lists group id: its open count. */
static int open_count_of(const char *sock, uint64_t id)
{
	struct cxldcd_host_group_info g[8];
	struct cxldcd_app *app = app_connect(sock);
	int n = cxldcd_app_list(app, g, 8), count = -1;

	for (int i = 0; i < n && i < 8; i++)
		if (g[i].id == id)
			count = (int)g[i].open_count;
	cxldcd_app_free(app);
	return count;
}

/* A daemon of one host with group 1 (tag A), its agent serving sock with aargs. */
static pid_t agent_with_group(struct dproc *p, struct qmp_client **c, const char **aargs)
{
	const char *dargs[] = {
		"-object", "memory-backend-ram,id=m0,size=256M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=1",
		"--fm", "none", "--host-socket", NULL, NULL,
	};
	pid_t agent;

	dargs[7] = p->host;
	*c = connect_dev(p, dargs);
	aargs[1] = p->host;
	agent = spawn_agent(p, "agent", aargs);
	ok(qmp_client_cmdf(*c, TMO, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			   "\"path\":\"d0\",\"host-id\":0,\"selection-policy\":\"prescriptive\","
			   "\"region\":0,\"tag\":\"" TAG_A "\",\"extents\":[{\"offset\":0,"
			   "\"len\":2097152}]}}"));
	assert_int_equal(wait_count(p, "agent.log", "group-added", 1), 1);
	return agent;
}

/*
 * Group A is alice's (--group-access-file), and she holds it open, written.
 * The file then gives it to bob, and the agent gets SIGHUP: alice's open is
 * revoked (REVOKE: her mapping turns inaccessible; the app-revoked line
 * says why; the group is no longer held), her new open is refused, her
 * close still answered; bob opens it and reads her bytes.  A file with a
 * bad rule leaves bob's rules in force (rules-kept, the line named).
 */
static void test_a_sighup_reload_revokes_what_the_new_rules_refuse(void **state)
{
	char sock[SOCK_CAP], rules[RULES_CAP];
	const char *aargs[] = { "--connect", NULL, "--host-id", "0", "--accept", "all",
				"--agent-socket", sock, "--agent-socket-mode", "0666",
				"--group-access-file", rules, NULL };
	struct child alice, bob;
	struct qmp_client *c;
	struct dproc p;
	pid_t agent;

	(void)state;
	users_dir(&p, sock, rules, "# group A is alice's\n\ntag=" TAG_A ",owner=65534,mode=0600\n");
	agent = agent_with_group(&p, &c, aargs);

	child_start(&alice, ALICE, alice_holds, sock, 1);
	assert_int_equal(child_result(&alice), 0);
	child_start(&bob, BOB, open_reading, sock, 1);
	assert_int_equal(child_result(&bob), -EACCES);
	assert_int_equal(child_result(&bob), CXLDCD_APP_DENIED_RULES);
	child_end(&bob);
	assert_int_equal(open_count_of(sock, 1), 1);

	/* A is bob's now */
	write_file(rules, "tag=" TAG_A ",owner=54330,mode=0600\n");
	kill(agent, SIGHUP);
	assert_int_equal(wait_count(&p, "agent.log", "rules-reloaded", 1), 1);
	assert_int_equal(dproc_count_in(&p, "agent.log", ": 1 open revoked"), 1);
	assert_int_equal(dproc_count_in(&p, "agent.log", "app-revoked tag=" TAG_A " id=1 "
					"application pid="), 1);
	assert_int_equal(dproc_count_in(&p, "agent.log", "uid=65534 gid=65534: its 1 open revoked "
					"(REVOKE sent): the new rules (owner=54330 group=0 mode=0600, "
					"rule tag) give it nothing, its open took read and write"), 1);
	/* alice's open holds the group no more, though she has not closed it */
	assert_int_equal(open_count_of(sock, 1), 0);
	child_go(&alice);
	assert_int_equal(child_result(&alice), 1);          /* one mapping revoked */
	assert_int_equal(child_result(&alice), 0);          /* not readable */
	assert_int_equal(child_result(&alice), -EACCES);    /* open again: the new rules */
	assert_int_equal(child_result(&alice), 0);          /* her close is answered */
	child_end(&alice);
	child_start(&bob, BOB, open_writing_b2, sock, 1);
	assert_int_equal(child_result(&bob), 0);
	assert_int_equal(child_result(&bob), 0xa1);         /* alice's bytes */
	child_end(&bob);

	/* a bad file: the rules in force (bob's) stay */
	write_file(rules, "tag=" TAG_A ",owner=54330,mode=0600\ntag=all,mode=0750\n");
	kill(agent, SIGHUP);
	assert_int_equal(wait_count(&p, "agent.log", "rules-kept", 1), 1);
	/* stdout's line and stderr's: the agent writes stderr's after the rules-kept line */
	assert_int_equal(wait_count(&p, "agent.log", "line 2: 'tag=all,mode=0750': mode '0750'", 2),
			 2);
	child_start(&bob, BOB, open_reading, sock, 1);
	assert_int_equal(child_result(&bob), 0);
	assert_int_equal(child_result(&bob), 0xb2);
	child_end(&bob);
	kill(agent, SIGTERM);
	qmp_client_free(c);
}

/* ------------------------------------------------------------ the socket's mode and group */

#define SOCK_GROUP 54340u

/*
 * A raw application of the child's user: connect (result: 0 or -errno),
 * OPEN id (result: the status); at the go, the REVOKEs of id until the
 * agent closes the connection (result: their number, -1 when it stays
 * open), then a new connect's result.
 */
static void raw_holds(int up, int down, const char *sock, uint64_t id)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hl_app_open_req rq = { .id = id };
	struct hl_app_seg seg[HL_APP_MAX_SEGS];
	struct hl_app_open_rsp rs;
	uint8_t buf[4096];
	size_t have = 0;
	int n = 0, s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct hl_hdr hd;
	struct wwr w;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		put(up, -errno);
		return;
	}
	put(up, 0);
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_APP_OPEN_REQ, 1);
	hl_enc_app_open_req(&w, &rq);
	hl_msg_end(&w);
	if (write(s, buf, w.off) != (ssize_t)w.off)
		_exit(123);
	do {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		int fds[HL_APP_MAX_SEGS];
		unsigned nfd = 0;
		ssize_t k;

		if (poll(&pf, 1, 6 * TMO) != 1)
			_exit(121);
		k = hl_recv(s, buf + have, sizeof(buf) - have, fds, &nfd, HL_APP_MAX_SEGS);
		if (k == -EAGAIN || k == -EINTR)
			continue;
		if (k <= 0)
			_exit(122);
		have += (size_t)k;
		for (unsigned i = 0; i < nfd; i++)
			close(fds[i]);
	} while (hl_dec_hdr(buf, have, &hd) || have < HL_HDR_SIZE + hd.len);
	put(up, hd.type == HL_APP_OPEN_RSP &&
		!hl_dec_app_open_rsp(buf + HL_HDR_SIZE, hd.len, &rs, seg, HL_APP_MAX_SEGS)
		? (int)rs.status : -1);
	have -= HL_HDR_SIZE + hd.len;
	memmove(buf, buf + HL_HDR_SIZE + hd.len, have);
	wait_go(down);
	for (;;) {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		int fds[4];
		unsigned nfd = 0;
		ssize_t k;

		while (!hl_dec_hdr(buf, have, &hd) && have >= HL_HDR_SIZE + hd.len) {
			uint64_t v = 0;

			if (hd.type == HL_APP_REVOKE && !hl_dec_u64_msg(buf + HL_HDR_SIZE, hd.len, &v))
				n += v == id;
			have -= HL_HDR_SIZE + hd.len;
			memmove(buf, buf + HL_HDR_SIZE + hd.len, have);
		}
		if (poll(&pf, 1, 6 * TMO) != 1) {
			n = -1;
			break;
		}
		k = hl_recv(s, buf + have, sizeof(buf) - have, fds, &nfd, 4);
		if (k == -EAGAIN || k == -EINTR)
			continue;
		if (k <= 0)
			break;
		have += (size_t)k;
	}
	put(up, n);
	close(s);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	put(up, connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0);
	close(s);
}

static void assert_sock_is(const char *sock, unsigned mode, unsigned gid)
{
	struct stat st;

	assert_int_equal(stat(sock, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal(st.st_gid, gid);
}

/*
 * --agent-socket-mode 0660 --agent-socket-group 54340: alice (not in it)
 * cannot connect.  Someone chmods the socket 0666 and chgrps it to root's
 * group; alice connects and opens group A (the rules give it her).  At
 * SIGHUP the agent gives the socket the command line's mode and group
 * again, and closes alice's connection, which they would not have let in:
 * REVOKE of A, then EOF; her new connect is refused.  On the old agent the
 * socket stayed 0666 and alice kept her connection and her open.
 */
static void test_a_sighup_sets_the_sockets_mode_and_group_again(void **state)
{
	char sock[SOCK_CAP], rules[RULES_CAP];
	const char *aargs[] = { "--connect", NULL, "--host-id", "0", "--accept", "all",
				"--agent-socket", sock, "--agent-socket-mode", "0660",
				"--agent-socket-group", "54340", "--group-access-file", rules, NULL };
	struct qmp_client *c;
	struct child alice;
	struct dproc p;
	pid_t agent;

	(void)state;
	users_dir(&p, sock, rules, "tag=all,owner=65534,mode=0600\n");
	agent = agent_with_group(&p, &c, aargs);
	assert_sock_is(sock, 0660, SOCK_GROUP);
	child_start(&alice, ALICE, raw_holds, sock, 1);
	assert_int_equal(child_result(&alice), -EACCES);
	child_end(&alice);

	/* someone else widens it */
	assert_int_equal(chmod(sock, 0666), 0);
	assert_int_equal(chown(sock, (uid_t)-1, 0), 0);
	child_start(&alice, ALICE, raw_holds, sock, 1);
	assert_int_equal(child_result(&alice), 0);
	assert_int_equal(child_result(&alice), HL_S_OK);
	assert_int_equal(open_count_of(sock, 1), 1);

	kill(agent, SIGHUP);
	assert_int_equal(wait_count(&p, "agent.log", "rules-reloaded", 1), 1);
	assert_sock_is(sock, 0660, SOCK_GROUP);
	assert_int_equal(dproc_count_in(&p, "agent.log", "socket-access tag=- "), 1);
	assert_int_equal(dproc_count_in(&p, "agent.log", "apps.sock: mode=0660 group=54340, was "
					"mode=0666 group=0; 1 connection of users it no longer lets "
					"connect closed"), 1);
	assert_int_equal(dproc_count_in(&p, "agent.log", "uid=65534 gid=65534: its 1 open revoked "
					"(REVOKE sent): the socket's new mode=0660 group=54340 "
					"do not let its user connect: connection closed"), 1);
	assert_int_equal(dproc_count_in(&p, "agent.log", ": 1 open revoked\n"), 1);
	shut_out(&alice);
	assert_int_equal(open_count_of(sock, 1), 0);

	/* nothing changed since: nothing to say */
	kill(agent, SIGHUP);
	assert_int_equal(wait_count(&p, "agent.log", "rules-reloaded", 2), 2);
	assert_int_equal(dproc_count_in(&p, "agent.log", "socket-access tag=- "), 1);
	kill(agent, SIGTERM);
	qmp_client_free(c);
}

/*
 * The rules file carries the socket's mode and group (a line
 * "socket,mode=0666"): alice connects and holds group A.  The file then
 * says "socket,mode=0660,group=54340" and the agent gets SIGHUP: the
 * socket is 0660 of group 54340, alice's connection closed (REVOKE, EOF),
 * her new connect refused.  A second socket line, or one beside
 * --agent-socket-mode, is refused (rules-kept; exit 2 at start).
 */
static void test_the_rules_file_gives_the_sockets_mode_and_group(void **state)
{
	char sock[SOCK_CAP], rules[RULES_CAP];
	const char *aargs[] = { "--connect", NULL, "--host-id", "0", "--accept", "all",
				"--agent-socket", sock, "--group-access-file", rules, NULL };
	const char *bad[] = { "--connect", "/nonexistent", "--host-id", "0", "--agent-socket", sock,
			      "--agent-socket-mode", "0660", "--group-access-file", rules, NULL };
	struct qmp_client *c;
	struct child alice;
	struct dproc p;
	pid_t agent;
	int st;

	(void)state;
	users_dir(&p, sock, rules, "# who may connect\nsocket,mode=0666\ntag=all,owner=65534,mode=0600\n");
	agent = agent_with_group(&p, &c, aargs);
	assert_sock_is(sock, 0666, 0);
	child_start(&alice, ALICE, raw_holds, sock, 1);
	assert_int_equal(child_result(&alice), 0);
	assert_int_equal(child_result(&alice), HL_S_OK);

	write_file(rules, "socket,mode=0660,group=54340\ntag=all,owner=65534,mode=0600\n");
	kill(agent, SIGHUP);
	assert_int_equal(wait_count(&p, "agent.log", "rules-reloaded", 1), 1);
	assert_sock_is(sock, 0660, SOCK_GROUP);
	assert_int_equal(dproc_count_in(&p, "agent.log", "apps.sock: mode=0660 group=54340, was "
					"mode=0666 group=0; 1 connection of users"), 1);
	shut_out(&alice);

	/* two socket lines: the rules (and the socket) in force stay */
	write_file(rules, "socket,mode=0666\nsocket,mode=0666\n");
	kill(agent, SIGHUP);
	assert_int_equal(wait_count(&p, "agent.log", "rules-kept", 1), 1);
	assert_int_equal(wait_count(&p, "agent.log", "line 2: 'socket,mode=0666': the socket's "
				    "mode and group are given already", 2), 2);
	assert_sock_is(sock, 0660, SOCK_GROUP);
	/* back to the default: 0600, the group it was made with */
	write_file(rules, "tag=all,owner=65534,mode=0600\n");
	kill(agent, SIGHUP);
	assert_int_equal(wait_count(&p, "agent.log", "rules-reloaded", 2), 2);
	assert_sock_is(sock, 0600, 0);
	kill(agent, SIGTERM);
	assert_int_equal(waitpid(agent, &st, 0), agent);

	/* beside --agent-socket-mode: refused at start */
	write_file(rules, "socket,mode=0666\n");
	refused_at_start(&p, "bad", bad);
	assert_int_equal(dproc_count_in(&p, "bad.log", "line 1: 'socket,mode=0666': the socket's "
					"mode and group are given already"), 1);
	/* and as a --group-access value beside it (without a file): refused at start too */
	bad[8] = "--group-access";
	bad[9] = "socket,mode=0666";
	refused_at_start(&p, "bad2", bad);
	assert_int_equal(dproc_count_in(&p, "bad2.log", "--group-access 'socket,mode=0666': the "
					"socket's mode and group are given already"), 1);
	qmp_client_free(c);
}

/* A bad --group-access-file stops the agent at start (exit 2), the line named. */
static void test_a_bad_rules_file_at_start_is_refused(void **state)
{
	char rules[128], log[160];
	const char *aargs[] = { "--connect", "/nonexistent", "--host-id", "0", "--agent-socket",
				NULL, "--group-access-file", rules, NULL };
	struct dproc p;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(rules, sizeof(rules), "%s/rules", p.dir);
	snprintf(log, sizeof(log), "%s/apps.sock", p.dir);
	aargs[5] = log;
	write_file(rules, "tag=all,mode=0640\n  # fine\nowner=root\n");
	refused_at_start(&p, "agent", aargs);
	assert_int_equal(dproc_count_in(&p, "agent.log", "cxldcd-host: --group-access-file "), 1);
	assert_int_equal(dproc_count_in(&p, "agent.log", "line 3: 'owner=root': no tag="), 1);
}

/*
 * A bad --group-access value on the command line is quoted escaped in the
 * error (exit 2): the ESC in it is shown as \x1b, never sent as the byte.
 */
static void test_a_bad_rule_on_the_command_line_is_quoted_escaped(void **state)
{
	char sock[160];
	const char *aargs[] = { "--connect", "/nonexistent", "--host-id", "0", "--agent-socket",
				sock, "--group-access", "tag=all,mode=\x1b[31m", NULL };
	struct dproc p;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(sock, sizeof(sock), "%s/apps.sock", p.dir);
	refused_at_start(&p, "agent", aargs);
	assert_int_equal(dproc_count_in(&p, "agent.log", "--group-access 'tag=all,mode=\\x1b[31m': "), 1);
	assert_int_equal(dproc_count_in(&p, "agent.log", "\x1b"), 0);
}

/* ------------------------------------------------------------ the loader */

/*
 * cxldcd_host_access_load(): one rule a line, blanks, comments and CRLF
 * skipped; the first bad line named, and then nothing of the text taken.
 */
static void test_rules_load_all_or_nothing(void **state)
{
	static const char good[] = "# alice's\r\n  tag=" TAG_A ",owner=65534,mode=0640  \n\n"
				   "\t# the rest\ntag=all,owner=54330,mode=0600";
	static const char bad[] = "tag=untagged,owner=65534\ntag=" TAG_A ",mode=0600\n";
	static const char nul[] = "tag=all\0,mode=0666\n";
	struct cxldcd_host_group_info a = { .tagged = true }, u = { .tagged = false };
	const struct app_cred alice = { .uid = ALICE, .gid = ALICE }, bob = { .uid = BOB, .gid = BOB };
	struct cxldcd_host_access *acc;
	char err[256], big[600];

	(void)state;
	assert_int_equal(cxldcd_tag_parse(TAG_A, a.tag), 0);
	assert_int_equal(cxldcd_host_access_new(&acc), 0);
	assert_int_equal(cxldcd_host_access_load(acc, good, strlen(good), err, sizeof(err)), 0);
	assert_int_equal(access_nr_rules(acc), 2);
	assert_int_equal(access_perm(acc, &alice, &a), ACCESS_READ | ACCESS_WRITE);
	assert_int_equal(access_perm(acc, &bob, &u), ACCESS_READ | ACCESS_WRITE);
	assert_int_equal(access_perm(acc, &alice, &u), 0);
	/* line 2 repeats tag A: refused, and line 1's untagged rule is not taken either */
	assert_int_equal(cxldcd_host_access_load(acc, bad, strlen(bad), err, sizeof(err)), -EEXIST);
	assert_string_equal(err, "line 2: 'tag=" TAG_A ",mode=0600': a rule for tag=" TAG_A
			    " is given already");
	assert_int_equal(access_nr_rules(acc), 2);
	assert_int_equal(access_perm(acc, &alice, &u), 0);
	assert_int_equal(cxldcd_host_access_load(acc, nul, sizeof(nul) - 1, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: a NUL byte");
	memset(big, 'x', sizeof(big));
	assert_int_equal(cxldcd_host_access_load(acc, big, sizeof(big), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: rule longer than 511 characters");
	assert_int_equal(cxldcd_host_access_load(acc, NULL, 1, err, sizeof(err)), -EINVAL);
	assert_int_equal(cxldcd_host_access_load(acc, "", 0, err, sizeof(err)), 0);
	assert_int_equal(access_nr_rules(acc), 2);
	cxldcd_host_access_free(acc);
}

/*
 * A refused rule is quoted with its control bytes, invalid UTF-8, quote and
 * backslash escaped (\xHH, \', \\), printable text and UTF-8 as they are:
 * nothing from the file reaches a terminal or a log raw, and the message is
 * one line.
 */
static void test_a_refused_rule_is_quoted_escaped(void **state)
{
	static const char esc[] = "tag=all,mode=\x1b]0;pwn\x07\n";
	static const char odd[] = "tag=all,own\x7f\x01r='\\\xff\xc3\xa9=1\n";
	static const char name[] = "tag=all,owner=no\x1b[2Jone\n";
	static const char trojan[] = "tag=all,owner=\xe2\x80\xaenimda\xe2\x80\xac\n";
	struct cxldcd_host_access *acc;
	char err[512];

	(void)state;
	assert_int_equal(cxldcd_host_access_new(&acc), 0);
	assert_int_equal(cxldcd_host_access_load(acc, esc, strlen(esc), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: 'tag=all,mode=\\x1b]0;pwn\\x07': "
				 "mode '\\x1b]0;pwn\\x07': expected 1 to 4 octal digits, e.g. 0640");
	assert_null(strchr(err, '\x1b'));
	assert_int_equal(cxldcd_host_access_load(acc, odd, strlen(odd), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: 'tag=all,own\\x7f\\x01r=\\'\\\\\\xff\xc3\xa9=1': "
				 "unknown key 'own\\x7f\\x01r' (tag, owner, group, mode)");
	assert_int_equal(cxldcd_host_access_load(acc, name, strlen(name), err, sizeof(err)), -ENOENT);
	assert_true(!strncmp(err, "line 1: 'tag=all,owner=no\\x1b[2Jone': unknown user 'no\\x1b[2Jone'",
			     strlen("line 1: 'tag=all,owner=no\\x1b[2Jone': unknown user 'no\\x1b[2Jone'")));
	for (const char *p = err; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
	/* an owner name with RLO..PDF in it ("Trojan Source"): shown as written, escaped */
	assert_int_equal(cxldcd_host_access_load(acc, trojan, strlen(trojan), err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "line 1: 'tag=all,owner=\\xe2\\x80\\xaenimda\\xe2\\x80\\xac': "
				 "unknown user '\\xe2\\x80\\xaenimda\\xe2\\x80\\xac'");
	assert_int_equal(access_nr_rules(acc), 0);
	cxldcd_host_access_free(acc);
}

/* ------------------------------------------------------------ a large group */

/*
 * glibc's getgrnam_r() answers ERANGE when the caller's buffer cannot hold
 * the group's entry, members and all: a group of a few hundred members
 * needs more than 4 KiB.  The name below stands for such a group (the
 * test's getgrnam_r() is wrapped, meson.build): ERANGE under 64 KiB.
 */
#define BIG_GROUP "fz-big-group"
#define BIG_GID 4242u
#define BIG_ENTRY (64u << 10)

int __real_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
		      struct group **res);
int __wrap_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
		      struct group **res);

int __wrap_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len,
		      struct group **res)
{
	if (strcmp(name, BIG_GROUP))
		return __real_getgrnam_r(name, gr, buf, len, res);
	static char *no_members[] = { NULL };

	*res = NULL;
	if (len < BIG_ENTRY)
		return ERANGE;
	memset(buf, 0, len);
	strcpy(buf, BIG_GROUP);
	*gr = (struct group){ .gr_name = buf, .gr_passwd = buf + strlen(buf), .gr_gid = BIG_GID,
			      .gr_mem = no_members };
	*res = gr;
	return 0;
}

/*
 * A group whose entry needs more than 4 KiB is found (not "unknown group:
 * Numerical result out of range"), in a rule, a rules file and as the
 * socket's group.
 */
static void test_a_large_group_is_found(void **state)
{
	static const char file[] = "tag=untagged,group=" BIG_GROUP "\n";
	struct cxldcd_host_group_info u = { .tagged = false };
	struct cxldcd_host_access *acc;
	struct access_owner o;
	uint32_t gid = 0;
	char err[256];

	(void)state;
	assert_int_equal(cxldcd_host_access_new(&acc), 0);
	assert_int_equal(cxldcd_host_access_add_rule(acc, "tag=all,group=" BIG_GROUP ",mode=0640", err,
						     sizeof(err)), 0);
	assert_string_equal(err, "");
	access_owner_of(acc, &u, &o);
	assert_int_equal(o.gid, BIG_GID);
	assert_int_equal(o.mode, 0640);
	assert_int_equal(cxldcd_host_access_load(acc, file, strlen(file), err, sizeof(err)), 0);
	access_owner_of(acc, &u, &o);
	assert_string_equal(o.rule, "untagged");
	assert_int_equal(o.gid, BIG_GID);
	assert_int_equal(cxldcd_host_access_set_socket(acc, 0660, BIG_GROUP, err, sizeof(err)), 0);
	assert_true(access_sock_group(acc, &gid));
	assert_int_equal(gid, BIG_GID);
	/* a name that is nobody's is still unknown */
	assert_int_equal(cxldcd_host_access_add_rule(acc, "tag=" TAG_A ",group=fz-no-such-group", err,
						     sizeof(err)), -ENOENT);
	assert_string_equal(err, "unknown group 'fz-no-such-group'");
	assert_int_equal(access_nr_rules(acc), 2);
	cxldcd_host_access_free(acc);
}

/* ------------------------------------------------------------ fds in flight */

#define AGENT_USER 54337u       /* the daemon's and the agent's user (not root: bound in flight) */
#define AGENT_NOFILE 64
#define PIPELINED 100

/* A connection to the agent's socket (root may connect to any). */
static int app_sock(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_true(s >= 0);
	for (int i = 0; i < 500 && connect(s, (struct sockaddr *)&sa, sizeof(sa)); i++)
		usleep(20000);
	return s;
}

static void send_open(int s, uint64_t id, uint32_t seq)
{
	struct hl_app_open_req rq = { .id = id };
	uint8_t buf[64];
	struct wwr w;

	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_APP_OPEN_REQ, seq);
	hl_enc_app_open_req(&w, &rq);
	hl_msg_end(&w);
	assert_int_equal(write(s, buf, w.off), (ssize_t)w.off);
}

/*
 * The answer to one OPEN within ms: its status (its fds counted in *nfd and
 * closed), -ETIMEDOUT when none came, -ECONNRESET when the agent hung up.
 */
static int open_answer(int s, int ms, unsigned *nfd)
{
	uint8_t buf[512];
	size_t have = 0;
	struct hl_hdr hd;

	*nfd = 0;
	do {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		int fds[HL_APP_MAX_SEGS];
		unsigned got = 0;
		ssize_t k;

		if (poll(&pf, 1, ms) != 1)
			return -ETIMEDOUT;
		k = hl_recv(s, buf + have, HL_HDR_SIZE + HL_APP_OPEN_RSP_HDR + HL_APP_SEG_SIZE - have,
			    fds, &got, HL_APP_MAX_SEGS);
		for (unsigned i = 0; i < got; i++)
			close(fds[i]);
		*nfd += got;
		if (k == -EAGAIN)
			continue;
		if (k <= 0)
			return -ECONNRESET;
		have += (size_t)k;
	} while (hl_dec_hdr(buf, have, &hd) || have < HL_HDR_SIZE + hd.len);
	{
		struct hl_app_open_rsp rs;
		struct hl_app_seg seg[HL_APP_MAX_SEGS];

		assert_int_equal(hd.type, HL_APP_OPEN_RSP);
		assert_int_equal(hl_dec_app_open_rsp(buf + HL_HDR_SIZE, hd.len, &rs, seg,
						     HL_APP_MAX_SEGS), 0);
		return (int)rs.status;
	}
}

/* cxldcd-host as p's user (p->uid) under RLIMIT_NOFILE @nofile, its output in DIR/@name.log. */
static pid_t spawn_agent_limited(const struct dproc *p, const char *name, unsigned nofile,
				 const char *const *args)
{
	pid_t pid = dproc_spawn_nofile(p, getenv("CXLDCD_HOST") ? getenv("CXLDCD_HOST") : "cxldcd-host",
				       name, args, true, nofile);

	assert_true(pid >= 0);
	return pid;
}

/*
 * The kernel bounds the fds a user has in flight (sent over Unix sockets,
 * not yet received) by the sender's RLIMIT_NOFILE, unless it is root: past
 * it sendmsg() fails ETOOMANYREFS.  An agent of its own user under 64 fds;
 * application A asks 100 OPENs at once and reads none of the answers (one
 * fd each): the agent's answers stop at the bound, A's next waits.
 * Application B then asks one OPEN: it waits too (the WARNING), its
 * connection kept; once A hangs up (its fds in flight go with it), B gets
 * its answer and fd.  On the old code the agent took ETOOMANYREFS for an
 * application not reading and dropped it: A at the bound, and B, who had
 * done nothing wrong, at its first OPEN.
 */
static void test_an_open_refused_for_the_fds_in_flight_waits_not_dropped(void **state)
{
	const char *dargs[] = {
		"-object", "memory-backend-ram,id=m0,size=256M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=1",
		"--fm", "none", "--host-socket", NULL, NULL,
	};
	char sock[100];
	const char *aargs[] = { "--connect", NULL, "--host-id", "0", "--accept", "all",
				"--agent-socket", sock, "-v", NULL };
	struct qmp_client *c;
	struct dproc p;
	unsigned nfd;
	int a, b, answered = 0, rc;

	(void)state;
	skip_unless_root();
	assert_int_equal(dproc_init(&p), 0);
	assert_int_equal(chown(p.dir, AGENT_USER, AGENT_USER), 0);
	p.uid = AGENT_USER;
	p.gid = AGENT_USER;
	p.nofile = 256;
	snprintf(sock, sizeof(sock), "%s/apps.sock", p.dir);
	dargs[7] = p.host;
	c = connect_dev(&p, dargs);
	aargs[1] = p.host;
	spawn_agent_limited(&p, "agent", AGENT_NOFILE, aargs);
	assert_int_equal(wait_count(&p, "stderr.log", "host=0 connected", 1), 1);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			  "\"path\":\"d0\",\"host-id\":0,\"selection-policy\":\"prescriptive\","
			  "\"region\":0,\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	assert_int_equal(wait_count(&p, "agent.log", "group-added", 1), 1);

	a = app_sock(sock);
	for (uint32_t i = 1; i <= PIPELINED; i++)
		send_open(a, 1, i);
	/* the agent met the bound (said below: the old code said nothing, and dropped A) */
	dproc_wait_count(&p, "agent.log", "ETOOMANYREFS", 1, 3000);
	b = app_sock(sock);
	send_open(b, 1, 1);
	rc = open_answer(b, 500, &nfd);
	assert_int_not_equal(rc, -ECONNRESET);     /* the old code: B dropped */
	assert_int_equal(rc, -ETIMEDOUT);          /* its answer waits */
	assert_int_equal(wait_count(&p, "agent.log", "ETOOMANYREFS", 2), 2);
	/* A had some answers: at most the bound, far from all */
	while (open_answer(a, 100, &nfd) == HL_S_OK && nfd == 1)
		answered++;
	assert_true(answered > 0 && answered <= AGENT_NOFILE + 1);
	close(a);
	/* A's fds left with it: B's answer comes, with its fd */
	assert_int_equal(open_answer(b, 3 * TMO, &nfd), HL_S_OK);
	assert_int_equal(nfd, 1);
	close(b);
	qmp_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_load_all_or_nothing),
		cmocka_unit_test(test_a_refused_rule_is_quoted_escaped),
		cmocka_unit_test(test_a_large_group_is_found),
		cmocka_unit_test_teardown(test_a_bad_rules_file_at_start_is_refused, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_bad_rule_on_the_command_line_is_quoted_escaped,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_sighup_reload_revokes_what_the_new_rules_refuse,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_sighup_sets_the_sockets_mode_and_group_again,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_the_rules_file_gives_the_sockets_mode_and_group,
					  dproc_reap_all),
		cmocka_unit_test_teardown(
			test_an_application_is_told_when_the_link_drops_and_group_files_are_refused,
			dproc_reap_all),
		cmocka_unit_test_teardown(test_an_open_refused_for_the_fds_in_flight_waits_not_dropped,
					  dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
