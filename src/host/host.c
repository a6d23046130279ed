/* SPDX-License-Identifier: MIT */
/*
 * host.c - the libcxldcd-host context, the top of the library (host-int.h
 * gives the order): connecting (HELLO), the epoll set and timer behind
 * cxldcd_host_get_fd(), the processing round, and the public entry points
 * but the slow path (io.c).  The messages from the device are read and
 * handled in messages.c, the command queue is in link.c; what a host does
 * with the answers lives in bringup.c, events.c and release.c.
 */
#include "host/host-int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "common/clock.h"
#include "hostlink/proto.h"

static void arm_timer(struct cxldcd_host *h);
static void link_lost_apps(struct cxldcd_host *h);

/*
 * Send the next queued command now and re-arm the timer (public entry points
 * that queue, at their end).  A send that meets the link's failure ends the
 * applications' connections here (link_lost_apps()), in the user's own call:
 * the user may never call cxldcd_host_process() again.
 */
void host_kick(struct cxldcd_host *h)
{
	link_send_next(h);
	if (h->state != CXLDCD_HOST_FAILED)
		arm_timer(h);
	else
		link_lost_apps(h);
}

/* ------------------------------------------------------------ timers */

static void arm_timer(struct cxldcd_host *h)
{
	struct itimerspec its = { 0 };
	uint64_t dl = events_deadline(h), apps = apps_deadline(h), now = host_now_ms(h);

	if (h->inflight && (!dl || h->deadline_ms < dl))
		dl = h->deadline_ms;
	if (apps && (!dl || apps < dl))
		dl = apps;
	if (dl) {
		uint64_t d = dl > now ? dl - now : 1;

		its.it_value.tv_sec = (time_t)(d / 1000u);
		its.it_value.tv_nsec = (long)((d % 1000u) * 1000000u);
	}
	timerfd_settime(h->tfd, 0, &its, NULL);
}

static void check_timers(struct cxldcd_host *h)
{
	uint64_t now = host_now_ms(h), exp;

	if (read(h->tfd, &exp, sizeof(exp)) < 0) {
		/* nothing expired yet: fine */
	}
	if (h->inflight && now >= h->deadline_ms) {
		host_fail(h, -ETIMEDOUT, "device did not answer in time");
		return;
	}
	events_tick(h, now);
}

