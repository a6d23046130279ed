/* SPDX-License-Identifier: MIT */
/*
 * cmdline-sock.c - -qmp ADDR[,OPTION...] and the options of a -chardev
 * socket that a -mon mode=control uses: QEMU's socket chardev options
 * (qemu-options.hx, "-chardev socket"), each taken, ignored with why, or
 * refused with QEMU's text or ours.  What is not here: the address itself
 * (sock_addr_parse(), sock.c), -chardev/-mon bookkeeping (cmdline-qemu.c),
 * --fm and --host-socket, which are ours and take our options (cmdline.c).
 *
 * COMPAT: QEMU accepts every chardev option after any socket address and
 * uses those that mean something for a socket.  We do the same where the
 * option means something for a listener: server=, wait=, ipv4=, ipv6= (the
 * address family bound) and to= (a port range) are used; options that only
 * tune what we already do, or belong to other chardev backends, are ignored
 * with a line in the log saying why; options that would change the
 * protocol on the socket (telnet, TLS, WebSocket) or make it a client are
 * refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "cmdline-int.h"

enum sopt_act {
	SOPT_SERVER,    /* server=on|off */
	SOPT_WAIT,      /* wait=on|off (changes nothing: there is no guest to hold) */
	SOPT_IPV4,
	SOPT_IPV6,
	SOPT_TO,        /* to=PORT: the last port to try */
	SOPT_CLIENT,    /* reconnect=, reconnect-ms=: a client's, refused (we listen) */
	SOPT_IF_OFF,    /* a bool we can only honour off: on is refused with why */
	SOPT_REFUSE,    /* refused with why */
	SOPT_IGNORE,    /* accepted, any value, and logged as ignored with why */
};

enum sopt_kind { SK_BOOL, SK_NUM, SK_STR };

#define WHY_OTHER_BACKEND "an option of QEMU's other chardev backends, which a socket does " \
	"not use (as in QEMU)"
#define WHY_NODELAY "cxldcd always sets TCP_NODELAY on its TCP connections: the replies " \
	"of a loop round leave in one write, so Nagle's algorithm has nothing to merge"
#define WHY_MUX "only QMP uses the socket: there is no serial port or monitor to share it with"
#define WHY_LOGFILE "a copy of the socket's traffic in a file: --trace=qmp logs every QMP " \
	"message instead"
#define WHY_TIGHT "it only applies with abstract=on"
#define WHY_TELNET "QMP is served as plain JSON on the socket: there is no telnet, TN3270 or " \
	"WebSocket framing"
#define WHY_ABSTRACT "Linux abstract socket names are not supported: give a path"
#define WHY_TLS "TLS is not supported: use a Unix socket, or TCP on the loopback address"
#define WHY_UNIX_FAMILY "a Unix socket has no address family or port (as in QEMU)"
#define WHY_FD "a socket passed in by the parent (fd=) is not supported: give path= or host=,port="

static const struct sopt {
	const char *name;
	enum sopt_kind kind;
	enum sopt_act act;
	const char *why;
} sopts[] = {
	{ "server", SK_BOOL, SOPT_SERVER, NULL },
	{ "wait", SK_BOOL, SOPT_WAIT, NULL },
	{ "ipv4", SK_BOOL, SOPT_IPV4, NULL },
	{ "ipv6", SK_BOOL, SOPT_IPV6, NULL },
	{ "to", SK_NUM, SOPT_TO, NULL },
	{ "reconnect", SK_NUM, SOPT_CLIENT, NULL },
	{ "reconnect-ms", SK_NUM, SOPT_CLIENT, NULL },
	{ "delay", SK_BOOL, SOPT_IGNORE, WHY_NODELAY },
	{ "nodelay", SK_BOOL, SOPT_IGNORE, WHY_NODELAY },
	{ "mux", SK_BOOL, SOPT_IGNORE, WHY_MUX },
	{ "logfile", SK_STR, SOPT_IGNORE, WHY_LOGFILE },
	{ "logappend", SK_BOOL, SOPT_IGNORE, WHY_LOGFILE },
	{ "tight", SK_BOOL, SOPT_IGNORE, WHY_TIGHT },
	{ "telnet", SK_BOOL, SOPT_IF_OFF, WHY_TELNET },
	{ "tn3270", SK_BOOL, SOPT_IF_OFF, WHY_TELNET },
	{ "websocket", SK_BOOL, SOPT_IF_OFF, WHY_TELNET },
	{ "abstract", SK_BOOL, SOPT_IF_OFF, WHY_ABSTRACT },
	{ "tls-creds", SK_STR, SOPT_REFUSE, WHY_TLS },
	{ "tls-authz", SK_STR, SOPT_REFUSE, WHY_TLS },
	{ "fd", SK_STR, SOPT_REFUSE, WHY_FD },
	/* other backends' options, which QEMU accepts and a socket leaves unused */
	{ "localaddr", SK_STR, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "localport", SK_STR, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "width", SK_NUM, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "height", SK_NUM, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "cols", SK_NUM, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "rows", SK_NUM, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "signal", SK_BOOL, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "name", SK_STR, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "debug", SK_NUM, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "size", SK_STR, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "chardev", SK_STR, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "append", SK_BOOL, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "mouse", SK_BOOL, SOPT_IGNORE, WHY_OTHER_BACKEND },
	{ "clipboard", SK_BOOL, SOPT_IGNORE, WHY_OTHER_BACKEND },
};

