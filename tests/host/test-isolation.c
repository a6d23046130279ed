/* SPDX-License-Identifier: MIT */
/*
 * test-isolation.c - integration: a hostile host against the real daemon
 * ($CXLDCD) reaches none of another host's memory and changes none of its
 * state.  Host 1 is a real host (libcxldcd-host, accept all) holding 2 MiB
 * of SECRET bytes; host 0 is a raw host-link client (rawmsg.h) or a
 * process of the host's user.
 *
 *  - A process of the daemon's user (every host of a Unix host link is
 *    one: the socket is 0600) opened the daemon's own file descriptors
 *    through /proc/PID/fd and read host 1's view (a memfd) whole: the
 *    daemon was dumpable.  It now makes itself non-dumpable at start, so
 *    /proc/PID/fd, /proc/PID/mem and ptrace are the superuser's alone
 *    (fails on the old code; the daemon and the reader run as nobody
 *    when the test runs as root, which may open anything).
 *  - The same through /proc/PID/fd of host 1's agent (cxldcd-host), which
 *    holds the MAP fds of host 1's capacity: cxldcd-host makes itself
 *    non-dumpable too (fails on the old code).
 *  - cxldcd-host's default host link without XDG_RUNTIME_DIR is
 *    /tmp/cxldcd-$UID/host.sock: another user who made that directory
 *    first was the device it connected to; it now refuses a default
 *    directory that is not its user's alone (fails on the old code).
 *  - Every host-facing command that names a DPA (slow-path READ/WRITE,
 *    Media Operations 4402h, Inject/Clear Poison 4301h/4302h, Get Poison
 *    List 4300h, Scan Media 4303h/4304h, Release DC 4803h, Add DC Response
 *    4802h) refuses or shows nothing of host 1's range, and Sanitize and
 *    Secure Erase (4400h/4401h) of host 0 leave host 1's bytes and poison
 *    alone; nobody connects as host 1 while it is connected, nor becomes it
 *    with a second HELLO (a regression test: passes on the old code).
 *  - The fd of host 0's own capacity is sealed, shows none of host 1's
 *    bytes, and writing or punching it changes none (regression).
 *  - Under umask 0 the host link and QMP sockets are 0600: another user
 *    cannot connect (regression).
 *  - A host id bound to a user (--host-socket host.N=USER[:GROUP], the
 *    socket 0660 of group=) is refused to a peer of another uid or gid,
 *    root too, with no fd; the bound user connects and maps (fails on the
 *    old code; root only).
 *  - --host-socket bound-only=on refuses a HELLO of a host id no host.N=
 *    binds, logged (fails on the old code: no such option).
 *  - Set Timestamp and Set Alert Configuration of host 0 changed what
 *    every host read: each LD now has its own, across a kill -9 and
 *    restart too (fails on the old code).
 *  - The --mctp-serial terminal (the device's FM-API) was 0620 of group
 *    tty as grantpt() left it: another user in tty wrote to it.  It is
 *    0600 of the daemon's user (fails on the old code; root only).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../qmp/host-util.h"
#include "cci-raw.h"
#include "hl-raw.h"
#include "rawmsg.h"

#define SECRET 0x5e
#define NOBODY 65534
#define OTHER_DAEMON 54336      /* a daemon's own user, nobody else's */

static const char *const dev_args[] = {
	"-object", "memory-backend-ram,id=m0,size=256M",
	"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2",
	"--fm", "none", "--host-socket",
};

/* The daemon with one 256 MiB region, two hosts and its host link at p->host. */
static struct qmp_client *start(struct dproc *p, bool as_nobody)
{
	const char *args[10];
	size_t n = sizeof(dev_args) / sizeof(dev_args[0]);

	assert_int_equal(dproc_init(p), 0);
	memcpy(args, dev_args, sizeof(dev_args));
	args[n++] = p->host;
	args[n] = NULL;
	if (as_nobody && getuid() == 0) {
		p->uid = NOBODY;
		p->gid = NOBODY;
		assert_int_equal(chown(p->dir, NOBODY, NOBODY), 0);
	}
	return connect_dev(p, args);
}

/* Host 1 (libcxldcd-host) holds the first 2 MiB of region 0, all SECRET. */
static struct cxldcd_host *host1_with_secret(struct qmp_client *c, struct dproc *p, uint64_t *base)
{
	struct cxldcd_host_cfg cfg = { .socket_path = p->host, .host_id = 1,
				       .accept = CXLDCD_HOST_ACCEPT_ALL };
	struct cxldcd_host_dev_info di;
	static uint8_t buf[MiB];
	struct cxldcd_host *h;

	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);
	assert_int_equal(cxldcd_host_get_dev_info(h, &di), 0);
	*base = di.regions[0].base;
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			  "\"path\":\"d0\",\"host-id\":1,\"selection-policy\":\"prescriptive\","
			  "\"region\":0,\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	for (int i = 0; i < 500 && qmp_host_extent_count(c, "d0", 1) != 1; i++)
		cxldcd_host_run_once(h, 20);
	assert_int_equal(qmp_host_extent_count(c, "d0", 1), 1);
	memset(buf, SECRET, sizeof(buf));
	for (uint64_t off = 0; off < 2 * MiB; off += MiB)
		assert_int_equal(cxldcd_host_write(h, *base + off, buf, MiB, TMO), 0);
	return h;
}

/* ------------------------------------------------------------ /proc/PID/fd */

/* Whether fd holds a SECRET byte in its data (SEEK_DATA walk, 64 MiB at most read). */
static bool fd_has_secret(int fd)
{
	static uint8_t buf[1 << 16];
	uint64_t read_total = 0;
	off_t pos = 0, end;

	while ((pos = lseek(fd, pos, SEEK_DATA)) >= 0 && read_total < 64 * MiB) {
		end = lseek(fd, pos, SEEK_HOLE);
		for (; end > pos && read_total < 64 * MiB;) {
			ssize_t n = pread(fd, buf, sizeof(buf), pos);

			if (n <= 0)
				return false;
			if (memchr(buf, SECRET, (size_t)n))
				return true;
			pos += n;
			read_total += (uint64_t)n;
		}
	}
	return false;
}

/*
 * In a child running as the daemon's user: open every file descriptor of
 * the daemon through /proc/PID/fd and look for SECRET.  Its exit status:
 * 0 nothing found (*opened: how many it could open), 1 found, 2 cannot
 * become the user.
 */
static int reader_finds_secret(pid_t daemon, uid_t uid, gid_t gid, int *opened)
{
	int pfd[2], st, n = 0;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char path[64], sub[64 + 256];
		struct dirent *e;
		bool found = false;
		DIR *d;

		close(pfd[0]);
		if (uid && (setgroups(0, NULL) || setgid(gid) || setuid(uid)))
			_exit(2);
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)daemon);
		d = opendir(path);
		while (d && (e = readdir(d)) && !found) {
			struct stat sb;
			int fd;

			if (e->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			fd = open(sub, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			if (fd < 0)
				continue;
			n++;
			found = !fstat(fd, &sb) && S_ISREG(sb.st_mode) && fd_has_secret(fd);
			close(fd);
		}
		if (d)
			closedir(d);
		(void)!write(pfd[1], &n, sizeof(n));
		_exit(found);
	}
	close(pfd[1]);
	if (read(pfd[0], &n, sizeof(n)) != (ssize_t)sizeof(n))
		n = -1;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	*opened = n;
	return WEXITSTATUS(st);
}

static void test_a_process_of_the_hosts_user_cannot_open_the_daemons_files(void **state)
{
	struct cxldcd_host *h1;
	struct qmp_client *c;
	struct dproc p;
	uint64_t base;
	int opened, rc;

	(void)state;
	c = start(&p, true);
	h1 = host1_with_secret(c, &p, &base);
	rc = reader_finds_secret(p.pid, p.uid, p.gid, &opened);
	assert_int_not_equal(rc, 2);
	if (rc == 1)
		fail_msg("a process of the daemon's user read host 1's bytes through /proc/%d/fd",
			 (int)p.pid);
	assert_int_equal(opened, 0);
	cxldcd_host_free(h1);
	qmp_client_free(c);
}

/* ------------------------------------------------------------ a raw host 0 */

/*
 * The next message of type want (others skipped, their fds closed), within
 * TMO: its payload (at most cap bytes) in p, a MAP's fd in *fd (when fd is
 * given).  False when the daemon hung up.
 */
static bool raw_next_fd(struct raw *r, uint8_t want, uint8_t *p, size_t cap, int *fd)
{
	for (int i = 0; i < 1000; i++) {
		struct pollfd pf = { .fd = r->sock, .events = POLLIN };

		if (raw_pop(r, want, p, cap, fd))
			return true;
		if (poll(&pf, 1, 10) != 1)
			continue;
		if (raw_recv(r) <= 0)
			return false;
	}
	fail_msg("no message of type 0x%02x from the daemon", want);
	return false;
}

