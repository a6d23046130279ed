/* SPDX-License-Identifier: MIT */
/*
 * fuzz-app-socket.c - libFuzzer target for the host agent's application
 * socket (src/host/apps.c), both sides:
 *
 * Agent side (byte 0 bit 0 clear): a live device (../cci/steps.h, the small
 * fuzz device: 2 MiB blocks, region 1 sharable), its memory (a memfd) and a
 * hostlink on a Unix socket; a real host agent (libcxldcd-host, host 0,
 * accepting everything, on the target's clock; byte 0 bit 1: asking for a
 * file per group, HELLO flag bit 4, as cxldcd-host with --agent-socket
 * does, so the device's memory keeps a view per group) brought up through it, with
 * three groups accepted: A (tag 1, two 2 MiB extents, region 1), B
 * (untagged, one 4 MiB extent, region 0) and C (tag 2, one 2 MiB extent,
 * region 1), and its application socket; and host 1's agent, which can
 * share group A's extents, so that host 1 letting them go moves host 0 to a
 * fresh grant.  The fuzzer plays up to four applications and the fabric
 * manager.
 *
 * Checked after every step: the model's invariants; every byte the agent
 * sent an application is a well-formed reply or REVOKE/REVOKE_RANGE
 * (header, type, payload decodes; a REVOKE_RANGE page aligned).  At the
 * end: every application gone, no group of the agent is still counted open
 * (open_count 0), no leak (LSan) and no leaked file descriptor.
 *
 * Steps, each an op byte: bits 1:0 the application k (connected on first
 * use), bits 7:2 the kind (mod 12):
 *   0  raw bytes: n (1), n bytes written as they are
 *   1  message: type (1), n (1), n payload bytes; the header is valid
 *   2  OPEN: g (1): bits 1:0 group A, B, C or an id/tag from the next 8
 *      bytes (g bit 2 set: the id is that value, else its tag is fz_tag of
 *      its low 16 bits); bit 3: by tag (groups A and C), else by id
 *   3  CLOSE: g (1), as OPEN (the id)
 *   4  LIST
 *   5  hang up k (v bit 0 of the next byte: without reading its replies)
 *   6  forced release by the FM: r (1): bits 1:0 extent (A0, A1, B, C),
 *      bit 2: its first 2 MiB only (B is 4 MiB), then the agent reads it
 *      (apps holding the group get REVOKE_RANGE)
 *   7  the FM adds an extent again: r (1) as for 6 (the same range, tag
 *      and sequence), accepted by the agent as a new group
 *   8  the agent releases a group: g (1) as OPEN (-EBUSY while open)
 *   9  advance the agent's clock by (v+1) s, v the next byte, and pump
 *  10  host 1 (a second agent, no applications): v (1): v & 3: 0 the FM
 *      gives it group A's extents too (Enable Shared Access of tag 1), 1
 *      forced release of them from host 1, which moves host 0 to a fresh
 *      grant (PAUSE, REMAP: REVOKE to the applications holding A), 2 the FM
 *      asks host 1 to release them (its agent does), 3 host 1's agent
 *      releases group A unsolicited
 *  11  the next (v & 3) + 1 steps' pumps are one round each, v (1) (an
 *      OPEN or a CLOSE can come while a move has group A paused)
 *
 * Byte 0 bit 2 (agent side): the rules change while the agent serves, as
 * cxldcd-host does at SIGHUP.  Application k has its own credentials (uid
 * and gid 1000 + k; applications 0 and 2 also in group 2000: the agent's
 * reading of SO_PEERCRED and SO_PEERGROUPS, access_cred_of(), is wrapped
 * for them), the rules start as the agent's defaults (its own user's,
 * 0600: nothing for them), an OPEN's g bit 4 asks for a read-only open,
 * and the kinds are mod 13, with
 *  12  new rules: r1, r2 (1 each), a rules file (cxldcd_host_access_load())
 *      of up to four lines: group A's tag owner 1000 group 2000 mode
 *      M[r1 & 7] (unless r1 bit 6), untagged owner 1001 group 1002 mode
 *      M[(r1 >> 3) & 7] (unless r1 bit 7), all owner 1003 group 2000 mode
 *      M[r2 & 7] (unless r2 bit 3), group C's tag owner 1002 mode
 *      M[r2 >> 5] (if r2 bit 4); M = 0, 0400, 0600, 0640, 0660, 0604,
 *      0606, 0666; and the socket's mode 0666 (the applications are
 *      other users: a socket of the default 0600 would not let them
 *      connect, and set_access() would close them); then
 *      cxldcd_host_set_access().  Checked: it returns
 *      the number of opens revoked (>= 0), and a group no connected
 *      application may read any more is open nowhere (open_count 0)
 *      when it returns.
 *
 * Application side (byte 0 bit 0 set): a listening socket plays the agent
 * and a cxldcd_app connects to it.  First the agent's whole stream is
 * written (steps below, in order), then the socket is shut down for writing,
 * then the application calls run in order (they read the stream as it
 * comes; at its end every call fails at once).  Checked: no crash, no two
 * mappings cxldcd_app_open() returned overlap (each is unmapped by
 * cxldcd_app_close() at the end), no leak, no leaked fd.  Steps, op byte
 * bits 2:0:
 *   0  stream: raw bytes, n (1), n bytes
 *   1  stream: message type (1), n (1), n payload bytes, valid header
 *   2  stream: OPEN_RSP: status (1), nr segs s (1, mod 5), size in pages
 *      (1), id (1), then per segment: group offset in pages (1), pages
 *      (1), file offset in pages (1), flags (1); s memfds of 16 pages ride
 *      with it
 *   3  stream: REVOKE_RANGE: id (1), offset in pages (1), pages (1); or
 *      REVOKE (id) when pages is 0
 *   4  call cxldcd_app_list(): cap (1)
 *   5  call cxldcd_app_open(): id (1); op bit 3: by tag fz_tag(id)
 *   6  call cxldcd_app_close() of mapping i (1) of those opened
 *   7  call cxldcd_app_process()
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/core.h"
#include "cxldcd/cxldcd-host.h"
#include "hostlink/hostlink.h"
#include "hostlink/proto.h"
#include "host/access.h"
#include "mem/mem.h"
#include "../cci/steps.h"
#include "../fuzz-input.h"
#include "../fuzz-scratch.h"
#include "fz-link-dev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIB (1ull << 20)
#define BLOCK (2 * MIB)
#define NR_APPS 4
#define APP_RX (HL_HDR_SIZE + HL_APP_LIST_HDR + HL_APP_MAX_ENTRIES * HL_APP_ENTRY_SIZE)
#define MAX_STEPS 256
#define PAGE 4096u

static char dir[64], link_path[96], app_path[96];

/* Byte 0 bit 2: the applications' own credentials, rules that change. */
static bool rules_mode;

