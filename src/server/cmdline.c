/* SPDX-License-Identifier: MIT */
/*
 * cmdline.c - command-line parsing and validation (see cmdline.h).
 *
 * Option values in QEMU's KEY=VALUE,... form are split by cmdline_split_kv(): ",,"
 * is a literal comma, an element without '=' is a flag ("server" = on,
 * "nowait" = wait off) or, first in the list, the implied key (driver,
 * qom-type, address).  -object and -device properties are checked in
 * cmdline-objdev.c.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/rundir.h"
#include "cmdline.h"
#include "cmdline-int.h"

int cmdline_fail(struct cmdline_ctx *c, const char *fmt, ...)
{
	char msg[CMDLINE_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->opt)
		snprintf(c->err, c->errlen, "%s '%s': %s", c->opt, c->arg, msg);
	else
		snprintf(c->err, c->errlen, "%s", msg);
	return -EINVAL;
}

int cmdline_oom(struct cmdline_ctx *c)
{
	snprintf(c->err, c->errlen, "out of memory");
	return -ENOMEM;
}

/* ---- value parsers -------------------------------------------------- */

int cmdline_parse_size(const char *s, uint64_t *out)
{
	static const char suffixes[] = "bkmgtpe";
	unsigned long long v;
	const char *sfx;
	char *end;
	int shift;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		v = strtoull(s + 2, &end, 16);
		if (errno || end == s + 2 || *end)
			return -EINVAL;
		*out = v;
		return 0;
	}
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (!*end) {
		*out = v;
		return 0;
	}
	if (end[1] || !(sfx = strchr(suffixes, end[0] | 0x20)) || !end[0])
		return -EINVAL;
	shift = (int)(sfx - suffixes) * 10;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int cmdline_parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

int cmdline_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* QEMU's rule for ids: a letter, then letters, digits, '-', '.', '_'. */
bool cmdline_id_ok(const char *id)
{
	if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')))
		return false;
	for (const char *p = id + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return false;
	return true;
}

/*
 * COMPAT: keep the option being parsed ("-device pxb-cxl,...") in
 * cfg->ignored, and @why (a static string) in cfg->ignored_why; the daemon
 * logs that it ignores it, and why.  A flag (c->arg NULL) is kept alone.
 */
int cmdline_ignore(struct cmdline_ctx *c, const char *why)
{
	struct cmdline_cfg *cfg = c->cfg;
	char **n = realloc(cfg->ignored, (cfg->nr_ignored + 1) * sizeof(*n));
	const char **w;

	if (!n)
		return cmdline_oom(c);
	cfg->ignored = n;
	w = realloc(cfg->ignored_why, (cfg->nr_ignored + 1) * sizeof(*w));
	if (!w)
		return cmdline_oom(c);
	cfg->ignored_why = w;
	if (asprintf(&n[cfg->nr_ignored], "%s%s%s", c->opt, c->arg ? " " : "",
		     c->arg ? c->arg : "") < 0)
		return cmdline_oom(c);
	w[cfg->nr_ignored++] = why;
	return 0;
}

/* ---- KEY=VALUE lists ------------------------------------------------ */

void cmdline_kv_free(struct cmdline_kv *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->p[i].key);
		free(kv->p[i].value);
	}
	free(kv->p);
	kv->p = NULL;
	kv->n = 0;
}