static bool raw_next(struct raw *r, uint8_t want, uint8_t *p, size_t cap)
{
	return raw_next_fd(r, want, p, cap, NULL);
}

/* Connect as host id with HELLO flags: the HELLO_ACK's status. */
static uint16_t raw_connect_flags(struct raw *r, const char *sock, uint16_t id, uint8_t flags)
{
	uint8_t hello[8] = { 1, 0, (uint8_t)id, (uint8_t)(id >> 8), flags }, p[64];

	memset(r, 0, sizeof(*r));
	r->sock = dproc_connect_unix(sock, TMO);
	assert_true(r->sock >= 0);
	hl_raw_send(r->sock, HL_HELLO, ++r->seq, hello, sizeof(hello));
	assert_true(raw_next(r, HL_HELLO_ACK, p, sizeof(p)));
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint16_t raw_connect(struct raw *r, const char *sock, uint16_t id)
{
	return raw_connect_flags(r, sock, id, 0);
}

/* One CCI request on r's mailbox: the response's return code, its payload in out. */
static uint16_t raw_cci(struct raw *r, uint16_t op, const void *in, size_t len, uint8_t *out,
			size_t cap)
{
	uint8_t req[12 + 128], rsp[12 + 512];

	assert_true(len <= 128 && cap <= 512);
	cci_raw_hdr(req, 1, op, (uint32_t)len);
	if (len)
		memcpy(req + 12, in, len);
	hl_raw_send(r->sock, HL_CCI_REQ, ++r->seq, req, 12 + len);
	assert_true(raw_next(r, HL_CCI_RSP, rsp, sizeof(rsp)));
	if (out)
		memcpy(out, rsp + 12, cap);
	return (uint16_t)(rsp[8] | rsp[9] << 8);
}

/* A slow-path READ_REQ (or WRITE_REQ of len bytes of 0x66): the response's status. */
static uint32_t raw_io(struct raw *r, bool write, uint64_t dpa, uint32_t len)
{
	uint8_t req[16 + 256] = { 0 }, rsp[16 + 256];

	assert_true(len <= 256);
	put64(req, dpa);
	put32(req + 8, len);
	memset(req + 16, 0x66, len);
	hl_raw_send(r->sock, write ? HL_WRITE_REQ : HL_READ_REQ, ++r->seq, req,
		    16 + (write ? len : 0));
	assert_true(raw_next(r, write ? HL_WRITE_RSP : HL_READ_RSP, rsp, sizeof(rsp)));
	return (uint32_t)rsp[0] | (uint32_t)rsp[1] << 8 | (uint32_t)rsp[2] << 16 |
	       (uint32_t)rsp[3] << 24;
}

/*
 * Host 1 still reads SECRET over its 2 MiB at base (but the last line when
 * poisoned_tail, which must still read as poison).
 */
static void host1_intact(struct cxldcd_host *h1, uint64_t base, bool poisoned_tail)
{
	static uint8_t buf[MiB];

	for (uint64_t off = 0; off < 2 * MiB; off += MiB) {
		uint32_t len = (uint32_t)(off && poisoned_tail ? MiB - 64 : MiB);

		memset(buf, 0, sizeof(buf));
		assert_int_equal(cxldcd_host_read(h1, base + off, buf, len, TMO), 0);
		for (uint32_t i = 0; i < len; i++)
			if (buf[i] != SECRET)
				fail_msg("host 1's byte at dpa=0x%llx is 0x%02x, not its own",
					 (unsigned long long)(base + off + i), buf[i]);
	}
	if (poisoned_tail)
		assert_int_equal(cxldcd_host_read(h1, base + 2 * MiB - 64, buf, 64, TMO), -EFAULT);
}

static void test_host_facing_commands_never_reach_another_hosts_range(void **state)
{
	uint8_t in[0x48] = { 0 }, out[64];
	struct cxldcd_host *h1;
	struct qmp_client *c;
	struct raw r0, again;
	struct dproc p;
	uint64_t base, poisoned;

	(void)state;
	c = start(&p, false);
	h1 = host1_with_secret(c, &p, &base);
	poisoned = base + 2 * MiB - 64;
	ok(qmp_client_cmdf(c, TMO, "{\"execute\":\"cxl-inject-poison\",\"arguments\":{"
			   "\"path\":\"d0\",\"start\":%llu,\"length\":64}}",
			   (unsigned long long)poisoned));
	assert_int_equal(raw_connect(&r0, p.host, 0), 0);

	/* the slow path: a read is poison, a write is dropped */
	assert_int_equal(raw_io(&r0, false, base, 256), 4);  /* FAULT */
	assert_int_equal(raw_io(&r0, true, base + 4096, 256), 4);

	/* Media Operations: Zero and Sanitize of host 1's range */
	for (uint8_t sub = 0; sub <= 1; sub++) {
		memset(in, 0, sizeof(in));
		in[0] = 1;      /* class: sanitize */
		in[1] = sub;    /* 0 sanitize, 1 zero */
		put32(in + 4, 1);
		put64(in + 8, base);
		put64(in + 16, 2 * MiB);
		assert_int_equal(raw_cci(&r0, 0x4402, in, 24, NULL, 0), CXLDCD_RC_INVALID_INPUT);
	}

	/* poison: host 0 neither sees, injects, clears nor scans host 1's */
	put64(in, base);
	put64(in + 8, 2 * MiB / 64);
	assert_int_equal(raw_cci(&r0, 0x4300, in, 16, out, sizeof(out)), 0);
	assert_int_equal(out[0x0a] | out[0x0b] << 8, 0);    /* Media Error Record Count */
	assert_int_equal(raw_cci(&r0, 0x4301, in, 8, NULL, 0), CXLDCD_RC_INVALID_PA);
	memset(in, 0, sizeof(in));
	put64(in, poisoned);    /* Clear Poison: DPA, 64 bytes of write data */
	assert_int_equal(raw_cci(&r0, 0x4302, in, 0x48, NULL, 0), CXLDCD_RC_INVALID_PA);
	memset(in, 0, sizeof(in));
	put64(in, base);
	put64(in + 8, 2 * MiB / 64);
	assert_int_equal(raw_cci(&r0, 0x4303, in, 16, NULL, 0), CXLDCD_RC_INVALID_PA);
	assert_int_equal(raw_cci(&r0, 0x4304, in, 17, NULL, 0), CXLDCD_RC_INVALID_PA);

	/* Release DC and Add DC Response naming host 1's extent */
	memset(in, 0, sizeof(in));
	put32(in, 1);
	put64(in + 8, base);
	put64(in + 16, 2 * MiB);
	assert_int_not_equal(raw_cci(&r0, 0x4803, in, 8 + 0x18, NULL, 0), 0);
	assert_int_not_equal(raw_cci(&r0, 0x4802, in, 8 + 0x18, NULL, 0), 0);

	/* Secure Erase and Sanitize erase what host 0 holds: nothing of host 1's */
	assert_int_equal(raw_cci(&r0, 0x4401, NULL, 0, NULL, 0), 0);
	assert_int_equal(raw_cci(&r0, 0x4400, NULL, 0, NULL, 0), CXLDCD_RC_BG_STARTED);

	/* nobody else connects as host 1 while it is connected, nor becomes it */
	assert_int_equal(raw_connect(&again, p.host, 1), 2);  /* HOST_CONNECTED */
	raw_close(&again);
	{
		uint8_t hello[8] = { 1, 0, 1, 0 }, e[64];

		hl_raw_send(r0.sock, HL_HELLO, ++r0.seq, hello, sizeof(hello));
		assert_true(raw_next(&r0, HL_ERROR, e, sizeof(e)));  /* a violation: closed */
		assert_false(raw_next(&r0, HL_HELLO_ACK, e, sizeof(e)));
	}

	host1_intact(h1, base, true);
	assert_int_equal(qmp_host_extent_count(c, "d0", 1), 1);
	raw_close(&r0);
	cxldcd_host_free(h1);
	qmp_client_free(c);
}

/* ------------------------------------------------------------ the host agent's fds */

/* bin with args, as p's user, its output in DIR/name.log: its pid. */
static pid_t spawn_bin(const struct dproc *p, const char *bin, const char *name,
		       const char *const *args)
{
	pid_t pid = dproc_spawn(p, bin, name, args, true);

	assert_true(pid >= 0);
	return pid;
}

static pid_t spawn_cli(const struct dproc *p, const char *name, const char *const *args)
{
	return spawn_bin(p, getenv("CXLDCD_HOST") ? getenv("CXLDCD_HOST") : "cxldcd-host", name, args);
}

/* A one-shot cxldcd-host command: its exit status (-1: none within TMO). */
static int run_cli(const struct dproc *p, const char *const *args)
{
	pid_t pid = spawn_cli(p, "oneshot", args);

	for (int waited = 0; waited < TMO; waited += 10) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(10000);
	}
	return -1;
}