/*
 * Application k's client socket is bound to this abstract address
 * (@pid: several fuzz processes may run), which the agent sees as its
 * peer's: how the wrapped access_cred_of() tells the applications apart.
 */
static int app_addr(struct sockaddr_un *sa, unsigned k)
{
	int n;

	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "fz-app-%d-%u", (int)getpid(), k);
	return (int)offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

int __real_access_cred_of(int fd, struct app_cred *cr);
int __wrap_access_cred_of(int fd, struct app_cred *cr);

/* The agent's reading of a peer's credentials; in rules mode, application k's are uid 1000 + k. */
int __wrap_access_cred_of(int fd, struct app_cred *cr)
{
	int rc = __real_access_cred_of(fd, cr);
	struct sockaddr_un peer, want;
	socklen_t len = sizeof(peer);

	if (rc || !rules_mode || getpeername(fd, (struct sockaddr *)&peer, &len))
		return rc;
	for (unsigned k = 0; k < 4; k++) {
		int wl = app_addr(&want, k);

		if ((int)len != wl || memcmp(&peer, &want, (size_t)wl))
			continue;
		access_cred_fini(cr);
		cr->uid = cr->gid = 1000 + k;
		if (!(k & 1)) {
			cr->groups = malloc(sizeof(*cr->groups));
			if (!cr->groups)
				return -ENOMEM;
			cr->groups[0] = 2000;
			cr->nr_groups = 1;
		}
	}
	return rc;
}

/* The sockets' directory, on the first input. */
static void init_dir(void)
{
	if (!fz_scratch_at_exit(dir, sizeof(dir), "app"))
		return;
	fz_path(link_path, sizeof(link_path), dir, "link.sock");
	fz_path(app_path, sizeof(app_path), dir, "app.sock");
}

static uint64_t in_u64(struct in *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)in_u8(in) << (8 * i);
	return v;
}

