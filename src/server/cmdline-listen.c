/* SPDX-License-Identifier: MIT */
/*
 * cmdline-listen.c - cxldcd's own listener options: --fm, --mctp-cci and
 * --host-socket (ADDR[,OPTION...]: device=, the listener limits, and the
 * host link's host.N=USER[:GROUP], group=, bound-only=), --mctp-serial, and,
 * once every -device is known, their device= ids and host.N= bindings
 * checked against the devices.  What is not here: the address itself
 * (sock_addr_parse(), sock.c), -qmp and QEMU's socket chardev options
 * (cmdline-sock.c), and the default listeners added when none is given
 * (cmdline.c).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "cmdline-int.h"


/* A user or group given by name or number (an id need not have a name). */
static int parse_id(struct cmdline_ctx *c, const char *v, bool group, unsigned *out)
{
	uint64_t u;

	if (!*v)
		return cmdline_fail(c, "empty %s", group ? "group" : "user");
	if ((v[0] >= '0' && v[0] <= '9') || v[0] == '-' || v[0] == '+') {
		if (cmdline_parse_u64(v, &u) || u >= UINT32_MAX)
			return cmdline_fail(c, "invalid %s id '%s'", group ? "group" : "user", v);
		*out = (unsigned)u;
		return 0;
	}
	if (group) {
		const struct group *g = getgrnam(v);

		if (!g)
			return cmdline_fail(c, "unknown group '%s'", v);
		*out = (unsigned)g->gr_gid;
	} else {
		const struct passwd *pw = getpwnam(v);

		if (!pw)
			return cmdline_fail(c, "unknown user '%s'", v);
		*out = (unsigned)pw->pw_uid;
	}
	return 0;
}

/*
 * --host-socket host.N=USER[:GROUP]: host id N may be claimed only by a
 * peer of that user (and group).  N is checked against the device's hosts
 * once the devices are known (check_host_binds()).
 */
static int parse_host_bind(struct cmdline_ctx *c, const char *key, const char *v,
			   struct cmdline_listener *l)
{
	struct cmdline_host_bind b = { .gid = (gid_t)-1 }, *n;
	const char *colon = strchr(v, ':');
	char user[256];
	unsigned id;
	uint64_t u;
	int rc;

	if (cmdline_parse_u64(key + 5, &u) || u > UINT16_MAX)
		return cmdline_fail(c, "invalid host id in '%s' (host.N, N 0..65535)", key);
	b.host = (uint16_t)u;
	if ((colon ? (size_t)(colon - v) : strlen(v)) >= sizeof(user))
		return cmdline_fail(c, "user name too long in '%s=%s'", key, v);
	snprintf(user, sizeof(user), "%.*s", colon ? (int)(colon - v) : (int)strlen(v), v);
	if ((rc = parse_id(c, user, false, &id)))
		return rc;
	b.uid = (uid_t)id;
	if (colon) {
		if ((rc = parse_id(c, colon + 1, true, &id)))
			return rc;
		b.gid = (gid_t)id;
	}
	n = realloc(l->binds, (l->nr_binds + 1) * sizeof(*n));
	if (!n)
		return cmdline_oom(c);
	l->binds = n;
	n[l->nr_binds++] = b;
	return 0;
}

/* One KEY=VALUE after a listener's address (see parse_listener()). */
static int listener_opt(struct cmdline_ctx *c, const char *key, const char *v, bool host_link,
			struct cmdline_listener *l)
{
	uint64_t u = 0;
	int rc = 0;