/*
 * Host 1 is the cxldcd-host agent, whose application wrote SECRET over its
 * group; a process of the agent's user (every host agent and application
 * of a Unix host link is one) must not read it through /proc/PID/fd of the
 * agent, which holds the MAP fds of host 1's capacity.
 */
static void test_a_process_of_the_hosts_user_cannot_open_the_agents_files(void **state)
{
	char agent_sock[160];
	const char *agent[] = { "--connect", NULL, "--host-id", "1", "--accept", "all",
				"--agent-socket", agent_sock, NULL };
	const char *fill[] = { "--agent-socket", agent_sock, "fill", "id=1", "0x5e", NULL };
	struct qmp_client *c;
	struct dproc p;
	pid_t pid;
	int opened, rc = -1;

	(void)state;
	c = start(&p, true);
	snprintf(agent_sock, sizeof(agent_sock), "%s/agent1.sock", p.dir);
	agent[1] = p.host;
	pid = spawn_cli(&p, "agent1", agent);
	for (int i = 0; i < 500 && access(agent_sock, F_OK); i++)
		usleep(10000);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			  "\"path\":\"d0\",\"host-id\":1,\"selection-policy\":\"prescriptive\","
			  "\"region\":0,\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	for (int i = 0; i < 500 && qmp_host_extent_count(c, "d0", 1) != 1; i++)
		usleep(10000);
	assert_int_equal(qmp_host_extent_count(c, "d0", 1), 1);
	for (int i = 0; i < 100 && rc; i++) {     /* the agent may not have the group yet */
		rc = run_cli(&p, fill);
		if (rc)
			usleep(20000);
	}
	assert_int_equal(rc, 0);
	rc = reader_finds_secret(pid, p.uid, p.gid, &opened);
	assert_int_not_equal(rc, 2);
	if (rc == 1)
		fail_msg("a process of the agent's user read host 1's bytes through /proc/%d/fd",
			 (int)pid);
	assert_int_equal(opened, 0);
	qmp_client_free(c);
}

/*
 * Without XDG_RUNTIME_DIR the agent's default host link is
 * /tmp/cxldcd-$UID/host.sock, and /tmp is everyone's: another user who
 * makes that directory first, with a socket in it, is the device the agent
 * connects to (it would hand the agent memfds of its own and read what the
 * host writes there).  The agent must refuse a default directory that is
 * not its user's alone, and connect to nothing (fails on the old code: it
 * sent its HELLO to the other user's socket).  Needs root (two users).
 */
/*
 * Run BIN (as the victim, without XDG_RUNTIME_DIR) with ARGS while another
 * user owns /tmp/cxldcd-VICTIM and listens on SOCK in it: BIN must exit 1
 * and connect to nothing.
 */
static void refuses_a_squatted_directory(const char *bin, const char *sock,
					 const char *const *args, const char *what)
{
	const uid_t victim = 54321, other = 54322;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[64], *xdg = getenv("XDG_RUNTIME_DIR");
	struct dproc p;
	pid_t pid;
	int lfd, st = -1, conn;

	if (getuid() != 0)
		skip();
	assert_int_equal(dproc_init(&p), 0);
	p.uid = victim;
	p.gid = victim;
	snprintf(dir, sizeof(dir), "/tmp/cxldcd-%u", (unsigned)victim);
	dproc_track_dir(dir);
	if (!access(dir, F_OK))
		assert_int_equal(system("rm -rf /tmp/cxldcd-54321"), 0);
	/* the other user's directory and socket, open to the victim */
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chown(dir, other, other), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(chmod(sa.sun_path, 0777), 0);
	assert_int_equal(chown(sa.sun_path, other, other), 0);
	assert_int_equal(listen(lfd, 4), 0);

	unsetenv("XDG_RUNTIME_DIR");
	pid = spawn_bin(&p, bin, what, args);
	if (xdg)
		setenv("XDG_RUNTIME_DIR", xdg, 1);
	for (int waited = 0; waited < 2000; waited += 10) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		st = -1;
		usleep(10000);
	}
	conn = accept(lfd, NULL, NULL);
	if (conn >= 0)
		fail_msg("%s connected to the %s of a directory another user made", what, sock);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	close(lfd);
}

static void test_the_agent_refuses_a_default_directory_another_user_made(void **state)
{
	const char *agent[] = { "--host-id", "0", "--wait", "0", NULL };

	(void)state;
	refuses_a_squatted_directory(getenv("CXLDCD_HOST") ? getenv("CXLDCD_HOST") : "cxldcd-host",
				     "host.sock", agent, "agent0");
}

/*
 * The same for cxldcd-ctl's default QMP socket, /tmp/cxldcd-$UID/qmp.sock:
 * the other user would get every command the administrator sends and give
 * the answers (fails on the old code: it connected and sent its greeting's
 * reply).
 */
static void test_ctl_refuses_a_default_directory_another_user_made(void **state)
{
	const char *ctl[] = { "backends", NULL };

	(void)state;
	refuses_a_squatted_directory(getenv("CXLDCD_CTL") ? getenv("CXLDCD_CTL") : "cxldcd-ctl",
				     "qmp.sock", ctl, "ctl");
}

/* ------------------------------------------------------------ the fds host 0 is sent */

/*
 * Host 0 (raw, mapping) accepts 2 MiB at region offset 4 MiB: the fd of its
 * MAP (its view of m0, whose offset 0 is host 1's capacity) is sealed, holds
 * none of host 1's bytes, and writing or punching all of it changes none.
 */
static void test_the_fds_a_host_gets_reach_only_its_own_capacity(void **state)
{
	uint8_t p0[64], req[8 + 0x18] = { 0 }, chunk[65536];
	struct cxldcd_host *h1;
	struct qmp_client *c;
	struct hl_map m;
	struct stat st;
	struct raw r0;
	struct dproc p;
	uint64_t base;
	int fd = -1, seals;

	(void)state;
	c = start(&p, false);
	h1 = host1_with_secret(c, &p, &base);
	assert_int_equal(raw_connect_flags(&r0, p.host, 0, HL_HELLO_F_MAP), 0);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			  "\"path\":\"d0\",\"host-id\":0,\"selection-policy\":\"prescriptive\","
			  "\"region\":0,\"extents\":[{\"offset\":4194304,\"len\":2097152}]}}", TMO));
	put32(req, 1);
	put64(req + 8, base + 4 * MiB);
	put64(req + 16, 2 * MiB);
	cci_raw_hdr(p0, 1, 0x4802, sizeof(req));
	{
		uint8_t msg[12 + sizeof(req)];

		memcpy(msg, p0, 12);
		memcpy(msg + 12, req, sizeof(req));
		hl_raw_send(r0.sock, HL_CCI_REQ, ++r0.seq, msg, sizeof(msg));
	}
	assert_true(raw_next_fd(&r0, HL_MAP, p0, sizeof(p0), &fd));
	assert_int_equal(hl_dec_map(p0, HL_MAP_SIZE, &m), 0);
	assert_true(fd >= 0);
	assert_true(raw_next(&r0, HL_CCI_RSP, p0, sizeof(p0)));
	assert_int_equal(p0[8] | p0[9] << 8, 0);
	assert_int_equal(m.dpa, base + 4 * MiB);

	/* sealed: it cannot shrink, grow or seal the file the daemon writes */
	assert_int_equal(fstat(fd, &st), 0);
	seals = fcntl(fd, F_GET_SEALS);
	assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(ftruncate(fd, st.st_size + 4096), -1);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);

	/* none of host 1's bytes; all it writes and punches up to past its range stays its own */
	assert_false(fd_has_secret(fd));
	assert_true((uint64_t)st.st_size >= m.offset + m.len);
	memset(chunk, 0x66, sizeof(chunk));
	for (uint64_t off = 0; off < m.offset + m.len; off += sizeof(chunk))
		assert_int_equal(pwrite(fd, chunk, sizeof(chunk), (off_t)off), (ssize_t)sizeof(chunk));
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
				   (off_t)(m.offset + m.len)), 0);
	host1_intact(h1, base, false);
	close(fd);
	raw_close(&r0);
	cxldcd_host_free(h1);
	qmp_client_free(c);
}

/* ------------------------------------------------------------ a file per group */