int cmdline_kv_add(struct cmdline_kv *kv, const char *key, size_t klen, const char *val,
		   size_t vlen)
{
	struct cmdline_prop *n = realloc(kv->p, (kv->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	kv->p = n;
	n[kv->n].key = strndup(key, klen);
	n[kv->n].value = strndup(val, vlen);
	if (!n[kv->n].key || !n[kv->n].value) {
		free(n[kv->n].key);
		free(n[kv->n].value);
		return -ENOMEM;
	}
	kv->n++;
	return 0;
}

const char *cmdline_kv_get(const struct cmdline_kv *kv, const char *key)
{
	for (size_t i = 0; i < kv->n; i++)
		if (strcmp(kv->p[i].key, key) == 0)
			return kv->p[i].value;
	return NULL;
}

/*
 * Split "a,b=c,,d,e" into elements; ",," is a literal comma.  A first
 * element without '=' becomes @implied=element; other elements without '='
 * become flags: "noX" -> X=off, "X" -> X=on.
 */
int cmdline_split_kv(struct cmdline_ctx *c, const char *s, const char *implied,
		     struct cmdline_kv *kv)
{
	size_t len = strlen(s);
	char *elem = malloc(len + 1);
	size_t i = 0;
	bool first = true;

	if (!elem)
		return cmdline_oom(c);
	while (i <= len) {
		size_t n = 0;
		char *eq;
		int rc;

		while (i < len && !(s[i] == ',' && s[i + 1] != ',')) {
			elem[n++] = s[i];
			i += (s[i] == ',') ? 2 : 1;
		}
		elem[n] = 0;
		i++;
		eq = strchr(elem, '=');
		if (first && implied && !eq)
			rc = cmdline_kv_add(kv, implied, strlen(implied), elem, n);
		else if (eq)
			rc = cmdline_kv_add(kv, elem, (size_t)(eq - elem), eq + 1, strlen(eq + 1));
		else if (!n && i > len && !first)
			rc = 0;         /* COMPAT: "a=b," ends the list, as in QEMU */
		else if (!n)
			rc = cmdline_fail(c, "empty element in the list");
		else if (!strncmp(elem, "no", 2) && n > 2)
			rc = cmdline_kv_add(kv, elem + 2, n - 2, "off", 3);
		else
			rc = cmdline_kv_add(kv, elem, n, "on", 2);
		first = false;
		if (rc) {
			free(elem);
			return rc == -ENOMEM ? cmdline_oom(c) : rc;
		}
	}
	free(elem);
	for (size_t a = 0; a < kv->n; a++)
		for (size_t b = a + 1; b < kv->n; b++)
			if (!strcmp(kv->p[a].key, kv->p[b].key))
				return cmdline_fail(c, "property '%s' given twice", kv->p[a].key);
	return 0;
}

/* ---- sockets ---------------------------------------------------------- */

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
	char *addr = malloc(len + 1), aerr[256];
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
	for (size_t k = 0; !rc && k < kv.n; k++) {
		const char *key = kv.p[k].key, *v = kv.p[k].value;
		uint64_t u = 0;

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
	}
	if (rc)
		goto out;
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
	if (!rc && !(l->arg = strdup(arg)))
		rc = cmdline_oom(c);
out:
	cmdline_kv_free(&kv);
	free(addr);
	return rc;
}

static void listener_free(struct cmdline_listener *l)
{
	free(l->binds);
	free(l->device);
	free(l->arg);
}

/* Append @l (taken over, also on error). */
static int push_listener(struct cmdline_ctx *c, struct cmdline_listener *l,
			 struct cmdline_listener **arr, size_t *nr)
{
	struct cmdline_listener *n = realloc(*arr, (*nr + 1) * sizeof(*n));

	if (!n) {
		listener_free(l);
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
		listener_free(&l);
		return rc;
	}
	return push_listener(c, &l, arr, nr);
}

/* "--fm none": no FM listener at all, not even the default ones. */
static int opt_fm(struct cmdline_ctx *c, const char *arg)
{
	if (!strcmp(arg, "none")) {
		c->cfg->no_fm = true;
		return 0;
	}
	return add_listener(c, arg, false, &c->cfg->fm, &c->cfg->nr_fm);
}

/*
 * --mctp-cci ADDR[,device=ID] | none: the Type 3 MCTP-based CCI (what MCTP
 * message type 08h reaches) on a stream, framed like --fm.
 */
static int opt_mctp_cci(struct cmdline_ctx *c, const char *arg)
{
	if (!strcmp(arg, "none")) {
		c->cfg->no_mctp_cci = true;
		return 0;
	}
	return add_listener(c, arg, false, &c->cfg->mctp_cci, &c->cfg->nr_mctp_cci);
}

static int opt_host_socket(struct cmdline_ctx *c, const char *arg)
{
	if (!strcmp(arg, "none")) {
		c->cfg->no_host = true;
		return 0;
	}
	return add_listener(c, arg, true, &c->cfg->host, &c->cfg->nr_host);
}

/*
 * --mctp-serial pty[,device=ID][,eid=N]: an MCTP endpoint on a new
 * pseudo-terminal (docs/mctp.md); eid= is its EID before any bus owner
 * assigns one (8..254).
 */
static int opt_mctp_serial(struct cmdline_ctx *c, const char *arg)
{
	struct cmdline_listener l = { 0 };
	struct cmdline_kv kv = { 0 };
	int rc = 0;

	if (strncmp(arg, "pty", 3) || (arg[3] && arg[3] != ','))
		return cmdline_fail(c, "only 'pty' is supported (pty[,device=ID][,eid=N])");
	if (arg[3])
		rc = cmdline_split_kv(c, arg + 4, NULL, &kv);
	for (size_t k = 0; !rc && k < kv.n; k++) {
		char *end;

		if (!strcmp(kv.p[k].key, "eid")) {
			unsigned long eid = strtoul(kv.p[k].value, &end, 0);

			if (*end || end == kv.p[k].value || eid < 8 || eid > 254)
				rc = cmdline_fail(c, "eid '%s' is not 8..254", kv.p[k].value);
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
		listener_free(&l);
		return rc;
	}
	return push_listener(c, &l, &c->cfg->mctp_serial, &c->cfg->nr_mctp_serial);
}

static int set_path(struct cmdline_ctx *c, char **dst, const char *arg)
{
	if (!*arg)
		return cmdline_fail(c, "empty path");
	if (*dst)
		return cmdline_fail(c, "given twice");
	*dst = strdup(arg);
	return *dst ? 0 : cmdline_oom(c);
}

static int opt_state(struct cmdline_ctx *c, const char *arg)
{
	return set_path(c, &c->cfg->state_dir, arg);
}

/* COMPAT: QEMU's -M/-machine (q35,cxl=on; cxl-fmw.N.*): there is no machine here. */
static int opt_machine(struct cmdline_ctx *c, const char *arg)
{
	(void)arg;
	return cmdline_ignore(c, CMDLINE_WHY_MACHINE);
}

static int opt_pidfile(struct cmdline_ctx *c, const char *arg)
{
	return set_path(c, &c->cfg->pidfile, arg);
}

static int opt_log_file(struct cmdline_ctx *c, const char *arg)
{
	return set_path(c, &c->cfg->log_file, arg);
}

/* syslog(3)'s level names, as journald and systemd spell them. */
static int opt_log_level(struct cmdline_ctx *c, const char *arg)
{
	static const char *const names[] = { "emerg", "alert", "crit", "err", "warning",
					     "notice", "info", "debug" };

	for (int i = 0; i < 8; i++)
		if (!strcmp(arg, names[i]) || (i == 3 && !strcmp(arg, "error")) ||
		    (i == 4 && !strcmp(arg, "warn"))) {
			c->cfg->log_level = i;
			c->cfg->has_log_level = true;
			return 0;
		}
	return cmdline_fail(c, "unknown level (error, warning, notice, info, debug)");
}

static int opt_trace(struct cmdline_ctx *c, const char *arg)
{
	char *dup, *save = NULL;
	int rc = 0;

	/*
	 * COMPAT: QEMU's -trace [enable=]PATTERN[,events=FILE][,file=FILE]
	 * names QEMU's trace events (cxl_*): none of them exist here.  Our
	 * faces have no '=', '*' or '_'.
	 */
	if (strpbrk(arg, "=*_?"))
		return cmdline_ignore(c, "QEMU's trace events: cxldcd traces its faces "
				      "(--trace=cci,qmp,host)");
	dup = strdup(arg);
	if (!dup)
		return cmdline_oom(c);
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "cci"))
			c->cfg->trace |= CMDLINE_TRACE_CCI;
		else if (!strcmp(t, "qmp"))
			c->cfg->trace |= CMDLINE_TRACE_QMP;
		else if (!strcmp(t, "host"))
			c->cfg->trace |= CMDLINE_TRACE_HOST;
		else if (!strcmp(t, "all"))
			c->cfg->trace |= CMDLINE_TRACE_CCI | CMDLINE_TRACE_QMP | CMDLINE_TRACE_HOST;
		else {
			rc = cmdline_fail(c, "unknown trace category '%s' (cci, qmp, host, all)", t);
			break;
		}
	}
	free(dup);
	return rc;
}