static size_t msg(uint8_t *buf, size_t cap, uint8_t type, uint32_t seq, const uint8_t *pl, size_t n)
{
	struct wwr w;

	wwr_init(&w, buf, cap);
	hl_msg_begin(&w, type, seq);
	wwr_bytes(&w, pl, n);
	if (hl_msg_end(&w))
		fz_die("message too long", NULL);
	return w.off;
}

/* ================================================================ agent side */

struct app {
	int fd;                     /* -1: not connected */
	uint8_t rx[APP_RX];
	size_t rlen;
	bool eof;
};

struct az {
	struct fz_link_dev ld;
	struct cxldcd_host *h;
	uint64_t now_ms;
	uint64_t id[3];             /* groups A, B, C as the agent numbered them */
	struct app app[NR_APPS];
	uint32_t seq;
	struct cxldcd_host *h1;     /* host 1's agent: shares group A's extents on demand */
	unsigned short_steps;       /* kind 11: steps left whose pumps are one round each */
	bool short_now;
	struct cxldcd_host_access *acc;  /* rules mode: the rules in force (NULL: defaults) */
};

static uint64_t host_clock(void *opaque)
{
	const struct az *z = opaque;

	return z->now_ms;
}

/* Every application's replies: whole, well-formed messages of the app protocol. */
static void app_check(struct app *a)
{
	size_t off = 0;

	for (;;) {
		struct hl_hdr hd;
		const uint8_t *p = a->rx + off;
		int rc = hl_dec_hdr(p, a->rlen - off, &hd);
		union {
			struct hl_app_entry e[4];
			struct hl_app_seg s[HL_APP_MAX_SEGS];
		} u;
		struct hl_app_open_rsp rs;
		struct hl_app_revoke_range rr;
		uint32_t n;
		uint64_t v;

		if (rc == -EAGAIN || (!rc && a->rlen - off < HL_HDR_SIZE + hd.len))
			break;
		if (rc)
			fz_die("agent sent an application a bad header", NULL);
		p += HL_HDR_SIZE;
		switch (hd.type) {
		case HL_APP_LIST_RSP:
			rc = hl_dec_app_list(p, hd.len, u.e, 4, &n);
			break;
		case HL_APP_OPEN_RSP:
			rc = hl_dec_app_open_rsp(p, hd.len, &rs, u.s, HL_APP_MAX_SEGS);
			break;
		case HL_APP_CLOSE_RSP:
			rc = hl_dec_status_msg(p, hd.len, &n);
			break;
		case HL_APP_REVOKE:
			rc = hl_dec_u64_msg(p, hd.len, &v);
			break;
		case HL_APP_REVOKE_RANGE:
			rc = hl_dec_app_revoke_range(p, hd.len, &rr);
			if (!rc && (rr.offset % PAGE || rr.len % PAGE))
				fz_die("agent sent a REVOKE_RANGE not page aligned", NULL);
			break;
		default:
			fz_die("agent sent an application a message of another protocol", NULL);
		}
		if (rc)
			fz_die("agent sent an application a payload that does not decode", NULL);
		off += HL_HDR_SIZE + hd.len;
	}
	memmove(a->rx, a->rx + off, a->rlen - off);
	a->rlen -= off;
}

static void app_read(struct app *a)
{
	while (a->fd >= 0 && !a->eof) {
		int fds[HL_APP_MAX_SEGS];
		unsigned nfd = 0;
		ssize_t n;

		if (a->rlen == sizeof(a->rx))
			fz_die("agent reply longer than the protocol allows", NULL);
		n = hl_recv(a->fd, a->rx + a->rlen, sizeof(a->rx) - a->rlen, fds, &nfd,
			    HL_APP_MAX_SEGS);
		for (unsigned i = 0; i < nfd; i++)
			close(fds[i]);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			a->eof = true;
			break;
		}
		a->rlen += (size_t)n;
		app_check(a);
	}
}

/*
 * Serve the hostlink and the agents until all are quiet (one round only in
 * the steps after kind 11: a move's PAUSE may then be left without its
 * REMAP while the next step's OPEN comes).
 */
