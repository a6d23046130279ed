/* SPDX-License-Identifier: MIT */
/*
 * cmdline-qemu.c - the rest of a QEMU command line: the options of QEMU's
 * guest (-m, -smp, -drive, -netdev, -nographic, -device e1000, ...), which
 * are accepted and ignored with a note, and -chardev/-mon, QEMU's other way
 * of naming the QMP socket (a -mon mode=control on a -chardev socket is a
 * -qmp).  What is not here: the options cxldcd serves (cmdline.c) and
 * -object/-device cxl-type3 (cmdline-objdev.c).
 *
 * COMPAT: a user pastes a whole QEMU command line, guest and all
 * (docs/cmdline.md, "QEMU command lines that work as pasted").  A standalone
 * device has no guest, so nothing of it is used; each ignored option is
 * logged once, with why.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdline.h"
#include "cmdline-int.h"

#define WHY_PROGRAM "QEMU's program name: cxldcd takes the options that follow it"
#define WHY_MONITOR "QEMU's human monitor (HMP): cxldcd speaks QMP only (-qmp, -mon mode=control)"
#define WHY_MCTP "QEMU's MCTP link into the guest: cxldcd serves the device's MCTP CCI on a " \
	"socket (--mctp-cci, --mctp-serial)"
#define WHY_GUEST_DEVICE "a device of QEMU's guest: cxldcd is a device, not a virtual machine"
#define WHY_CHARDEV "a character device no -mon mode=control uses: only QMP is served"

/* QEMU's options for the guest and its host process, and whether they take a value. */
static const struct qemu_opt {
	const char *name;
	bool has_arg;
	const char *why;
} qemu_opts[] = {
	/* machine, memory, processors, acceleration */
	{ "m", true, NULL }, { "smp", true, NULL }, { "cpu", true, NULL }, { "accel", true, NULL },
	{ "enable-kvm", false, NULL }, { "numa", true, NULL }, { "global", true, NULL },
	{ "mem-path", true, NULL }, { "mem-prealloc", false, NULL }, { "overcommit", true, NULL },
	{ "icount", true, NULL }, { "rtc", true, NULL }, { "uuid", true, NULL },
	{ "name", true, NULL }, { "nodefaults", false, NULL }, { "no-user-config", false, NULL },
	{ "no-hpet", false, NULL }, { "no-acpi", false, NULL }, { "smbios", true, NULL },
	{ "acpitable", true, NULL }, { "fw_cfg", true, NULL }, { "sandbox", true, NULL },
	{ "run-with", true, NULL }, { "action", true, NULL }, { "msg", true, NULL },
	/* boot */
	{ "kernel", true, NULL }, { "append", true, NULL }, { "initrd", true, NULL },
	{ "dtb", true, NULL }, { "bios", true, NULL }, { "boot", true, NULL }, { "L", true, NULL },
	{ "S", false, NULL }, { "s", false, NULL }, { "gdb", true, NULL },
	{ "no-reboot", false, NULL }, { "no-shutdown", false, NULL }, { "snapshot", false, NULL },
	{ "loadvm", true, NULL }, { "incoming", true, NULL }, { "preconfig", false, NULL },
	/* disks, network, USB, file systems */
	{ "drive", true, NULL }, { "blockdev", true, NULL }, { "hda", true, NULL },
	{ "hdb", true, NULL }, { "hdc", true, NULL }, { "hdd", true, NULL },
	{ "cdrom", true, NULL }, { "fda", true, NULL }, { "fdb", true, NULL },
	{ "pflash", true, NULL }, { "sd", true, NULL }, { "netdev", true, NULL },
	{ "nic", true, NULL }, { "net", true, NULL }, { "usb", false, NULL },
	{ "usbdevice", true, NULL }, { "fsdev", true, NULL }, { "virtfs", true, NULL },
	{ "tpmdev", true, NULL }, { "add-fd", true, NULL }, { "audiodev", true, NULL },
	{ "audio", true, NULL },
	/* display, consoles, logs */
	{ "nographic", false, NULL }, { "display", true, NULL }, { "vga", true, NULL },
	{ "vnc", true, NULL }, { "spice", true, NULL }, { "k", true, NULL },
	{ "full-screen", false, NULL }, { "serial", true, NULL }, { "parallel", true, NULL },
	{ "monitor", true, WHY_MONITOR }, { "D", true, NULL }, { "d", true, NULL },
	{ "plugin", true, NULL }, { "semihosting", false, NULL },
	{ "semihosting-config", true, NULL },
};

