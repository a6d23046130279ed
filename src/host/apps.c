/* SPDX-License-Identifier: MIT */
/*
 * apps.c - applications in other processes (docs/host-link.md, "The host
 * agent's application socket").
 *
 * Agent side: a Unix socket (0600, or as cxldcd_host_serve_apps_access()
 * says) in the agent's epoll set.  Each application's credentials are taken
 * at accept (access.c); it lists the tag groups it may read, opens one its
 * grant allows (read-only: O_RDONLY fds; the agent answers with the
 * group's layout and one fd per segment, in group order, and counts the open
 * against the group so a release waits), and closes it; a disconnect closes
 * everything it held.  Requests are tiny; a reply that the socket does not
 * take at once drops the application (it is not reading).  When a forced
 * release takes part of a group, every application holding it gets
 * REVOKE_RANGE for that part (it keeps the rest); after a move's REMAP,
 * REVOKE (its whole mapping is of the old grant).  A group a forced
 * release took part of opens with the rest, its revoked pieces gaps in the
 * segment list at their offsets.
 *
 * Client side (cxldcd_app_*): blocking calls with a 5 s deadline per
 * exchange (an OPEN: 35 s, the agent holds it while a move is under way);
 * the client maps the segments MAP_FIXED into one reservation,
 * exactly as the agent maps its own view, remembers its maps, and on REVOKE
 * (read by cxldcd_app_process() or during any exchange) replaces them with
 * PROT_NONE pages.  Calls link.c, segments.c, groups.c and release.c
 * (host-int.h).
 */
#include "host/host-int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/usock.h"
#include "hostlink/proto.h"

#define APP_RBUF 256u
#define APP_TIMEOUT_MS 5000
/*
 * The application waits for an OPEN's answer as long as the agent holds an
 * OPEN for a move by default (HOST_DEF_MOVE_WAIT_MS) and an exchange more.
 */
#define APP_OPEN_TIMEOUT_MS ((int)HOST_DEF_MOVE_WAIT_MS + APP_TIMEOUT_MS)

/*
 * What an application holds of group id: n opens (n_rw of them writable,
 * through files that reach at most what reach says), and gone opens that
 * cxldcd_host_set_access() revoked (their CLOSE is still answered; they hold
 * nothing).
 */
struct app_hold {
	uint64_t id;
	uint32_t n, n_rw, gone;
	enum seg_file reach;
};

struct app_conn {
	struct app_conn *next;
	int fd;
	struct app_cred cred;       /* as at its connect() */
	uint8_t rbuf[APP_RBUF];
	size_t rlen;
	struct app_hold *holds;
	uint32_t nr_holds;
	bool dead;
	/*
	 * An OPEN of a group a move has paused: answered once the move's REMAP
	 * or MOVE_END has left no segment of the group paused, or at
	 * wait_due_ms (cfg.move_wait_ms after it came).  Meanwhile the
	 * connection is out of the epoll set (its next requests wait in the
	 * socket).
	 */
	bool waiting;
	uint32_t wait_seq;
	struct hl_app_open_req wait_rq;
	uint64_t wait_due_ms;
	/*
	 * The kernel refused the OPEN's answer for the agent's user's fds in
	 * flight (ETOOMANYREFS, answer_open()): it waits the same way, tried
	 * again at refs_due_ms (10 ms doubling to 1 s).  0: not.
	 */
	uint64_t refs_due_ms;
	uint32_t refs_backoff_ms;
};

/* ------------------------------------------------------------ agent side */

/* The socket file's owner, group and mode, before and after socket_access(). */
struct sock_file {
	uint32_t uid, old_gid, old_mode, gid, mode;
};

/*
 * Give the socket file at path (ours: h->app_own) the mode and group acc
 * says; its group, when acc names none, is the one it got when it was made
 * (start: recorded then).  Linux checks write permission on a socket file
 * at connect(); it was made 0600, so until now only the agent's user could
 * connect.  The name is opened once with O_PATH | O_NOFOLLOW, that inode is
 * checked to be the socket we bound, and the group and mode are changed on
 * that inode (fchownat(AT_EMPTY_PATH), chmod() of its /proc/self/fd link):
 * whoever can write to the socket's directory cannot swap a symlink or
 * another file in between and have its mode widened instead.  Nothing
 * changes that is already so; a failed chmod puts the group back.
 * Return 0 (*sf: before and after), -ESTALE (the file is not ours: gone or
 * replaced; untouched), or -errno (-EPERM: not in that group).
 */
static int socket_access(struct cxldcd_host *h, const char *path,
			 const struct cxldcd_host_access *acc, bool start, struct sock_file *sf)
{
	uint32_t gid;
	bool chgrp = access_sock_group(acc, &gid);
	char link[64];
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESTALE : -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISSOCK(st.st_mode) || st.st_dev != h->app_own.dev || st.st_ino != h->app_own.ino) {
		rc = start ? -EEXIST : -ESTALE;
		goto out;
	}
	if (start)
		h->app_sock_gid0 = (uint32_t)st.st_gid;
	*sf = (struct sock_file){ .uid = (uint32_t)st.st_uid, .old_gid = (uint32_t)st.st_gid,
				  .old_mode = (uint32_t)st.st_mode & 07777,
				  .gid = chgrp ? gid : h->app_sock_gid0,
				  .mode = access_sock_mode(acc) };
	if (sf->gid != sf->old_gid &&
	    fchownat(fd, "", (uid_t)-1, (gid_t)sf->gid, AT_EMPTY_PATH) < 0) {
		rc = -errno;
		goto out;
	}
	if (sf->mode != sf->old_mode) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if (chmod(link, (mode_t)sf->mode) < 0) {
			rc = errno == ENOENT ? -EIO : -errno;   /* ENOENT: no /proc */
			if (sf->gid != sf->old_gid)
				(void)!fchownat(fd, "", (uid_t)-1, (gid_t)sf->old_gid, AT_EMPTY_PATH);
		}
	}
out:
	close(fd);
	return rc;
}