static void pump(struct az *z)
{
	int quiet = 0, max = z->short_now ? 1 : 200;

	for (int round = 0; round < max && quiet < 2; round++) {
		struct pollfd fds[64];
		size_t n = hostlink_pollfds(z->ld.hl, fds, 62), nhl = n;
		int moved = 0;

		fds[n++] = (struct pollfd){ .fd = cxldcd_host_get_fd(z->h), .events = POLLIN };
		if (z->h1)
			fds[n++] = (struct pollfd){ .fd = cxldcd_host_get_fd(z->h1), .events = POLLIN };
		hostlink_tick(z->ld.hl);
		if (poll(fds, (nfds_t)n, 0) > 0) {
			for (size_t i = 0; i < n; i++) {
				if (!fds[i].revents)
					continue;
				moved++;
				if (i == nhl)
					cxldcd_host_process(z->h);
				else if (i > nhl)
					cxldcd_host_process(z->h1);
				else
					hostlink_process_fd(z->ld.hl, fds[i].fd,
							    hostlink_poll_events(fds[i].revents));
			}
		}
		cxldcd_host_process(z->h);
		if (z->h1)
			cxldcd_host_process(z->h1);
		quiet = moved || !cxldcd_host_idle(z->h) || (z->h1 && !cxldcd_host_idle(z->h1))
				? 0 : quiet + 1;
	}
	for (int i = 0; i < NR_APPS; i++)
		app_read(&z->app[i]);
}

static enum cxldcd_rc fm_add_to(struct az *z, uint16_t host, const struct fz_ext *e)
{
	struct cxldcd_extent x = { .dpa = e->dpa, .len = e->len, .shared_seq = e->seq };
	struct core_add_req rq = { .host = host, .policy = CXLDCD_ADD_PRESCRIPTIVE,
				   .nr_extents = 1, .extents = &x };

	if (e->tag)
		fz_tag(x.tag, e->tag);
	return core_add(z->ld.dev, &rq, NULL, NULL);
}

static enum cxldcd_rc fm_add(struct az *z, const struct fz_ext *e)
{
	return fm_add_to(z, 0, e);
}

/*
 * Group A to host: its two extents in one add (tag 1, shared sequence 0
 * and 1); to host 1, Enable Shared Access of tag 1.
 */
static enum cxldcd_rc fm_add_a(struct az *z, uint16_t host)
{
	struct cxldcd_extent a[2];
	struct core_add_req rq = { .host = host, .policy = CXLDCD_ADD_PRESCRIPTIVE,
				   .nr_extents = 2, .extents = a };
	struct cxldcd_diag diag;
	enum cxldcd_rc rc;

	if (host) {
		rq = (struct core_add_req){ .host = host, .policy = CXLDCD_ADD_ENABLE_SHARED };
		fz_tag(rq.tag, 1);
	}
	for (int i = 0; i < 2; i++) {
		a[i] = (struct cxldcd_extent){ .dpa = z->ld.ext[i].dpa, .len = z->ld.ext[i].len,
					       .shared_seq = z->ld.ext[i].seq };
		fz_tag(a[i].tag, 1);
	}
	rc = core_add(z->ld.dev, &rq, NULL, &diag);
	if (rc && getenv("CXLDCD_FUZZ_VERBOSE"))
		fprintf(stderr, "add A to host %u: %s\n", host, diag.text);
	return rc;
}

static uint64_t group_id_of(struct az *z, bool tagged, uint16_t tag, uint64_t dpa_size)
{
	struct cxldcd_host_group_info g[16];
	uint32_t n = cxldcd_host_list_groups(z->h, g, 16);
	uint8_t t[16];

	fz_tag(t, tag);
	for (uint32_t i = 0; i < n && i < 16; i++)
		if (tagged ? g[i].tagged && !memcmp(g[i].tag, t, 16) :
			     !g[i].tagged && g[i].size == dpa_size)
			return g[i].id;
	fz_die("group not accepted", NULL);
	return 0;
}

static void az_setup(struct az *z, bool group_files)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_host_cfg c = { 0 };

	memset(z, 0, sizeof(*z));
	for (int i = 0; i < NR_APPS; i++)
		z->app[i].fd = -1;
	fz_dev_cfg(&cfg, 0);
	cfg.pending_timeout_ms = 0;
	fz_link_dev_new(&z->ld, &cfg, NULL, NULL, link_path);
	z->now_ms = 1000;
	c.socket_path = link_path;
	c.accept = CXLDCD_HOST_ACCEPT_ALL;
	c.clock = host_clock;
	c.clock_opaque = z;
	c.group_files = group_files;
	if (getenv("CXLDCD_FUZZ_VERBOSE")) {
		c.log_fn = fz_host_log;
		c.log_level = 7;
	}
	if (cxldcd_host_new(&c, &z->h))
		fz_die("cxldcd_host_new", NULL);
	c.host_id = 1;
	c.log_fn = NULL;
	c.group_files = false;
	if (cxldcd_host_new(&c, &z->h1))
		fz_die("cxldcd_host_new (host 1)", NULL);
	pump(z);
	if (cxldcd_host_get_state(z->h) != CXLDCD_HOST_READY ||
	    cxldcd_host_get_state(z->h1) != CXLDCD_HOST_READY)
		fz_die("agent not ready", NULL);
	unlink(app_path);
	if (cxldcd_host_serve_apps(z->h, app_path))
		fz_die("cxldcd_host_serve_apps", NULL);
	if (fm_add_a(z, 0))
		fz_die("add A", NULL);
	pump(z);
	if (fm_add(z, &z->ld.ext[2]))
		fz_die("add B", NULL);
	pump(z);
	if (fm_add(z, &z->ld.ext[3]))
		fz_die("add C", NULL);
	pump(z);
	z->id[0] = group_id_of(z, true, 1, 0);
	z->id[1] = group_id_of(z, false, 0, 2 * BLOCK);
	z->id[2] = group_id_of(z, true, 2, 0);
}

