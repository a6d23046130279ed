/* SPDX-License-Identifier: MIT */
/*
 * test-host-acl.c - integration: who may open which group of one host
 * through the agent's application socket (docs/host.md, "Who may open
 * which group").  The real daemon ($CXLDCD) and the real agent
 * ($CXLDCD_HOST, as root) with --agent-socket-mode/-group and
 * --group-access rules; the applications are children of this test that
 * drop to other users (setgroups, setgid, setuid) and use cxldcd_app_*,
 * or the raw OPEN_REQ to look at the fds themselves.
 *
 * First the rules alone (any user): which rule a group takes and which
 * bits a peer's credentials get, and refused rules leaving the set as it
 * was.  Then host 0 holds three groups of 2 MiB: A (tag A: owner alice,
 * group ga, mode 0640), B (tag B: owner bob, mode 0600) and U (untagged:
 * no rule, so the default, the agent's user (root) and 0600).
 *
 *  - Each user lists exactly the groups it may read: alice A; bob B;
 *    carol (ga as a supplementary group, SO_PEERGROUPS) A; erin (ga as
 *    her primary group) A; dave none; root all three.
 *  - An open the mode does not allow is refused EACCES, the group named
 *    in the agent's access-denied line, and changes nothing: the bytes
 *    read back through root are the same, nothing is counted open.
 *  - A read-only grant (carol on A) opens read-only alone: the mapping
 *    reads the group, mprotect(PROT_WRITE) fails, and the fds the agent
 *    hands are O_RDONLY (mmap PROT_WRITE MAP_SHARED: EACCES).  The owner
 *    writes, and root reads her bytes back.
 *  - Without rules an agent serving others (mode 0666) gives them nothing:
 *    as before, the agent's user and root alone open groups.
 *  - The socket takes --agent-socket-mode and --agent-socket-group: a
 *    member of the group connects, another user gets EACCES.
 *  - Bad option values are refused (exit 2, the reason named).
 *
 * Without the checks in the agent (apps.c: listable(), may_open()) the
 * four after the rules fail: every user with access to the socket lists
 * and opens every group, writable.  Needs root (CI runs as root): those
 * are skipped otherwise.
 */
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
#define TAG_B "0f8c4d1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5"
#define GA 54340                /* a group nobody else is in */

struct who {
	const char *name;
	uid_t uid;
	gid_t gid;
	gid_t sup;              /* a supplementary group; 0: none */
};

static const struct who alice = { "alice", 65534, 65534, 0 };
static const struct who bob = { "bob", 54330, 54330, 0 };
static const struct who carol = { "carol", 54331, 54331, GA };
static const struct who dave = { "dave", 54332, 54332, 0 };
static const struct who erin = { "erin", 54333, GA, 0 };

enum { GA_IDX = 0, GB_IDX = 1, GU_IDX = 2, NR_G = 3 };

struct env {
	struct dproc p;
	struct qmp_client *c;
	char sock[100];         /* DIR/apps.sock: fits sun_path */
	pid_t agent;
	uint64_t id[NR_G];      /* A, B, U as the agent numbered them */
};

static const char *const rules[] = {
	"--agent-socket-mode", "0666",
	"--group-access", "tag=" TAG_A ",owner=65534,group=54340,mode=0640",
	"--group-access", "tag=" TAG_B ",owner=54330,mode=0600",
	NULL,
};

static void skip_unless_root(void)
{
	if (geteuid() != 0) {
		print_message("test-host-acl: needs root (applications of other users: setuid)\n");
		skip();
	}
}

/* $CXLDCD_HOST with args, as root, its output in DIR/name.log: its pid. */
static pid_t spawn_cli(const struct dproc *p, const char *name, const char *const *args)
{
	pid_t pid = dproc_spawn(p, getenv("CXLDCD_HOST") ? getenv("CXLDCD_HOST") : "cxldcd-host",
				name, args, false);

	assert_true(pid >= 0);
	return pid;
}

/* DIR/name.log (static buffer). */
static const char *log_of(const struct dproc *p, const char *name)
{
	static char buf[16384];
	char path[160];
	ssize_t n = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.log", p->dir, name);
	buf[0] = '\0';
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* Wait for exit: the status, -1 when none within TMO. */
static int wait_status(pid_t pid)
{
	for (int waited = 0; waited < TMO; waited += 10) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(10000);
	}
	return -1;
}

/* The agent's group of tag (NULL: the untagged one), as root lists them; 0 when none. */
static uint64_t id_of(const struct cxldcd_host_group_info *g, int n, const char *tag)
{
	uint8_t t[16];

	if (tag)
		assert_int_equal(cxldcd_tag_parse(tag, t), 0);
	for (int i = 0; i < n; i++)
		if (tag ? g[i].tagged && !memcmp(g[i].tag, t, 16) : !g[i].tagged)
			return g[i].id;
	return 0;
}

/*
 * The daemon (one 256 MiB region, host 0), the agent as root with
 * --agent-socket DIR/apps.sock and @extra (NULL-terminated), and host 0
 * holding A (0..2 MiB), B (4..6 MiB) and U (8..10 MiB).
 */
static void start_env(struct env *e, const char *const *extra)
{
	const char *dargs[] = {
		"-object", "memory-backend-ram,id=m0,size=256M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=1",
		"--fm", "none", "--host-socket", NULL, NULL,
	};
	const char *aargs[32] = { "--connect", NULL, "--host-id", "0", "--accept", "all",
				  "--agent-socket", e->sock };
	static const char *const tags[NR_G] = { TAG_A, TAG_B, NULL };
	struct cxldcd_host_group_info g[8];
	struct cxldcd_app *app = NULL;
	int n = 8, rc = -1;

	memset(e, 0, sizeof(*e));
	assert_int_equal(dproc_init(&e->p), 0);
	/* the applications of other users reach DIR/apps.sock (the daemon's sockets stay 0600) */
	assert_int_equal(chmod(e->p.dir, 0711), 0);
	snprintf(e->sock, sizeof(e->sock), "%s/apps.sock", e->p.dir);
	dargs[7] = e->p.host;
	e->c = connect_dev(&e->p, dargs);
	aargs[1] = e->p.host;
	for (int i = 0; extra && extra[i]; i++)
		aargs[8 + i] = extra[i];
	e->agent = spawn_cli(&e->p, "agent", aargs);
	for (int i = 0; i < NR_G; i++) {
		char tag[64] = "";

		if (tags[i])
			snprintf(tag, sizeof(tag), "\"tag\":\"%s\",", tags[i]);
		ok(qmp_client_cmdf(e->c, TMO, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
				   "\"path\":\"d0\",\"host-id\":0,\"selection-policy\":\"prescriptive\","
				   "\"region\":0,%s\"extents\":[{\"offset\":%d,\"len\":2097152}]}}",
				   tag, i * 4 * (int)MiB));
	}
	/* root (this process) lists every group once the agent has them */
	for (int i = 0; i < 500 && n != NR_G; i++) {
		if (!app && (rc = cxldcd_app_connect(e->sock, &app)))
			app = NULL;
		n = app ? cxldcd_app_list(app, g, 8) : -1;
		if (n != NR_G)
			usleep(20000);
	}
	if (n != NR_G)
		fail_msg("the agent did not list 3 groups (%d, connect %d): %s", n, rc,
			 log_of(&e->p, "agent"));
	for (int i = 0; i < NR_G; i++) {
		e->id[i] = id_of(g, n, tags[i]);
		assert_true(e->id[i] != 0);
	}
	cxldcd_app_free(app);
}