	if (!strcmp(key, "max-conns") || (host_link && !strcmp(key, "hello-timeout-ms"))) {
		/* Listener limits (docs/cmdline.md; docs/host-link.md "Robustness"). */
		if (cmdline_parse_u64(v, &u) || !u || u > UINT32_MAX)
			rc = cmdline_fail(c, "invalid value '%s' for '%s' (1..%u)", v, key,
					  UINT32_MAX);
		else if (key[0] == 'm')
			l->max_conns = (uint32_t)u;
		else
			l->hello_timeout_ms = (uint32_t)u;
	} else if (host_link && !strcmp(key, "max-fds")) {
		/* The fds a connection's output queue may hold (hostlink_limits) */
		if (cmdline_parse_u64(v, &u) || !u || u > CMDLINE_HOST_MAX_FDS)
			rc = cmdline_fail(c, "invalid value '%s' for '%s' (1..%u)", v, key,
					  CMDLINE_HOST_MAX_FDS);
		else
			l->max_fds = (uint32_t)u;
	} else if (host_link && !strncmp(key, "host.", 5)) {
		rc = parse_host_bind(c, key, v, l);
	} else if (host_link && !strcmp(key, "group")) {
		unsigned g;

		rc = parse_id(c, v, true, &g);
		l->set_group = !rc;
		l->group = (gid_t)g;
	} else if (host_link && !strcmp(key, "bound-only")) {
		/* A HELLO of a host id no host.N= binds is refused (hostlink_limits) */
		if (cmdline_parse_bool(v, &l->bound_only))
			rc = cmdline_fail(c, "invalid value '%s' for '%s' (on/off)", v, key);
	} else if (strcmp(key, "device")) {
		rc = cmdline_fail(c, host_link ? "unknown option '%s' (device, max-conns, "
				  "hello-timeout-ms, max-fds, host.N, group, bound-only)"
					       : "unknown option '%s' (device, max-conns)", key);
	}
	else if (!cmdline_id_ok(v))
		rc = cmdline_fail(c, "invalid device id '%s'", v);
	else if (!(l->device = strdup(v)))
		rc = cmdline_oom(c);
	return rc;
}

/* A listener's address @addr (@n bytes), then what its options need of it. */
static int listener_addr(struct cmdline_ctx *c, const char *addr, size_t n, bool host_link,
			 struct cmdline_listener *l)
{
	char aerr[256];
	int rc = 0;

	if (host_link && strncmp(addr, "unix:", 5) && strncmp(addr, "tcp:", 4)) {
		/* A bare PATH, as --host-socket always took. */
		if (!*addr) {
			rc = cmdline_fail(c, "empty path");
		} else if (n >= SOCK_PATH_MAX) {
			rc = cmdline_fail(c, "path longer than %d bytes", SOCK_PATH_MAX - 1);
		} else {
			l->addr = (struct sock_addr){ .kind = SOCK_UNIX };
			memcpy(l->addr.path, addr, n + 1);
		}
	} else if (sock_addr_parse(addr, &l->addr, aerr, sizeof(aerr))) {
		rc = cmdline_fail(c, "%s", aerr);
	} else if (host_link && l->addr.kind == SOCK_TCP && strchr(l->addr.host, ':')) {
		rc = cmdline_fail(c, "the host link listens on IPv4 only ('%s')", l->addr.host);
	}
	if (!rc && l->addr.kind == SOCK_TCP && (l->nr_binds || l->set_group || l->bound_only))
		rc = cmdline_fail(c, "%s needs a Unix socket (TCP has no peer credentials)",
				  l->nr_binds ? "host.N=" : l->set_group ? "group=" : "bound-only=on");
	return rc;
}

/*
 * --fm ADDR[,device=ID] and --host-socket ADDR[,device=ID]: ADDR runs to the
 * first single ',' (",," is a literal comma, as in every KEY=VALUE list), the
 * options follow.  @host_link: ADDR may be a bare PATH, and TCP is IPv4 only
 * (hostlink_listen_tcp()).  The device id is checked once every -device is
 * known (check_listeners()).
 */
static int parse_listener(struct cmdline_ctx *c, const char *arg, bool host_link,
			  struct cmdline_listener *l)
{
	struct cmdline_kv kv = { 0 };
	size_t len = strlen(arg), n = 0, i = 0;
	char *addr = malloc(len + 1);
	int rc = 0;

	if (!addr)
		return cmdline_oom(c);
	while (i < len && !(arg[i] == ',' && arg[i + 1] != ',')) {
		addr[n++] = arg[i];
		i += arg[i] == ',' ? 2 : 1;
	}
	addr[n] = 0;
	if (i < len)
		rc = cmdline_split_kv(c, arg + i + 1, NULL, &kv);
	for (size_t k = 0; !rc && k < kv.n; k++)
		rc = listener_opt(c, kv.p[k].key, kv.p[k].value, host_link, l);
	if (rc)
		goto out;
	rc = listener_addr(c, addr, n, host_link, l);
	if (!rc && !(l->arg = strdup(arg)))
		rc = cmdline_oom(c);
out:
	cmdline_kv_free(&kv);
	free(addr);
	return rc;
}