/* ------------------------------------------------------------ public */

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int connect_tcp(const char *addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd, rc;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int send_hello(struct cxldcd_host *h)
{
	struct hl_hello m = { .version = HL_VERSION, .host_id = h->cfg.host_id,
			      .flags = (h->is_unix && !h->cfg.no_mapping ? HL_HELLO_F_MAP : 0) |
				       HL_HELLO_F_DIAG | HL_HELLO_F_RAS | HL_HELLO_F_MOVE_END |
				       (h->cfg.group_files ? HL_HELLO_F_GROUP_FILES : 0) };
	uint8_t *p = link_reserve(h, HL_HDR_SIZE + HL_HELLO_SIZE);
	struct wwr w;

	if (!p)
		return -ENOMEM;
	wwr_init(&w, p, HL_HDR_SIZE + HL_HELLO_SIZE);
	hl_msg_begin(&w, HL_HELLO, ++h->seq);
	hl_enc_hello(&w, &m);
	hl_msg_end(&w);
	h->olen += w.off;
	link_flush(h);
	return h->state == CXLDCD_HOST_FAILED ? h->fail_err : 0;
}

static int host_init_fds(struct cxldcd_host *h)
{
	int fl, rc;

	h->ep = epoll_create1(EPOLL_CLOEXEC);
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->ep < 0 || h->tfd < 0)
		return -errno;
	h->sock = h->cfg.socket_path ? connect_unix(h->cfg.socket_path)
				     : connect_tcp(h->cfg.tcp_addr, h->cfg.tcp_port);
	if (h->sock < 0) {
		rc = h->sock;
		h->sock = -1;
		return rc;
	}
	fl = fcntl(h->sock, F_GETFL);
	if (fl < 0 || fcntl(h->sock, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	if ((rc = host_epoll_add(h, h->sock)) || (rc = host_epoll_add(h, h->tfd)))
		return rc;
	return 0;
}

int cxldcd_host_new(const struct cxldcd_host_cfg *cfg, struct cxldcd_host **out)
{
	struct cxldcd_host *h;
	int rc;

	if (!cfg || !out || (!cfg->socket_path == !cfg->tcp_addr) ||
	    (cfg->accept == CXLDCD_HOST_ACCEPT_TAGS && cfg->nr_accept_tags && !cfg->accept_tags) ||
	    cfg->accept > CXLDCD_HOST_ACCEPT_LIMIT)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cfg = *cfg;
	h->cfg.accept_tags = NULL;
	h->ep = h->sock = h->tfd = h->app_listen = -1;
	h->is_unix = cfg->socket_path != NULL;
	h->cfg.socket_path = NULL; /* borrowed: not kept */
	h->cfg.tcp_addr = NULL;
	if (!h->cfg.chain_timeout_ms)
		h->cfg.chain_timeout_ms = HOST_DEF_CHAIN_TIMEOUT_MS;
	if (!h->cfg.chain_cap)
		h->cfg.chain_cap = HOST_DEF_CHAIN_CAP;
	if (!h->cfg.cmd_timeout_ms)
		h->cfg.cmd_timeout_ms = HOST_DEF_CMD_TIMEOUT_MS;
	if (!h->cfg.move_wait_ms)
		h->cfg.move_wait_ms = HOST_DEF_MOVE_WAIT_MS;
	groups_init(h);
	h->next_group_id = 1;
	h->token = 1;
	h->rcap = 4096;
	h->rbuf = malloc(h->rcap);
	if (cfg->nr_accept_tags) {
		h->tags = calloc(cfg->nr_accept_tags, CXLDCD_TAG_SIZE);
		if (h->tags)
			memcpy(h->tags, cfg->accept_tags, (size_t)cfg->nr_accept_tags * CXLDCD_TAG_SIZE);
	}
	if (!h->rbuf || (cfg->nr_accept_tags && !h->tags)) {
		rc = -ENOMEM;
		goto err;
	}
	h->state = CXLDCD_HOST_CONNECTING;
	h->cfg.socket_path = cfg->socket_path;
	h->cfg.tcp_addr = cfg->tcp_addr;
	rc = host_init_fds(h);
	h->cfg.socket_path = NULL;
	h->cfg.tcp_addr = NULL;
	if (rc || (rc = send_hello(h)))
		goto err;
	*out = h;
	return 0;
err:
	cxldcd_host_free(h);
	return rc;
}

void cxldcd_host_set_log_events(struct cxldcd_host *h, bool on)
{
	h->no_event_log = !on;
}

void cxldcd_host_free(struct cxldcd_host *h)
{
	if (!h)
		return;
	link_drop_queue(h);
	apps_fini(h);
	groups_fini(h);
	chain_fini(&h->add_chain);
	chain_fini(&h->rel_chain);
	for (unsigned i = 0; i < h->nr_fds; i++)
		close(h->fds[i]);
	if (h->sock >= 0)
		close(h->sock);
	if (h->tfd >= 0)
		close(h->tfd);
	if (h->ep >= 0)
		close(h->ep);
	free(h->cel);
	free(h->scan);
	free(h->rbuf);
	free(h->obuf);
	free(h->tags);
	free(h->revq);
	free(h);
}

int cxldcd_host_get_fd(const struct cxldcd_host *h)
{
	return h->ep;
}

/*
 * The link failed: every application holding a group is told now
 * (REVOKE), by whichever outermost call of the user's met the failure: the
 * round of cxldcd_host_process() (at its end), or the public call that
 * queued a command (host_kick()); the user may never call again, the
 * library never owning the loop.  Never from inside a round (a callback's
 * call, a blocking helper's nested round): apps_revoke_all() and
 * apps_process_fd() may be walking the very applications it frees; the
 * outer round does it at its end.  Nor again from a callback of its own
 * (APP_REVOKED, a release's event): in_process holds for its length.
 *
 * An application's open is in this context alone, which its owner frees (a
 * reconnect is a new context: cxldcd-host); and when the next HELLO is
 * refused a file per group, the device moves the group out of the file
 * the application mapped, which then reads zeros.  Then every
 * application's connection is closed (EOF) and so is the socket: a failed
 * context serves nothing, and an owner that keeps it (not freeing it, or
 * not yet) would leave its applications connected and unanswered, their
 * calls timing out, and new ones queued on a socket nobody accepts; the
 * path is free for the next context's socket.  The timer host_fail() armed
 * to wake an owner polling cxldcd_host_get_fd() stays armed until a round
 * (its cxldcd_host_process() returns the failure), which quiets it: the fd
 * stays idle from then on.
 */
static void link_lost_apps(struct cxldcd_host *h)
{
	char why[256];

	if (h->in_process)
		return;
	h->in_process = true;
	if (!h->apps_revoked && h->apps) {
		snprintf(why, sizeof(why), "the agent's link to the device failed (%s): nothing "
			 "counts the open any more, and the group's file may change when the agent "
			 "connects again (a file per group may be refused then)",
			 strerror(-h->fail_err));
		apps_revoke_all(h, why);
	}
	apps_close(h);
	h->in_process = false;
}

/* A round saw the failure: the owner was told (its return value); the fd turns idle. */
static void quiet_timer(struct cxldcd_host *h)
{
	struct itimerspec none = { 0 };
	uint64_t exp;

	timerfd_settime(h->tfd, 0, &none, NULL);
	if (read(h->tfd, &exp, sizeof(exp)) < 0) {
		/* not expired: fine */
	}
}

/*
 * One round.  A nested one (!outer: a callback's blocking helper, or its
 * own cxldcd_host_process()) drives the link and the timers alone: the
 * outer round may be serving an application (an OPEN that emits
 * access-denied) or walking them, and a nested round that served them could
 * free the very connection it stands on (an EOF read).  The applications'
 * sockets stay ready; the outer round serves them after.
 */
static int process_round(struct cxldcd_host *h, bool outer)
{
	struct epoll_event evs[16];
	bool link_seen = false, link_more = false, app_events = false;
	int n;

	h->handled = 0;
	if (h->state == CXLDCD_HOST_FAILED)
		return h->fail_err;     /* failed before: cxldcd_host_process() ends the apps */
	n = epoll_wait(h->ep, evs, 16, 0);
	/*
	 * The device's messages first: an application's request is served
	 * after whatever the device said before it (a move's PAUSE, an UNMAP).
	 */
	for (int i = 0; i < n && h->state != CXLDCD_HOST_FAILED; i++) {
		int fd = evs[i].data.fd;

		if (fd == h->sock) {
			link_seen = true;
			if (evs[i].events & EPOLLOUT)
				link_flush(h);
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				link_more = host_link_read(h);
		} else if (fd == h->tfd) {
			check_timers(h);
		} else {
			app_events = true;
		}
	}
	/*
	 * A round takes 16 events: with more applications ready, the link can
	 * be left for the next round although its bytes came first.  Look.
	 */
	if (app_events && !link_seen && h->sock >= 0 && h->state != CXLDCD_HOST_FAILED) {
		struct pollfd p = { .fd = h->sock, .events = POLLIN };

		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR)))
			link_more = host_link_read(h);
	}
	/*
	 * The link holds more than a round reads (a burst of MAPs, one fd
	 * each): the applications wait for the next round (their sockets
	 * stay ready), not to be served before what the device said first.
	 */
	for (int i = 0; i < n && outer && !link_more && h->state != CXLDCD_HOST_FAILED; i++)
		if (evs[i].data.fd != h->sock && evs[i].data.fd != h->tfd)
			apps_process_fd(h, evs[i].data.fd);
	if (h->state != CXLDCD_HOST_FAILED)
		check_timers(h);
	if (outer)
		apps_announce(h);
	if (outer && !link_more && h->state != CXLDCD_HOST_FAILED)
		apps_resume(h);
	link_send_next(h);
	/* MOVE_ACKs of what the round read (a move's REMAPs): one send for all */
	if (h->olen && !h->want_out && h->state != CXLDCD_HOST_FAILED)
		link_flush(h);
	if (h->state == CXLDCD_HOST_FAILED) {
		link_drop_queue(h);
		return h->fail_err;
	}
	arm_timer(h);
	return h->handled;
}