/* Byte at off of fd (pread), or -1. */
static int fd_byte(int fd, uint64_t off)
{
	uint8_t b;

	return pread(fd, &b, 1, (off_t)off) == 1 ? b : -1;
}

/*
 * An agent that asks for a file per group (HELLO flag bit 4, what
 * cxldcd-host does when it serves applications) gets, for each group of
 * non-sharable capacity, a file holding that group alone - also after a
 * restart with --state, where the daemon binds every host's capacity into
 * one view per backend until the host's HELLO asks again: the HELLO moves
 * it into a file per group before the replayed MAPs.  Two tag groups A and
 * B of host 0 on one volatile-dc-memdev (a file: its bytes outlive the
 * stop): after the restart A's fd holds A's bytes, zeros at B's place and
 * no data past A; B's is another file with B's bytes.  On the old code the
 * HELLO_ACK did not grant the flag and both MAPs carried one view.
 */
static void test_a_host_asking_gets_a_file_per_group_across_a_restart(void **state)
{
	char obj[200];
	const char *args[] = {
		"-object", obj,
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2",
		"--fm", "none", "--host-socket", NULL, "--state", NULL, NULL,
	};
	static const char *const tags[2] = { "5be13bce-ae34-4a77-b6c3-16df975fcf1a",
					     "0f8c4d1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5" };
	uint8_t hello[8] = { 1, 0, 0, 0, HL_HELLO_F_MAP | HL_HELLO_F_GROUP_FILES }, p0[64];
	struct cxldcd_host_cfg cfg = { .host_id = 0, .accept = CXLDCD_HOST_ACCEPT_ALL,
				       .group_files = true };
	struct cxldcd_host_dev_info di;
	static uint8_t buf[MiB];
	struct cxldcd_host *h;
	struct qmp_client *c;
	struct stat sa, sb;
	struct hl_map m[2];
	struct dproc p;
	struct raw r;
	uint64_t base;
	int fd[2];

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(obj, sizeof(obj), "memory-backend-file,id=m0,size=256M,mem-path=%s/m0.mem", p.dir);
	args[7] = p.host;
	args[9] = p.state;
	c = connect_dev(&p, args);
	cfg.socket_path = p.host;
	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);
	assert_int_equal(cxldcd_host_get_dev_info(h, &di), 0);
	assert_true(cxldcd_host_group_files_granted(h));
	base = di.regions[0].base;
	for (int g = 0; g < 2; g++) {
		ok(qmp_client_cmdf(c, TMO, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
				   "\"path\":\"d0\",\"host-id\":0,\"selection-policy\":\"prescriptive\","
				   "\"region\":0,\"tag\":\"%s\",\"extents\":[{\"offset\":%d,\"len\":2097152}]}}",
				   tags[g], g * 4 * (int)MiB));
		for (int i = 0; i < 500 && qmp_host_extent_count(c, "d0", 0) != (size_t)g + 1; i++)
			cxldcd_host_run_once(h, 20);
		assert_int_equal(qmp_host_extent_count(c, "d0", 0), g + 1);
		memset(buf, 0xa1 + g * 0x11, sizeof(buf));  /* A: 0xa1, B: 0xb2 */
		assert_int_equal(cxldcd_host_write(h, base + (uint64_t)g * 4 * MiB, buf, MiB, TMO), 0);
	}
	cxldcd_host_free(h);
	qmp_client_free(c);
	kill(p.pid, SIGTERM);           /* a clean stop: the views go back into the file */
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	c = connect_dev(&p, args);

	memset(&r, 0, sizeof(r));
	r.sock = dproc_connect_unix(p.host, TMO);
	assert_true(r.sock >= 0);
	hl_raw_send(r.sock, HL_HELLO, ++r.seq, hello, sizeof(hello));
	assert_true(raw_next(&r, HL_HELLO_ACK, p0, sizeof(p0)));
	assert_int_equal(p0[0] | p0[1] << 8, 0);
	assert_int_equal(p0[4] & (HL_ACK_F_MAP | HL_ACK_F_GROUP_FILES),
			 HL_ACK_F_MAP | HL_ACK_F_GROUP_FILES);
	for (int g = 0; g < 2; g++) {
		assert_true(raw_next_fd(&r, HL_MAP, p0, sizeof(p0), &fd[g]));
		assert_int_equal(hl_dec_map(p0, HL_MAP_SIZE, &m[g]), 0);
	}
	if (m[0].dpa > m[1].dpa) {      /* A first */
		struct hl_map t = m[0];
		int f = fd[0];

		m[0] = m[1];
		m[1] = t;
		fd[0] = fd[1];
		fd[1] = f;
	}
	assert_int_equal(m[0].dpa, base);
	assert_int_equal(m[1].dpa, base + 4 * MiB);
	assert_int_equal(fstat(fd[0], &sa), 0);
	assert_int_equal(fstat(fd[1], &sb), 0);
	assert_true(sa.st_ino != sb.st_ino);
	/* A's file: A's bytes, zeros at B's place, no data past A */
	assert_int_equal(fd_byte(fd[0], m[0].offset), 0xa1);
	assert_int_equal(fd_byte(fd[0], m[0].offset + MiB - 1), 0xa1);
	assert_int_equal(fd_byte(fd[0], m[1].offset), 0);
	assert_int_equal(lseek(fd[0], (off_t)(m[0].offset + 2 * MiB), SEEK_DATA), -1);
	/* B's file: B's bytes */
	assert_int_equal(fd_byte(fd[1], m[1].offset), 0xb2);
	assert_int_equal(fd_byte(fd[1], m[0].offset), 0);
	close(fd[0]);
	close(fd[1]);
	raw_close(&r);
	qmp_client_free(c);
}

/* ------------------------------------------------------------ the daemon's fd limit */

/* Wait until DIR/@name holds @want of @needle; what it holds then. */
static int wait_count(const struct dproc *p, const char *name, const char *needle, int want)
{
	return dproc_wait_count(p, name, needle, want, 3 * TMO);
}

/* The app socket's group @i (in DPA order of the adds: ids follow them): map it, or fail. */
static void app_open(const char *sock, uint64_t id, struct cxldcd_app **app,
		     struct cxldcd_app_map *m)
{
	int rc = -1;

	for (int i = 0; i < 200 && rc; i++) {
		if (!*app && cxldcd_app_connect(sock, app))
			*app = NULL;
		rc = *app ? cxldcd_app_open(*app, NULL, id, m) : -1;
		if (rc) {
			cxldcd_app_free(*app);
			*app = NULL;
			usleep(50000);
		}
	}
	assert_int_equal(rc, 0);
}

#define FD_GROUPS 300

/*
 * A daemon under RLIMIT_NOFILE 256 (one device, 1 GiB memfd, no FM) and an
 * agent with an application socket, given n untagged 2 MiB groups in one
 * add: the test's state.
 */
struct fdlim {
	struct dproc p;
	struct qmp_client *c;
	pid_t agent_pid;
	char app_sock[160];
	const char *agent[12];
};

static void fdlim_start(struct fdlim *f, int n)
{
	const char *args[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=1,"
			   "dc-block-size=2M,max-extents=512,event-log-depth=1024,mbox-payload-size=4K",
		"--fm", "none", "--mctp-cci", "none", "--host-socket", NULL, NULL,
	};
	const char *agent[] = { "--connect", NULL, "--host-id", "0", "--accept", "all",
				"--chain-cap", "512", "--agent-socket", f->app_sock, "-v", NULL };

	assert_int_equal(dproc_init(&f->p), 0);
	f->p.nofile = 256;
	args[9] = f->p.host;
	f->c = connect_dev(&f->p, args);
	snprintf(f->app_sock, sizeof(f->app_sock), "%s/app.sock", f->p.dir);
	memcpy(f->agent, agent, sizeof(agent));
	f->agent[1] = f->p.host;
	f->agent_pid = spawn_cli(&f->p, "agent", f->agent);
	assert_int_equal(wait_count(&f->p, "stderr.log", "host=0 connected", 1), 1);
	add_extents(f->c, 0, 2 * MiB, 0, (unsigned)n);      /* n untagged groups */
	assert_int_equal(wait_count(&f->p, "agent.log", "group-added", n), n);
}

/* Stop the agent and start another, its output in DIR/@name.log. */
static void fdlim_new_agent(struct fdlim *f, const char *name)
{
	int st;

	kill(f->agent_pid, SIGTERM);
	assert_int_equal(waitpid(f->agent_pid, &st, 0), f->agent_pid);
	f->agent_pid = spawn_cli(&f->p, name, f->agent);
}

static void fdlim_stop(struct fdlim *f)
{
	int st;

	kill(f->agent_pid, SIGTERM);
	waitpid(f->agent_pid, &st, 0);
	qmp_client_free(f->c);
}