/* ---- top level -------------------------------------------------------- */

static const struct option_def {
	const char *name;
	int (*fn)(struct cmdline_ctx *c, const char *arg);   /* NULL: a flag */
} options[] = {
	{ "object", cmdline_opt_object }, { "device", cmdline_opt_device }, { "qmp", cmdline_opt_qmp },
	{ "fm", opt_fm }, { "host-socket", opt_host_socket }, { "state", opt_state },
	{ "trace", opt_trace }, { "pidfile", opt_pidfile }, { "log-file", opt_log_file },
	{ "log-level", opt_log_level }, { "daemonize", NULL }, { "mctp-serial", opt_mctp_serial },
	{ "mctp-cci", opt_mctp_cci }, { "M", opt_machine }, { "machine", opt_machine },
	{ "help", NULL }, { "h", NULL }, { "version", NULL }, { "V", NULL },
};

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
			for (size_t j = 0; j <= i; j++) {
				const struct cmdline_listener *o = &cfg->host[j];

				for (size_t m = 0; o->dev == l->dev && m < (j == i ? k : o->nr_binds); m++)
					if (o->binds[m].host == b->host &&
					    (o->binds[m].uid != b->uid || o->binds[m].gid != b->gid))
						return cmdline_fail(c, "host.%u is bound to two users or groups",
								    b->host);
			}
		}
	}
	c->opt = NULL;
	return 0;
}