int cxldcd_host_serve_apps_access(struct cxldcd_host *h, const char *path,
				  const struct cxldcd_host_access *acc)
{
	struct sock_file sf;
	int fd, rc;

	if (!h || !path || h->app_listen >= 0)
		return -EINVAL;
	if (h->state == CXLDCD_HOST_FAILED)
		return -ENOTCONN;       /* nothing would serve them: a new context does */
	free(h->app_path);      /* served before the link failed (apps_close()) */
	h->app_path = NULL;
	cxldcd_host_access_free(h->app_acc);
	h->app_acc = access_dup(acc);
	if (!h->app_acc)
		return -ENOMEM;
	fd = usock_listen_own(path, 8, &h->app_own);
	if (fd < 0) {
		rc = fd;
		goto err_acc;
	}
	/* the chmod changes the ctime sockpolicy_release() checks: record the file again */
	rc = socket_access(h, path, h->app_acc, true, &sf);
	if (!rc)
		rc = sockpolicy_own(path, &h->app_own);
	if (rc)
		goto err_sock;
	h->app_path = strdup(path);
	rc = h->app_path ? host_epoll_add(h, fd) : -ENOMEM;
	if (rc)
		goto err_sock;
	h->app_listen = fd;
	return 0;
err_sock:
	close(fd);
	if (h->app_own.valid)
		sockpolicy_release(path, &h->app_own);
	else
		unlink(path); /* bound just now and chmod()ed by us: ours */
	h->app_own.valid = false;
	free(h->app_path);
	h->app_path = NULL;
err_acc:
	cxldcd_host_access_free(h->app_acc);
	h->app_acc = NULL;
	return rc;
}

int cxldcd_host_serve_apps(struct cxldcd_host *h, const char *path)
{
	return cxldcd_host_serve_apps_access(h, path, NULL);
}

static void app_send(struct app_conn *a, const uint8_t *buf, size_t len, const int *fds,
		     unsigned nfd)
{
	ssize_t n = hl_send(a->fd, buf, len, fds, nfd);

	if (n != (ssize_t)len)
		a->dead = true;
}

static void send_status(struct app_conn *a, uint8_t type, uint32_t seq, uint32_t status)
{
	uint8_t buf[HL_HDR_SIZE + HL_APP_CLOSE_RSP_SIZE];
	struct wwr w;

	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, type, seq);
	hl_enc_status_msg(&w, status);
	hl_msg_end(&w);
	app_send(a, buf, w.off, NULL, 0);
}

static bool listable(const struct cxldcd_host *h, const struct app_conn *a, const struct group *g)
{
	return g->state == G_ACTIVE && access_perm(h->app_acc, &a->cred, &g->info) & ACCESS_READ;
}

static void on_list(struct cxldcd_host *h, struct app_conn *a, uint32_t seq)
{
	size_t cap = HL_HDR_SIZE + HL_APP_LIST_HDR + (size_t)HL_APP_MAX_ENTRIES * HL_APP_ENTRY_SIZE;
	uint8_t *buf = malloc(cap);
	uint32_t n = 0;
	struct wwr w;

	if (!buf) {
		a->dead = true;
		return;
	}
	/* the groups this application may read, as a directory lists what it may see */
	for (struct group *g = h->groups; g; g = g->next)
		n += listable(h, a, g);
	if (n > HL_APP_MAX_ENTRIES)
		n = HL_APP_MAX_ENTRIES;
	wwr_init(&w, buf, cap);
	hl_msg_begin(&w, HL_APP_LIST_RSP, seq);
	wwr_u32le(&w, n);
	wwr_zero(&w, 4);
	for (struct group *g = h->groups; g && n; g = g->next) {
		struct hl_app_entry e = { .size = g->info.size, .id = g->info.id,
					  .nr_extents = g->info.nr_extents,
					  .open_count = g->info.open_count };

		if (!listable(h, a, g))
			continue;
		memcpy(e.tag, g->info.tag, CXLDCD_TAG_SIZE);
		e.flags = (g->info.tagged ? HL_APP_F_TAGGED : 0) |
			  (g->info.release_pending ? HL_APP_F_RELEASE_PENDING : 0) |
			  (g->map ? HL_APP_F_MAPPED : 0) | (g->info.revoked ? HL_APP_F_REVOKED : 0);
		hl_enc_app_entry(&w, &e);
		n--;
	}
	hl_msg_end(&w);
	app_send(a, buf, w.off, NULL, 0);
	free(buf);
}