static void stop_env(struct env *e)
{
	kill(e->agent, SIGTERM);
	assert_int_equal(wait_status(e->agent), 0);
	qmp_client_free(e->c);
}

/* ------------------------------------------------------------ applications */

/* What a child application did, step by step. */
#define MAX_STEPS 8

struct step {
	int g;                  /* GA_IDX.. */
	uint32_t flags;         /* cxldcd_app_open_flags() */
	int write;              /* fill the mapping with this byte; -1: only read */
	int64_t peek;           /* raw: read the first fd this far past its segment (0: not) */
};

struct res {
	int connect_rc;
	int nr_listed;
	uint64_t listed[8];
	int rc[MAX_STEPS];
	int first[MAX_STEPS], last[MAX_STEPS]; /* bytes read, -1 none */
	int mprotect_err[MAX_STEPS];          /* errno of mprotect(PROT_WRITE); 0 it worked */
	int fd_accmode[MAX_STEPS];             /* raw: O_ACCMODE of the fds handed, -1 none */
	int mmap_write_err[MAX_STEPS];         /* raw: errno of mmap(PROT_WRITE, MAP_SHARED) */
	int peek[MAX_STEPS];                   /* raw: byte the first fd holds at step.peek, -1 none */
	int nr_fds[MAX_STEPS];                 /* raw: fds handed */
	uint32_t denied[MAX_STEPS];            /* cxldcd_app_open_denied() after the open */
	int reopen_err[MAX_STEPS];             /* raw: errno of open(/proc/self/fd/N, O_RDWR) of the
						* first fd (0: it opened, and 0x99 was written) */
};

struct job {
	const struct env *e;
	const struct step *steps;
	int nr_steps;
	bool raw;               /* the steps' OPENs by hand, to see the fds */
};

/*
 * One OPEN_REQ by id with flags on a new connection, by hand: the fds'
 * access mode, and with peek, the byte the first fd holds peek bytes past
 * its segment's file offset (another group's place in a file laid out as
 * the backend).
 */
static void raw_open(const struct env *e, uint64_t id, uint32_t flags, int64_t peek,
		     struct res *r, int i)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hl_app_open_req rq = { .id = id, .flags = flags };
	uint8_t buf[4096];
	int fds[HL_APP_MAX_SEGS];
	unsigned nfd = 0;
	size_t have = 0;
	struct hl_hdr hd;
	struct wwr w;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	r->fd_accmode[i] = -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", e->sock);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		r->rc[i] = -errno;
		return;
	}
	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, HL_APP_OPEN_REQ, 1);
	hl_enc_app_open_req(&w, &rq);
	hl_msg_end(&w);
	if (write(s, buf, w.off) != (ssize_t)w.off) {
		r->rc[i] = -EIO;
		return;
	}
	for (;;) {
		struct pollfd pf = { .fd = s, .events = POLLIN };
		unsigned got = 0;
		ssize_t n;

		if (poll(&pf, 1, TMO) != 1) {
			r->rc[i] = -ETIMEDOUT;
			return;
		}
		n = hl_recv(s, buf + have, sizeof(buf) - have, fds + nfd, &got,
			    HL_APP_MAX_SEGS - nfd);
		if (n <= 0) {
			r->rc[i] = -ECONNRESET;
			return;
		}
		nfd += got;
		have += (size_t)n;
		if (!hl_dec_hdr(buf, have, &hd) && have >= HL_HDR_SIZE + hd.len)
			break;
	}
	{
		struct hl_app_open_rsp rs;
		struct hl_app_seg seg[HL_APP_MAX_SEGS];

		if (hd.type != HL_APP_OPEN_RSP ||
		    hl_dec_app_open_rsp(buf + HL_HDR_SIZE, hd.len, &rs, seg, HL_APP_MAX_SEGS)) {
			r->rc[i] = -EPROTO;
			return;
		}
		r->rc[i] = hl_status_errno(rs.status);
		r->mmap_write_err[i] = -1;
		r->peek[i] = -1;
		r->nr_fds[i] = (int)nfd;
		r->denied[i] = rs.reason;
		if (peek && nfd && (int64_t)seg[0].file_offset + peek >= 0) {
			uint8_t *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fds[0],
					  (off_t)((int64_t)seg[0].file_offset + peek));

			if (m != MAP_FAILED) {
				r->peek[i] = m[0];
				munmap(m, 4096);
			}
		}
		r->reopen_err[i] = -1;
		if (nfd) {
			/* a read-only fd must not open again writable */
			char path[40];
			int rw;

			snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
			rw = open(path, O_RDWR | O_CLOEXEC);
			r->reopen_err[i] = rw < 0 ? errno : 0;
			if (rw >= 0) {
				uint8_t v = 0x99;

				if (pwrite(rw, &v, 1, (off_t)seg[0].file_offset) != 1)
					r->reopen_err[i] = -2;
				close(rw);
			}
		}
		for (unsigned f = 0; f < nfd; f++) {
			int mode = fcntl(fds[f], F_GETFL) & O_ACCMODE;
			void *m;

			/* the least of them: one writable fd is one too many */
			if (r->fd_accmode[i] < 0 || mode != O_RDONLY)
				r->fd_accmode[i] = mode;
			m = mmap(NULL, seg[f].len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[f],
				 (off_t)seg[f].file_offset);
			if (m == MAP_FAILED) {
				r->mmap_write_err[i] = errno;
			} else {
				r->mmap_write_err[i] = 0;
				munmap(m, seg[f].len);
			}
			close(fds[f]);
		}
	}
	close(s);
}