static int cross_check(struct cmdline_ctx *c)
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
	if (rc)
		return rc;
	for (size_t i = 0; i < c->cfg->nr_devices; i++) {
		const struct cmdline_device *d = &c->cfg->devices[i];
		bool found = false;

		if (!d->volatile_dc_memdev)
			continue;
		for (size_t j = 0; j < c->cfg->nr_objects; j++)
			found |= !strcmp(c->cfg->objects[j].id, d->volatile_dc_memdev);
		if (!found)
			return cmdline_fail(c, "-device cxl-type3,id=%s: volatile-dc-memdev '%s' is not an -object id",
				    d->id, d->volatile_dc_memdev);
	}
	return 0;
}

static int default_path(struct cmdline_ctx *c, const char *dir, const char *file, char *out)
{
	if ((size_t)snprintf(out, SOCK_PATH_MAX, "%s/%s", dir, file) >= SOCK_PATH_MAX)
		return cmdline_fail(c, "runtime directory '%s' is too long for a socket path", dir);
	c->cfg->uses_runtime_dir = true;
	return 0;
}

/* A default listener, of the first device. */
static int add_default(struct cmdline_ctx *c, struct cmdline_listener **arr, size_t *nr,
		       const struct sock_addr *a)
{
	size_t len = strlen("unix:") + strlen(a->path) + 1;
	struct cmdline_listener l = { .addr = *a, .arg = malloc(len) };

	if (!l.arg)
		return cmdline_oom(c);
	snprintf(l.arg, len, "unix:%s", a->path);
	return push_listener(c, &l, arr, nr);
}

/*
 * Default listeners of every device when the command line names none of
 * that kind ("--fm none" / "--host-socket none" turn them off): the first
 * device's are FILE.sock, the others' FILE-ID.sock, all in @rundir.
 */
static int add_device_defaults(struct cmdline_ctx *c, const char *rundir, const char *file,
			       struct cmdline_listener **arr, size_t *nr)
{
	struct sock_addr a = { .kind = SOCK_UNIX };
	char name[CMDLINE_ERR_MAX];
	int rc = 0;

	for (size_t i = 0; !rc && i < c->cfg->nr_devices; i++) {
		if (i)
			snprintf(name, sizeof(name), "%s-%s.sock", file, c->cfg->devices[i].id);
		else
			snprintf(name, sizeof(name), "%s.sock", file);
		if (!(rc = default_path(c, rundir, name, a.path)) &&
		    !(rc = add_default(c, arr, nr, &a)))
			(*arr)[*nr - 1].dev = i;
	}
	return rc;
}