static void app_hangup(struct az *z, struct app *a, bool read_first)
{
	if (a->fd < 0)
		return;
	if (read_first)
		app_read(a);
	close(a->fd);
	a->fd = -1;
	a->rlen = 0;
	a->eof = false;
	pump(z);
}

static void az_teardown(struct az *z)
{
	struct cxldcd_host_group_info g[16];
	uint32_t n;

	for (int i = 0; i < NR_APPS; i++)
		app_hangup(z, &z->app[i], true);
	n = cxldcd_host_list_groups(z->h, g, 16);
	for (uint32_t i = 0; i < n && i < 16; i++)
		if (g[i].open_count) {
			fprintf(stderr, "group id=%llu: open_count %u after every application left\n",
				(unsigned long long)g[i].id, g[i].open_count);
			abort();
		}
	cxldcd_host_free(z->h);
	cxldcd_host_free(z->h1);
	for (int round = 0; round < 8; round++) {
		struct pollfd fds[64];
		size_t k = hostlink_pollfds(z->ld.hl, fds, 64);

		if (poll(fds, (nfds_t)k, 0) <= 0)
			break;
		for (size_t i = 0; i < k; i++)
			if (fds[i].revents)
				hostlink_process_fd(z->ld.hl, fds[i].fd,
						    hostlink_poll_events(fds[i].revents));
	}
	fz_link_dev_free(&z->ld);
}