/*
 * A daemon whose fd limit (256, set before exec) is below what a file per
 * group costs for 300 groups: the agent (cxldcd-host --agent-socket asks for
 * a file per group) accepts 300 untagged extents in one add.  The groups
 * that find no room go into the host's per-backend file (MAP flag spilled,
 * one WARNING line), every group is added and mappable by an application,
 * and the agent connects once.  A restarted agent is refused the file per
 * group at HELLO (WARNING naming the host, its 300 groups and the limit),
 * gets one file for all, its bytes kept, and connects once.  On the old
 * code the daemon ran out of fds sending MAPs, dropped the host and the
 * agent reconnected in a loop (no group added after the first drop).
 */
static void test_a_host_past_the_daemons_fd_limit_gets_its_memory_without_a_loop(void **state)
{
	struct cxldcd_app *app = NULL;
	struct cxldcd_app_map m[2];
	struct fdlim f;

	(void)state;
	fdlim_start(&f, FD_GROUPS);
	assert_int_equal(qmp_host_extent_count(f.c, "d0", 0), FD_GROUPS);
	/* the daemon said why, once; the agent did not reconnect */
	assert_int_equal(dproc_count_in(&f.p, "stderr.log", "no fd left for a file of its group"), 1);
	assert_int_equal(dproc_count_in(&f.p, "agent.log",
					"the device has no fd left for a file per group"), 1);
	assert_int_equal(dproc_count_in(&f.p, "stderr.log", "host=0 connected"), 1);
	assert_int_equal(dproc_count_in(&f.p, "agent.log", "reconnect"), 0);
	/* the first group has a file of its own, the last one spilled: both map */
	app_open(f.app_sock, 1, &app, &m[0]);
	app_open(f.app_sock, FD_GROUPS, &app, &m[1]);
	memset(m[0].addr, 0x5a, 4096);
	memset(m[1].addr, 0xa5, 4096);
	assert_int_equal(((uint8_t *)m[1].addr)[4095], 0xa5);
	cxldcd_app_free(app);   /* the mappings stay */
	app = NULL;

	/* a new agent: its 300 groups do not fit, so no file per group, one file for all */
	fdlim_new_agent(&f, "agent2");
	assert_int_equal(wait_count(&f.p, "agent2.log", "group-added", FD_GROUPS), FD_GROUPS);
	assert_int_equal(dproc_count_in(&f.p, "stderr.log", "host=0: no file per group: it holds 300 "
					"groups and the fd limit 256"), 1);
	assert_int_equal(dproc_count_in(&f.p, "agent2.log", "the device gives no file per group"), 1);
	app_open(f.app_sock, 1, &app, &m[0]);
	app_open(f.app_sock, FD_GROUPS, &app, &m[1]);
	assert_int_equal(((uint8_t *)m[0].addr)[0], 0x5a);
	assert_int_equal(((uint8_t *)m[1].addr)[4095], 0xa5);
	usleep(500000);   /* a loop would show here */
	assert_int_equal(dproc_count_in(&f.p, "stderr.log", "host=0 connected"), 2);
	assert_int_equal(dproc_count_in(&f.p, "agent2.log", "reconnect"), 0);
	assert_int_equal(dproc_count_in(&f.p, "stderr.log", "dropping the connection"), 0);
	cxldcd_app_free(app);
	fdlim_stop(&f);
}

/* The daemon's fds that are memfds named @prefix (its stores: views and group files). */
static int memfds_of(pid_t pid, const char *prefix)
{
	char dir[64], path[400], link[256];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		ssize_t k;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		k = readlink(path, link, sizeof(link) - 1);
		if (k <= 0)
			continue;
		link[k] = '\0';
		n += !strncmp(link, "/memfd:", 7) && !strncmp(link + 7, prefix, strlen(prefix));
	}
	closedir(d);
	return n;
}

#define ONE_FD_GROUPS 120

/*
 * A file per group costs the daemon one fd per group, not two: queued MAPs
 * hold no fd of their own (the fd sent is opened at the send).  Under an fd
 * limit of 256 a host adding 120 untagged groups gets a file for each (120
 * views, none per backend, no spill), and a restarted agent holding them is
 * granted its files again.  On the old code the budget counted 2 fds a
 * file: the groups past about 85 spilled into the per-backend view (the
 * daemon's "no fd left for a file of its group" line), and the restarted
 * agent was refused group files (its 120 groups did not fit).
 */
static void test_a_file_per_group_costs_the_daemon_one_fd(void **state)
{
	struct cxldcd_app *app = NULL;
	struct cxldcd_app_map m;
	struct fdlim f;

	(void)state;
	fdlim_start(&f, ONE_FD_GROUPS);
	/* every group has its file: 120 views, no per-backend one, nothing spilled */
	assert_int_equal(dproc_count_in(&f.p, "stderr.log", "no fd left for a file of its group"), 0);
	assert_int_equal(memfds_of(f.p.pid, "cxldcd-view-"), ONE_FD_GROUPS);
	app_open(f.app_sock, ONE_FD_GROUPS, &app, &m);
	memset(m.addr, 0x5a, 4096);
	cxldcd_app_free(app);
	app = NULL;

	/* a new agent holding them: granted its files again, its bytes there */
	fdlim_new_agent(&f, "agent2");
	assert_int_equal(wait_count(&f.p, "agent2.log", "group-added", ONE_FD_GROUPS),
			 ONE_FD_GROUPS);
	assert_int_equal(dproc_count_in(&f.p, "stderr.log",
					"host=0 connected mapping=on group-files=on"), 2);
	assert_int_equal(dproc_count_in(&f.p, "stderr.log", "no file per group"), 0);
	assert_int_equal(memfds_of(f.p.pid, "cxldcd-view-"), ONE_FD_GROUPS);
	app_open(f.app_sock, ONE_FD_GROUPS, &app, &m);
	assert_int_equal(((uint8_t *)m.addr)[4095], 0x5a);
	cxldcd_app_free(app);
	fdlim_stop(&f);
}

/*
 * A host process out of fds cannot take a MAP's fd (the kernel drops it and
 * says MSG_CTRUNC): libcxldcd-host fails the link with -EMFILE, so its caller
 * knows why (cxldcd-host then waits 2 s before reconnecting).  On the old code
 * it was -EPROTO, "too many file descriptors from the device", as if the
 * device had broken the protocol.
 */
static void test_a_host_out_of_fds_fails_its_link_with_emfile(void **state)
{
	struct cxldcd_host_cfg cfg = { .host_id = 1, .accept = CXLDCD_HOST_ACCEPT_ALL };
	struct rlimit old, rl;
	struct cxldcd_host *h;
	struct qmp_client *c;
	struct dproc p;
	int rc = 0, lim = 0;

	(void)state;
	c = start(&p, false);
	cfg.socket_path = p.host;
	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	while (fcntl(lim, F_GETFD) >= 0)   /* the lowest free fd: none may be made */
		lim++;
	rl = old;
	rl.rlim_cur = (rlim_t)lim;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			  "\"path\":\"d0\",\"host-id\":1,\"selection-policy\":\"prescriptive\","
			  "\"region\":0,\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	for (int i = 0; i < 500 && rc >= 0; i++)
		rc = cxldcd_host_run_once(h, 20);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(rc, -EMFILE);
	assert_int_equal(cxldcd_host_get_state(h), CXLDCD_HOST_FAILED);
	cxldcd_host_free(h);
	qmp_client_free(c);
}

#define INFLIGHT_NOFILE 64
#define SLOW_GROUPS 200         /* host 1's: more MAPs than the daemon may have in flight */
#define FAST_GROUPS 10          /* host 0's */

/* Host @id (libcxldcd-host, reading as it goes) accepts n untagged 2 MiB groups from @first. */
static void accept_groups(struct qmp_client *c, struct dproc *p, uint16_t id, int first, int n)
{
	struct cxldcd_host_cfg cfg = { .socket_path = p->host, .host_id = id,
				       .accept = CXLDCD_HOST_ACCEPT_ALL, .chain_cap = 512 };
	char add[64 * SLOW_GROUPS + 256];
	struct cxldcd_host *h;
	size_t len;

	assert_true(n <= SLOW_GROUPS);
	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);
	len = (size_t)sprintf(add, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			      "\"path\":\"d0\",\"host-id\":%u,\"selection-policy\":\"prescriptive\","
			      "\"region\":0,\"extents\":[", id);
	for (int i = 0; i < n; i++)
		len += (size_t)sprintf(add + len, "%s{\"offset\":%d,\"len\":2097152}", i ? "," : "",
				       (first + i) * 2 * (int)MiB);
	sprintf(add + len, "]}}");
	ok(qmp_client_cmd(c, add, TMO));
	for (int i = 0; i < 2000 && qmp_host_extent_count(c, "d0", id) != (size_t)n; i++)
		cxldcd_host_run_once(h, 20);
	assert_int_equal(qmp_host_extent_count(c, "d0", id), n);
	cxldcd_host_free(h);
}