static int apply_defaults(struct cmdline_ctx *c, const char *rundir, bool no_args)
{
	struct cmdline_cfg *cfg = c->cfg;
	struct sock_addr a = { .kind = SOCK_UNIX };
	bool fm_default;
	int rc = 0;

	c->opt = NULL;
	if (no_args) {
		cfg->defaults = true;
		c->opt = "default";
		c->arg = "memory-backend-memfd,id=dc-mem0,size=8G,share=on";
		rc = cmdline_opt_object(c, c->arg);
		c->arg = "cxl-type3,id=cxl-dcd0,num-dc-regions=2,volatile-dc-memdev=dc-mem0,num-hosts=2";
		if (!rc)
			rc = cmdline_opt_device(c, c->arg);
		c->opt = NULL;
	}
	/* The MCTP CCI sockets go next to default FM sockets only. */
	fm_default = !cfg->nr_fm && !cfg->no_fm;
	if (!rc && fm_default)
		rc = add_device_defaults(c, rundir, "fm", &cfg->fm, &cfg->nr_fm);
	if (!rc && fm_default && !cfg->nr_mctp_cci && !cfg->no_mctp_cci)
		rc = add_device_defaults(c, rundir, "mctp", &cfg->mctp_cci, &cfg->nr_mctp_cci);
	if (!rc && !cfg->nr_host && !cfg->no_host)
		rc = add_device_defaults(c, rundir, "host", &cfg->host, &cfg->nr_host);
	if (!rc && !cfg->nr_qmp && !(rc = default_path(c, rundir, "qmp.sock", a.path)))
		rc = cmdline_add_qmp(c, &a, 0);
	if (!rc && cfg->uses_runtime_dir)
		rc = (cfg->runtime_dir = strdup(rundir)) ? 0 : cmdline_oom(c);
	return rc;
}

/*
 * One Unix socket path for two listeners would have the second replace the
 * first's socket file (the host link replaces any socket file): refuse it.
 */
static int check_unix_paths(struct cmdline_ctx *c)
{
	const struct cmdline_cfg *cfg = c->cfg;
	size_t nr = cfg->nr_qmp + cfg->nr_fm + cfg->nr_mctp_cci + cfg->nr_host, n = 0;
	const struct sock_addr **a = malloc((nr ? nr : 1) * sizeof(*a));
	const char **opt = malloc((nr ? nr : 1) * sizeof(*opt));
	int rc = 0;

	if (!a || !opt) {
		free(a);
		free(opt);
		return cmdline_oom(c);
	}
	for (size_t i = 0; i < cfg->nr_qmp; i++) {
		a[n] = &cfg->qmp[i];
		opt[n++] = "-qmp";
	}
	for (size_t i = 0; i < cfg->nr_fm; i++) {
		a[n] = &cfg->fm[i].addr;
		opt[n++] = "--fm";
	}
	for (size_t i = 0; i < cfg->nr_mctp_cci; i++) {
		a[n] = &cfg->mctp_cci[i].addr;
		opt[n++] = "--mctp-cci";
	}
	for (size_t i = 0; i < cfg->nr_host; i++) {
		a[n] = &cfg->host[i].addr;
		opt[n++] = "--host-socket";
	}
	for (size_t i = 0; !rc && i < n; i++)
		for (size_t j = i + 1; !rc && j < n; j++)
			if (a[i]->kind == SOCK_UNIX && a[j]->kind == SOCK_UNIX &&
			    !strcmp(a[i]->path, a[j]->path))
				rc = cmdline_fail(c, "socket path '%s' is given twice (%s and %s)",
						  a[i]->path, opt[i], opt[j]);
	free(a);
	free(opt);
	return rc;
}

static int one_option(struct cmdline_ctx *c, int argc, char *const argv[], int *i)
{
	const char *a = argv[*i], *name = a + 1, *eq;
	char optname[64];
	size_t nlen;
	int rc;

	if (*i == 1 && a[0] != '-' && (rc = cmdline_qemu_program(c, a)) <= 0)
		return rc;
	if (!strcmp(a, "..."))
		return cmdline_fail(c, "unexpected argument '...' (QEMU's documentation writes '...' "
				    "for the guest's other options: leave it out)");
	if (a[0] != '-' || !a[1])
		return cmdline_fail(c, "unexpected argument '%s'", a);
	if (*name == '-')
		name++;
	eq = strchr(name, '=');
	nlen = eq ? (size_t)(eq - name) : strlen(name);
	for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++) {
		const struct option_def *o = &options[k];

		if (strlen(o->name) != nlen || strncmp(o->name, name, nlen))
			continue;
		snprintf(optname, sizeof(optname), "%.*s", (int)(name - a + (ptrdiff_t)nlen), a);
		if (!o->fn) {
			if (eq)
				return cmdline_fail(c, "option '%s' takes no value", optname);
			if (o->name[0] == 'h')
				c->cfg->help = true;
			else if (o->name[0] == 'd')
				c->cfg->daemonize = true;
			else
				c->cfg->version = true;
			return 0;
		}
		if (eq) {
			c->arg = eq + 1;
		} else {
			if (*i + 1 >= argc)
				return cmdline_fail(c, "option '%s' needs a value", optname);
			c->arg = argv[++*i];
		}
		c->opt = optname;
		rc = o->fn(c, c->arg);
		c->opt = NULL;
		return rc;
	}
	rc = cmdline_qemu_option(c, argc, argv, i);
	if (rc <= 0)
		return rc;
	return cmdline_fail(c, "unknown option '%s' (try --help)", a);
}