void cmdline_listener_free(struct cmdline_listener *l)
{
	free(l->binds);
	free(l->device);
	free(l->arg);
}

/* Append @l (taken over, also on error). */
int cmdline_listener_push(struct cmdline_ctx *c, struct cmdline_listener *l,
			 struct cmdline_listener **arr, size_t *nr)
{
	struct cmdline_listener *n = realloc(*arr, (*nr + 1) * sizeof(*n));

	if (!n) {
		cmdline_listener_free(l);
		return cmdline_oom(c);
	}
	*arr = n;
	n[(*nr)++] = *l;
	return 0;
}

static int add_listener(struct cmdline_ctx *c, const char *arg, bool host_link,
			struct cmdline_listener **arr, size_t *nr)
{
	struct cmdline_listener l = { 0 };
	int rc = parse_listener(c, arg, host_link, &l);

	if (rc) {
		cmdline_listener_free(&l);
		return rc;
	}
	return cmdline_listener_push(c, &l, arr, nr);
}

/*
 * ADDR[,OPTION...] | none: a listener of @arr, or "none" (*@none): no
 * listener of that kind at all, not even the default ones.
 */
static int opt_listener(struct cmdline_ctx *c, const char *arg, bool host_link, bool *none,
			struct cmdline_listener **arr, size_t *nr)
{
	if (!strcmp(arg, "none")) {
		*none = true;
		return 0;
	}
	return add_listener(c, arg, host_link, arr, nr);
}

int cmdline_opt_fm(struct cmdline_ctx *c, const char *arg)
{
	return opt_listener(c, arg, false, &c->cfg->no_fm, &c->cfg->fm, &c->cfg->nr_fm);
}

/*
 * --mctp-cci ADDR[,device=ID] | none: the Type 3 MCTP-based CCI (what MCTP
 * message type 08h reaches) on a stream, framed like --fm.
 */
int cmdline_opt_mctp_cci(struct cmdline_ctx *c, const char *arg)
{
	return opt_listener(c, arg, false, &c->cfg->no_mctp_cci, &c->cfg->mctp_cci,
			    &c->cfg->nr_mctp_cci);
}

int cmdline_opt_host_socket(struct cmdline_ctx *c, const char *arg)
{
	return opt_listener(c, arg, true, &c->cfg->no_host, &c->cfg->host, &c->cfg->nr_host);
}

/*
 * --mctp-serial pty[,device=ID][,eid=N]: an MCTP endpoint on a new
 * pseudo-terminal (docs/mctp.md); eid= is its EID before any bus owner
 * assigns one (8..254).
 */
int cmdline_opt_mctp_serial(struct cmdline_ctx *c, const char *arg)
{
	struct cmdline_listener l = { 0 };
	struct cmdline_kv kv = { 0 };
	int rc = 0;

	if (strncmp(arg, "pty", 3) || (arg[3] && arg[3] != ','))
		return cmdline_fail(c, "only 'pty' is supported (pty[,device=ID][,eid=N])");
	if (arg[3])
		rc = cmdline_split_kv(c, arg + 4, NULL, &kv);
	for (size_t k = 0; !rc && k < kv.n; k++) {
		uint64_t eid;

		if (!strcmp(kv.p[k].key, "eid")) {
			if (cmdline_parse_u64(kv.p[k].value, &eid) || eid < 8 || eid > 254)
				rc = cmdline_fail(c, "eid '%s' is not 8..254", kv.p[k].value);
			else
				l.eid = (unsigned)eid;
		} else if (strcmp(kv.p[k].key, "device"))
			rc = cmdline_fail(c, "unknown option '%s' (device, eid)", kv.p[k].key);
		else if (!cmdline_id_ok(kv.p[k].value))
			rc = cmdline_fail(c, "invalid device id '%s'", kv.p[k].value);
		else if (!(l.device = strdup(kv.p[k].value)))
			rc = cmdline_oom(c);
	}
	cmdline_kv_free(&kv);
	if (!rc && !(l.arg = strdup(arg)))
		rc = cmdline_oom(c);
	if (rc) {
		cmdline_listener_free(&l);
		return rc;
	}
	return cmdline_listener_push(c, &l, &c->cfg->mctp_serial, &c->cfg->nr_mctp_serial);
}