static void run_job(const struct job *j, struct res *r)
{
	struct cxldcd_app *app;

	r->connect_rc = cxldcd_app_connect(j->e->sock, &app);
	if (r->connect_rc)
		return;
	r->nr_listed = -1;
	{
		struct cxldcd_host_group_info g[8];
		int n = cxldcd_app_list(app, g, 8);

		r->nr_listed = n;
		for (int i = 0; i < n && i < 8; i++)
			r->listed[i] = g[i].id;
	}
	for (int i = 0; i < j->nr_steps; i++) {
		const struct step *s = &j->steps[i];
		struct cxldcd_app_map m;

		r->first[i] = r->last[i] = -1;
		if (j->raw) {
			raw_open(j->e, j->e->id[s->g], s->flags, s->peek, r, i);
			continue;
		}
		r->rc[i] = cxldcd_app_open_flags(app, NULL, j->e->id[s->g], s->flags, &m);
		r->denied[i] = cxldcd_app_open_denied(app);
		if (r->rc[i])
			continue;
		if (s->write >= 0)
			memset(m.addr, s->write, m.size);
		r->first[i] = ((uint8_t *)m.addr)[0];
		r->last[i] = ((uint8_t *)m.addr)[m.size - 1];
		r->mprotect_err[i] = mprotect(m.addr, m.size, PROT_READ | PROT_WRITE) ? errno : 0;
		cxldcd_app_close(app, &m);
	}
	cxldcd_app_free(app);
}

/* Run job in a child as w (its groups, gid, uid in that order); its results in r. */
static void as_user(const struct who *w, const struct job *j, struct res *r)
{
	int pfd[2], st;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		gid_t sup[1] = { w->sup };
		struct res out;

		memset(&out, 0, sizeof(out));
		close(pfd[0]);
		if (setgroups(w->sup ? 1 : 0, sup) || setgid(w->gid) || setuid(w->uid))
			_exit(126);
		run_job(j, &out);
		_exit(write(pfd[1], &out, sizeof(out)) == sizeof(out) ? 0 : 125);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], r, sizeof(*r)), sizeof(*r));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The groups w lists, as indexes into e->id, in a bit mask. */
static unsigned listed_by(const struct env *e, const struct who *w)
{
	struct job j = { .e = e };
	struct res r;
	unsigned mask = 0;

	as_user(w, &j, &r);
	assert_int_equal(r.connect_rc, 0);
	assert_true(r.nr_listed >= 0);
	for (int i = 0; i < r.nr_listed; i++)
		for (int g = 0; g < NR_G; g++)
			if (r.listed[i] == e->id[g])
				mask |= 1u << g;
	return mask;
}

/* Root (this process) fills group g with byte v. */
static void root_fill(const struct env *e, int g, uint8_t v)
{
	struct cxldcd_app *app;
	struct cxldcd_app_map m;

	assert_int_equal(cxldcd_app_connect(e->sock, &app), 0);
	assert_int_equal(cxldcd_app_open(app, NULL, e->id[g], &m), 0);
	memset(m.addr, v, m.size);
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	cxldcd_app_free(app);
}

/* Root reads group g back: every byte v, and nothing counted open. */
static void root_expect(const struct env *e, int g, uint8_t v)
{
	struct cxldcd_host_group_info info[8];
	struct cxldcd_app *app;
	struct cxldcd_app_map m;
	int n;

	assert_int_equal(cxldcd_app_connect(e->sock, &app), 0);
	n = cxldcd_app_list(app, info, 8);
	assert_int_equal(n, NR_G);
	for (int i = 0; i < n; i++)
		if (info[i].id == e->id[g])
			assert_int_equal(info[i].open_count, 0);
	assert_int_equal(cxldcd_app_open_flags(app, NULL, e->id[g], CXLDCD_APP_OPEN_READ_ONLY, &m),
			 0);
	assert_int_equal(m.size, 2 * MiB);
	for (uint64_t i = 0; i < m.size; i++)
		if (((uint8_t *)m.addr)[i] != v)
			fail_msg("group %d byte %llu: 0x%02x, expected 0x%02x", g,
				 (unsigned long long)i, ((uint8_t *)m.addr)[i], v);
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	cxldcd_app_free(app);
}

/* ------------------------------------------------------------ the tests */

static void test_each_user_lists_only_the_groups_it_may_read(void **state)
{
	struct env e;

	(void)state;
	skip_unless_root();
	start_env(&e, rules);
	assert_int_equal(listed_by(&e, &alice), 1u << GA_IDX);  /* owner of A */
	assert_int_equal(listed_by(&e, &bob), 1u << GB_IDX);    /* owner of B */
	assert_int_equal(listed_by(&e, &carol), 1u << GA_IDX);  /* ga, supplementary */
	assert_int_equal(listed_by(&e, &erin), 1u << GA_IDX);   /* ga, primary */
	assert_int_equal(listed_by(&e, &dave), 0);             /* others: nothing */
	stop_env(&e);
}