static struct app *app_get(struct az *z, unsigned k)
{
	struct app *a = &z->app[k];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (a->fd >= 0)
		return a;
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd >= 0 && rules_mode) {
		struct sockaddr_un me;
		int ml = app_addr(&me, k);

		if (bind(a->fd, (struct sockaddr *)&me, (socklen_t)ml) < 0)
			fz_die("bind an application's address", strerror(errno));
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", app_path);
	if (a->fd < 0 || connect(a->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		fz_die("connect to the application socket", NULL);
	pump(z);
	return a;
}

static void app_write(struct az *z, struct app *a, const uint8_t *buf, size_t len)
{
	if (!a->eof)
		(void)send(a->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	pump(z);
}

/* The group (id and tag) an OPEN, CLOSE or agent release names. */
static void pick_group(struct az *z, struct in *in, uint8_t g, uint64_t *id, uint8_t tag[16])
{
	static const uint16_t tags[3] = { 1, 0, 2 };

	memset(tag, 0, 16);
	if ((g & 3) < 3) {
		*id = z->id[g & 3];
		if (tags[g & 3])
			fz_tag(tag, tags[g & 3]);
		return;
	}
	*id = in_u64(in);
	if (!(g & 4))
		fz_tag(tag, (uint16_t)*id);
}

/* Kind 12 (rules mode): new rules from r1, r2, in force through cxldcd_host_set_access(). */
static void new_rules(struct az *z, uint8_t r1, uint8_t r2)
{
	static const unsigned modes[8] = { 0, 0400, 0600, 0640, 0660, 0604, 0606, 0666 };
	struct cxldcd_host_group_info g[16];
	struct cxldcd_host_access *acc;
	char text[512], t1[37], t2[37], err[256];
	uint8_t tag[16];
	size_t n = 0;
	uint32_t ng;
	int rc;

	fz_tag(tag, 1);
	cxldcd_tag_format(tag, t1);
	fz_tag(tag, 2);
	cxldcd_tag_format(tag, t2);
	/*
	 * the applications are other users (uid 1000 + k): a socket of mode
	 * 0666 lets them connect, and set_access() gives it that mode (at the
	 * default, 0600, it would close their connections)
	 */
	n += (size_t)snprintf(text + n, sizeof(text) - n, "socket,mode=0666\n");
	if (!(r1 & 0x40))
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "tag=%s,owner=1000,group=2000,mode=%04o\n", t1, modes[r1 & 7]);
	if (!(r1 & 0x80))
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "tag=untagged,owner=1001,group=1002,mode=%04o\n",
				      modes[(r1 >> 3) & 7]);
	if (!(r2 & 0x08))
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "tag=all,owner=1003,group=2000,mode=%04o\n", modes[r2 & 7]);
	if (r2 & 0x10)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "tag=%s,owner=1002,mode=%04o\n", t2,
				      modes[r2 >> 5]);
	if (cxldcd_host_access_new(&acc))
		fz_die("cxldcd_host_access_new", NULL);
	if (cxldcd_host_access_load(acc, text, n, err, sizeof(err)))
		fz_die("the harness's rules refused", err);
	rc = cxldcd_host_set_access(z->h, acc);
	if (rc < 0)
		fz_die("cxldcd_host_set_access", strerror(-rc));
	cxldcd_host_access_free(z->acc);
	z->acc = acc;
	/* a group no connected application may read is open nowhere now */
	ng = cxldcd_host_list_groups(z->h, g, 16);
	for (uint32_t i = 0; i < ng && i < 16; i++) {
		bool reader = false;

		for (unsigned k = 0; k < NR_APPS; k++) {
			struct app_cred cr = { .uid = 1000 + k, .gid = 1000 + k };
			uint32_t g2000 = 2000;

			if (!(k & 1)) {
				cr.groups = &g2000;
				cr.nr_groups = 1;
			}
			if (z->app[k].fd >= 0 && access_perm(acc, &cr, &g[i]) & ACCESS_READ)
				reader = true;
		}
		if (!reader && g[i].open_count) {
			char d[96];

			snprintf(d, sizeof(d), "group id=%llu open_count %u, no application may read it",
				 (unsigned long long)g[i].id, g[i].open_count);
			fz_die("new rules left a grant they refuse", d);
		}
	}
	pump(z);
}

