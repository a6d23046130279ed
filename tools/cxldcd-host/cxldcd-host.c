/* SPDX-License-Identifier: MIT */
/*
 * cxldcd-host - the host agent CLI over libcxldcd-host.
 *
 *   cxldcd-host --connect PATH | --tcp ADDR:PORT --host-id N
 *               [--accept all|none|tags=UUID[,UUID...]|limit=SIZE]
 *               [--agent-socket PATH] [--chain-timeout MS] [--chain-cap N]
 *               [--seq-one-based] [--no-mapping] [-v]
 *       run the agent: one line per event on stdout, until SIGINT/SIGTERM;
 *       when the device goes away it reconnects with backoff and replays
 *       (link-closed: clean stop of the daemon; link-lost: crash)
 *   cxldcd-host --agent-socket PATH list
 *   cxldcd-host --agent-socket PATH fill TAG PATTERN
 *   cxldcd-host --agent-socket PATH verify TAG PATTERN
 *       one-shot commands through a running agent's application socket
 *
 * Exit status: 0 success, 1 failure (link, device, verify mismatch), 2 bad
 * arguments.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cxldcd/cxldcd-host.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cxldcd-host --connect PATH | --tcp ADDR:PORT --host-id N\n"
		"                   [--accept all|none|tags=UUID[,UUID...]|limit=SIZE]\n"
		"                   [--agent-socket PATH] [--chain-timeout MS] [--chain-cap N]\n"
		"                   [--seq-one-based] [--no-mapping] [-v]\n"
		"       cxldcd-host --agent-socket PATH list\n"
		"       cxldcd-host --agent-socket PATH fill TAG PATTERN\n"
		"       cxldcd-host --agent-socket PATH verify TAG PATTERN\n");
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

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
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

static void on_event(void *opaque, const struct cxldcd_host_event *ev)
{
	char tag[37] = "-";

	(void)opaque;
	if (ev->group && ev->group->tagged)
		cxldcd_tag_format(ev->group->tag, tag);
	printf("%s tag=%s %s\n", cxldcd_host_event_name(ev->type), tag, ev->text ? ev->text : "");
	fflush(stdout);
}

static void on_log(void *opaque, int level, const char *msg)
{
	(void)opaque;
	fprintf(stderr, "cxldcd-host: <%d> %s\n", level, msg);
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
	       err == -ECONNREFUSED || err == -ENOENT || err == -EBUSY;
}

/* Sleep up to ms, waking on a stop signal. */
static void nap(unsigned ms)
{
	for (unsigned t = 0; t < ms && !stop; t += 50)
		poll(NULL, 0, 50);
}

/*
 * Connect (again) and serve the application socket.  Return 0, or the
 * -errno of the connection (then *h is NULL).
 */
static int agent_connect(const struct cxldcd_host_cfg *c, const char *agent_sock,
			 struct cxldcd_host **h)
{
	int rc = cxldcd_host_new(c, h);

	if (rc) {
		*h = NULL;
		return rc;
	}
	if (agent_sock && (rc = cxldcd_host_serve_apps(*h, agent_sock))) {
		fprintf(stderr, "cxldcd-host: agent socket %s: %s\n", agent_sock, strerror(-rc));
		cxldcd_host_free(*h);
		*h = NULL;
		return rc;
	}
	return 0;
}

/*
 * The agent survives its device: when the link is lost (crash, kill -9) or
 * the device closes it cleanly (the daemon stops), it reconnects with
 * backoff (100 ms doubling to 2 s) and bring-up replays what the device
 * holds (4801h) and drains its log, as after a restart of the agent.  A
 * device the bring-up refuses ends the agent (exit 1).
 */
static int run_agent(struct cxldcd_host_cfg *c, const char *agent_sock)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct cxldcd_host *h;
	unsigned backoff = 100;
	bool was_ready = false;
	int rc;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = agent_connect(c, agent_sock, &h);
	if (rc) {
		fprintf(stderr, "cxldcd-host: cannot connect: %s\n", strerror(-rc));
		return 1;
	}
	while (!stop) {
		struct pollfd p = { .fd = cxldcd_host_get_fd(h), .events = POLLIN };

		poll(&p, 1, 200);
		rc = cxldcd_host_process(h);
		if (cxldcd_host_get_state(h) == CXLDCD_HOST_READY) {
			was_ready = true;
			backoff = 100;
		}
		if (rc >= 0)
			continue;
		cxldcd_host_free(h);
		h = NULL;
		if (!was_ready || !link_lost(rc)) {
			fprintf(stderr, "cxldcd-host: %s\n", strerror(-rc));
			return 1;
		}
		if (rc == -ESHUTDOWN)
			printf("link-closed tag=- device closed the link cleanly, reconnecting\n");
		else
			printf("link-lost tag=- link lost: %s, reconnecting\n", strerror(-rc));
		fflush(stdout);
		if (rc == -ESHUTDOWN)
			fprintf(stderr, "cxldcd-host: device closed the link cleanly, reconnecting\n");
		else
			fprintf(stderr, "cxldcd-host: link lost: %s, reconnecting\n", strerror(-rc));
		while (!stop && !h) {
			nap(backoff);
			backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
			if (stop)
				break;
			rc = agent_connect(c, agent_sock, &h);
			if (rc && !link_lost(rc)) {
				fprintf(stderr, "cxldcd-host: cannot reconnect: %s\n", strerror(-rc));
				return 1;
			}
		}
		if (h) {
			printf("reconnected tag=- host=%u\n", c->host_id);
			fflush(stdout);
		}
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
		char tag[37] = "0";

		if (g[i].tagged)
			cxldcd_tag_format(g[i].tag, tag);
		printf("id=%llu tag=%s size=0x%llx extents=%u open=%u%s%s%s\n",
		       (unsigned long long)g[i].id, tag, (unsigned long long)g[i].size,
		       g[i].nr_extents, g[i].open_count, g[i].mapped ? " mapped" : "",
		       g[i].release_pending ? " release-pending" : "", g[i].revoked ? " revoked" : "");
	}
	return 0;
}