int cmdline_parse(int argc, char *const argv[], const char *runtime_dir,
		  struct cmdline_cfg *cfg, char *err, size_t errlen)
{
	struct cmdline_ctx c = { .cfg = cfg, .err = err, .errlen = errlen };
	int rc = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (errlen)
		err[0] = 0;
	for (int i = 1; i < argc && !rc; i++)
		rc = one_option(&c, argc, argv, &i);
	if (rc || cfg->help || cfg->version)
		return rc;
	rc = cmdline_qemu_finish(&c);
	if (!rc)
		rc = cross_check(&c);
	if (!rc)
		rc = apply_defaults(&c, runtime_dir ? runtime_dir : "/tmp", argc <= 1);
	if (!rc)
		rc = check_unix_paths(&c);
	return rc;
}

void cmdline_fini(struct cmdline_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nr_objects; i++) {
		struct cmdline_kv kv = { cfg->objects[i].props, cfg->objects[i].nr_props };

		free(cfg->objects[i].id);
		free(cfg->objects[i].mem_path);
		cmdline_kv_free(&kv);
	}
	for (size_t i = 0; i < cfg->nr_devices; i++)
		cmdline_device_free(&cfg->devices[i]);
	free(cfg->objects);
	free(cfg->devices);
	free(cfg->qmp);
	free(cfg->qmp_max_conns);
	for (size_t i = 0; i < cfg->nr_fm; i++)
		listener_free(&cfg->fm[i]);
	for (size_t i = 0; i < cfg->nr_mctp_cci; i++)
		listener_free(&cfg->mctp_cci[i]);
	for (size_t i = 0; i < cfg->nr_host; i++)
		listener_free(&cfg->host[i]);
	for (size_t i = 0; i < cfg->nr_mctp_serial; i++)
		listener_free(&cfg->mctp_serial[i]);
	free(cfg->fm);
	free(cfg->mctp_cci);
	free(cfg->host);
	free(cfg->mctp_serial);
	free(cfg->state_dir);
	free(cfg->pidfile);
	free(cfg->log_file);
	free(cfg->runtime_dir);
	for (size_t i = 0; i < cfg->nr_ignored; i++)
		free(cfg->ignored[i]);
	free(cfg->ignored);
	free(cfg->ignored_why);
	cmdline_qemu_fini(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

void cmdline_runtime_dir(char *buf, size_t len)
{
	rundir_path(NULL, buf, len);
}

bool cmdline_object_used(const struct cmdline_cfg *cfg, const struct cmdline_object *o)
{
	for (size_t i = 0; i < cfg->nr_devices; i++) {
		const struct cmdline_device *d = &cfg->devices[i];
		const char *ids[] = { d->volatile_dc_memdev, d->volatile_memdev,
				      d->persistent_memdev, d->lsa };

		for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
			if (ids[k] && !strcmp(ids[k], o->id))
				return true;
	}
	return false;
}

const char *cmdline_object_prop(const struct cmdline_object *o, const char *key)
{
	for (size_t i = 0; i < o->nr_props; i++)
		if (!strcmp(o->props[i].key, key))
			return o->props[i].value;
	return NULL;
}

const char *cmdline_usage(void)
{
	return
"Usage: cxldcd [options]\n"
"A CXL Type 3 Dynamic Capacity Device with tagged memory, driven over QMP.\n"
"\n"
"  -object memory-backend-{ram,memfd,file,tagged},id=ID,size=SIZE[,share=on|off]\n"
"          [,tag=UUID][,mem-path=PATH][,hugetlb=on]...\n"
"                       a memory backend (also QEMU's JSON form '{\"qom-type\":...}')\n"
"  -device cxl-type3,id=ID,num-dc-regions=N,(volatile-dc-memdev=ID|dc-regions-total-size=SIZE)\n"
"          [,num-hosts=1..256][,dc-block-size=SIZE][,max-extents=N][,max-tags=N]\n"
"          [,event-log-depth=N][,mbox-payload-size=SIZE][,seq-one-based=on]\n"
"          [,sanitize-on-release=on][,sharable=on][,pending-timeout-ms=MS][,sn=N]\n"
"          [,trusted-hosts=on][,volatile-memdev=ID][,persistent-memdev=ID,lsa=ID]\n"
"          [,static-host=N]\n"
"                       a DCD (several allowed)\n"
"  -M ..., -machine ..., -device pxb-cxl|cxl-rp|cxl-upstream|cxl-downstream|\n"
"          cxl-switch-mailbox-cci,...\n"
"                       QEMU's machine and CXL topology: accepted and ignored\n"
"  -m SIZE and QEMU's other options for the guest, its devices and objects\n"
"                       accepted and ignored, with why (docs/cmdline.md)\n"
"  -chardev socket,id=ID,path=PATH,server=on,wait=off -mon chardev=ID,mode=control\n"
"                       QEMU's other way to a QMP listener (also host=,port=)\n"
"  -qmp unix:PATH,server,wait=off | tcp:HOST:PORT,server,wait=off [,max-conns=N]\n"
"          [,ipv4=on|ipv6=on][,to=PORT]...\n"
"                       a QMP listener (several allowed; TCP binds 127.0.0.1\n"
"                       unless HOST is given; max-conns (64) per listener;\n"
"                       QEMU's other socket options: docs/cmdline.md)\n"
"  --fm unix:PATH|tcp:HOST:PORT[,device=ID][,max-conns=N] | none\n"
"                       a fabric-manager (FM-API CCI) listener (several allowed;\n"
"                       max-conns (64) per listener)\n"
"  --mctp-cci unix:PATH|tcp:HOST:PORT[,device=ID][,max-conns=N] | none\n"
"                       a Type 3 MCTP-based CCI listener (MCTP type 08h; framed\n"
"                       like --fm; several allowed)\n"
"  --host-socket PATH|unix:PATH|tcp:HOST:PORT[,device=ID][,max-conns=N]\n"
"          [,hello-timeout-ms=MS][,max-fds=N][,host.N=USER[:GROUP]][,group=GROUP]\n"
"          [,bound-only=on|off] | none\n"
"                       a host-link listener (several allowed; TCP: IPv4, slow\n"
"                       path only); device= defaults to the first -device;\n"
"                       max-conns (num-hosts + 64) and hello-timeout-ms (5000)\n"
"                       per listener, max-fds (RLIMIT_NOFILE / 2 / num-hosts,\n"
"                       64..65536) fds queued per connection; host.N: only that\n"
"                       user (and group) may claim host N; group: the socket is\n"
"                       0660 of that group; bound-only=on: a host id no host.N=\n"
"                       binds may not be claimed on this socket\n"
"  --mctp-serial pty[,device=ID][,eid=N]\n"
"                       an MCTP endpoint (DSP0253 serial) on a new pseudo-terminal\n"
"                       whose name is printed (several allowed)\n"
"  --state DIR          persistent state directory\n"
"  --trace=cci,qmp,host log every message of these faces\n"
"  --log-level LEVEL    error, warning, notice (default), info or debug\n"
"  --log-file FILE      append the log to FILE instead of stderr (reopened on SIGHUP)\n"
"  --daemonize          detach once every socket listens\n"
"  --pidfile FILE       write the daemon's pid to FILE (removed at exit)\n"
"  --help, -h, --version, -V\n"
"\n"
"SIZE takes K, M, G, T suffixes; booleans are on/off, yes/no, true/false.\n"
"Without arguments: a default device (2 DC regions of 4 GiB on a memfd,\n"
"2 hosts).  Sockets not given go to $XDG_RUNTIME_DIR/cxldcd (or\n"
"/tmp/cxldcd-UID): qmp.sock without -qmp; without --fm (--host-socket), each\n"
"-device gets fm.sock and host.sock (the first) or fm-ID.sock, host-ID.sock,\n"
"and, without --fm and --mctp-cci, mctp.sock (mctp-ID.sock) next to them.\n"
"SIGTERM/SIGINT stop cleanly (SHUTDOWN event); SIGHUP reopens the log file.\n";
}