static void test_a_refused_open_is_eacces_and_changes_nothing(void **state)
{
	static const struct step dave_steps[] = {
		{ GA_IDX, 0, 0x66, 0 }, { GA_IDX, CXLDCD_APP_OPEN_READ_ONLY, -1, 0 },
		{ GB_IDX, 0, 0x66, 0 }, { GU_IDX, 0, 0x66, 0 },
	};
	static const struct step bob_steps[] = {
		{ GA_IDX, 0, 0x77, 0 }, { GA_IDX, CXLDCD_APP_OPEN_READ_ONLY, -1, 0 }, { GU_IDX, 0, 0x77, 0 },
	};
	/* carol may read A, not write it; B is bob's alone */
	static const struct step carol_steps[] = { { GA_IDX, 0, 0x88, 0 }, { GB_IDX, 0, 0x88, 0 } };
	const struct {
		const struct who *w;
		const struct step *steps;
		int n;
	} who[] = { { &dave, dave_steps, 4 }, { &bob, bob_steps, 3 }, { &carol, carol_steps, 2 } };
	struct env e;
	struct res r;
	char want[160];
	const char *log = "";

	(void)state;
	skip_unless_root();
	start_env(&e, rules);
	root_fill(&e, GA_IDX, 0xa1);
	root_fill(&e, GB_IDX, 0xb2);
	root_fill(&e, GU_IDX, 0xc3);
	for (size_t k = 0; k < sizeof(who) / sizeof(who[0]); k++) {
		struct job j = { .e = &e, .steps = who[k].steps, .nr_steps = who[k].n };

		as_user(who[k].w, &j, &r);
		assert_int_equal(r.connect_rc, 0);
		for (int i = 0; i < j.nr_steps; i++) {
			if (r.rc[i] != -EACCES)
				fail_msg("%s: open %d of group %d: %d (%s), expected -EACCES",
					 who[k].w->name, i, j.steps[i].g, r.rc[i], strerror(-r.rc[i]));
			assert_int_equal(r.first[i], -1);
		}
	}
	/* nothing changed: the bytes, and no group counted open (root_expect) */
	root_expect(&e, GA_IDX, 0xa1);
	root_expect(&e, GB_IDX, 0xb2);
	root_expect(&e, GU_IDX, 0xc3);
	/* the agent named the group and who asked: dave's read-write open of B */
	snprintf(want, sizeof(want), "access-denied tag=%s id=%llu open read-write by application pid=",
		 TAG_B, (unsigned long long)e.id[GB_IDX]);
	for (int i = 0; i < 500 && !strstr(log, want); i++) {
		log = log_of(&e.p, "agent");
		if (!strstr(log, want))
			usleep(10000);
	}
	if (!strstr(log, want))
		fail_msg("no '%s' in the agent's output:\n%s", want, log);
	assert_non_null(strstr(strstr(log, want), " uid=54332 gid=54332 refused: owner=54330 "
					     "group=0 mode=0600 (rule tag) give it nothing"));
	snprintf(want, sizeof(want), "access-denied tag=- id=%llu open read-write",
		 (unsigned long long)e.id[GU_IDX]);
	assert_non_null(strstr(log, want));     /* U by the default: root's, 0600 */
	stop_env(&e);
}

static void test_a_read_only_grant_reads_and_cannot_write(void **state)
{
	static const struct step carol_steps[] = { { GA_IDX, CXLDCD_APP_OPEN_READ_ONLY, -1, 0 } };
	static const struct step raw_steps[] = { { GA_IDX, HL_APP_OPEN_F_READ_ONLY, -1, 0 },
						 { GA_IDX, 0, -1, 0 } };
	static const struct step alice_steps[] = { { GA_IDX, 0, 0x11, 0 } };
	static const struct step bob_steps[] = { { GB_IDX, 0, 0x22, 0 } };
	struct job j = { .steps = carol_steps, .nr_steps = 1 };
	struct env e;
	struct res r;

	(void)state;
	skip_unless_root();
	start_env(&e, rules);
	j.e = &e;
	root_fill(&e, GA_IDX, 0xa1);
	/* carol (ga: read) opens A read-only: its bytes; no way to write them */
	as_user(&carol, &j, &r);
	assert_int_equal(r.rc[0], 0);
	assert_int_equal(r.first[0], 0xa1);
	assert_int_equal(r.last[0], 0xa1);
	assert_int_equal(r.mprotect_err[0], EACCES);
	/* the fds the agent hands her are O_RDONLY: the fd refuses a writable shared mapping */
	j.steps = raw_steps;
	j.nr_steps = 2;
	j.raw = true;
	as_user(&carol, &j, &r);
	assert_int_equal(r.rc[0], 0);
	assert_int_equal(r.fd_accmode[0], O_RDONLY);
	assert_int_equal(r.mmap_write_err[0], EACCES);
	/* nor does it open again writable through /proc (a memfd is mode 0777 when made) */
	assert_int_equal(r.reopen_err[0], EACCES);
	root_expect(&e, GA_IDX, 0xa1);
	assert_int_equal(r.rc[1], -EACCES);     /* read-write by hand: refused, no fd */
	assert_int_equal(r.fd_accmode[1], -1);
	/* alice, the owner, asking read-only gets read-only fds too */
	j.nr_steps = 1;
	as_user(&alice, &j, &r);
	assert_int_equal(r.rc[0], 0);
	assert_int_equal(r.fd_accmode[0], O_RDONLY);
	assert_int_equal(r.mmap_write_err[0], EACCES);
	/* the owners write, and root reads their bytes */
	j.raw = false;
	j.steps = alice_steps;
	as_user(&alice, &j, &r);
	assert_int_equal(r.rc[0], 0);
	assert_int_equal(r.mprotect_err[0], 0);
	j.steps = bob_steps;
	as_user(&bob, &j, &r);
	assert_int_equal(r.rc[0], 0);
	root_expect(&e, GA_IDX, 0x11);
	root_expect(&e, GB_IDX, 0x22);
	stop_env(&e);
}

static void test_without_rules_only_the_agents_user_opens(void **state)
{
	static const char *const open_socket[] = { "--agent-socket-mode", "0666", NULL };
	static const struct step steps[] = { { GA_IDX, 0, 0x55, 0 },
					     { GU_IDX, CXLDCD_APP_OPEN_READ_ONLY, -1, 0 } };
	struct job j = { .steps = steps, .nr_steps = 2 };
	struct env e;
	struct res r;

	(void)state;
	skip_unless_root();
	start_env(&e, open_socket);     /* root lists all three (start_env) */
	j.e = &e;
	root_fill(&e, GA_IDX, 0xa1);
	as_user(&alice, &j, &r);
	assert_int_equal(r.connect_rc, 0);
	assert_int_equal(r.nr_listed, 0);
	assert_int_equal(r.rc[0], -EACCES);
	assert_int_equal(r.rc[1], -EACCES);
	root_expect(&e, GA_IDX, 0xa1);
	stop_env(&e);
}