void cmdline_sockopts_init(struct cmdline_sockopts *o)
{
	*o = (struct cmdline_sockopts){ .ipv4 = -1, .ipv6 = -1 };
}

static const struct sopt *find_sopt(const char *key)
{
	for (size_t i = 0; i < sizeof(sopts) / sizeof(sopts[0]); i++)
		if (!strcmp(sopts[i].name, key))
			return &sopts[i];
	return NULL;
}

/*
 * COMPAT: keep "KEY=VALUE (OPT ARG)" and @why in the ignored list, as
 * cmdline_ignore() keeps a whole option: the daemon logs it with why.
 */
int cmdline_ignore_prop(struct cmdline_ctx *c, const char *key, const char *value,
			const char *why)
{
	const char *opt = c->opt, *arg = c->arg;
	char *text;
	int rc;

	if (asprintf(&text, "%s=%s (%s %s)", key, value, opt, arg ? arg : "") < 0)
		return cmdline_oom(c);
	c->opt = text;
	c->arg = NULL;
	rc = cmdline_ignore(c, why);
	c->opt = opt;
	c->arg = arg;
	free(text);
	return rc;
}

int cmdline_sockopt(struct cmdline_ctx *c, struct cmdline_sockopts *o, const char *key,
		    const char *v)
{
	const struct sopt *s = find_sopt(key);
	uint64_t u = 0;
	bool b = false;

	if (!s)
		return 1;
	if (s->kind == SK_BOOL && cmdline_parse_bool(v, &b))
		return cmdline_fail(c, "invalid value '%s' for '%s' (on/off)", v, key);
	if (s->kind == SK_NUM && cmdline_parse_u64(v, &u))
		return cmdline_fail(c, "invalid value '%s' for '%s' (a number)", v, key);
	switch (s->act) {
	case SOPT_SERVER:
		o->server = b;
		return 0;
	case SOPT_WAIT:
		o->wait = b;
		return 0;
	case SOPT_IPV4:
		o->ipv4 = b;
		return 0;
	case SOPT_IPV6:
		o->ipv6 = b;
		return 0;
	case SOPT_TO:
		if (!u || u > 65535)
			return cmdline_fail(c, "invalid value '%s' for 'to' (1..65535)", v);
		o->to = (uint16_t)u;
		return 0;
	case SOPT_CLIENT:
		/* QEMU's text: we only listen, so this is always its server mode */
		return cmdline_fail(c, "'%s' option is incompatible with socket in server listen mode",
				    key);
	case SOPT_IF_OFF:
		return b ? cmdline_fail(c, "%s=on: %s", key, s->why) : 0;
	case SOPT_REFUSE:
		return cmdline_fail(c, "%s: %s", key, s->why);
	case SOPT_IGNORE:
		return cmdline_ignore_prop(c, key, v, s->why);
	}
	return 0;
}

/* The family QEMU binds for these ipv4=/ipv6= (its inet_ai_family_from_address()). */
static enum sock_family family_of(const struct cmdline_sockopts *o)
{
	if (o->ipv4 == 1 && o->ipv6 == 1)
		return SOCK_FAMILY_ANY;
	if (o->ipv6 == 1 || o->ipv4 == 0)
		return o->ipv4 == 0 ? SOCK_FAMILY_IPV6_ONLY : SOCK_FAMILY_IPV6;
	if (o->ipv4 == 1 || o->ipv6 == 0)
		return SOCK_FAMILY_IPV4;
	return SOCK_FAMILY_ANY;
}