static int hold(struct app_conn *a, uint64_t id, bool ro, enum seg_file reach)
{
	struct app_hold *x = NULL, *nh;

	for (uint32_t i = 0; i < a->nr_holds && !x; i++)
		if (a->holds[i].id == id)
			x = &a->holds[i];
	if (!x) {
		nh = realloc(a->holds, (a->nr_holds + 1) * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		a->holds = nh;
		x = &a->holds[a->nr_holds++];
		*x = (struct app_hold){ .id = id, .reach = SEG_OWN_FILE };
	}
	x->n++;
	x->n_rw += !ro;
	if (reach > x->reach)
		x->reach = reach;
	return 0;
}

static bool any_paused(const struct gseg *gs, int n)
{
	for (int i = 0; i < n; i++)
		if (gs[i].paused)
			return true;
	return false;
}

/* The time for a REMAP ran out: the old grant is no one's to hand out. */
static uint32_t refuse_stale(const struct cxldcd_host *h, const struct group *g)
{
	host_log(h, LOG_WARNING, "group id=%llu: a move paused it and no REMAP came in %u ms: open refused",
		 (unsigned long long)g->info.id, h->cfg.move_wait_ms);
	return HL_S_BUSY;
}

static void close_fds(int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

/* Why a group's fds reach other groups (enum seg_file), for the access-denied text. */
static const char *shared_why(const struct cxldcd_host *h, enum seg_file f)
{
	if (f == SEG_SPILLED)
		return "spilled: the device had no fd left for a file of its own, so it shares the "
		       "host's per-backend file with the host's other spilled groups";
	if (h->cfg.group_files)
		return "the device gave this host no file per group at its HELLO (its groups did "
		       "not fit the daemon's free fds, or the device trusts its hosts), so it "
		       "shares the host's per-backend file with all of the host's groups there";
	return "the agent does not ask the device for a file per group, so it shares the host's "
	       "per-backend file with all of the host's groups there";
}

/*
 * The access check of an OPEN: whether a may open g (read-only: ro) through
 * fds whose files hold what f says (enum seg_file; before the segments are
 * known, SEG_OWN_FILE: the group's rules alone).  By the credentials of its
 * connect() against g's owner, group and mode (access.c).  A group without
 * a file of its own is handed out only to an application that has the
 * rights it asks for on every group the host may hold, now or later
 * (access_every()): the file reaches them all, and mmap takes any offset
 * of it.  A refusal is an event (access-denied, with the group and why)
 * and a log line; *reason says which (HL_APP_DENIED_*).
 */
static bool may_open(struct cxldcd_host *h, const struct app_conn *a, const struct group *g,
		     bool ro, enum seg_file f, uint32_t *reason)
{
	unsigned need = ACCESS_READ | (ro ? 0 : ACCESS_WRITE), have;
	struct access_owner o;

	have = access_perm(h->app_acc, &a->cred, &g->info);
	if ((have & need) != need) {
		access_owner_of(h->app_acc, &g->info, &o);
		host_emit(h, CXLDCD_HOST_EV_ACCESS_DENIED, g, 0, 0,
			  "id=%llu open %s by application pid=%d uid=%u gid=%u refused: "
			  "owner=%u group=%u mode=%04o (rule %s) give it %s",
			  (unsigned long long)g->info.id, ro ? "read-only" : "read-write",
			  (int)a->cred.pid, a->cred.uid, a->cred.gid, o.uid, o.gid, o.mode, o.rule,
			  have & ACCESS_READ ? "read-only" : "nothing");
		*reason = HL_APP_DENIED_RULES;
		return false;
	}
	if (f == SEG_OWN_FILE || access_every(h->app_acc, &a->cred, need, &o))
		return true;
	host_emit(h, CXLDCD_HOST_EV_ACCESS_DENIED, g, 0, 0,
		  "id=%llu open %s by application pid=%d uid=%u gid=%u refused: the group has no "
		  "file of its own (%s); the file would reach groups whose owner=%u group=%u "
		  "mode=%04o (rule %s) do not give it %s",
		  (unsigned long long)g->info.id, ro ? "read-only" : "read-write",
		  (int)a->cred.pid, a->cred.uid, a->cred.gid, shared_why(h, f), o.uid, o.gid, o.mode,
		  o.rule, ro ? "read" : "read and write");
	*reason = HL_APP_DENIED_SHARED_FILE;
	return false;
}

/* The widest reach of the pieces' files (SEG_OWN_FILE when each holds the group alone). */
static enum seg_file pieces_reach(const struct gseg *gs, int n)
{
	enum seg_file f = SEG_OWN_FILE;

	for (int i = 0; i < n; i++)
		if (gs[i].shared > f)
			f = gs[i].shared;
	return f;
}

/*
 * A read-only grant: the segments' files opened again O_RDONLY (through
 * /proc/self/fd: a new open file description of the same file), so the
 * fd itself refuses a writable shared mapping (mmap and mprotect:
 * EACCES), whatever the application does with it.  Return n (fds[i] the
 * new fds, the caller closes them) or -errno (none left open).
 */
static int read_only_fds(const struct cxldcd_host *h, const struct group *g,
			 const struct gseg *gs, int n, int *fds)
{
	for (int i = 0; i < n; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", gs[i].fd);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			int err = errno;

			host_log(h, LOG_WARNING, "group id=%llu: cannot open its file read-only (%s): %s",
				 (unsigned long long)g->info.id, path, strerror(err));
			close_fds(fds, (unsigned)i);
			return -err;
		}
	}
	return n;
}

/*
 * The kernel would not take the fds of a's OPEN answer (ETOOMANYREFS: the
 * agent's user has more fds in flight, sent over Unix sockets and not yet
 * received, than its RLIMIT_NOFILE; root is not bound).  Another
 * application (or the daemon, when it runs as the same user) holds them by
 * reading slowly; this one did nothing wrong.  Its answer waits and is
 * made again after a pause, as an OPEN held for a move.
 */
static void refs_wait(struct cxldcd_host *h, struct app_conn *a)
{
	if (!a->refs_backoff_ms)
		host_log(h, LOG_WARNING, "application fd=%d pid=%d: the kernel refuses more fds in "
			 "flight for this user (ETOOMANYREFS: more sent over Unix sockets and not "
			 "yet received than its RLIMIT_NOFILE allows; an application or host "
			 "reads slowly): its open's answer waits and is made again",
			 a->fd, (int)a->cred.pid);
	a->refs_backoff_ms = clock_backoff_ms(a->refs_backoff_ms, 10, 1000);
	a->refs_due_ms = host_now_ms(h) + a->refs_backoff_ms;
}

/* Take back an open just counted (hold(), open_count): its answer could not be sent. */
static void unhold_unsent(struct app_conn *a, struct group *g, bool ro)
{
	for (uint32_t i = 0; i < a->nr_holds; i++) {
		struct app_hold *x = &a->holds[i];

		if (x->id != g->info.id || !x->n)
			continue;
		x->n--;
		if (!ro && x->n_rw)
			x->n_rw--;
		break;
	}
	g->info.open_count--;   /* no release waits on it: a release pending answers BUSY */
}

/*
 * Answer OPEN rq, or, when may_wait and a move has paused part of the group,
 * put it off (return false): the segments are of the grant the move retires,
 * which the device punches once the move ends.  Handing them out would give
 * the application a mapping that turns to zeros under it (and writes that
 * miss the move's copy); after the REMAP it gets the fresh grant.  An
 * answer the kernel refuses for the fds in flight (refs_wait()) is put off
 * too, and after the wait (may_wait false) answered BUSY without fds.
 */
static bool answer_open(struct cxldcd_host *h, struct app_conn *a, uint32_t seq,
			const struct hl_app_open_req *rq, bool may_wait)
{
	struct hl_app_open_rsp rs = { 0 };
	struct gseg gs[HL_APP_MAX_SEGS];
	struct hl_app_seg seg[HL_APP_MAX_SEGS];
	int fds[HL_APP_MAX_SEGS];
	uint8_t buf[HL_HDR_SIZE + HL_APP_OPEN_RSP_HDR + HL_APP_MAX_SEGS * HL_APP_SEG_SIZE];
	bool ro = rq->flags & HL_APP_OPEN_F_READ_ONLY;
	struct group *g;
	struct wwr w;
	int n = 0, nro = 0;

	g = group_find(h, rq->tag, rq->id);
	if (rq->flags & ~HL_APP_OPEN_F_READ_ONLY)
		rs.status = HL_S_INVAL;
	else if (!g || g->state != G_ACTIVE)
		rs.status = HL_S_NOENT;
	else if (!may_open(h, a, g, ro, SEG_OWN_FILE, &rs.reason))
		rs.status = HL_S_ACCES;
	else if (g->info.release_pending || !group_live(g))
		rs.status = HL_S_BUSY;
	else if ((n = group_segments(h, g, gs, HL_APP_MAX_SEGS)) < 0)
		rs.status = n == -E2BIG ? HL_S_TOOBIG : HL_S_NOMAP;
	else if (!may_open(h, a, g, ro, pieces_reach(gs, n), &rs.reason))
		rs.status = HL_S_ACCES;
	else if (any_paused(gs, n) && may_wait)
		return false;
	else if (any_paused(gs, n))
		rs.status = refuse_stale(h, g); /* no REMAP came */
	else if (ro && (nro = read_only_fds(h, g, gs, n, fds)) < 0)
		rs.status = HL_S_IO;
	else if (hold(a, g->info.id, ro, pieces_reach(gs, n)))
		rs.status = HL_S_NOMEM;
	if (rs.status && nro > 0)
		close_fds(fds, (unsigned)nro);
	if (!rs.status) {
		/* the mapping's length: a forced release's pieces are gaps at their offsets */
		rs.nr_segs = (uint32_t)n;
		rs.size = group_span(g);
		rs.id = g->info.id;
		for (int i = 0; i < n; i++) {
			seg[i] = (struct hl_app_seg){ gs[i].group_offset, gs[i].len,
						      gs[i].file_offset,
						      gs[i].writable && !ro ? HL_MAP_F_WRITABLE : 0 };
			if (!ro)
				fds[i] = gs[i].fd;
		}
		g->info.open_count++;
	}
	for (;;) {
		ssize_t sent;

		wwr_init(&w, buf, sizeof(buf));
		hl_msg_begin(&w, HL_APP_OPEN_RSP, seq);
		hl_enc_app_open_rsp(&w, &rs, seg);
		hl_msg_end(&w);
		sent = hl_send(a->fd, buf, w.off, fds, rs.nr_segs);
		if (sent != -ETOOMANYREFS || !rs.nr_segs) {
			if (sent != (ssize_t)w.off)
				a->dead = true;
			if (sent == (ssize_t)w.off && rs.nr_segs)
				a->refs_backoff_ms = 0;
			break;
		}
		unhold_unsent(a, g, ro);
		if (ro)
			close_fds(fds, rs.nr_segs);
		if (may_wait) {
			refs_wait(h, a);
			return false;
		}
		host_log(h, LOG_WARNING, "application fd=%d: its open's fds were refused for the "
			 "fds in flight until the wait ran out: answered BUSY", a->fd);
		rs = (struct hl_app_open_rsp){ .status = HL_S_BUSY };
		ro = false;
	}
	if (ro)
		close_fds(fds, rs.nr_segs); /* the application has its own now */
	return true;
}

static void on_open(struct cxldcd_host *h, struct app_conn *a, uint32_t seq, const uint8_t *p,
		    uint32_t len)
{
	struct hl_app_open_req rq;

	if (hl_dec_app_open_req(p, len, &rq)) {
		a->dead = true;
		return;
	}
	if (answer_open(h, a, seq, &rq, true))
		return;
	host_epoll_del(h, a->fd);
	h->nr_app_waiting++;
	a->waiting = true;
	a->wait_seq = seq;
	a->wait_rq = rq;
	a->wait_due_ms = host_now_ms(h) + h->cfg.move_wait_ms;
	if (!a->refs_due_ms)
		host_log(h, LOG_INFO, "application fd=%d: open waits for a move's remap", a->fd);
}

static int unhold(struct cxldcd_host *h, struct app_conn *a, uint64_t id)
{
	for (uint32_t i = 0; i < a->nr_holds; i++) {
		struct app_hold *x = &a->holds[i];
		struct group *g;

		if (x->id != id || (!x->n && !x->gone))
			continue;
		if (!x->n) {
			x->gone--;      /* revoked already: nothing held */
			return 0;
		}
		x->n--;
		if (x->n_rw > x->n)
			x->n_rw = x->n; /* which open closed is not said: the rest may write */
		if (!x->n)
			x->reach = SEG_OWN_FILE;
		g = group_find(h, NULL, id);
		if (g)
			group_put(h, g);
		return 0;
	}
	return -ENOENT;
}

static void on_close(struct cxldcd_host *h, struct app_conn *a, uint32_t seq, const uint8_t *p,
		     uint32_t len)
{
	uint64_t id;

	if (hl_dec_u64_msg(p, len, &id)) {
		a->dead = true;
		return;
	}
	send_status(a, HL_APP_CLOSE_RSP, seq, unhold(h, a, id) ? HL_S_NOENT : HL_S_OK);
}

static void app_free(struct cxldcd_host *h, struct app_conn *a)
{
	struct app_conn **pp;

	for (pp = &h->apps; *pp && *pp != a; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = a->next;
	for (uint32_t i = 0; i < a->nr_holds; i++)
		while (a->holds[i].n)
			unhold(h, a, a->holds[i].id);
	if (a->waiting)
		h->nr_app_waiting--;
	host_epoll_del(h, a->fd);
	close(a->fd);
	access_cred_fini(&a->cred);
	free(a->holds);
	free(a);
}

/* Serve the whole requests in rbuf, up to one that has to wait. */
static void app_parse(struct cxldcd_host *h, struct app_conn *a)
{
	size_t off = 0;

	while (!a->dead && !a->waiting) {
		struct hl_hdr hd;
		int rc = hl_dec_hdr(a->rbuf + off, a->rlen - off, &hd);

		if (rc == -EAGAIN)
			break;
		if (rc || hd.len > APP_RBUF - HL_HDR_SIZE) {
			a->dead = true;
			break;
		}
		if (a->rlen - off < HL_HDR_SIZE + hd.len)
			break;
		const uint8_t *p = a->rbuf + off + HL_HDR_SIZE;

		if (hd.type == HL_APP_LIST_REQ && !hd.len)
			on_list(h, a, hd.seq);
		else if (hd.type == HL_APP_OPEN_REQ)
			on_open(h, a, hd.seq, p, hd.len);
		else if (hd.type == HL_APP_CLOSE_REQ)
			on_close(h, a, hd.seq, p, hd.len);
		else
			a->dead = true;
		off += HL_HDR_SIZE + hd.len;
	}
	memmove(a->rbuf, a->rbuf + off, a->rlen - off);
	a->rlen -= off;
}

static void app_read(struct cxldcd_host *h, struct app_conn *a)
{
	unsigned nfd = 0;
	int fds[4];
	ssize_t n = hl_recv(a->fd, a->rbuf + a->rlen, APP_RBUF - a->rlen, fds, &nfd, 4);

	for (unsigned i = 0; i < nfd; i++)
		close(fds[i]);
	if (n == -EAGAIN)
		return;
	if (n <= 0 || nfd) {
		a->dead = true;
		return;
	}
	a->rlen += (size_t)n;
	app_parse(h, a);
}

/*
 * REVOKE (the whole mapping) or REVOKE_RANGE (the part a forced release
 * took: the application keeps the rest, at its offsets).
 */
static void send_revoke(const struct cxldcd_host *h, struct app_conn *a,
			const struct revocation *r)
{
	uint8_t buf[HL_HDR_SIZE + HL_APP_REVOKE_RANGE_SIZE];
	const struct hl_app_revoke_range m = { r->id, r->off, r->len };
	struct wwr w;

	wwr_init(&w, buf, sizeof(buf));
	hl_msg_begin(&w, r->len ? HL_APP_REVOKE_RANGE : HL_APP_REVOKE, 0);
	if (r->len)
		hl_enc_app_revoke_range(&w, &m);
	else
		hl_enc_u64_msg(&w, r->id);
	hl_msg_end(&w);
	app_send(a, buf, w.off, NULL, 0);
	if (r->len)
		host_log(h, LOG_INFO, "group id=%llu offset=0x%llx len=0x%llx revoked: told application fd=%d",
			 (unsigned long long)r->id, (unsigned long long)r->off,
			 (unsigned long long)r->len, a->fd);
	else
		host_log(h, LOG_INFO, "group id=%llu revoked: told application fd=%d",
			 (unsigned long long)r->id, a->fd);
}

/*
 * Tell a that its opens of x end (the event, then REVOKE of the whole
 * group: cxldcd_app_* makes every mapping of it inaccessible).  The opens
 * stay counted; the caller decides.
 */
static void revoke_hold(struct cxldcd_host *h, struct app_conn *a, const struct app_hold *x,
			const char *why)
{
	const struct revocation r = { x->id, 0, 0 };

	host_emit(h, CXLDCD_HOST_EV_APP_REVOKED, group_find(h, NULL, x->id), 0, 0,
		  "id=%llu application pid=%d uid=%u gid=%u: its %u open%s revoked (REVOKE sent): %s",
		  (unsigned long long)x->id, (int)a->cred.pid, a->cred.uid, a->cred.gid, x->n,
		  x->n == 1 ? "" : "s", why);
	send_revoke(h, a, &r);
}

static void sweep_dead(struct cxldcd_host *h)
{
	for (struct app_conn *a = h->apps, *next; a; a = next) {
		next = a->next;
		if (a->dead)
			app_free(h, a);
	}
}

void apps_revoke_all(struct cxldcd_host *h, const char *why)
{
	if (h->apps_revoked)
		return;
	h->apps_revoked = true;
	for (struct app_conn *a = h->apps; a; a = a->next)
		for (uint32_t i = 0; i < a->nr_holds && !a->dead; i++)
			if (a->holds[i].n)
				revoke_hold(h, a, &a->holds[i], why);
}

/*
 * Whether the rules in force still give a what its opens x of g took: read,
 * and write when one of them is writable; every group when a file handed
 * reaches more than g (may_open()).  When not, why says so.
 */
static bool still_granted(const struct cxldcd_host *h, const struct app_conn *a,
			  const struct group *g, const struct app_hold *x, char *why, size_t cap)
{
	unsigned need = ACCESS_READ | (x->n_rw ? ACCESS_WRITE : 0);
	unsigned have = access_perm(h->app_acc, &a->cred, &g->info);
	const char *needs = need & ACCESS_WRITE ? "read and write" : "read";
	struct access_owner o;

	if ((have & need) != need) {
		access_owner_of(h->app_acc, &g->info, &o);
		snprintf(why, cap, "the new rules (owner=%u group=%u mode=%04o, rule %s) give it %s, "
			 "its open%s took %s", o.uid, o.gid, o.mode, o.rule,
			 have & ACCESS_READ ? "read-only" : "nothing", x->n == 1 ? "" : "s", needs);
		return false;
	}
	if (x->reach == SEG_OWN_FILE || access_every(h->app_acc, &a->cred, need, &o))
		return true;
	snprintf(why, cap, "its fds are of a file that reaches the host's other groups, and the new "
		 "rules do not give it %s on every group (owner=%u group=%u mode=%04o, rule %s)",
		 needs, o.uid, o.gid, o.mode, o.rule);
	return false;
}

/*
 * The socket file anew for the rules in force (set_access()): its mode and
 * group as they say, and every connection whose user they no longer let
 * connect revoked and closed, as a chmod would have kept it out.  The
 * number of opens revoked; *closed, the connections.
 */
static int socket_again(struct cxldcd_host *h, const struct sock_file *sf, uint32_t *closed)
{
	char why[256];
	int n = 0;

	*closed = 0;
	snprintf(why, sizeof(why), "the socket's new mode=%04o group=%u do not let its user "
		 "connect: connection closed", sf->mode, sf->gid);
	for (struct app_conn *a = h->apps; a; a = a->next) {
		if (a->dead || access_may_connect(&a->cred, sf->uid, sf->gid, sf->mode))
			continue;
		for (uint32_t i = 0; i < a->nr_holds; i++) {
			struct app_hold *x = &a->holds[i];

			if (!x->n)
				continue;
			revoke_hold(h, a, x, why);
			n += (int)x->n;
		}
		a->dead = true;        /* sweep_dead(): its opens put, its fd closed */
		(*closed)++;
	}
	return n;
}

int apps_set_access(struct cxldcd_host *h, const struct cxldcd_host_access *acc)
{
	struct cxldcd_host_access *na;
	struct sock_file sf;
	uint32_t closed = 0;
	int n = 0, rc;

	if (h->app_listen < 0)
		return -EINVAL;
	na = access_dup(acc);
	if (!na)
		return -ENOMEM;
	/* the socket file first: a group the agent may not give it keeps everything as it was */
	rc = socket_access(h, h->app_path, na, false, &sf);
	if (rc && rc != -ESTALE) {
		host_log(h, LOG_ERR, "application socket %s: %s: the rules in force stay", h->app_path,
			 strerror(-rc));
		cxldcd_host_access_free(na);
		return rc;
	}
	cxldcd_host_access_free(h->app_acc);
	h->app_acc = na;
	host_log(h, LOG_INFO, "application socket: %u access rules in force", access_nr_rules(na));
	if (rc == -ESTALE) {
		host_emit(h, CXLDCD_HOST_EV_SOCKET_ACCESS, NULL, 0, 0,
			  "%s: not the agent's socket any more (removed or replaced): left alone, its "
			  "mode and group not set; connections already made are served", h->app_path);
	} else {
		if (sf.mode != sf.old_mode || sf.gid != sf.old_gid)
			sockpolicy_own(h->app_path, &h->app_own);   /* its new ctime */
		n = socket_again(h, &sf, &closed);
		if (sf.mode != sf.old_mode || sf.gid != sf.old_gid || closed)
			host_emit(h, CXLDCD_HOST_EV_SOCKET_ACCESS, NULL, 0, 0,
				  "%s: mode=%04o group=%u, was mode=%04o group=%u; %u connection%s "
				  "of users it no longer lets connect closed", h->app_path, sf.mode,
				  sf.gid, sf.old_mode, sf.old_gid, closed, closed == 1 ? "" : "s");
	}
	for (struct app_conn *a = h->apps; a; a = a->next) {
		for (uint32_t i = 0; i < a->nr_holds && !a->dead; i++) {
			struct app_hold *x = &a->holds[i];
			struct group *g = group_find(h, NULL, x->id);
			char why[384];
			uint32_t k;

			if (!x->n || !g || still_granted(h, a, g, x, why, sizeof(why)))
				continue;
			revoke_hold(h, a, x, why);
			k = x->n;
			n += (int)k;
			x->gone += k;
			x->n = x->n_rw = 0;
			x->reach = SEG_OWN_FILE;
			/* they hold the group no more: a deferred release may go on */
			while (k-- && (g = group_find(h, NULL, x->id)))
				group_put(h, g);
		}
	}
	sweep_dead(h);
	return n;
}

void apps_announce(struct cxldcd_host *h)
{
	/*
	 * Nothing revoked since the last call: nothing to send, and no
	 * application died here (apps_process_fd() frees the ones that die
	 * while it serves them), so an idle loop costs nothing.
	 */
	if (!h->nr_revq)
		return;
	for (uint32_t i = 0; i < h->nr_revq; i++) {
		const struct revocation *r = &h->revq[i];

		for (struct app_conn *a = h->apps; a; a = a->next) {
			bool held = false;

			for (uint32_t j = 0; j < a->nr_holds; j++)
				held |= a->holds[j].id == r->id && a->holds[j].n;
			if (held && !a->dead)
				send_revoke(h, a, r);
		}
	}
	h->nr_revq = 0;
	sweep_dead(h);
}

void apps_resume(struct cxldcd_host *h)
{
	uint64_t now;

	if (!h->nr_app_waiting)
		return;
	now = host_now_ms(h);
	for (struct app_conn *a = h->apps, *next; a; a = next) {
		next = a->next;
		if (!a->waiting || (a->refs_due_ms && now < a->refs_due_ms && now < a->wait_due_ms))
			continue;
		a->refs_due_ms = 0;
		if (!answer_open(h, a, a->wait_seq, &a->wait_rq, now < a->wait_due_ms))
			continue;
		a->waiting = false;
		h->nr_app_waiting--;
		if (host_epoll_add(h, a->fd))
			a->dead = true;
		app_parse(h, a); /* requests buffered behind the OPEN; the socket's come by epoll */
		if (a->dead)
			app_free(h, a);
	}
}

uint64_t apps_deadline(const struct cxldcd_host *h)
{
	uint64_t due = 0;

	for (const struct app_conn *a = h->apps; a && h->nr_app_waiting; a = a->next) {
		if (a->waiting && (!due || a->wait_due_ms < due))
			due = a->wait_due_ms;
		if (a->waiting && a->refs_due_ms && a->refs_due_ms < due)
			due = a->refs_due_ms;
	}
	return due;
}

bool apps_owns_fd(const struct cxldcd_host *h, int fd)
{
	if (fd == h->app_listen)
		return true;
	for (const struct app_conn *a = h->apps; a; a = a->next)
		if (a->fd == fd)
			return true;
	return false;
}

void apps_process_fd(struct cxldcd_host *h, int fd)
{
	struct app_conn *a;

	if (fd == h->app_listen) {
		int c;

		while ((c = accept4(h->app_listen, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			int rc = -ENOMEM;

			a = calloc(1, sizeof(*a));
			if (!a || (rc = access_cred_of(c, &a->cred)) || (rc = host_epoll_add(h, c))) {
				host_log(h, LOG_WARNING, "application socket: connection dropped: %s",
					 strerror(-rc));
				if (a)
					access_cred_fini(&a->cred);
				free(a);
				close(c);
				continue;
			}
			a->fd = c;
			a->next = h->apps;
			h->apps = a;
		}
		return;
	}
	for (a = h->apps; a && a->fd != fd; a = a->next)
		;
	if (!a)
		return;
	app_read(h, a);
	if (a->dead)
		app_free(h, a);
}

void apps_close(struct cxldcd_host *h)
{
	uint32_t n = 0;
	bool listening = h->app_listen >= 0;

	for (; h->apps; n++)
		app_free(h, h->apps);
	if (listening) {
		host_epoll_del(h, h->app_listen);
		close(h->app_listen);
		h->app_listen = -1;
	}
	/* only the socket file we bound: another agent may have replaced it (common/sockpolicy.h) */
	if (h->app_own.valid)
		sockpolicy_release(h->app_path, &h->app_own);
	h->app_own.valid = false;
	if (listening && h->state == CXLDCD_HOST_FAILED)
		host_log(h, LOG_WARNING, "application socket %s: closed with the link (%u application%s "
			 "disconnected): a new context serves them again", h->app_path, n,
			 n == 1 ? "" : "s");
}

void apps_fini(struct cxldcd_host *h)
{
	apps_revoke_all(h, "the agent stops serving applications: nothing counts the open any more "
			   "(the next agent may release the group)");
	apps_close(h);
	free(h->app_path);
	h->app_path = NULL;
	cxldcd_host_access_free(h->app_acc);
	h->app_acc = NULL;
}

/* ------------------------------------------------------------ client side */

struct app_mapping {
	struct app_mapping *next;
	void *addr;
	uint64_t size, id;
	bool revoked;
};

struct cxldcd_app {
	int fd;
	uint32_t seq;
	uint8_t *rbuf;
	size_t rlen;                /* bytes buffered in rbuf */
	struct app_mapping *maps;
	uint32_t denied;            /* the last open's refusal reason (HL_APP_DENIED_*) */
};

#define APP_RSP_MAX (HL_HDR_SIZE + HL_APP_LIST_HDR + HL_APP_MAX_ENTRIES * HL_APP_ENTRY_SIZE)

int cxldcd_app_connect(const char *path, struct cxldcd_app **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cxldcd_app *app;
	int rc;

	if (!path || !out || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	strcpy(sa.sun_path, path);
	app = calloc(1, sizeof(*app));
	if (!app)
		return -ENOMEM;
	app->rbuf = malloc(APP_RSP_MAX);
	app->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!app->rbuf || app->fd < 0) {
		rc = app->rbuf ? -errno : -ENOMEM;
		goto err;
	}
	if (connect(app->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto err;
	}
	*out = app;
	return 0;
err:
	if (app->fd >= 0)
		close(app->fd);
	free(app->rbuf);
	free(app);
	return rc;
}

void cxldcd_app_free(struct cxldcd_app *app)
{
	if (!app)
		return;
	close(app->fd);
	while (app->maps) {
		struct app_mapping *m = app->maps;

		app->maps = m->next;
		free(m); /* the mappings themselves stay the application's */
	}
	free(app->rbuf);
	free(app);
}

int cxldcd_app_get_fd(const struct cxldcd_app *app)
{
	return app->fd;
}

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r = poll(&p, 1, timeout_ms);

	if (r < 0)
		return -errno;
	return r ? 0 : -ETIMEDOUT;
}

/*
 * Replace [off, off+len) of every mapping of group id with inaccessible
 * pages (len 0: the whole mapping).  The range comes from the agent: only
 * what lies inside a mapping is touched, and a range not page aligned is
 * refused.  Return how many mappings lost something, or -EPROTO.
 */
static int revoke_maps(struct cxldcd_app *app, uint64_t id, uint64_t off, uint64_t len)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	int n = 0;

	if (off % page || len % page)
		return -EPROTO;
	for (struct app_mapping *m = app->maps; m; m = m->next) {
		uint64_t l = len;

		if (m->id != id || m->revoked || off >= m->size)
			continue;
		if (!len || l > m->size - off)
			l = m->size - off;
		if (host_map_none((uint8_t *)m->addr + off, l))
			continue;
		m->revoked = !len;
		n++;
	}
	return n;
}

/* A complete message at the head of rbuf?  1 yes, 0 not yet, -EPROTO. */
static int have_msg(const struct cxldcd_app *app, struct hl_hdr *hd)
{
	int rc = hl_dec_hdr(app->rbuf, app->rlen, hd);

	if (rc == -EAGAIN)
		return 0;
	if (rc || HL_HDR_SIZE + hd->len > APP_RSP_MAX)
		return -EPROTO;
	return app->rlen >= HL_HDR_SIZE + hd->len;
}

static void drop_head(struct cxldcd_app *app, const struct hl_hdr *hd)
{
	size_t n = HL_HDR_SIZE + hd->len;

	memmove(app->rbuf, app->rbuf + n, app->rlen - n);
	app->rlen -= n;
}

static int apply_revokes(struct cxldcd_app *app, struct hl_hdr *hd, bool *more);

/*
 * Done with the reply at the head of rbuf.  REVOKEs that came in the same
 * read behind it are applied now: the socket will not signal them again.
 */
static void consume(struct cxldcd_app *app, const struct hl_hdr *hd)
{
	struct hl_hdr next;
	bool more;

	drop_head(app, hd);
	apply_revokes(app, &next, &more);
}

/*
 * Apply the REVOKEs at the head of rbuf.  Return revocations (>= 0), or
 * -EPROTO; *hd receives the header of a complete non-REVOKE message left at
 * the head (*more = true), if any.
 */
static int apply_revokes(struct cxldcd_app *app, struct hl_hdr *hd, bool *more)
{
	int n = 0, rc;

	*more = false;
	while ((rc = have_msg(app, hd)) > 0) {
		const uint8_t *p = app->rbuf + HL_HDR_SIZE;
		struct hl_app_revoke_range r = { 0 };

		if (hd->type == HL_APP_REVOKE)
			rc = hl_dec_u64_msg(p, hd->len, &r.id);
		else if (hd->type == HL_APP_REVOKE_RANGE)
			rc = hl_dec_app_revoke_range(p, hd->len, &r);
		else {
			*more = true;
			return n;
		}
		if (rc || (rc = revoke_maps(app, r.id, r.offset, r.len)) < 0)
			return -EPROTO;
		n += rc;
		drop_head(app, hd);
	}
	return rc < 0 ? rc : n;
}

/*
 * Read what the socket holds now.  Return bytes read, 0 nothing (-EAGAIN),
 * -errno.  The agent gone (EOF, reset): every mapping is revoked, as an
 * agent that can still say so does (REVOKE) before it closes: nothing
 * counts these opens any more, and the agent that comes next may release
 * the groups, or the device move them out of the files mapped here.
 */
static ssize_t fill(struct cxldcd_app *app, int *fds, unsigned *nfd)
{
	ssize_t n;

	if (app->rlen == APP_RSP_MAX)
		return -EPROTO;
	n = hl_recv(app->fd, app->rbuf + app->rlen, APP_RSP_MAX - app->rlen, fds, nfd,
		    HL_APP_MAX_SEGS);
	if (n == -EAGAIN)
		return 0;
	if (n == 0 || n == -ECONNRESET) {
		for (struct app_mapping *m = app->maps; m; m = m->next)
			if (!m->revoked && !host_map_none(m->addr, m->size))
				m->revoked = true;
		return -ECONNRESET;
	}
	if (n < 0)
		return n;
	app->rlen += (size_t)n;
	return n;
}

int cxldcd_app_process(struct cxldcd_app *app)
{
	int fds[HL_APP_MAX_SEGS], total = 0;
	unsigned nfd = 0;
	struct hl_hdr hd;
	bool more;

	for (;;) {
		ssize_t n = fill(app, fds, &nfd);
		int r;

		for (unsigned i = 0; i < nfd; i++)
			close(fds[i]); /* nothing unsolicited carries fds */
		nfd = 0;
		if (n < 0)
			return (int)n;
		r = apply_revokes(app, &hd, &more);
		if (r < 0)
			return r;
		total += r;
		if (more)
			return -EPROTO; /* a reply nobody asked for */
		if (!n)
			return total;
	}
}

/*
 * Send a request and read the whole reply (payload in app->rbuf + HDR,
 * consumed by the next call), waiting up to timeout_ms at a time for it.
 */
static int exchange(struct cxldcd_app *app, const uint8_t *req, size_t len, uint8_t want_type,
		    struct hl_hdr *hd, int *fds, unsigned *nfd, int timeout_ms)
{
	size_t off = 0;
	bool more;
	int rc;

	while (off < len) {
		ssize_t n = hl_send(app->fd, req + off, len - off, NULL, 0);

		if (n == -EAGAIN) {
			if ((rc = wait_fd(app->fd, POLLOUT, APP_TIMEOUT_MS)))
				return rc;
			continue;
		}
		if (n < 0)
			return (int)n;
		off += (size_t)n;
	}
	*nfd = 0;
	for (;;) {
		ssize_t n;

		rc = apply_revokes(app, hd, &more);
		if (rc < 0)
			return rc;
		if (more)
			break;
		if ((rc = wait_fd(app->fd, POLLIN, timeout_ms)))
			return rc;
		n = fill(app, fds, nfd);
		if (n < 0)
			return (int)n;
	}
	if (hd->type != want_type) {
		consume(app, hd);
		return -EPROTO;
	}
	return 0;
}

int cxldcd_app_list(struct cxldcd_app *app, struct cxldcd_host_group_info *out, uint32_t cap)
{
	uint8_t req[HL_HDR_SIZE];
	struct hl_app_entry *e;
	struct hl_hdr hd;
	struct wwr w;
	uint32_t n;
	unsigned nfd;
	int fds[HL_APP_MAX_SEGS], rc;

	wwr_init(&w, req, sizeof(req));
	hl_msg_begin(&w, HL_APP_LIST_REQ, ++app->seq);
	hl_msg_end(&w);
	rc = exchange(app, req, w.off, HL_APP_LIST_RSP, &hd, fds, &nfd, APP_TIMEOUT_MS);
	close_fds(fds, nfd);
	if (rc)
		return rc;
	if (nfd) {
		consume(app, &hd);
		return -EPROTO;
	}
	e = calloc(HL_APP_MAX_ENTRIES, sizeof(*e));
	if (!e)
		return -ENOMEM;
	rc = hl_dec_app_list(app->rbuf + HL_HDR_SIZE, hd.len, e, HL_APP_MAX_ENTRIES, &n);
	consume(app, &hd);
	if (rc) {
		free(e);
		return -EPROTO;
	}
	for (uint32_t i = 0; i < n && i < cap; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].id = e[i].id;
		memcpy(out[i].tag, e[i].tag, CXLDCD_TAG_SIZE);
		out[i].tagged = e[i].flags & HL_APP_F_TAGGED;
		out[i].size = e[i].size;
		out[i].nr_extents = e[i].nr_extents;
		out[i].open_count = e[i].open_count;
		out[i].mapped = e[i].flags & HL_APP_F_MAPPED;
		out[i].release_pending = e[i].flags & HL_APP_F_RELEASE_PENDING;
		out[i].revoked = e[i].flags & HL_APP_F_REVOKED;
	}
	free(e);
	return (int)n;
}

static int send_close(struct cxldcd_app *app, uint64_t id)
{
	uint8_t req[HL_HDR_SIZE + HL_APP_CLOSE_REQ_SIZE];
	struct hl_hdr hd;
	struct wwr w;
	uint32_t status;
	unsigned nfd;
	int fds[HL_APP_MAX_SEGS], rc;

	wwr_init(&w, req, sizeof(req));
	hl_msg_begin(&w, HL_APP_CLOSE_REQ, ++app->seq);
	hl_enc_u64_msg(&w, id);
	hl_msg_end(&w);
	rc = exchange(app, req, w.off, HL_APP_CLOSE_RSP, &hd, fds, &nfd, APP_TIMEOUT_MS);
	close_fds(fds, nfd);
	if (rc)
		return rc;
	rc = hl_dec_status_msg(app->rbuf + HL_HDR_SIZE, hd.len, &status);
	consume(app, &hd);
	if (rc)
		return -EPROTO;
	return hl_status_errno(status);
}

int cxldcd_app_open_flags(struct cxldcd_app *app, const uint8_t tag[CXLDCD_HOST_TAG_SIZE],
			  uint64_t id, uint32_t flags, struct cxldcd_app_map *out)
{
	uint8_t req[HL_HDR_SIZE + HL_APP_OPEN_REQ_FLAGS_SIZE];
	struct hl_app_open_req rq = { .id = id };
	struct hl_app_open_rsp rs;
	struct hl_app_seg seg[HL_APP_MAX_SEGS];
	struct hl_hdr hd;
	struct wwr w;
	unsigned nfd = 0;
	int fds[HL_APP_MAX_SEGS], rc;
	struct app_mapping *rec;
	uint8_t *base;

	if (!app || !out || flags & ~CXLDCD_APP_OPEN_READ_ONLY)
		return -EINVAL;
	app->denied = 0;
	if (tag)
		memcpy(rq.tag, tag, CXLDCD_TAG_SIZE);
	/* no flags: the 0x18-byte OPEN_REQ that every agent takes */
	rq.flags = flags & CXLDCD_APP_OPEN_READ_ONLY ? HL_APP_OPEN_F_READ_ONLY : 0;
	wwr_init(&w, req, sizeof(req));
	hl_msg_begin(&w, HL_APP_OPEN_REQ, ++app->seq);
	hl_enc_app_open_req(&w, &rq);
	hl_msg_end(&w);
	/* the agent holds an OPEN while a move has the group paused */
	rc = exchange(app, req, w.off, HL_APP_OPEN_RSP, &hd, fds, &nfd, APP_OPEN_TIMEOUT_MS);
	if (rc)
		goto out;
	rc = hl_dec_app_open_rsp(app->rbuf + HL_HDR_SIZE, hd.len, &rs, seg, HL_APP_MAX_SEGS);
	consume(app, &hd);
	if (rc || rs.nr_segs != nfd) {
		rc = -EPROTO;
		goto out;
	}
	if (rs.status) {
		rc = hl_status_errno(rs.status);
		if (rs.status == HL_S_ACCES && rs.reason <= HL_APP_DENIED_SHARED_FILE)
			app->denied = rs.reason;
		goto out;
	}
	base = mmap(NULL, rs.size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		rc = -errno;
		send_close(app, rs.id);
		goto out;
	}
	for (uint32_t i = 0; i < rs.nr_segs; i++) {
		bool wr = (seg[i].flags & HL_MAP_F_WRITABLE) && !rq.flags;
		int prot = PROT_READ | (wr ? PROT_WRITE : 0);

		if (mmap(base + seg[i].group_offset, seg[i].len, prot, MAP_SHARED | MAP_FIXED, fds[i],
			 (off_t)seg[i].file_offset) == MAP_FAILED) {
			rc = -errno;
			munmap(base, rs.size);
			send_close(app, rs.id);
			goto out;
		}
	}
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		rc = -ENOMEM;
		munmap(base, rs.size);
		send_close(app, rs.id);
		goto out;
	}
	*rec = (struct app_mapping){ .next = app->maps, .addr = base, .size = rs.size, .id = rs.id };
	app->maps = rec;
	out->addr = base;
	out->size = rs.size;
	out->id = rs.id;
out:
	close_fds(fds, nfd);
	return rc;
}

int cxldcd_app_open(struct cxldcd_app *app, const uint8_t tag[CXLDCD_HOST_TAG_SIZE], uint64_t id,
		    struct cxldcd_app_map *out)
{
	return cxldcd_app_open_flags(app, tag, id, 0, out);
}

uint32_t cxldcd_app_open_denied(const struct cxldcd_app *app)
{
	_Static_assert(CXLDCD_APP_DENIED_RULES == HL_APP_DENIED_RULES &&
		       CXLDCD_APP_DENIED_SHARED_FILE == HL_APP_DENIED_SHARED_FILE,
		       "the library's values are the protocol's");
	return app ? app->denied : 0;
}

int cxldcd_app_close(struct cxldcd_app *app, struct cxldcd_app_map *map)
{
	struct app_mapping **pp;

	if (!map || !map->addr)
		return -EINVAL;
	for (pp = &app->maps; *pp && (*pp)->addr != map->addr; pp = &(*pp)->next)
		;
	if (*pp) {
		struct app_mapping *m = *pp;

		*pp = m->next;
		free(m);
	}
	munmap(map->addr, map->size);
	map->addr = NULL;
	return send_close(app, map->id);
}