/*
 * A -chardev: kept until every -mon is known (QEMU reads them in any
 * order).  Only a socket in server mode can carry QMP here.
 */
struct cmdline_chardev {
	char *id;
	char *arg;              /* as written, for messages and the log */
	char *backend;          /* "socket", "stdio", "pty", ... */
	char *path;             /* socket: path= */
	char *host, *port;      /* socket: host=, port= */
	struct cmdline_kv opts; /* every other property, checked once a -mon uses it */
	bool used;              /* by a -mon mode=control */
};

static const struct qemu_opt *find_opt(const char *name, size_t nlen)
{
	for (size_t k = 0; k < sizeof(qemu_opts) / sizeof(qemu_opts[0]); k++)
		if (strlen(qemu_opts[k].name) == nlen && !strncmp(qemu_opts[k].name, name, nlen))
			return &qemu_opts[k];
	return NULL;
}

static int opt_chardev(struct cmdline_ctx *c, const char *arg);
static int opt_mon(struct cmdline_ctx *c, const char *arg);

/*
 * @argv[*i] is not one of cxldcd's options: if it is one of QEMU's, take it
 * (and its value), and return 0 or a parse error; 1 if QEMU has no such
 * option either.
 */
int cmdline_qemu_option(struct cmdline_ctx *c, int argc, char *const argv[], int *i)
{
	const char *a = argv[*i], *name = a + 1 + (a[1] == '-'), *eq = strchr(name, '=');
	size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
	bool chardev = nlen == 7 && !strncmp(name, "chardev", 7);
	bool mon = nlen == 3 && !strncmp(name, "mon", 3);
	bool pretty = nlen == 10 && !strncmp(name, "qmp-pretty", 10);
	bool readconfig = nlen == 10 && !strncmp(name, "readconfig", 10);
	const struct qemu_opt *o = find_opt(name, nlen);
	char optname[64];
	int rc;

	if (!o && !chardev && !mon && !pretty && !readconfig)
		return 1;
	snprintf(optname, sizeof(optname), "%.*s", (int)(name - a + (ptrdiff_t)nlen), a);
	if (o && !o->has_arg && eq)
		return cmdline_fail(c, "option '%s' takes no value", optname);
	if (o && !o->has_arg) {
		c->opt = optname;
		c->arg = NULL;
		rc = cmdline_ignore(c, o->why ? o->why : CMDLINE_WHY_GUEST);
		c->opt = NULL;
		return rc;
	}
	if (!eq && *i + 1 >= argc)
		return cmdline_fail(c, "option '%s' needs a value", optname);
	c->opt = optname;
	c->arg = eq ? eq + 1 : argv[++*i];
	if (readconfig)
		/* its -device and -object sections would be lost if it were ignored */
		rc = cmdline_fail(c, "QEMU's configuration files are not read: put their "
				  "-object, -device and -qmp options on the command line");
	else if (pretty)
		rc = cmdline_opt_qmp(c, c->arg);        /* COMPAT: replies are not indented */
	else if (chardev)
		rc = opt_chardev(c, c->arg);
	else if (mon)
		rc = opt_mon(c, c->arg);
	else
		rc = cmdline_ignore(c, o->why ? o->why : CMDLINE_WHY_GUEST);
	c->opt = NULL;
	return rc;
}

/*
 * COMPAT: "cxldcd qemu-system-x86_64 -M q35,cxl=on ...": the program name
 * pasted with its options.  Only as the first argument.
 */
int cmdline_qemu_program(struct cmdline_ctx *c, const char *arg)
{
	const char *base = strrchr(arg, '/');
	int rc;

	base = base ? base + 1 : arg;
	if (strncmp(base, "qemu-system-", 12) && strcmp(base, "qemu-kvm"))
		return 1;
	c->opt = arg;
	c->arg = NULL;
	rc = cmdline_ignore(c, WHY_PROGRAM);
	c->opt = NULL;
	return rc;
}