int cxldcd_host_process(struct cxldcd_host *h)
{
	bool outer = !h->in_process;
	int rc;

	/* a callback that calls a blocking helper may nest a round; the outer one clears it */
	h->in_process = true;
	rc = process_round(h, outer);
	if (!outer)
		return rc;
	h->in_process = false;
	if (h->state == CXLDCD_HOST_FAILED) {
		link_lost_apps(h);
		quiet_timer(h);
	}
	return rc;
}

enum cxldcd_host_state cxldcd_host_get_state(const struct cxldcd_host *h)
{
	return h->state;
}

bool cxldcd_host_idle(const struct cxldcd_host *h)
{
	return !h->inflight && !h->cq_head && !h->add_chain.open && !h->rel_chain.open &&
	       !h->draining && h->state != CXLDCD_HOST_BRINGUP && h->state != CXLDCD_HOST_CONNECTING;
}

int cxldcd_host_run_once(struct cxldcd_host *h, int timeout_ms)
{
	/*
	 * Nested in a callback, the round leaves the applications alone
	 * (process_round()): wait for the link and the timers, not for their
	 * sockets, which would wake it at once while they stay ready.
	 */
	struct pollfd p[2] = {
		{ .fd = h->in_process ? h->sock : h->ep,
		  .events = POLLIN | (h->in_process && h->want_out ? POLLOUT : 0) },
		{ .fd = h->in_process ? h->tfd : -1, .events = POLLIN },
	};

	/* failed: no wait, but the round, which ends the applications (link_lost_apps()) */
	if (h->state != CXLDCD_HOST_FAILED && (!h->cq_head || h->inflight))
		poll(p, 2, timeout_ms);
	return cxldcd_host_process(h);
}