/* The MAPs r reads within ms (their fds closed), up to want; -1 when the daemon hung up. */
static int maps_within(struct raw *r, int want, int ms)
{
	uint8_t pl[64];
	int n = 0, fd;

	for (int t = 0; t < ms && n < want; t += 10) {
		struct pollfd pf = { .fd = r->sock, .events = POLLIN };

		while (n < want && raw_pop(r, HL_MAP, pl, sizeof(pl), &fd) == HL_MAP) {
			close(fd);
			n++;
		}
		if (n < want && poll(&pf, 1, 10) == 1 && raw_recv(r) <= 0)
			return -1;
	}
	while (n < want && raw_pop(r, HL_MAP, pl, sizeof(pl), &fd) == HL_MAP) {
		close(fd);
		n++;
	}
	return n;
}

/*
 * The kernel bounds the fds a user has sent over Unix sockets and nobody
 * has received yet ("in flight") by the sender's RLIMIT_NOFILE, unless it
 * is root: past it sendmsg() fails ETOOMANYREFS, for any socket of that
 * user.  A daemon of its own user under 64 fds replays host 1's 200 MAPs
 * (one fd each) while host 1 reads none of them: the kernel's bound is
 * reached (a socket's buffer holds 128 of them).  Host 0, which reads at
 * once, then connects: its MAPs wait (the daemon's WARNING), no link is
 * closed, and once host 1 reads, every MAP of both hosts arrives.  On the
 * old code the daemon took ETOOMANYREFS for a dead connection and dropped
 * the host whose send it refused (host 1, with 64 MAPs of its 200).
 */
static void test_a_slow_host_holding_the_fds_in_flight_delays_another_hosts_maps_not_its_link(void **state)
{
	const char *args[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2,"
			   "dc-block-size=2M,max-extents=512,event-log-depth=1024,mbox-payload-size=4K",
		"--fm", "none", "--mctp-cci", "none", "--host-socket", NULL, NULL,
	};
	struct qmp_client *c;
	struct dproc p;
	struct raw slow, fast;
	int got;

	(void)state;
	if (getuid() != 0)
		skip();         /* the daemon runs as a user of its own (root has no such bound) */
	assert_int_equal(dproc_init(&p), 0);
	assert_int_equal(chown(p.dir, OTHER_DAEMON, OTHER_DAEMON), 0);
	p.uid = OTHER_DAEMON;
	p.gid = OTHER_DAEMON;
	p.nofile = INFLIGHT_NOFILE;
	args[9] = p.host;
	c = connect_dev(&p, args);
	accept_groups(c, &p, 1, 0, SLOW_GROUPS);
	accept_groups(c, &p, 0, SLOW_GROUPS, FAST_GROUPS);

	/* host 1 connects again and reads nothing: its replay's MAPs fill what may be in flight */
	assert_int_equal(raw_connect_flags(&slow, p.host, 1, HL_HELLO_F_MAP), 0);
	usleep(300000);
	/* host 0 reads at once: its MAPs wait, its link stays */
	assert_int_equal(raw_connect_flags(&fast, p.host, 0, HL_HELLO_F_MAP), 0);
	got = maps_within(&fast, FAST_GROUPS, 500);
	assert_true(got >= 0);
	/* no host dropped but the two that went (the old code: host 1 too, at its first refusal) */
	assert_int_equal(dproc_count_in(&p, "stderr.log", "disconnected"), 2);
	assert_true(got < FAST_GROUPS);
	assert_int_equal(dproc_wait_count(&p, "stderr.log", "host=0: the kernel refuses more fds in "
					  "flight for this user (ETOOMANYREFS", 1, TMO), 1);
	/* host 1 reads: the fds in flight drain, and everything arrives */
	assert_int_equal(maps_within(&slow, SLOW_GROUPS, 3 * TMO), SLOW_GROUPS);
	assert_int_equal(maps_within(&fast, FAST_GROUPS - got, 3 * TMO), FAST_GROUPS - got);
	assert_int_equal(dproc_count_in(&p, "stderr.log", "disconnected"), 2);  /* the first hosts' */
	raw_close(&slow);
	raw_close(&fast);
	qmp_client_free(c);
}

/* ------------------------------------------------------------ the sockets */