static void az_step(struct az *z, struct in *in)
{
	uint8_t op = in_u8(in), v, buf[HL_HDR_SIZE + 256];
	struct app *a;
	const uint8_t *p;
	uint8_t tag[16];
	uint64_t id;
	size_t n;

	z->short_now = z->short_steps > 0;
	z->short_steps -= z->short_now;
	switch ((op >> 2) % (rules_mode ? 13 : 12)) {
	case 0:
		a = app_get(z, op & 3);
		n = in_bytes(in, in_u8(in), &p);
		app_write(z, a, p, n);
		break;
	case 1: {
		uint8_t type = in_u8(in);

		a = app_get(z, op & 3);
		n = in_bytes(in, in_u8(in), &p);
		app_write(z, a, buf, msg(buf, sizeof(buf), type, ++z->seq, p, n));
		break;
	}
	case 2: {
		struct hl_app_open_req rq = { 0 };
		struct wwr w;

		v = in_u8(in);
		a = app_get(z, op & 3);
		pick_group(z, in, v, &id, tag);
		rq.id = id;
		if (v & 8)
			memcpy(rq.tag, tag, 16);
		if (rules_mode && (v & 16))
			rq.flags = HL_APP_OPEN_F_READ_ONLY;
		wwr_init(&w, buf, sizeof(buf));
		hl_msg_begin(&w, HL_APP_OPEN_REQ, ++z->seq);
		hl_enc_app_open_req(&w, &rq);
		hl_msg_end(&w);
		app_write(z, a, buf, w.off);
		break;
	}
	case 3: {
		struct wwr w;

		v = in_u8(in);
		a = app_get(z, op & 3);
		pick_group(z, in, v, &id, tag);
		wwr_init(&w, buf, sizeof(buf));
		hl_msg_begin(&w, HL_APP_CLOSE_REQ, ++z->seq);
		hl_enc_u64_msg(&w, id);
		hl_msg_end(&w);
		app_write(z, a, buf, w.off);
		break;
	}
	case 4:
		a = app_get(z, op & 3);
		app_write(z, a, buf, msg(buf, sizeof(buf), HL_APP_LIST_REQ, ++z->seq, NULL, 0));
		break;
	case 5:
		app_hangup(z, &z->app[op & 3], !(in_u8(in) & 1));
		break;
	case 6: {
		const struct fz_ext *e;
		struct cxldcd_extent x;
		struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					       .forced = true, .nr_extents = 1, .extents = &x };

		v = in_u8(in);
		e = &z->ld.ext[v & 3];
		x = (struct cxldcd_extent){ .dpa = e->dpa, .len = v & 4 ? BLOCK : e->len };
		(void)core_release(z->ld.dev, &rq, NULL);
		pump(z);
		break;
	}
	case 7:
		(void)fm_add(z, &z->ld.ext[in_u8(in) & 3]);
		pump(z);
		break;
	case 8:
		pick_group(z, in, in_u8(in), &id, tag);
		(void)cxldcd_host_group_release(z->h, tag[0] || tag[1] ? tag : NULL, id);
		pump(z);
		break;
	case 9:
		z->now_ms += ((uint64_t)in_u8(in) + 1) * 1000;
		pump(z);
		break;
	case 10: {
		struct cxldcd_diag diag;
		struct cxldcd_extent x[2];
		struct core_release_req rq = { .host = 1, .policy = CXLDCD_RELEASE_PRESCRIPTIVE,
					       .nr_extents = 2, .extents = x };

		v = in_u8(in);
		/* sharable capacity goes per tag: both extents of A */
		for (int i = 0; i < 2; i++)
			x[i] = (struct cxldcd_extent){ .dpa = z->ld.ext[i].dpa, .len = BLOCK };
		switch (v & 3) {
		case 0: /* host 1 shares group A (Enable Shared Access of its tag) */
			(void)fm_add_a(z, 1);
			break;
		case 1: /* host 1 loses them by force: host 0's sharers move */
		case 2: /* the FM asks host 1 to release them; its agent does */
			rq.forced = (v & 3) == 1;
			if (core_release(z->ld.dev, &rq, &diag) && getenv("CXLDCD_FUZZ_VERBOSE"))
				fprintf(stderr, "release from host 1: %s\n", diag.text);
			break;
		case 3: /* host 1's agent gives group A back unsolicited */
			fz_tag(tag, 1);
			(void)cxldcd_host_group_release(z->h1, tag, 0);
			break;
		}
		pump(z);
		break;
	}
	case 11:
		z->short_steps = (in_u8(in) & 3) + 1;
		break;
	case 12:
		v = in_u8(in);
		new_rules(z, v, in_u8(in));
		break;
	}
	z->short_now = false;
	fz_check(z->ld.dev);
}

static void agent_side(const uint8_t *data, size_t size, bool group_files)
{
	struct az z;
	struct in in = { data, size, 0 };

	az_setup(&z, group_files);
	for (int i = 0; i < MAX_STEPS && in.off < in.len; i++)
		az_step(&z, &in);
	az_teardown(&z);
	cxldcd_host_access_free(z.acc);
}

/* ========================================================== application side */

#define MAX_MAPS 16

static void send_with_fds(int fd, const uint8_t *buf, size_t len, unsigned nfd)
{
	int fds[4];

	for (unsigned i = 0; i < nfd; i++) {
		fds[i] = memfd_create("fuzz-app-seg", MFD_CLOEXEC);
		if (fds[i] < 0 || ftruncate(fds[i], 16 * PAGE))
			fz_die("memfd", NULL);
	}
	(void)hl_send(fd, buf, len, fds, nfd);
	for (unsigned i = 0; i < nfd; i++)
		close(fds[i]);
}