static int cmd_fill_verify(struct cxldcd_app *app, bool verify, const char *tagstr,
			   const char *pattern)
{
	size_t plen = strlen(pattern);
	struct cxldcd_app_map m;
	uint8_t tag[16];
	uint64_t bad = 0;
	int rc;

	if (cxldcd_tag_parse(tagstr, tag))
		return bad_args("invalid tag '%s'", tagstr);
	if (!plen)
		return bad_args("empty pattern");
	rc = cxldcd_app_open(app, tag, 0, &m);
	if (rc) {
		fprintf(stderr, "cxldcd-host: open %s: %s\n", tagstr, strerror(-rc));
		return 1;
	}
	for (uint64_t i = 0; i < m.size; i++) {
		uint8_t want = (uint8_t)pattern[i % plen];

		if (!verify)
			((uint8_t *)m.addr)[i] = want;
		else if (((uint8_t *)m.addr)[i] != want && !bad++)
			fprintf(stderr, "cxldcd-host: mismatch at offset 0x%llx\n",
				(unsigned long long)i);
	}
	cxldcd_app_close(app, &m);
	printf("%s tag=%s size=0x%llx%s\n", verify ? "verify" : "fill", tagstr,
	       (unsigned long long)m.size, verify ? (bad ? " MISMATCH" : " ok") : "");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "tcp", required_argument, NULL, 't' },
		{ "host-id", required_argument, NULL, 'i' },
		{ "accept", required_argument, NULL, 'a' },
		{ "agent-socket", required_argument, NULL, 's' },
		{ "chain-timeout", required_argument, NULL, 'T' },
		{ "chain-cap", required_argument, NULL, 'C' },
		{ "seq-one-based", no_argument, NULL, '1' },
		{ "no-mapping", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cxldcd_host_cfg c = { .event_fn = on_event };
	const char *agent_sock = NULL;
	uint8_t (*tags)[16] = NULL;
	char tcp_addr[64];
	bool have_id = false;
	uint64_t v;
	int o, rc;

	while ((o = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			c.socket_path = optarg;
			break;
		case 't': {
			char *colon = strrchr(optarg, ':');

			if (!colon || (size_t)(colon - optarg) >= sizeof(tcp_addr) ||
			    parse_u64(colon + 1, &v, false) || !v || v > 65535)
				return bad_args("invalid --tcp '%s' (ADDR:PORT)", optarg);
			memcpy(tcp_addr, optarg, (size_t)(colon - optarg));
			tcp_addr[colon - optarg] = '\0';
			c.tcp_addr = tcp_addr;
			c.tcp_port = (uint16_t)v;
			break;
		}
		case 'i':
			if (parse_u64(optarg, &v, false) || v > 0xffff)
				return bad_args("invalid --host-id '%s'", optarg);
			c.host_id = (uint16_t)v;
			have_id = true;
			break;
		case 'a':
			if (parse_accept(optarg, &c, &tags))
				return bad_args("invalid --accept '%s'", optarg);
			break;
		case 's':
			agent_sock = optarg;
			break;
		case 'T':
			if (parse_u64(optarg, &v, false) || !v || v > UINT32_MAX)
				return bad_args("invalid --chain-timeout '%s'", optarg);
			c.chain_timeout_ms = (uint32_t)v;
			break;
		case 'C':
			if (parse_u64(optarg, &v, false) || !v || v > 65536)
				return bad_args("invalid --chain-cap '%s'", optarg);
			c.chain_cap = (uint32_t)v;
			break;
		case '1':
			c.seq_one_based = true;
			break;
		case 'n':
			c.no_mapping = true;
			break;
		case 'v':
			c.log_fn = on_log;
			c.log_level = LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		const char *cmd = argv[optind];
		int nargs = argc - optind - 1;
		struct cxldcd_app *app;

		if (!agent_sock)
			return bad_args("%s needs --agent-socket PATH", cmd);
		if (strcmp(cmd, "list") && strcmp(cmd, "fill") && strcmp(cmd, "verify"))
			return bad_args("unknown command '%s'", cmd);
		if (!strcmp(cmd, "list") ? nargs != 0 : nargs != 2)
			return bad_args("wrong number of arguments for '%s'", cmd);
		if (nargs == 2) {
			uint8_t t[16];

			if (cxldcd_tag_parse(argv[optind + 1], t))
				return bad_args("invalid tag '%s'", argv[optind + 1]);
			if (!*argv[optind + 2])
				return bad_args("empty pattern");
		}
		rc = cxldcd_app_connect(agent_sock, &app);
		if (rc) {
			fprintf(stderr, "cxldcd-host: agent socket %s: %s\n", agent_sock, strerror(-rc));
			return 1;
		}
		rc = !strcmp(cmd, "list") ? cmd_list(app)
					  : cmd_fill_verify(app, !strcmp(cmd, "verify"),
							    argv[optind + 1], argv[optind + 2]);
		cxldcd_app_free(app);
		free(tags);
		return rc;
	}
	if (!c.socket_path == !c.tcp_addr)
		return bad_args("give exactly one of --connect PATH or --tcp ADDR:PORT");
	if (!have_id)
		return bad_args("--host-id N is required");
	rc = run_agent(&c, agent_sock);
	free(tags);
	return rc;
}
