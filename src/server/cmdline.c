/* SPDX-License-Identifier: MIT */
/*
 * cmdline.c - command-line parsing and validation (see cmdline.h): the
 * table of cxldcd's options and the walk over argv, the options that only
 * set a path or a level (--state, --pidfile, --log-file, --log-level,
 * --trace, -M), the checks across options once all are read, the default
 * device and sockets, cmdline_fini() and --help.  What is not here: option
 * values and KEY=VALUE lists (cmdline-value.c), the listener options
 * (cmdline-listen.c), -qmp and socket chardev options (cmdline-sock.c),
 * QEMU's guest options, -chardev and -mon (cmdline-qemu.c), -object and
 * -device (cmdline-objdev.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/rundir.h"
#include "cmdline.h"
#include "cmdline-int.h"

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
	{ "fm", cmdline_opt_fm }, { "host-socket", cmdline_opt_host_socket }, { "state", opt_state },
	{ "trace", opt_trace }, { "pidfile", opt_pidfile }, { "log-file", opt_log_file },
	{ "log-level", opt_log_level }, { "daemonize", NULL }, { "mctp-serial", cmdline_opt_mctp_serial },
	{ "mctp-cci", cmdline_opt_mctp_cci }, { "M", opt_machine }, { "machine", opt_machine },
	{ "help", NULL }, { "h", NULL }, { "version", NULL }, { "V", NULL },
};

static int cross_check(struct cmdline_ctx *c)
{
	int rc = cmdline_check_listeners(c);

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
	return cmdline_listener_push(c, &l, arr, nr);
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
		cmdline_listener_free(&cfg->fm[i]);
	for (size_t i = 0; i < cfg->nr_mctp_cci; i++)
		cmdline_listener_free(&cfg->mctp_cci[i]);
	for (size_t i = 0; i < cfg->nr_host; i++)
		cmdline_listener_free(&cfg->host[i]);
	for (size_t i = 0; i < cfg->nr_mctp_serial; i++)
		cmdline_listener_free(&cfg->mctp_serial[i]);
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
"          [,static-host=N][,maint-at-once=on]\n"
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
"                       per listener, max-fds (RLIMIT_NOFILE's soft limit,\n"
"                       64..65536) files queued per connection; host.N: only that\n"
"                       user (and group) may claim host N; group: the socket is\n"
"                       0660 of that group; bound-only=on: a host id no host.N=\n"
"                       binds may not be claimed on this socket\n"
"  --mctp-serial pty[,device=ID][,eid=N]\n"
"                       an MCTP endpoint (DSP0253 serial) on a new pseudo-terminal\n"
"                       whose name is printed (several allowed)\n"
"  --state DIR          persistent state directory\n"
"  --trace=LIST         log every message of these faces: cci, qmp, host, all\n"
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