int cxldcd_host_wait_ready(struct cxldcd_host *h, int timeout_ms)
{
	uint64_t end = clock_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);

	while (h->state != CXLDCD_HOST_READY) {
		uint64_t now = clock_now_ms();
		int rc;

		if (now >= end)
			return -ETIMEDOUT;
		rc = cxldcd_host_run_once(h, (int)(end - now));
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cxldcd_host_get_dev_info(const struct cxldcd_host *h, struct cxldcd_host_dev_info *out)
{
	memset(out, 0, sizeof(*out));
	if (h->state == CXLDCD_HOST_CONNECTING)
		return -EAGAIN;
	out->mbox_payload_size = h->mbox;
	out->nr_regions = h->nr_regions;
	out->span_base = h->span_base;
	out->span_size = h->span_size;
	out->mapping = h->mapping;
	for (unsigned i = 0; i < h->nr_regions && i < 8; i++) {
		out->regions[i].base = h->regions[i].base;
		out->regions[i].decode_len = h->regions[i].decode_len;
		out->regions[i].len = h->regions[i].len;
		out->regions[i].block_size = h->regions[i].block_size;
	}
	return 0;
}

bool cxldcd_host_group_files_granted(const struct cxldcd_host *h)
{
	return h->state != CXLDCD_HOST_CONNECTING && h->group_files_on;
}

int cxldcd_host_last_diag(const struct cxldcd_host *h, struct cxldcd_host_diag *out)
{
	if (!h->diag_valid)
		return -ENOENT;
	*out = h->diag;
	return 0;
}

void cxldcd_host_get_stats(const struct cxldcd_host *h, struct cxldcd_host_stats *out)
{
	*out = h->st;
}

/* ------------------------------------------------------------ groups */

int cxldcd_host_group_close(struct cxldcd_host *h, uint64_t id)
{
	struct group *g = group_find(h, NULL, id);

	if (!g || !g->open_local)
		return -ENOENT;
	g->open_local--;
	group_put(h, g);
	host_kick(h);
	return 0;
}

int cxldcd_host_set_access(struct cxldcd_host *h, const struct cxldcd_host_access *acc)
{
	int rc;

	if (!h)
		return -EINVAL;
	rc = apps_set_access(h, acc);
	if (rc > 0)
		host_kick(h);   /* a release deferred while they held the group */
	return rc;
}

int cxldcd_host_group_release(struct cxldcd_host *h, const uint8_t tag[CXLDCD_HOST_TAG_SIZE],
			      uint64_t id)
{
	struct group *g = group_find(h, tag, id);

	if (!g || g->state != G_ACTIVE)
		return -ENOENT;
	if (g->info.open_count)
		return -EBUSY;
	group_release(h, g);
	host_kick(h);
	return 0;
}

/* ------------------------------------------------------------ names */

const char *cxldcd_host_event_name(enum cxldcd_host_event_type t)
{
	static const char *const names[] = {
		[CXLDCD_HOST_EV_READY] = "ready",
		[CXLDCD_HOST_EV_GROUP_ADDED] = "group-added",
		[CXLDCD_HOST_EV_GROUP_REJECTED] = "group-rejected",
		[CXLDCD_HOST_EV_RELEASE_DEFERRED] = "release-deferred",
		[CXLDCD_HOST_EV_GROUP_RELEASED] = "group-released",
		[CXLDCD_HOST_EV_RANGE_RELEASED] = "range-released",
		[CXLDCD_HOST_EV_FORCED_RELEASE] = "forced-release",
		[CXLDCD_HOST_EV_REVOKED] = "revoked",
		[CXLDCD_HOST_EV_CHAIN_TIMEOUT] = "chain-timeout",
		[CXLDCD_HOST_EV_DEVICE_ERROR] = "device-error",
		[CXLDCD_HOST_EV_CMD_FAILED] = "cmd-failed",
		[CXLDCD_HOST_EV_REGION_UPDATED] = "region-updated",
		[CXLDCD_HOST_EV_FAILED] = "failed",
		[CXLDCD_HOST_EV_RAS_UNCORRECTABLE] = "ras-uncorrectable",
		[CXLDCD_HOST_EV_RAS_CORRECTABLE] = "ras-correctable",
		[CXLDCD_HOST_EV_GROUP_PAUSED] = "group-paused",
		[CXLDCD_HOST_EV_GROUP_RESUMED] = "group-resumed",
		[CXLDCD_HOST_EV_ACCESS_DENIED] = "access-denied",
		[CXLDCD_HOST_EV_APP_REVOKED] = "app-revoked",
		[CXLDCD_HOST_EV_SOCKET_ACCESS] = "socket-access",
	};

	if ((unsigned)t < sizeof(names) / sizeof(names[0]) && names[t])
		return names[t];
	return "unknown";
}

int cxldcd_tag_parse(const char *s, uint8_t tag[CXLDCD_HOST_TAG_SIZE])
{
	/* uuid_parse() takes exactly 36 characters, 8-4-4-4-12 hex digits, either case */
	if (!s || uuid_parse(s, tag))
		return -EINVAL;
	return 0;
}

void cxldcd_tag_format(const uint8_t tag[CXLDCD_HOST_TAG_SIZE], char out[37])
{
	uuid_unparse_lower(tag, out);
}

void cxldcd_host_group_tag_format(const struct cxldcd_host_group_info *g, char out[37])
{
	if (g && g->tagged)
		cxldcd_tag_format(g->tag, out);
	else
		snprintf(out, 37, "-");
}