/*
 * Why a -device of type @drv (not cxl-type3, not the CXL topology) is
 * ignored, or NULL when it is an error: a QEMU device for the guest (a NIC,
 * a disk, a USB controller, the MCTP links to a CXL device).  A type that
 * starts with "cxl" is a CXL device cxldcd does not emulate (or a typo of
 * cxl-type3), so it stays an error.
 */
const char *cmdline_qemu_device_why(const char *drv)
{
	if (!strcmp(drv, "i2c_mctp_cxl") || !strcmp(drv, "usb-cxl-mctp"))
		return WHY_MCTP;
	if (!*drv || !strncasecmp(drv, "cxl", 3))
		return NULL;
	return WHY_GUEST_DEVICE;
}

/* ---- -chardev and -mon --------------------------------------------------- */

static void chardev_free(struct cmdline_chardev *d)
{
	free(d->id);
	free(d->arg);
	free(d->backend);
	free(d->path);
	free(d->host);
	free(d->port);
	cmdline_kv_free(&d->opts);
}

static int dup_into(struct cmdline_ctx *c, char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : cmdline_oom(c);
}

/*
 * -chardev BACKEND,id=ID[,path=PATH | ,host=HOST,port=PORT][,server=on]
 * [,wait=off]...: kept for a -mon.  The other properties are checked only
 * if a -mon mode=control uses the chardev (mon_addr()): an unused chardev
 * is ignored anyway, whatever its backend takes.
 */
static int opt_chardev(struct cmdline_ctx *c, const char *arg)
{
	struct cmdline_cfg *cfg = c->cfg;
	struct cmdline_chardev d = { 0 }, *n;
	struct cmdline_kv kv = { 0 };
	int rc = cmdline_split_kv(c, arg, "backend", &kv);

	for (size_t k = 0; !rc && k < kv.n; k++) {
		const char *key = kv.p[k].key, *v = kv.p[k].value;

		if (!strcmp(key, "backend"))
			rc = dup_into(c, &d.backend, v);
		else if (!strcmp(key, "id"))
			rc = dup_into(c, &d.id, v);
		else if (!strcmp(key, "path"))
			rc = dup_into(c, &d.path, v);
		else if (!strcmp(key, "host"))
			rc = dup_into(c, &d.host, v);
		else if (!strcmp(key, "port"))
			rc = dup_into(c, &d.port, v);
		else if (cmdline_kv_add(&d.opts, key, strlen(key), v, strlen(v)))
			rc = cmdline_oom(c);
	}
	if (!rc && !d.id)
		rc = cmdline_fail(c, "id= is required");
	for (size_t k = 0; !rc && k < cfg->nr_chardevs; k++)
		if (!strcmp(cfg->chardevs[k].id, d.id))
			rc = cmdline_fail(c, "duplicate chardev id '%s'", d.id);
	if (!rc)
		rc = dup_into(c, &d.arg, arg);
	if (!rc && !(n = realloc(cfg->chardevs, (cfg->nr_chardevs + 1) * sizeof(*n))))
		rc = cmdline_oom(c);
	cmdline_kv_free(&kv);
	if (rc) {
		chardev_free(&d);
		return rc;
	}
	cfg->chardevs = n;
	n[cfg->nr_chardevs++] = d;
	return 0;
}

/* -mon [chardev=]ID[,mode=control|readline][,pretty=on]: checked once every -chardev is known. */
static int opt_mon(struct cmdline_ctx *c, const char *arg)
{
	struct cmdline_cfg *cfg = c->cfg;
	char **n = realloc(cfg->mons, (cfg->nr_mons + 1) * sizeof(*n));

	if (!n)
		return cmdline_oom(c);
	cfg->mons = n;
	if (!(n[cfg->nr_mons] = strdup(arg)))
		return cmdline_oom(c);
	cfg->nr_mons++;
	return 0;
}

/*
 * The socket options of chardev @d (QEMU's, cmdline-sock.c), said as the
 * -chardev's: its messages and ignored properties name it.
 */
static int chardev_sockopts(struct cmdline_ctx *c, struct cmdline_chardev *d,
			    struct sock_addr *a)
{
	const char *opt = c->opt, *arg = c->arg;
	struct cmdline_sockopts so;
	int rc = 0;