/* In a child as uid/gid: connect() to path's errno (0: it connected). */
static int connect_as(const char *path, uid_t uid, gid_t gid)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(255);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		_exit(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/*
 * Started under umask 0 in a directory anyone may enter, the host link and
 * QMP sockets are 0600: another user cannot connect to become a host (or
 * the orchestrator).
 */
static void test_another_user_cannot_connect_to_the_sockets(void **state)
{
	struct qmp_client *c;
	struct stat st;
	struct dproc p;
	mode_t old;

	(void)state;
	old = umask(0);
	c = start(&p, false);
	umask(old);
	assert_int_equal(chmod(p.dir, 0755), 0);
	assert_int_equal(stat(p.host, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(p.qmp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	if (getuid() == 0) {
		assert_int_equal(connect_as(p.host, NOBODY, NOBODY), EACCES);
		assert_int_equal(connect_as(p.qmp, NOBODY, NOBODY), EACCES);
	}
	qmp_client_free(c);
}

/* ------------------------------------------------------------ host ids bound to users */

#define OTHER 54321

/*
 * A child of uid/gid connects to path and hands the socket back (SCM_RIGHTS):
 * the daemon sees that child's credentials on it (SO_PEERCRED is taken at
 * connect()).  -1 when it could not connect.
 */
static int connected_as(const char *path, uid_t uid, gid_t gid)
{
	int sv[2], st, fd = -1;
	pid_t pid;
	char c = 0;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int s;

		close(sv[0]);
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(255);
		s = dproc_connect_unix(path, TMO);
		if (s < 0)
			_exit(1);
		memset(&u, 0, sizeof(u));
		u.h.cmsg_level = SOL_SOCKET;
		u.h.cmsg_type = SCM_RIGHTS;
		u.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&u.h), &s, sizeof(int));
		_exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 2);
	}
	close(sv[1]);
	if (recvmsg(sv[0], &mh, 0) == 1 && mh.msg_controllen >= CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	close(sv[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return fd;
}

/*
 * HELLO as host id on sock (mapping asked): the HELLO_ACK's status.  A
 * refused one is followed by the end of the connection and no fd at all.
 */
static uint16_t hello_on(int sock, uint16_t id)
{
	uint8_t hello[8] = { 1, 0, (uint8_t)id, (uint8_t)(id >> 8), HL_HELLO_F_MAP }, p[64];
	struct raw r = { .sock = sock };
	uint16_t status;

	assert_true(sock >= 0);
	hl_raw_send(r.sock, HL_HELLO, ++r.seq, hello, sizeof(hello));
	assert_true(raw_next(&r, HL_HELLO_ACK, p, sizeof(p)));
	status = (uint16_t)(p[0] | p[1] << 8);
	if (status) {
		int fd = -1;

		assert_false(raw_next_fd(&r, HL_MAP, p, sizeof(p), &fd));
		assert_int_equal(r.nr_fds, 0);
	}
	raw_close(&r);
	return status;
}

/*
 * --host-socket PATH,host.0=OTHER:OTHER,host.1=nobody,group=nobody: the
 * socket is 0660 of group nobody; a peer of another uid (or, for a host
 * bound with a group, another gid) is refused host 1 (host 0) with ACCES
 * and no fd, root too, and the refusals are logged; host 2, unbound, is
 * anyone's who reaches the socket; nobody connects as host 1 and maps its
 * capacity.  Before, any peer claimed any host id (fails on the old code:
 * host.N= was an unknown option).  Root only (skipped otherwise).
 */
static void test_a_host_id_bound_to_a_user_is_refused_to_another(void **state)
{
	char arg[384], uids[16];
	const char *args[] = {
		"-object", "memory-backend-ram,id=m0,size=256M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=3",
		"--fm", "none", "--host-socket", arg, NULL,
	};
	struct cxldcd_host_group_info gi;
	struct cxldcd_host_dev_info di;
	struct cxldcd_host *h1;
	struct qmp_client *c;
	struct stat st;
	struct dproc p;
	uint64_t base, size;
	void *addr;

	(void)state;
	if (getuid() != 0)
		skip();
	assert_int_equal(dproc_init(&p), 0);
	snprintf(uids, sizeof(uids), "%u", NOBODY);
	snprintf(arg, sizeof(arg), "%s,host.0=%u:%u,host.1=%s,group=%s", p.host, OTHER, OTHER,
		 uids, uids);
	c = connect_dev(&p, args);
	assert_int_equal(chmod(p.dir, 0755), 0);
	assert_int_equal(stat(p.host, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, NOBODY);

	/* another uid; the right uid but another gid; root: all refused, no fd */
	assert_int_equal(hello_on(connected_as(p.host, OTHER, NOBODY), 1), HL_S_ACCES);
	assert_int_equal(hello_on(connected_as(p.host, OTHER, NOBODY), 0), HL_S_ACCES);
	assert_int_equal(hello_on(dproc_connect_unix(p.host, TMO), 1), HL_S_ACCES);
	assert_non_null(strstr(dproc_log(&p),
			       "host=1: HELLO from uid 54321 refused: host 1 is bound to uid 65534"));
	assert_non_null(strstr(dproc_log(&p),
			       "host=0: HELLO from uid 54321 gid 65534 refused: host 0 is bound to uid 54321 gid 54321"));
	assert_non_null(strstr(dproc_log(&p),
			       "host=1: HELLO from uid 0 refused: host 1 is bound to uid 65534"));
	/* another user in the socket's group cannot even connect without it */
	assert_int_equal(connect_as(p.host, OTHER, OTHER), EACCES);
	/* unbound: anyone who reaches the socket */
	assert_int_equal(hello_on(connected_as(p.host, OTHER, NOBODY), 2), 0);

	/* nobody is host 1: it connects (its euid at connect()) and maps its capacity */
	assert_int_equal(setegid(NOBODY), 0);
	assert_int_equal(seteuid(NOBODY), 0);
	{
		struct cxldcd_host_cfg cfg = { .socket_path = p.host, .host_id = 1,
					       .accept = CXLDCD_HOST_ACCEPT_ALL };
		int rc = dproc_host_new(&cfg, &h1, TMO);

		assert_int_equal(seteuid(0), 0);
		assert_int_equal(setegid(0), 0);
		assert_int_equal(rc, 0);
	}
	assert_int_equal(cxldcd_host_get_dev_info(h1, &di), 0);
	assert_true(di.mapping);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			  "\"path\":\"d0\",\"host-id\":1,\"selection-policy\":\"prescriptive\","
			  "\"region\":0,\"extents\":[{\"offset\":0,\"len\":2097152}]}}", TMO));
	for (int i = 0; i < 500 && qmp_host_extent_count(c, "d0", 1) != 1; i++)
		cxldcd_host_run_once(h1, 20);
	assert_int_equal(qmp_host_extent_count(c, "d0", 1), 1);
	for (int i = 0; i < 500 && !(cxldcd_host_list_groups(h1, &gi, 1) == 1 && gi.mapped); i++)
		cxldcd_host_run_once(h1, 20);
	assert_int_equal(cxldcd_host_list_groups(h1, &gi, 1), 1);
	assert_true(gi.mapped);
	assert_int_equal(cxldcd_host_group_open(h1, NULL, gi.id, &addr, &size), 0);
	assert_int_equal(size, 2 * MiB);
	memset(addr, SECRET, size);
	assert_int_equal(cxldcd_host_group_close(h1, gi.id), 0);
	base = di.regions[0].base;
	host1_intact(h1, base, false);
	cxldcd_host_free(h1);
	qmp_client_free(c);
}

/*
 * --host-socket PATH,host.1=ME,bound-only=on: host 1, bound to the test's
 * user, connects; host 0, bound to nobody, is refused with ACCES and no
 * fd, and the refusal is logged.  Before, there was no way to say so: an
 * unbound id was anyone's who reached the socket (fails on the old code:
 * bound-only was an unknown option).
 */
static void test_a_bound_only_socket_refuses_an_unbound_host_id(void **state)
{
	char arg[256], want[128];
	const char *args[] = {
		"-object", "memory-backend-ram,id=m0,size=256M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2",
		"--fm", "none", "--host-socket", arg, NULL,
	};
	struct qmp_client *c;
	struct dproc p;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(arg, sizeof(arg), "%s,host.1=%u,bound-only=on", p.host, (unsigned)getuid());
	c = connect_dev(&p, args);
	assert_int_equal(hello_on(dproc_connect_unix(p.host, TMO), 0), HL_S_ACCES);
	snprintf(want, sizeof(want),
		 "host=0: HELLO from uid %u refused: host 0 is not bound to a user (bound-only)",
		 (unsigned)getuid());
	if (!strstr(dproc_log(&p), want))
		fail_msg("no '%s' in the log:\n%s", want, dproc_log(&p));
	assert_int_equal(hello_on(dproc_connect_unix(p.host, TMO), 1), 0);
	qmp_client_free(c);
}

/* ------------------------------------------------------------ per-LD device state */

/* Host id's Get Timestamp (0300h) on a fresh raw connection. */
static uint64_t timestamp_of(const char *sock, uint16_t id)
{
	uint8_t out[8];
	struct raw r;
	uint64_t ts = 0;

	assert_int_equal(raw_connect(&r, sock, id), 0);
	assert_int_equal(raw_cci(&r, 0x0300, NULL, 0, out, sizeof(out)), 0);
	for (int i = 7; i >= 0; i--)
		ts = ts << 8 | out[i];
	raw_close(&r);
	return ts;
}

/* Host id's Get Alert Configuration (4201h): byte 0, the alerts enabled. */
static uint8_t alerts_of(const char *sock, uint16_t id)
{
	uint8_t out[16];
	struct raw r;

	assert_int_equal(raw_connect(&r, sock, id), 0);
	assert_int_equal(raw_cci(&r, 0x4201, NULL, 0, out, sizeof(out)), 0);
	raw_close(&r);
	return out[0];
}

/*
 * Set Timestamp (0301h) and Set Alert Configuration (4202h) on host 0's
 * mailbox change what host 0 reads, not host 1: each LD has its own
 * (CXL r3.2 §2.4, §2.5), also after a kill -9 and restart with --state
 * (journal replay runs them on host 0's LD).  Before, one host set the
 * device's timestamp and alerts for every host (fails on the old code:
 * host 1 read host 0's timestamp).
 */
static void test_a_hosts_timestamp_and_alerts_are_its_own(void **state)
{
	const uint64_t t0 = 0x17f0000000000000ull;
	const char *args[] = {
		"-object", "memory-backend-ram,id=m0,size=256M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2",
		"--fm", "none", "--host-socket", NULL, "--state", NULL, NULL,
	};
	uint8_t in[12] = { 0 };
	struct qmp_client *c;
	struct dproc p;
	struct raw r0;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	args[7] = p.host;
	args[9] = p.state;
	c = connect_dev(&p, args);
	assert_int_equal(raw_connect(&r0, p.host, 0), 0);
	put64(in, t0);
	assert_int_equal(raw_cci(&r0, 0x0301, in, 8, NULL, 0), 0);
	memset(in, 0, sizeof(in));
	in[0] = 0x02;           /* over-temperature warning at 60 C */
	in[1] = 0x02;
	in[4] = 60;
	assert_int_equal(raw_cci(&r0, 0x4202, in, sizeof(in), NULL, 0), 0);
	raw_close(&r0);
	for (int life = 0; life < 2; life++) {
		uint64_t ts1 = timestamp_of(p.host, 1);

		if (ts1)
			fail_msg("host 1 reads timestamp 0x%llx that host 0 set",
				 (unsigned long long)ts1);
		assert_true(timestamp_of(p.host, 0) >= t0);
		assert_int_equal(alerts_of(p.host, 1), 0);
		assert_int_equal(alerts_of(p.host, 0), 0x02);
		if (life)
			break;
		qmp_client_free(c);
		dproc_kill9(&p);
		c = connect_dev(&p, args);
	}
	qmp_client_free(c);
}

static const uint8_t scrub_uuid[16] = { 0x96, 0xda, 0xd7, 0xd6, 0xfd, 0xe8, 0x48, 0x2b,
					0xa7, 0x33, 0x75, 0x77, 0x4e, 0x06, 0xdb, 0x8a };
static const uint8_t ecs_uuid[16] = { 0xe5, 0xb1, 0x3f, 0x22, 0x23, 0x28, 0x4a, 0x14,
				      0xb8, 0xba, 0xb9, 0x69, 0x1e, 0x89, 0x33, 0x86 };

/* Set Feature (0502h, version 1) with Flags action, at off, n data bytes: the return code. */
static uint16_t set_feature(struct raw *r, const uint8_t uuid[16], uint8_t action, uint16_t off,
			    const uint8_t *data, size_t n)
{
	uint8_t in[0x20 + 16] = { 0 };

	assert_true(n <= 16);
	memcpy(in, uuid, 16);
	in[0x10] = action;
	in[0x14] = (uint8_t)off;
	in[0x15] = (uint8_t)(off >> 8);
	in[0x16] = 1;
	if (n)
		memcpy(in + 0x20, data, n);
	return raw_cci(r, 0x0502, in, 0x20 + n, NULL, 0);
}

/* Host id's Get Feature (0501h) current value: n bytes from offset 0 into out. */
static void feature_of(const char *sock, uint16_t id, const uint8_t uuid[16], uint8_t *out,
		       size_t n)
{
	uint8_t in[0x15] = { 0 };
	struct raw r;

	memcpy(in, uuid, 16);
	in[0x12] = (uint8_t)n;
	assert_int_equal(raw_connect(&r, sock, id), 0);
	assert_int_equal(raw_cci(&r, 0x0501, in, sizeof(in), out, n), 0);
	raw_close(&r);
}

/*
 * A host that opens a Set Feature transfer in parts (0502h Initiate) and
 * never finishes it blocks no other host: each LD has its own transfer
 * (CXL r3.2 §2.5).  Host 1's Full Set Feature succeeds while host 0's is
 * open, also after kill -9 and a restart with --state (the journal replays
 * both), and host 0 then completes its own transfer with its own bytes.
 * Fails on the old code: one transfer for the device, so host 1 got Feature
 * Transfer in Progress (1Bh) until host 0 finished or aborted.
 */
static void test_a_hosts_open_set_feature_transfer_blocks_no_other_host(void **state)
{
	const char *args[] = {
		"-object", "memory-backend-ram,id=m0,size=256M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2",
		"--fm", "none", "--host-socket", NULL, "--state", NULL, NULL,
	};
	/* ECS: per DRAM; FRU thresholds 4096, 1024, 256 errors */
	const uint8_t ecs[7] = { 0, 5, 0, 4, 0, 3, 0 };
	uint8_t out[16];
	struct qmp_client *c;
	struct dproc p;
	struct raw r0, r1;
	uint16_t rc;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	args[7] = p.host;
	args[9] = p.state;
	c = connect_dev(&p, args);
	assert_int_equal(raw_connect(&r0, p.host, 0), 0);
	assert_int_equal(set_feature(&r0, ecs_uuid, 1, 0, ecs, 3), 0);        /* Initiate */
	raw_close(&r0);
	for (int life = 0; life < 2; life++) {
		uint8_t cycle = life ? 6 : 24;

		assert_int_equal(raw_connect(&r1, p.host, 1), 0);
		rc = set_feature(&r1, scrub_uuid, 0, 0, (const uint8_t[]){ cycle, 1 }, 2);
		if (rc)
			fail_msg("host 1's Full Set Feature: 0x%x while host 0's transfer is open", rc);
		raw_close(&r1);
		feature_of(p.host, 1, scrub_uuid, out, 4);
		assert_int_equal(out[1], cycle);
		assert_int_equal(out[3], 1);
		if (life)
			break;
		qmp_client_free(c);
		dproc_kill9(&p);
		c = connect_dev(&p, args);
	}
	/* host 0 goes on from its own 3 bytes and finishes */
	assert_int_equal(raw_connect(&r0, p.host, 0), 0);
	assert_int_equal(set_feature(&r0, ecs_uuid, 2, 3, ecs + 3, 2), 0);    /* Continue */
	assert_int_equal(set_feature(&r0, ecs_uuid, 3, 5, ecs + 5, 2), 0);    /* Finish */
	raw_close(&r0);
	feature_of(p.host, 0, ecs_uuid, out, 13);
	assert_int_equal(out[0], 0);                    /* log entry type: per DRAM */
	assert_int_equal(out[2] & 7, 5);
	assert_int_equal(out[6] & 7, 4);
	assert_int_equal(out[10] & 7, 3);
	qmp_client_free(c);
}

/* ------------------------------------------------------------ the MCTP serial terminal */

/* In a child as uid with the supplementary group grp: open(path, flags)'s errno (0: opened). */
static int open_as(const char *path, int flags, uid_t uid, gid_t grp)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(1, &grp) || setgid(uid) || setuid(uid))
			_exit(255);
		_exit(open(path, flags | O_NOCTTY | O_CLOEXEC) < 0 ? errno : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/*
 * --mctp-serial pty: the terminal is the device's FM-API (07h) and its
 * MCTP CCI (08h).  grantpt() leaves the slave as devpts makes it, on most
 * systems (devpts mounted gid=5,mode=620) 0620 of group tty, so another
 * user in group tty wrote FM-API requests to it.  The daemon makes it 0600
 * of its own user before it names it.  The test mounts such a devpts in a
 * mount namespace of its own (the daemon it starts inherits it); where it
 * cannot, it checks the system's.  Fails on the old code (the terminal
 * was 0620 and opened for writing by uid 54321 in group tty).  Root only
 * (the daemon runs as nobody).
 */
static void test_the_mctp_serial_terminal_is_the_daemons_alone(void **state)
{
	const char *args[] = {
		"-object", "memory-backend-ram,id=m0,size=256M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2",
		"--fm", "none", "--mctp-serial", "pty", NULL,
	};
	struct group *tty = getgrnam("tty");
	gid_t tty_gid = tty ? tty->gr_gid : 5;
	char opts[96], path[64];
	struct qmp_client *c;
	const char *at;
	bool ours = false;
	struct stat st;
	struct dproc p;
	int k = 0;

	(void)state;
	if (getuid() != 0)
		skip();
	snprintf(opts, sizeof(opts), "newinstance,mode=620,gid=%u,ptmxmode=666", (unsigned)tty_gid);
	if (!unshare(CLONE_NEWNS) && !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) &&
	    !mount("devpts", "/dev/pts", "devpts", 0, opts))
		ours = true;
	else
		print_message("cannot mount a devpts (%s): checking the system's\n", strerror(errno));
	assert_int_equal(dproc_init(&p), 0);
	p.uid = NOBODY;
	p.gid = NOBODY;
	assert_int_equal(chown(p.dir, NOBODY, NOBODY), 0);
	c = connect_dev(&p, args);
	at = strstr(dproc_log(&p), "mctp-serial: /dev/");
	if (!at)
		fail_msg("no terminal in the log:\n%s", dproc_log(&p));
	at += strlen("mctp-serial: ");
	while (at[k] && at[k] != ' ' && k < 63) {
		path[k] = at[k];
		k++;
	}
	path[k] = '\0';

	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_uid, NOBODY);
	if ((st.st_mode & 07777) != 0600)
		fail_msg("%s is %04o of uid %u gid %u, not 0600", path, st.st_mode & 07777,
			 (unsigned)st.st_uid, (unsigned)st.st_gid);
	/* another user in group tty (or in the daemon's group) cannot open it */
	assert_int_equal(open_as(path, O_WRONLY, OTHER, tty_gid), EACCES);
	assert_int_equal(open_as(path, O_RDWR, OTHER, tty_gid), EACCES);
	assert_int_equal(open_as(path, O_WRONLY, OTHER, NOBODY), EACCES);
	/* the daemon's user can: a peer (ldattach, test-mctp-pty) runs as it */
	assert_int_equal(open_as(path, O_RDWR, NOBODY, NOBODY), 0);
	qmp_client_free(c);
	if (ours) {
		dproc_reap_all(NULL);
		assert_int_equal(umount2("/dev/pts", MNT_DETACH), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_a_process_of_the_hosts_user_cannot_open_the_daemons_files,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_host_facing_commands_never_reach_another_hosts_range,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_process_of_the_hosts_user_cannot_open_the_agents_files,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_the_agent_refuses_a_default_directory_another_user_made,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_ctl_refuses_a_default_directory_another_user_made,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_the_fds_a_host_gets_reach_only_its_own_capacity,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_host_asking_gets_a_file_per_group_across_a_restart,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_host_past_the_daemons_fd_limit_gets_its_memory_without_a_loop,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_file_per_group_costs_the_daemon_one_fd, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_host_out_of_fds_fails_its_link_with_emfile,
					  dproc_reap_all),
		cmocka_unit_test_teardown(
			test_a_slow_host_holding_the_fds_in_flight_delays_another_hosts_maps_not_its_link,
			dproc_reap_all),
		cmocka_unit_test_teardown(test_another_user_cannot_connect_to_the_sockets,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_host_id_bound_to_a_user_is_refused_to_another,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_bound_only_socket_refuses_an_unbound_host_id,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_hosts_timestamp_and_alerts_are_its_own,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_hosts_open_set_feature_transfer_blocks_no_other_host,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_the_mctp_serial_terminal_is_the_daemons_alone,
					  dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