int cmdline_sockopts_apply(struct cmdline_ctx *c, const struct cmdline_sockopts *o,
			   struct sock_addr *a)
{
	/*
	 * COMPAT: QEMU without server=on connects out as a client; we only
	 * listen.  wait=on (QEMU's default) would hold the guest until a client
	 * connects; there is no guest to hold, so it changes nothing.
	 */
	if (!o->server)
		return 1;
	if (o->ipv4 == 0 && o->ipv6 == 0)
		return cmdline_fail(c, "Cannot disable IPv4 and IPv6 at same time");   /* QEMU's text */
	if (a->kind == SOCK_UNIX) {
		/* QEMU reads none of these for a Unix socket */
		char to[8];
		int rc = 0;

		snprintf(to, sizeof(to), "%u", o->to);

		if (o->ipv4 >= 0)
			rc = cmdline_ignore_prop(c, "ipv4", o->ipv4 ? "on" : "off", WHY_UNIX_FAMILY);
		if (!rc && o->ipv6 >= 0)
			rc = cmdline_ignore_prop(c, "ipv6", o->ipv6 ? "on" : "off", WHY_UNIX_FAMILY);
		if (!rc && o->to)
			rc = cmdline_ignore_prop(c, "to", to, WHY_UNIX_FAMILY);
		return rc;
	}
	a->family = family_of(o);
	if (o->to) {
		unsigned long port = strtoul(a->port, NULL, 10);

		if (o->to < port)
			return cmdline_fail(c, "to=%u is below the port %lu", o->to, port);
		a->port_to = o->to;
	}
	return 0;
}

/* One -qmp listener and its max-conns (0: default). */
int cmdline_add_qmp(struct cmdline_ctx *c, const struct sock_addr *a, uint32_t max_conns)
{
	struct cmdline_cfg *cfg = c->cfg;
	uint32_t *m = realloc(cfg->qmp_max_conns, (cfg->nr_qmp + 1) * sizeof(*m));
	struct sock_addr *n;

	if (!m)
		return cmdline_oom(c);
	cfg->qmp_max_conns = m;
	m[cfg->nr_qmp] = max_conns;
	n = realloc(cfg->qmp, (cfg->nr_qmp + 1) * sizeof(*n));
	if (!n)
		return cmdline_oom(c);
	cfg->qmp = n;
	n[cfg->nr_qmp++] = *a;
	return 0;
}

/*
 * -qmp unix:PATH,server=on,wait=off[,max-conns=N] | tcp:HOST:PORT,server,nowait
 * [,ipv4=on][,to=PORT]...: the address, then QEMU's socket options and our
 * max-conns.
 */
int cmdline_opt_qmp(struct cmdline_ctx *c, const char *arg)
{
	struct cmdline_sockopts so;
	struct cmdline_kv kv = { 0 };
	struct sock_addr a;
	char aerr[256];
	uint32_t max_conns = 0;
	int rc = cmdline_split_kv(c, arg, "addr", &kv);

	cmdline_sockopts_init(&so);
	if (!rc && strcmp(kv.p[0].key, "addr"))
		rc = cmdline_fail(c, "the address (unix:PATH or tcp:HOST:PORT) must come first");
	if (!rc && sock_addr_parse(kv.p[0].value, &a, aerr, sizeof(aerr)))
		rc = cmdline_fail(c, "%s", aerr);
	for (size_t i = 1; !rc && i < kv.n; i++) {
		const char *k = kv.p[i].key, *v = kv.p[i].value;
		uint64_t u = 0;

		if (strcmp(k, "max-conns")) {
			rc = cmdline_sockopt(c, &so, k, v);
			if (rc == 1)    /* QEMU's text, lower-cased */
				rc = cmdline_fail(c, "invalid parameter '%s' (QEMU's socket options, "
						  "and max-conns)", k);
		} else if (cmdline_parse_u64(v, &u) || !u || u > UINT32_MAX) {
			rc = cmdline_fail(c, "invalid value '%s' for '%s' (1..%u)", v, k, UINT32_MAX);
		} else {
			max_conns = (uint32_t)u;
		}
	}
	if (!rc && (rc = cmdline_sockopts_apply(c, &so, &a)) == 1)
		rc = cmdline_fail(c, "only server mode is supported: add ',server,wait=off'");
	if (!rc)
		rc = cmdline_add_qmp(c, &a, max_conns);
	cmdline_kv_free(&kv);
	return rc;
}