/* Resolve each listener's device=ID (default: the first -device). */
static int check_listeners(struct cmdline_ctx *c, const char *opt, struct cmdline_listener *ls,
			   size_t nr)
{
	const struct cmdline_cfg *cfg = c->cfg;

	for (size_t i = 0; i < nr; i++) {
		struct cmdline_listener *l = &ls[i];
		size_t k = 0;

		c->opt = opt;
		c->arg = l->arg;
		while (l->device && k < cfg->nr_devices && strcmp(cfg->devices[k].id, l->device))
			k++;
		if (l->device && k == cfg->nr_devices)
			return cmdline_fail(c, "device '%s' is not a -device id", l->device);
		if (!cfg->nr_devices)
			return cmdline_fail(c, "there is no -device to serve");
		l->dev = k;
	}
	c->opt = NULL;
	return 0;
}

/* Whether some --host-socket of device @dev binds a host id (host.N=). */
static bool dev_has_binds(const struct cmdline_cfg *cfg, size_t dev)
{
	for (size_t i = 0; i < cfg->nr_host; i++)
		if (cfg->host[i].dev == dev && cfg->host[i].nr_binds)
			return true;
	return false;
}

/*
 * Whether the host id of bind @k of --host-socket @i is bound to another
 * user or group by an earlier host.N= of the same device (on a listener
 * before @i, or before @k on @i).
 */
static bool bound_otherwise(const struct cmdline_cfg *cfg, size_t i, size_t k)
{
	const struct cmdline_listener *l = &cfg->host[i];
	const struct cmdline_host_bind *b = &l->binds[k];

	for (size_t j = 0; j <= i; j++) {
		const struct cmdline_listener *o = &cfg->host[j];

		for (size_t m = 0; o->dev == l->dev && m < (j == i ? k : o->nr_binds); m++)
			if (o->binds[m].host == b->host &&
			    (o->binds[m].uid != b->uid || o->binds[m].gid != b->gid))
				return true;
	}
	return false;
}

/*
 * host.N= of every --host-socket: N is one of its device's hosts, and a
 * host id is not bound to two identities (a device's bindings hold on all
 * its listeners).  bound-only=on needs a bound id of its device (else the
 * listener would refuse every HELLO).
 */
static int check_host_binds(struct cmdline_ctx *c)
{
	const struct cmdline_cfg *cfg = c->cfg;

	c->opt = "--host-socket";
	for (size_t i = 0; i < cfg->nr_host; i++) {
		const struct cmdline_listener *l = &cfg->host[i];

		c->arg = l->arg;
		if (l->bound_only && !dev_has_binds(cfg, l->dev))
			return cmdline_fail(c, "bound-only=on: no host id of device '%s' is bound "
					    "(host.N=USER)", cfg->devices[l->dev].id);
		for (size_t k = 0; k < l->nr_binds; k++) {
			const struct cmdline_host_bind *b = &l->binds[k];

			if (b->host >= cfg->devices[l->dev].num_hosts)
				return cmdline_fail(c, "host.%u: device '%s' has %u hosts (0..%u)",
						    b->host, cfg->devices[l->dev].id,
						    cfg->devices[l->dev].num_hosts,
						    cfg->devices[l->dev].num_hosts - 1);
			if (bound_otherwise(cfg, i, k))
				return cmdline_fail(c, "host.%u is bound to two users or groups",
						    b->host);
		}
	}
	c->opt = NULL;
	return 0;
}

/* Each listener's device= and the host link's host.N=, once the devices are known. */
int cmdline_check_listeners(struct cmdline_ctx *c)
{
	int rc = check_listeners(c, "--fm", c->cfg->fm, c->cfg->nr_fm);

	if (!rc)
		rc = check_listeners(c, "--mctp-cci", c->cfg->mctp_cci, c->cfg->nr_mctp_cci);

	if (!rc)
		rc = check_listeners(c, "--host-socket", c->cfg->host, c->cfg->nr_host);
	if (!rc)
		rc = check_host_binds(c);
	if (!rc)
		rc = check_listeners(c, "--mctp-serial", c->cfg->mctp_serial,
				     c->cfg->nr_mctp_serial);
	return rc;
}