/* One step of the agent's stream, written to fd (-1: only read from the input). */
static void stream_step(int fd, uint8_t op, struct in *in, uint32_t *seq)
{
	uint8_t buf[HL_HDR_SIZE + HL_APP_OPEN_RSP_HDR + 4 * HL_APP_SEG_SIZE + 256];
	const uint8_t *p;
	struct wwr w;
	size_t n;

	switch (op & 7) {
	case 0:
		n = in_bytes(in, in_u8(in), &p);
		(void)send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	case 1: {
		uint8_t type = in_u8(in);

		n = in_bytes(in, in_u8(in), &p);
		(void)send(fd, buf, msg(buf, sizeof(buf), type, ++*seq, p, n),
			   MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	}
	case 2: {
		struct hl_app_open_rsp rs;
		struct hl_app_seg s[4];

		rs.status = in_u8(in);
		rs.nr_segs = in_u8(in) % 5;
		rs.size = (uint64_t)in_u8(in) * PAGE;
		rs.id = in_u8(in);
		for (uint32_t i = 0; i < rs.nr_segs; i++) {
			s[i].group_offset = (uint64_t)in_u8(in) * PAGE;
			s[i].len = (uint64_t)in_u8(in) * PAGE;
			s[i].file_offset = (uint64_t)in_u8(in) * PAGE;
			s[i].flags = in_u8(in);
		}
		wwr_init(&w, buf, sizeof(buf));
		hl_msg_begin(&w, HL_APP_OPEN_RSP, ++*seq);
		hl_enc_app_open_rsp(&w, &rs, s);
		hl_msg_end(&w);
		if (fd >= 0)
			send_with_fds(fd, buf, w.off, rs.nr_segs);
		break;
	}
	case 3: {
		struct hl_app_revoke_range r;

		r.id = in_u8(in);
		r.offset = (uint64_t)in_u8(in) * PAGE;
		r.len = (uint64_t)in_u8(in) * PAGE;
		wwr_init(&w, buf, sizeof(buf));
		hl_msg_begin(&w, r.len ? HL_APP_REVOKE_RANGE : HL_APP_REVOKE, ++*seq);
		if (r.len)
			hl_enc_app_revoke_range(&w, &r);
		else
			hl_enc_u64_msg(&w, r.id);
		hl_msg_end(&w);
		(void)send(fd, buf, w.off, MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	}
	}
}

static void app_side(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct cxldcd_app *app;
	struct cxldcd_app_map maps[MAX_MAPS];
	struct cxldcd_host_group_info info[8];
	unsigned nr_maps = 0;
	struct in in = { data, size, 0 };
	uint32_t seq = 0;
	int ls, fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", app_path);
	unlink(app_path);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1))
		fz_die("listen", NULL);
	if (cxldcd_app_connect(app_path, &app))
		fz_die("cxldcd_app_connect", NULL);
	fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	close(ls);
	if (fd < 0)
		fz_die("accept", NULL);
	/* the agent's stream first, whole */
	for (int i = 0; i < MAX_STEPS && in.off < in.len; i++) {
		uint8_t op = in_u8(&in);

		if ((op & 7) < 4)
			stream_step(fd, op, &in, &seq);
	}
	shutdown(fd, SHUT_WR);
	/* then the calls, in the input's order */
	in.off = 0;
	for (int i = 0; i < MAX_STEPS && in.off < in.len; i++) {
		uint8_t op = in_u8(&in), v;

		switch (op & 7) {
		case 0:
		case 1:
		case 2:
		case 3:
			stream_step(-1, op, &in, &seq); /* written already: its bytes skipped */
			break;
		case 4:
			v = in_u8(&in);
			(void)cxldcd_app_list(app, info, v % 9);
			break;
		case 5: {
			uint8_t tag[16];

			v = in_u8(&in);
			fz_tag(tag, v);
			if (nr_maps < MAX_MAPS &&
			    !cxldcd_app_open(app, op & 8 ? tag : NULL, v, &maps[nr_maps])) {
				const struct cxldcd_app_map *m = &maps[nr_maps];

				/* its own reservation: never on top of another mapping */
				if (!m->addr || !m->size)
					fz_die("cxldcd_app_open: success without a mapping", NULL);
				for (unsigned j = 0; j < nr_maps; j++)
					if ((uint8_t *)m->addr < (uint8_t *)maps[j].addr + maps[j].size &&
					    (uint8_t *)maps[j].addr < (uint8_t *)m->addr + m->size)
						fz_die("cxldcd_app_open: two mappings overlap", NULL);
				nr_maps++;
			}
			break;
		}
		case 6:
			v = in_u8(&in);
			if (nr_maps) {
				unsigned k = v % nr_maps;

				(void)cxldcd_app_close(app, &maps[k]);
				maps[k] = maps[--nr_maps];
			}
			break;
		case 7:
			(void)cxldcd_app_process(app);
			break;
		}
	}
	for (unsigned i = 0; i < nr_maps; i++)
		(void)cxldcd_app_close(app, &maps[i]);
	cxldcd_app_free(app);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds_before;

	if (size < 1)
		return 0;
	init_dir();
	fds_before = nr_open_fds();
	if (data[0] & 1) {
		app_side(data + 1, size - 1);
	} else {
		rules_mode = data[0] & 4;
		agent_side(data + 1, size - 1, data[0] & 2);
		rules_mode = false;
	}
	if (nr_open_fds() != fds_before)
		fz_die("file descriptor leaked", NULL);
	return 0;
}