	cmdline_sockopts_init(&so);
	c->opt = "-chardev";
	c->arg = d->arg;
	for (size_t k = 0; !rc && k < d->opts.n; k++) {
		rc = cmdline_sockopt(c, &so, d->opts.p[k].key, d->opts.p[k].value);
		if (rc == 1)    /* QEMU's text, lower-cased */
			rc = cmdline_fail(c, "invalid parameter '%s'", d->opts.p[k].key);
	}
	if (!rc && (rc = cmdline_sockopts_apply(c, &so, a)) == 1)
		rc = cmdline_fail(c, "chardev '%s' is a client socket: only server mode is "
				  "supported (add server=on,wait=off to its -chardev)", d->id);
	c->opt = opt;
	c->arg = arg;
	return rc;
}

/* The chardev of a -mon mode=control as a QMP listener's address. */
static int mon_addr(struct cmdline_ctx *c, struct cmdline_chardev *d, struct sock_addr *a)
{
	char s[SOCK_PATH_MAX + 300], aerr[256];

	if (!d->backend || strcmp(d->backend, "socket"))
		return cmdline_fail(c, "QMP on chardev '%s' (%s) is not supported: only a socket "
				    "(-chardev socket,id=%s,path=PATH,server=on,wait=off)",
				    d->id, d->backend ? d->backend : "no backend", d->id);
	if (d->path)
		snprintf(s, sizeof(s), "unix:%s", d->path);
	else if (d->port)
		snprintf(s, sizeof(s), "tcp:%s:%s", d->host ? d->host : "", d->port);
	else
		return cmdline_fail(c, "chardev '%s' has neither path= nor port=", d->id);
	if (sock_addr_parse(s, a, aerr, sizeof(aerr)))
		return cmdline_fail(c, "chardev '%s': %s", d->id, aerr);
	d->used = true;
	return chardev_sockopts(c, d, a);
}

static int one_mon(struct cmdline_ctx *c, const char *arg)
{
	struct cmdline_cfg *cfg = c->cfg;
	struct cmdline_kv kv = { 0 };
	struct sock_addr a;
	const char *id, *mode;
	size_t k = 0;
	int rc = cmdline_split_kv(c, arg, "chardev", &kv);

	if (rc)
		goto out;
	id = cmdline_kv_get(&kv, "chardev");
	mode = cmdline_kv_get(&kv, "mode");
	if (!id) {
		rc = cmdline_fail(c, "chardev= is required");
		goto out;
	}
	while (k < cfg->nr_chardevs && strcmp(cfg->chardevs[k].id, id))
		k++;
	if (k == cfg->nr_chardevs) {
		rc = cmdline_fail(c, "no -chardev with id '%s'", id);
		goto out;
	}
	if (!mode || !strcmp(mode, "readline")) {
		cfg->chardevs[k].used = true;     /* noted here, not again for the chardev */
		rc = cmdline_ignore(c, WHY_MONITOR);
	} else if (strcmp(mode, "control")) {
		rc = cmdline_fail(c, "invalid mode '%s' (control, readline)", mode);
	} else if (!(rc = mon_addr(c, &cfg->chardevs[k], &a))) {
		rc = cmdline_add_qmp(c, &a, 0);
	}
out:
	cmdline_kv_free(&kv);
	return rc;
}

/*
 * After the last option: each -mon mode=control becomes a QMP listener on
 * its -chardev; a -mon readline and the chardevs no -mon uses are ignored.
 */
int cmdline_qemu_finish(struct cmdline_ctx *c)
{
	struct cmdline_cfg *cfg = c->cfg;
	int rc = 0;

	c->opt = "-mon";
	for (size_t i = 0; !rc && i < cfg->nr_mons; i++) {
		c->arg = cfg->mons[i];
		rc = one_mon(c, cfg->mons[i]);
	}
	c->opt = "-chardev";
	for (size_t i = 0; !rc && i < cfg->nr_chardevs; i++) {
		c->arg = cfg->chardevs[i].arg;
		if (!cfg->chardevs[i].used)
			rc = cmdline_ignore(c, WHY_CHARDEV);
	}
	c->opt = NULL;
	return rc;
}

void cmdline_qemu_fini(struct cmdline_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nr_chardevs; i++)
		chardev_free(&cfg->chardevs[i]);
	free(cfg->chardevs);
	for (size_t i = 0; i < cfg->nr_mons; i++)
		free(cfg->mons[i]);
	free(cfg->mons);
}