/* In a child as w: connect() to path's errno (0: it connected). */
static int connect_as(const struct who *w, const char *path)
{
	int st;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		gid_t sup[1] = { w->sup };
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		if (setgroups(w->sup ? 1 : 0, sup) || setgid(w->gid) || setuid(w->uid))
			_exit(255);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
		_exit(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_the_socket_takes_its_mode_and_group(void **state)
{
	static const char *const group_socket[] = { "--agent-socket-mode", "0660",
						    "--agent-socket-group", "54340", NULL };
	struct env e;
	struct stat st;

	(void)state;
	skip_unless_root();
	start_env(&e, group_socket);
	assert_int_equal(lstat(e.sock, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, GA);
	assert_int_equal(connect_as(&carol, e.sock), 0);        /* in ga */
	assert_int_equal(connect_as(&erin, e.sock), 0);
	assert_int_equal(connect_as(&dave, e.sock), EACCES);
	stop_env(&e);
	/* stopped: it removed its socket file (the chmod did not make it a stranger's) */
	assert_int_equal(lstat(e.sock, &st), -1);

	start_env(&e, NULL);            /* the default, as before: 0600, the agent's group */
	assert_int_equal(lstat(e.sock, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_gid, 0);
	assert_int_equal(connect_as(&alice, e.sock), EACCES);
	stop_env(&e);
}

static void test_bad_access_options_are_refused(void **state)
{
	static const struct {
		const char *opt, *val, *why;
	} bad[] = {
		{ "--group-access", "tag=all,mode=0640,mode=0600", "key 'mode' given twice" },
		{ "--group-access", "tag=all,color=red", "unknown key 'color'" },
		{ "--group-access", "owner=0,mode=0600", "no tag=" },
		{ "--group-access", "tag=all,mode=0750", "only read (4) and write (2) bits" },
		{ "--group-access", "tag=all,mode=10000", "expected 1 to 4 octal digits" },
		{ "--group-access", "tag=all,mode=0689", "expected octal digits" },
		{ "--group-access", "tag=not-a-uuid", "expected a UUID, 'untagged' or 'all'" },
		{ "--group-access", "tag=untagged,owner=no-such-user-here", "unknown user" },
		{ "--group-access", "tag=untagged,group=4294967295", "out of range" },
		{ "--group-access", "tag=untagged,owner=", "empty user" },
		{ "--group-access", "tag=all,", "an empty item" },
		{ "--agent-socket-mode", "0777", "at most 0666" },
		{ "--agent-socket-mode", "0066", "keeps read and write (0600)" },
		{ "--agent-socket-mode", "rw", "expected an octal mode" },
		{ "--agent-socket-group", "no-such-group-here", "unknown group" },
	};
	struct dproc p;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { "--host-id", "0", "--connect", "/nonexistent", "--agent-socket",
				       "/nonexistent/a.sock", bad[i].opt, bad[i].val, NULL };
		char name[16];
		const char *out;

		snprintf(name, sizeof(name), "bad%zu", i);
		assert_int_equal(wait_status(spawn_cli(&p, name, args)), 2);
		out = log_of(&p, name);
		if (!strstr(out, bad[i].why) || !strstr(out, bad[i].opt))
			fail_msg("%s '%s': no '%s' in:\n%s", bad[i].opt, bad[i].val, bad[i].why, out);
	}
	/* two rules for one tag */
	{
		const char *args[] = { "--host-id", "0", "--agent-socket", "/nonexistent/a.sock",
				       "--group-access", "tag=" TAG_A ",mode=0640",
				       "--group-access", "tag=" TAG_A ",mode=0600", NULL };

		assert_int_equal(wait_status(spawn_cli(&p, "dup", args)), 2);
		assert_non_null(strstr(log_of(&p, "dup"), "a rule for tag=" TAG_A " is given already"));
	}
	/* only for the agent serving applications */
	{
		const char *args[] = { "--agent-socket", "/nonexistent/a.sock", "--group-access",
				       "tag=all", "list", NULL };

		assert_int_equal(wait_status(spawn_cli(&p, "oneshot", args)), 2);
		assert_non_null(strstr(log_of(&p, "oneshot"), "are for the agent serving"));
	}
}

/* ------------------------------------------------------------ the rules alone */

static struct cxldcd_host_group_info info_of(const char *tag)
{
	struct cxldcd_host_group_info g = { .id = 1 };

	if (tag) {
		assert_int_equal(cxldcd_tag_parse(tag, g.tag), 0);
		g.tagged = true;
	}
	return g;
}

/* ------------------------------------------------------------ groups without a file */

#define TAG_C "7d2b1f40-93c6-4e8a-b1d5-2f6a0c9e8b37"
#define NR_FILL 150             /* untagged groups: more than the daemon's fds give files */

static void wait_count(const struct dproc *p, const char *name, const char *needle, int want)
{
	int n = dproc_wait_count(p, name, needle, want, 3 * TMO);

	if (n < want)
		fail_msg("%s: %d of '%s', expected %d", name, n, needle, want);
}

static void add_tagged(struct qmp_client *c, const char *tag, uint64_t off)
{
	ok(qmp_client_cmdf(c, TMO, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			   "\"path\":\"d0\",\"host-id\":0,\"selection-policy\":\"prescriptive\","
			   "\"region\":0,\"tag\":\"%s\",\"extents\":[{\"offset\":%llu,"
			   "\"len\":2097152}]}}", tag, (unsigned long long)off));
}

/*
 * Root (this process) fills group id with v and reads back every byte of
 * expect_id as w (group id expect_id: its size 2 MiB).
 */
static void root_fill_id(const struct env *e, uint64_t id, uint8_t v)
{
	struct cxldcd_app *app;
	struct cxldcd_app_map m;

	assert_int_equal(cxldcd_app_connect(e->sock, &app), 0);
	assert_int_equal(cxldcd_app_open(app, NULL, id, &m), 0);
	memset(m.addr, v, m.size);
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	cxldcd_app_free(app);
}

static void root_expect_id(const struct env *e, uint64_t id, uint8_t v)
{
	struct cxldcd_app *app;
	struct cxldcd_app_map m;

	assert_int_equal(cxldcd_app_connect(e->sock, &app), 0);
	assert_int_equal(cxldcd_app_open_flags(app, NULL, id, CXLDCD_APP_OPEN_READ_ONLY, &m), 0);
	assert_int_equal(m.size, 2 * MiB);
	for (uint64_t i = 0; i < m.size; i++)
		if (((uint8_t *)m.addr)[i] != v)
			fail_msg("group id=%llu byte %llu: 0x%02x, expected 0x%02x",
				 (unsigned long long)id, (unsigned long long)i,
				 ((uint8_t *)m.addr)[i], v);
	assert_int_equal(cxldcd_app_close(app, &m), 0);
	cxldcd_app_free(app);
}

/*
 * The rules of the two tests below: A is alice's, B bob's (each readable by
 * group ga), C alice's (ga reads it), every other group root's (ga reads
 * it).  So carol (in ga) may read every group the host may hold, alice and
 * bob may each write their own and read nothing else.
 */
static const char *const spill_rules[] = {
	"--agent-socket-mode", "0666",
	"--group-access", "tag=" TAG_A ",owner=65534,group=54340,mode=0640",
	"--group-access", "tag=" TAG_B ",owner=54330,group=54340,mode=0640",
	"--group-access", "tag=" TAG_C ",owner=65534,group=54340,mode=0640",
	"--group-access", "tag=all,owner=0,group=54340,mode=0640",
	NULL,
};

/* e->id[] of this env: A and B (spilled), C (a file of its own) */
enum { SA = GA_IDX, SB = GB_IDX, SC = GU_IDX };

static pid_t spawn_agent(struct env *e, const char *name)
{
	const char *aargs[32] = { "--connect", e->p.host, "--host-id", "0", "--accept", "all",
				  "--chain-cap", "512", "--agent-socket", e->sock };

	for (int i = 0; spill_rules[i]; i++)
		aargs[10 + i] = spill_rules[i];
	return spawn_cli(&e->p, name, aargs);
}

/* Root lists the agent's groups until A, B and C are there: their ids into e->id. */
static void find_abc(struct env *e)
{
	static struct cxldcd_host_group_info g[NR_FILL + 8];
	struct cxldcd_app *app = NULL;
	int n = 0;

	for (int i = 0; i < 500; i++) {
		if (!app && cxldcd_app_connect(e->sock, &app))
			app = NULL;
		n = app ? cxldcd_app_list(app, g, NR_FILL + 8) : -1;
		if (n == NR_FILL + 3)
			break;
		usleep(20000);
	}
	cxldcd_app_free(app);
	assert_int_equal(n, NR_FILL + 3);
	e->id[SA] = id_of(g, n, TAG_A);
	e->id[SB] = id_of(g, n, TAG_B);
	e->id[SC] = id_of(g, n, TAG_C);
	assert_true(e->id[SA] && e->id[SB] && e->id[SC]);
}

/*
 * The daemon with RLIMIT_NOFILE 200, so that a host's group files are
 * capped near 110; the agent (--agent-socket: it asks for a file per group)
 * with spill_rules; host 0 given C (DPA 0: a file of its own), NR_FILL
 * untagged groups after it (the files run out), then A and B (spilled into
 * the host's per-backend file).  Root fills A 0xa1, B 0xb2, C 0xc3.
 */
static void start_spill_env(struct env *e)
{
	const char *dargs[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=1,"
			   "dc-block-size=2M,max-extents=512,event-log-depth=1024,mbox-payload-size=4K",
		"--fm", "none", "--mctp-cci", "none", "--host-socket", NULL, NULL,
	};
	char *add = malloc(64 * NR_FILL + 256);
	size_t len;

	memset(e, 0, sizeof(*e));
	assert_non_null(add);
	assert_int_equal(dproc_init(&e->p), 0);
	assert_int_equal(chmod(e->p.dir, 0711), 0);
	snprintf(e->sock, sizeof(e->sock), "%s/apps.sock", e->p.dir);
	e->p.nofile = 200;
	dargs[9] = e->p.host;
	e->c = connect_dev(&e->p, dargs);
	e->agent = spawn_agent(e, "agent");
	wait_count(&e->p, "stderr.log", "host=0 connected", 1);
	add_tagged(e->c, TAG_C, 0);
	wait_count(&e->p, "agent.log", "group-added", 1);
	len = (size_t)sprintf(add, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			      "\"path\":\"d0\",\"host-id\":0,\"selection-policy\":\"prescriptive\","
			      "\"region\":0,\"extents\":[");
	for (int i = 1; i <= NR_FILL; i++)
		len += (size_t)sprintf(add + len, "%s{\"offset\":%llu,\"len\":2097152}",
				       i > 1 ? "," : "", (unsigned long long)(i * 2 * MiB));
	sprintf(add + len, "]}}");
	ok(qmp_client_cmd(e->c, add, TMO));
	free(add);
	wait_count(&e->p, "agent.log", "group-added", NR_FILL + 1);
	add_tagged(e->c, TAG_A, (NR_FILL + 1) * 2 * MiB);
	add_tagged(e->c, TAG_B, (NR_FILL + 2) * 2 * MiB);
	find_abc(e);
	/* the daemon ran out of fds for group files before A and B */
	assert_int_equal(dproc_count_in(&e->p, "stderr.log", "no fd left for a file of its group"), 1);
	root_fill_id(e, e->id[SA], 0xa1);
	root_fill_id(e, e->id[SB], 0xb2);
	root_fill_id(e, e->id[SC], 0xc3);
}

/*
 * What each application gets of the groups without a file of their own
 * (A, B: spilled, or every group when the host has no file per group) and
 * of C (its own file, or not: own_c).  Alice and bob may each write their
 * own group and read nothing else: an fd of the shared file would reach
 * the other's group (and any group the host is given later), so the open
 * is refused EACCES, no fd handed, the reason given; the bytes read back
 * through root are unchanged.  Carol may read every group: she gets A
 * read-only and reads B's bytes through its fd, as she may.  Root opens
 * A writable.
 */
static void check_shared_file_opens(struct env *e, bool own_c)
{
	const int64_t a_to_b = 2 * (int64_t)MiB, c_to_b = (NR_FILL + 2) * 2 * (int64_t)MiB;
	const struct step alice_raw[] = {
		{ SA, 0, -1, a_to_b }, { SA, HL_APP_OPEN_F_READ_ONLY, -1, a_to_b },
		{ SC, 0, -1, c_to_b },
	};
	const struct step bob_raw[] = { { SB, 0, -1, -a_to_b } };
	const struct step carol_raw[] = { { SA, HL_APP_OPEN_F_READ_ONLY, -1, a_to_b },
					  { SA, 0, -1, a_to_b } };
	const struct step alice_app[] = { { SA, 0, 0x11, 0 }, { SC, 0, 0x33, 0 } };
	struct job j = { .e = e, .raw = true };
	struct res r;

	j.steps = alice_raw;
	j.nr_steps = 3;
	as_user(&alice, &j, &r);
	for (int i = 0; i < 2; i++) {
		/* the old code handed A's fds: they read B's 0xb2 at B's place */
		assert_int_equal(r.peek[i], -1);
		assert_int_equal(r.nr_fds[i], 0);
		assert_int_equal(r.rc[i], -EACCES);
		assert_int_equal(r.denied[i], HL_APP_DENIED_SHARED_FILE);
	}
	if (own_c) {
		/* C's own file: B's place is a hole */
		assert_int_equal(r.rc[2], 0);
		assert_int_equal(r.peek[2], 0);
	} else {
		assert_int_equal(r.peek[2], -1);
		assert_int_equal(r.rc[2], -EACCES);
		assert_int_equal(r.denied[2], HL_APP_DENIED_SHARED_FILE);
	}
	j.steps = bob_raw;
	j.nr_steps = 1;
	as_user(&bob, &j, &r);
	assert_int_equal(r.peek[0], -1);   /* the old code: A's 0xa1 */
	assert_int_equal(r.rc[0], -EACCES);
	assert_int_equal(r.denied[0], HL_APP_DENIED_SHARED_FILE);
	/* through the library: -EACCES and the reason; C opens when it has its own file */
	j = (struct job){ .e = e, .steps = alice_app, .nr_steps = 2 };
	as_user(&alice, &j, &r);
	assert_int_equal(r.rc[0], -EACCES);
	assert_int_equal(r.denied[0], CXLDCD_APP_DENIED_SHARED_FILE);
	if (own_c) {
		assert_int_equal(r.rc[1], 0);
		assert_int_equal(r.denied[1], 0);
		assert_int_equal(r.first[1], 0x33);
		root_expect_id(e, e->id[SC], 0x33);
		root_fill_id(e, e->id[SC], 0xc3);
	} else {
		assert_int_equal(r.rc[1], -EACCES);
		assert_int_equal(r.denied[1], CXLDCD_APP_DENIED_SHARED_FILE);
	}
	/* carol reads every group: A read-only, B's bytes through it; not writable (rules) */
	j = (struct job){ .e = e, .steps = carol_raw, .nr_steps = 2, .raw = true };
	as_user(&carol, &j, &r);
	assert_int_equal(r.rc[0], 0);
	assert_int_equal(r.fd_accmode[0], O_RDONLY);
	assert_int_equal(r.peek[0], 0xb2);
	assert_int_equal(r.rc[1], -EACCES);
	assert_int_equal(r.denied[1], HL_APP_DENIED_RULES);
	/* nothing changed, nothing left open; root still opens A writable */
	root_expect_id(e, e->id[SA], 0xa1);
	root_expect_id(e, e->id[SB], 0xb2);
	root_expect_id(e, e->id[SC], 0xc3);
	root_fill_id(e, e->id[SA], 0xa1);
}

/* $CXLDCD_HOST with args as w, stderr into err (cap bytes): its exit status. */
static int cli_as(const struct who *w, const char *const *args, char *err, size_t cap)
{
	const char *argv[16] = { getenv("CXLDCD_HOST") ? getenv("CXLDCD_HOST") : "cxldcd-host" };
	int pfd[2], st, n = 1;
	size_t got = 0;
	ssize_t k;
	pid_t pid;

	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		gid_t sup[1] = { w->sup };

		dup2(pfd[1], 2);
		close(pfd[0]);
		if (setgroups(w->sup ? 1 : 0, sup) || setgid(w->gid) || setuid(w->uid))
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	while (got + 1 < cap && (k = read(pfd[0], err + got, cap - 1 - got)) > 0)
		got += (size_t)k;
	err[got] = '\0';
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A spilled group (the daemon had no fd left for a file of its own: MAP
 * flag spilled) shares the host's per-backend file with the host's other
 * spilled groups and those spilled later: it goes to an application only
 * when the rules give its user every group (check_shared_file_opens()).
 * C, which has a file of its own, opens for alice as before.  The
 * access-denied line says why.  On the old code alice and bob got the
 * shared file and read each other's bytes through it.
 */
static void test_a_spilled_group_goes_only_to_who_may_open_every_group(void **state)
{
	struct env e;

	(void)state;
	skip_unless_root();
	start_spill_env(&e);
	check_shared_file_opens(&e, true);
	{
		/* cxldcd-host fill says why */
		const char *args[] = { "--agent-socket", e.sock, "fill", TAG_A, "0x11", NULL };
		char err[512];

		assert_int_equal(cli_as(&alice, args, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "fill tag=" TAG_A ": Permission denied (group tag=" TAG_A
					    " has no file of its own: it shares one with the host's "
					    "other groups"));
	}
	assert_true(dproc_count_in(&e.p, "agent.log", "the group has no file of its own (spilled") >= 3);
	assert_true(dproc_count_in(&e.p, "agent.log", "uid=65534") >= 3);
	stop_env(&e);
}

/*
 * A host refused a file per group at its HELLO (its groups do not fit the
 * daemon's free fds) has every group in one file per backend: C too now.
 * The same as above, and C is refused to alice as well.  On the old code
 * alice and bob got the shared file and read each other's bytes.
 */
static void test_a_host_refused_group_files_gives_only_who_may_open_every_group(void **state)
{
	struct env e;
	int st;

	(void)state;
	skip_unless_root();
	start_spill_env(&e);
	kill(e.agent, SIGTERM);
	assert_int_equal(waitpid(e.agent, &st, 0), e.agent);
	e.agent = spawn_agent(&e, "agent2");
	wait_count(&e.p, "agent2.log", "group-added", NR_FILL + 3);
	assert_int_equal(dproc_count_in(&e.p, "stderr.log", "host=0: no file per group"), 1);
	find_abc(&e);
	check_shared_file_opens(&e, false);
	assert_true(dproc_count_in(&e.p, "agent2.log", "the device gave this host no file per group at "
				       "its HELLO") >= 4);
	stop_env(&e);
}

/*
 * Which rule a group takes (its tag's, else untagged's for an untagged
 * group, else all's, else the default) and which bits a peer gets, as for
 * a file: the owner the owner's bits alone, a member of the group (primary
 * or supplementary) the group's, everyone else the others'; root all.
 * Runs as any user.
 */
static void test_a_group_takes_its_rule_and_a_peer_its_bits(void **state)
{
	const struct cxldcd_host_group_info a = info_of(TAG_A), b = info_of(TAG_B),
					    u = info_of(NULL);
	uint32_t sup[1] = { GA };
	struct app_cred owner = { .uid = 1000, .gid = 1000 }, member = { .uid = 2000, .gid = 2000,
									 .groups = sup, .nr_groups = 1 },
			other = { .uid = 3000, .gid = 3000 }, root = { .uid = 0, .gid = 0 },
			me = { .uid = (uint32_t)geteuid(), .gid = (uint32_t)getegid() };
	struct cxldcd_host_access *acc;
	char err[256];

	(void)state;
	assert_int_equal(cxldcd_host_access_new(&acc), 0);
	/* no rule: the process's user, 0600 */
	assert_int_equal(access_perm(acc, &me, &a), ACCESS_READ | ACCESS_WRITE);
	assert_int_equal(access_perm(acc, &root, &u), ACCESS_READ | ACCESS_WRITE);
	if (me.uid != other.uid)
		assert_int_equal(access_perm(acc, &other, &a), 0);
	/* no rule: the agent's user has every group, as before */
	assert_true(access_every(acc, &me, ACCESS_READ | ACCESS_WRITE, NULL));
	if (me.uid != other.uid)
		assert_false(access_every(acc, &other, ACCESS_READ, NULL));
	/* all readable by ga: its member reads every group, writes none; a tag rule that
	 * leaves it out takes that away */
	{
		struct cxldcd_host_access *acc2;
		struct access_owner weak;

		assert_int_equal(cxldcd_host_access_new(&acc2), 0);
		assert_int_equal(cxldcd_host_access_add_rule(acc2, "tag=all,group=54340,mode=0640",
							      err, sizeof(err)), 0);
		assert_true(access_every(acc2, &member, ACCESS_READ, &weak));
		assert_false(access_every(acc2, &member, ACCESS_READ | ACCESS_WRITE, &weak));
		assert_int_equal(cxldcd_host_access_add_rule(acc2, "tag=" TAG_B ",owner=1000,mode=0600",
							      err, sizeof(err)), 0);
		assert_false(access_every(acc2, &member, ACCESS_READ, &weak));
		assert_string_equal(weak.rule, "tag");
		assert_int_equal(weak.uid, 1000);
		cxldcd_host_access_free(acc2);
	}

	assert_int_equal(cxldcd_host_access_add_rule(acc, "tag=all,owner=1000,group=54340,mode=0064",
						      err, sizeof(err)), 0);
	assert_int_equal(cxldcd_host_access_add_rule(acc, "tag=untagged,owner=3000,mode=0600", err,
						      sizeof(err)), 0);
	assert_int_equal(cxldcd_host_access_add_rule(acc, "tag=" TAG_A ",owner=1000,group=54340,"
						      "mode=0640", err, sizeof(err)), 0);
	/* A: its own rule */
	assert_int_equal(access_perm(acc, &owner, &a), ACCESS_READ | ACCESS_WRITE);
	assert_int_equal(access_perm(acc, &member, &a), ACCESS_READ);
	assert_int_equal(access_perm(acc, &other, &a), 0);
	assert_int_equal(access_perm(acc, &root, &a), ACCESS_READ | ACCESS_WRITE);
	/* B: all's; its owner gets the owner's bits (none), not the group's or others' */
	assert_int_equal(access_perm(acc, &owner, &b), 0);
	assert_int_equal(access_perm(acc, &member, &b), ACCESS_READ | ACCESS_WRITE);
	assert_int_equal(access_perm(acc, &other, &b), ACCESS_READ);
	/* U: untagged's, before all's */
	assert_int_equal(access_perm(acc, &other, &u), ACCESS_READ | ACCESS_WRITE);
	assert_int_equal(access_perm(acc, &member, &u), 0);
	/*
	 * Every group a host may hold (a file shared by groups): root alone
	 * here; the owner of A and the member lack untagged's.
	 */
	{
		struct access_owner weak;

		assert_true(access_every(acc, &root, ACCESS_READ | ACCESS_WRITE, &weak));
		assert_false(access_every(acc, &owner, ACCESS_READ, &weak));
		assert_string_equal(weak.rule, "untagged");
		assert_false(access_every(acc, &member, ACCESS_READ, &weak));
		assert_string_equal(weak.rule, "untagged");
		assert_false(access_every(acc, &other, ACCESS_READ, &weak));
	}

	/* refused rules leave the set as it was */
	assert_int_equal(cxldcd_host_access_add_rule(acc, "tag=untagged,mode=0666", err, sizeof(err)),
			 -EEXIST);
	assert_non_null(strstr(err, "tag=untagged is given already"));
	assert_int_equal(cxldcd_host_access_add_rule(acc, "tag=" TAG_B ",owner=2000,mode=0600,mode=0",
						      err, sizeof(err)), -EINVAL);
	assert_int_equal(cxldcd_host_access_add_rule(acc, "tag=" TAG_B ",owner=no-such-user-here",
						      err, sizeof(err)), -ENOENT);
	assert_int_equal(cxldcd_host_access_add_rule(acc, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(access_perm(acc, &member, &b), ACCESS_READ | ACCESS_WRITE);
	assert_int_equal(access_perm(acc, &other, &u), ACCESS_READ | ACCESS_WRITE);
	/* a rule longer than the bound, and the bound on rules */
	{
		char big[600];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(cxldcd_host_access_add_rule(acc, big, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "longer than"));
	}
	for (int i = 0; i < 1100; i++) {
		char r[64];
		int rc;

		snprintf(r, sizeof(r), "tag=00000000-0000-4000-8000-%012x,mode=0600", i + 1);
		rc = cxldcd_host_access_add_rule(acc, r, err, sizeof(err));
		if (rc) {
			assert_int_equal(rc, -EINVAL);
			assert_non_null(strstr(err, "too many rules (at most 1024)"));
			assert_int_equal(i, 1024 - 3);
			break;
		}
	}
	/* the socket: read and write bits only, the owner's included */
	assert_int_equal(cxldcd_host_access_set_socket(acc, 0660, "54340", err, sizeof(err)), 0);
	assert_int_equal(cxldcd_host_access_set_socket(acc, 01660, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(cxldcd_host_access_set_socket(acc, 0460, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(cxldcd_host_access_set_socket(acc, 0660, "", err, sizeof(err)), -EINVAL);
	assert_int_equal(access_sock_mode(acc), 0660);
	cxldcd_host_access_free(acc);
	cxldcd_host_access_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_group_takes_its_rule_and_a_peer_its_bits),
		cmocka_unit_test_teardown(test_each_user_lists_only_the_groups_it_may_read,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_refused_open_is_eacces_and_changes_nothing,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_a_read_only_grant_reads_and_cannot_write,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_without_rules_only_the_agents_user_opens,
					  dproc_reap_all),
		cmocka_unit_test_teardown(test_the_socket_takes_its_mode_and_group, dproc_reap_all),
		cmocka_unit_test_teardown(test_bad_access_options_are_refused, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_spilled_group_goes_only_to_who_may_open_every_group,
					  dproc_reap_all),
		cmocka_unit_test_teardown(
			test_a_host_refused_group_files_gives_only_who_may_open_every_group,
			dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
