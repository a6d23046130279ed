/* SPDX-License-Identifier: MIT */
/*
 * test-cmdline-listen.c - the command line's listener options: --fm,
 * --mctp-cci, --host-socket (limits, host.N= bindings, group=, bound-only=),
 * --mctp-serial, and -qmp with QEMU's socket chardev options (taken,
 * ignored with why, or refused), each error naming the listener or the
 * address.  The other options are tested in test-cmdline.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "server/cmdline.h"
#include "cmdline-test-util.h"

#define DEV1 "cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=4G"

/*
 * --mctp-cci: the Type 3 MCTP CCI listeners; by default mctp.sock and
 * mctp-ID.sock next to default FM sockets, none next to an explicit --fm.
 */
static void test_mctp_cci_listeners_and_their_defaults(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "-device", DEV1, NULL), 0);
	assert_int_equal(cfg.nr_mctp_cci, 2);
	assert_string_equal(cfg.mctp_cci[0].addr.path, "/run/user/1000/cxldcd/mctp.sock");
	assert_int_equal(cfg.mctp_cci[0].dev, 0);
	assert_string_equal(cfg.mctp_cci[1].addr.path, "/run/user/1000/cxldcd/mctp-d1.sock");
	assert_int_equal(cfg.mctp_cci[1].dev, 1);
	cmdline_fini(&cfg);

	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "-device", DEV1,
			       "--mctp-cci", "unix:/tmp/m1.sock,device=d1",
			       "--mctp-cci=tcp::0", NULL), 0);
	assert_int_equal(cfg.nr_mctp_cci, 2);
	assert_string_equal(cfg.mctp_cci[0].addr.path, "/tmp/m1.sock");
	assert_int_equal(cfg.mctp_cci[0].dev, 1);
	assert_int_equal(cfg.mctp_cci[1].addr.kind, SOCK_TCP);
	assert_int_equal(cfg.mctp_cci[1].dev, 0);
	assert_int_equal(cfg.nr_fm, 2);         /* the FM sockets still default */
	cmdline_fini(&cfg);

	/* An explicit --fm, or --mctp-cci none: no MCTP CCI socket. */
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "--fm",
			       "unix:/tmp/f.sock", NULL), 0);
	assert_int_equal(cfg.nr_mctp_cci, 0);
	cmdline_fini(&cfg);
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "--mctp-cci", "none",
			       NULL), 0);
	assert_int_equal(cfg.nr_mctp_cci, 0);
	assert_int_equal(cfg.nr_fm, 1);
	cmdline_fini(&cfg);

	EXPECT_ERR(L("--mctp-cci", "nope"), "-object", OBJ, "-device", DEV, "--mctp-cci",
		   "unix:/tmp/m.sock,device=nope");
	EXPECT_ERR(L("'/tmp/x.sock' is given twice (--fm and --mctp-cci)"), "-object", OBJ,
		   "-device", DEV, "--fm", "unix:/tmp/x.sock", "--mctp-cci", "unix:/tmp/x.sock");
}

static void test_listeners_name_their_device(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	/* Listeners may come before the -device they name. */
	assert_int_equal(parse(&cfg, err,
		"--fm", "unix:/tmp/fm1.sock,device=d1",
		"-object", OBJ, "-device", DEV, "-device", DEV1,
		"--fm", "unix:/tmp/fm0.sock",
		"--fm=tcp:127.0.0.1:0,device=d0",
		"--host-socket", "/tmp/h0.sock",
		"--host-socket", "unix:/tmp/h1.sock,device=d1",
		"--host-socket", "tcp::0,device=d1",
		"-host-socket=tcp:localhost:7000,device=d0",
		"--host-socket", "/tmp/a,,b.sock,device=d1", NULL), 0);
	assert_int_equal(cfg.nr_fm, 3);
	assert_string_equal(cfg.fm[0].addr.path, "/tmp/fm1.sock");
	assert_string_equal(cfg.fm[0].device, "d1");
	assert_int_equal(cfg.fm[0].dev, 1);
	assert_string_equal(cfg.fm[0].arg, "unix:/tmp/fm1.sock,device=d1");
	assert_null(cfg.fm[1].device);
	assert_int_equal(cfg.fm[1].dev, 0);
	assert_int_equal(cfg.fm[2].addr.kind, SOCK_TCP);
	assert_string_equal(cfg.fm[2].addr.port, "0");
	assert_int_equal(cfg.fm[2].dev, 0);
	assert_int_equal(cfg.nr_host, 5);
	assert_int_equal(cfg.host[0].addr.kind, SOCK_UNIX);
	assert_string_equal(cfg.host[0].addr.path, "/tmp/h0.sock");
	assert_int_equal(cfg.host[0].dev, 0);
	assert_string_equal(cfg.host[1].addr.path, "/tmp/h1.sock");
	assert_int_equal(cfg.host[1].dev, 1);
	assert_int_equal(cfg.host[2].addr.kind, SOCK_TCP);
	assert_string_equal(cfg.host[2].addr.host, "");
	assert_string_equal(cfg.host[2].addr.port, "0");
	assert_int_equal(cfg.host[2].dev, 1);
	assert_string_equal(cfg.host[3].addr.host, "localhost");
	assert_string_equal(cfg.host[3].addr.port, "7000");
	assert_int_equal(cfg.host[3].dev, 0);
	assert_string_equal(cfg.host[4].addr.path, "/tmp/a,b.sock");   /* ",," is a comma */
	assert_int_equal(cfg.host[4].dev, 1);
	cmdline_fini(&cfg);
}

/* Host-link listener limits: per --host-socket, 0 (the default) when not given. */
static void test_host_socket_limits_are_per_listener(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "--host-socket",
			       "/tmp/h.sock,max-conns=3,hello-timeout-ms=250,max-fds=100", "--host-socket",
			       "tcp:127.0.0.1:0", "--host-socket", "/tmp/h2.sock,max-fds=65536", NULL), 0);
	assert_int_equal(cfg.nr_host, 3);
	assert_int_equal(cfg.host[0].max_conns, 3);
	assert_int_equal(cfg.host[0].hello_timeout_ms, 250);
	assert_int_equal(cfg.host[0].max_fds, 100);
	assert_int_equal(cfg.host[1].max_conns, 0);
	assert_int_equal(cfg.host[1].hello_timeout_ms, 0);
	assert_int_equal(cfg.host[1].max_fds, 0);
	assert_int_equal(cfg.host[2].max_fds, 65536);
	cmdline_fini(&cfg);
	/* the fds a connection's queue may hold: 1 up to the default's cap */
	EXPECT_ERR(L("--host-socket '/tmp/h.sock,max-fds=0'", "invalid value '0' for 'max-fds' (1..65536)"),
		   "-object", OBJ, "-device", DEV, "--host-socket", "/tmp/h.sock,max-fds=0");
	EXPECT_ERR(L("invalid value '65537' for 'max-fds' (1..65536)"), "-object", OBJ, "-device", DEV,
		   "--host-socket", "/tmp/h.sock,max-fds=65537");
	EXPECT_ERR(L("invalid value '1k' for 'max-fds'"), "-object", OBJ, "-device", DEV,
		   "--host-socket", "/tmp/h.sock,max-fds=1k");
	/* a host-link limit: not the FM's */
	EXPECT_ERR(L("--fm", "unknown option 'max-fds' (device, max-conns)"), "-object", OBJ, "-device",
		   DEV, "--fm", "unix:/tmp/f.sock,max-fds=8");
}

#define DEV3 DEV ",num-hosts=3"

/*
 * host.N=USER[:GROUP] binds host N to a user (and group), by name or number;
 * group= is the socket's group.  None given: nothing bound, no group.
 */
static void test_host_socket_binds_host_ids_to_users(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV3, "--host-socket",
			       "/tmp/h.sock,host.0=root,host.2=1000:root,group=4242", "--host-socket",
			       "unix:/tmp/h2.sock,host.1=65534:65534", "--host-socket", "/tmp/h3.sock",
			       NULL), 0);
	assert_int_equal(cfg.nr_host, 3);
	assert_int_equal(cfg.host[0].nr_binds, 2);
	assert_int_equal(cfg.host[0].binds[0].host, 0);
	assert_int_equal(cfg.host[0].binds[0].uid, 0);
	assert_int_equal(cfg.host[0].binds[0].gid, (gid_t)-1);
	assert_int_equal(cfg.host[0].binds[1].host, 2);
	assert_int_equal(cfg.host[0].binds[1].uid, 1000);
	assert_int_equal(cfg.host[0].binds[1].gid, 0);
	assert_true(cfg.host[0].set_group);
	assert_int_equal(cfg.host[0].group, 4242);
	assert_int_equal(cfg.host[1].nr_binds, 1);
	assert_int_equal(cfg.host[1].binds[0].host, 1);
	assert_int_equal(cfg.host[1].binds[0].uid, 65534);
	assert_int_equal(cfg.host[1].binds[0].gid, 65534);
	assert_false(cfg.host[1].set_group);
	assert_int_equal(cfg.host[2].nr_binds, 0);
	assert_false(cfg.host[2].set_group);
	cmdline_fini(&cfg);
	/* the same binding on two listeners of a device is no conflict */
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV3, "--host-socket",
			       "/tmp/h.sock,host.1=7", "--host-socket", "/tmp/h2.sock,host.1=7", NULL), 0);
	assert_false(cfg.host[0].bound_only);
	cmdline_fini(&cfg);
	/*
	 * bound-only=on|off per listener (QEMU's bool words); the bound id may
	 * come from another listener of the device
	 */
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV3, "--host-socket",
			       "/tmp/h.sock,host.1=7,bound-only=on", "--host-socket",
			       "/tmp/h2.sock,bound-only=yes", "--host-socket", "/tmp/h3.sock,bound-only=off",
			       NULL), 0);
	assert_int_equal(cfg.nr_host, 3);
	assert_true(cfg.host[0].bound_only);
	assert_true(cfg.host[1].bound_only);
	assert_false(cfg.host[2].bound_only);
	cmdline_fini(&cfg);
}

static void test_host_socket_binding_errors(void **state)
{
	(void)state;
	EXPECT_ERR(L("--host-socket", "unknown user 'no-such-user-cxldcd'"), "-object", OBJ,
		   "-device", DEV3, "--host-socket", "/tmp/h.sock,host.0=no-such-user-cxldcd");
	EXPECT_ERR(L("--host-socket", "unknown group 'no-such-group-cxldcd'"), "-object", OBJ,
		   "-device", DEV3, "--host-socket", "/tmp/h.sock,host.0=0:no-such-group-cxldcd");
	EXPECT_ERR(L("--host-socket", "unknown group 'no-such-group-cxldcd'"), "-object", OBJ,
		   "-device", DEV3, "--host-socket", "/tmp/h.sock,group=no-such-group-cxldcd");
	EXPECT_ERR(L("--host-socket", "empty user"), "-object", OBJ, "-device", DEV3,
		   "--host-socket", "/tmp/h.sock,host.0=");
	EXPECT_ERR(L("--host-socket", "empty user"), "-object", OBJ, "-device", DEV3,
		   "--host-socket", "/tmp/h.sock,host.0=:0");
	EXPECT_ERR(L("--host-socket", "empty group"), "-object", OBJ, "-device", DEV3,
		   "--host-socket", "/tmp/h.sock,host.0=0:");
	EXPECT_ERR(L("--host-socket", "invalid user id '12x'"), "-object", OBJ, "-device", DEV3,
		   "--host-socket", "/tmp/h.sock,host.0=12x");
	EXPECT_ERR(L("--host-socket", "invalid user id '4294967295'"), "-object", OBJ, "-device",
		   DEV3, "--host-socket", "/tmp/h.sock,host.0=4294967295");
	EXPECT_ERR(L("--host-socket", "invalid group id '-1'"), "-object", OBJ, "-device", DEV3,
		   "--host-socket", "/tmp/h.sock,group=-1");
	EXPECT_ERR(L("--host-socket", "invalid host id in 'host.x'"), "-object", OBJ, "-device",
		   DEV3, "--host-socket", "/tmp/h.sock,host.x=0");
	EXPECT_ERR(L("--host-socket", "invalid host id in 'host.'"), "-object", OBJ, "-device",
		   DEV3, "--host-socket", "/tmp/h.sock,host.=0");
	EXPECT_ERR(L("--host-socket", "invalid host id in 'host.65536'"), "-object", OBJ,
		   "-device", DEV3, "--host-socket", "/tmp/h.sock,host.65536=0");
	EXPECT_ERR(L("--host-socket '/tmp/h.sock,host.3=0'", "host.3: device 'd0' has 3 hosts (0..2)"),
		   "-object", OBJ, "-device", DEV3, "--host-socket", "/tmp/h.sock,host.3=0");
	EXPECT_ERR(L("--host-socket", "host.1 is bound to two users or groups"), "-object", OBJ,
		   "-device", DEV3, "--host-socket", "/tmp/h.sock,host.1=7,host.01=8");
	EXPECT_ERR(L("--host-socket '/tmp/h2.sock,host.1=7:7'", "host.1 is bound to two users or groups"),
		   "-object", OBJ, "-device", DEV3, "--host-socket", "/tmp/h.sock,host.1=7",
		   "--host-socket", "/tmp/h2.sock,host.1=7:7");
	EXPECT_ERR(L("--host-socket", "host.N= needs a Unix socket (TCP has no peer credentials)"),
		   "-object", OBJ, "-device", DEV3, "--host-socket", "tcp:127.0.0.1:0,host.0=0");
	EXPECT_ERR(L("--host-socket", "group= needs a Unix socket"), "-object", OBJ, "-device",
		   DEV3, "--host-socket", "tcp:127.0.0.1:0,group=0");
	EXPECT_ERR(L("--fm", "unknown option 'host.0' (device, max-conns)"), "-object", OBJ,
		   "-device", DEV3, "--fm", "unix:/tmp/f.sock,host.0=0");
	EXPECT_ERR(L("--host-socket", "invalid value 'maybe' for 'bound-only' (on/off)"), "-object",
		   OBJ, "-device", DEV3, "--host-socket", "/tmp/h.sock,host.0=0,bound-only=maybe");
	EXPECT_ERR(L("--host-socket", "invalid value '' for 'bound-only' (on/off)"), "-object",
		   OBJ, "-device", DEV3, "--host-socket", "/tmp/h.sock,host.0=0,bound-only=");
	EXPECT_ERR(L("--host-socket", "bound-only=on needs a Unix socket (TCP has no peer credentials)"),
		   "-object", OBJ, "-device", DEV3, "--host-socket", "tcp:127.0.0.1:0,bound-only=on");
	EXPECT_ERR(L("--host-socket '/tmp/h.sock,bound-only=on'",
		     "bound-only=on: no host id of device 'd0' is bound (host.N=USER)"),
		   "-object", OBJ, "-device", DEV3, "--host-socket", "/tmp/h.sock,bound-only=on");
	EXPECT_ERR(L("--fm", "unknown option 'bound-only' (device, max-conns)"), "-object", OBJ,
		   "-device", DEV3, "--fm", "unix:/tmp/f.sock,bound-only=on");
}

/* QMP and FM listener limits: per listener, 0 (the default) when not given. */
static void test_qmp_and_fm_limits_are_per_listener(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "-qmp",
			       "unix:/tmp/q.sock,server,wait=off,max-conns=7", "-qmp",
			       "tcp:127.0.0.1:0,server=on,wait=off", "--fm", "unix:/tmp/f.sock,max-conns=2",
			       "--fm", "tcp:127.0.0.1:0", NULL), 0);
	assert_int_equal(cfg.nr_qmp, 2);
	assert_int_equal(cfg.qmp_max_conns[0], 7);
	assert_int_equal(cfg.qmp_max_conns[1], 0);
	assert_int_equal(cfg.nr_fm, 2);
	assert_int_equal(cfg.fm[0].max_conns, 2);
	assert_int_equal(cfg.fm[1].max_conns, 0);
	cmdline_fini(&cfg);
}

static void test_listener_errors_name_the_listener(void **state)
{
	(void)state;
	EXPECT_ERR(L("--fm 'unix:/tmp/f.sock,device=nope'", "device 'nope' is not a -device id"),
		   "-object", OBJ, "-device", DEV, "--fm", "unix:/tmp/f.sock,device=nope");
	EXPECT_ERR(L("--host-socket '/tmp/h.sock,device=d9'", "device 'd9' is not a -device id"),
		   "-object", OBJ, "-device", DEV, "--host-socket", "/tmp/h.sock,device=d9");
	EXPECT_ERR(L("--fm", "there is no -device to serve"), "--fm", "unix:/tmp/f.sock");
	EXPECT_ERR(L("--fm 'unix:/tmp/f.sock,device=d0'", "device 'd0' is not a -device id"), "--fm",
		   "unix:/tmp/f.sock,device=d0");
	EXPECT_ERR(L("--host-socket", "there is no -device to serve"), "--host-socket", "/tmp/h.sock");
	EXPECT_ERR(L("--fm", "unknown option 'dev' (device, max-conns)"), "--fm", "unix:/tmp/f.sock,dev=d0");
	EXPECT_ERR(L("--host-socket", "unknown option 'server' (device, max-conns, hello-timeout-ms, max-fds, host.N, group, bound-only)"),
		   "--host-socket", "unix:/tmp/h.sock,server");
	EXPECT_ERR(L("--host-socket", "invalid value '0' for 'max-conns' (1..4294967295)"),
		   "--host-socket", "unix:/tmp/h.sock,max-conns=0");
	EXPECT_ERR(L("--host-socket", "invalid value '5s' for 'hello-timeout-ms'"), "--host-socket",
		   "unix:/tmp/h.sock,hello-timeout-ms=5s");
	EXPECT_ERR(L("--fm", "unknown option 'hello-timeout-ms' (device, max-conns)"), "--fm",
		   "unix:/tmp/f.sock,hello-timeout-ms=4");
	EXPECT_ERR(L("--fm", "invalid value '0' for 'max-conns' (1..4294967295)"), "--fm",
		   "unix:/tmp/f.sock,max-conns=0");
	EXPECT_ERR(L("-qmp", "invalid value 'x' for 'max-conns' (1..4294967295)"), "-qmp",
		   "unix:/tmp/q.sock,server,wait=off,max-conns=x");
	EXPECT_ERR(L("-qmp", "invalid parameter 'hello-timeout-ms' (QEMU's socket options, and max-conns)"), "-qmp",
		   "unix:/tmp/q.sock,server,hello-timeout-ms=4");
	EXPECT_ERR(L("--host-socket", "invalid device id '0d'"), "--host-socket", "/tmp/h.sock,device=0d");
	EXPECT_ERR(L("--host-socket", "property 'device' given twice"), "--host-socket",
		   "/tmp/h.sock,device=d0,device=d0");
	EXPECT_ERR(L("--host-socket", "empty element"), "--host-socket", "/tmp/h.sock,");
	EXPECT_ERR(L("--host-socket", "empty path"), "--host-socket", ",device=d0");
	EXPECT_ERR(L("--host-socket", "longer than 107"), "--host-socket",
		   "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	EXPECT_ERR(L("--host-socket", "IPv4 only"), "--host-socket", "tcp:[::1]:7000");
	EXPECT_ERR(L("--host-socket", "port must be a number"), "--host-socket", "tcp:localhost:x");
	EXPECT_ERR(L("--fm", "expected unix:PATH"), "--fm", "/tmp/f.sock,device=d0");
	/* One socket file for two listeners, whichever options. */
	EXPECT_ERR(L("socket path '/tmp/s.sock' is given twice (--fm and --host-socket)"),
		   "-object", OBJ, "-device", DEV, "--fm", "unix:/tmp/s.sock",
		   "--host-socket", "/tmp/s.sock");
	EXPECT_ERR(L("socket path '/tmp/s.sock' is given twice (--host-socket and --host-socket)"),
		   "-object", OBJ, "-device", DEV, "--host-socket", "/tmp/s.sock",
		   "--host-socket", "unix:/tmp/s.sock,device=d0");
	EXPECT_ERR(L("socket path '/tmp/s.sock' is given twice (-qmp and --fm)"),
		   "-object", OBJ, "-device", DEV, "-qmp", "unix:/tmp/s.sock,server",
		   "--fm", "unix:/tmp/s.sock");
}

static void test_mctp_serial_takes_pty_and_a_device(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "-device",
			       "cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=1G",
			       "--mctp-serial", "pty", "--mctp-serial", "pty,device=d1,eid=0x20", NULL),
			 0);
	assert_int_equal(cfg.nr_mctp_serial, 2);
	assert_int_equal(cfg.mctp_serial[0].dev, 0);
	assert_null(cfg.mctp_serial[0].device);
	assert_int_equal(cfg.mctp_serial[1].dev, 1);
	assert_string_equal(cfg.mctp_serial[1].arg, "pty,device=d1,eid=0x20");
	assert_int_equal(cfg.mctp_serial[0].eid, 0);
	assert_int_equal(cfg.mctp_serial[1].eid, 0x20);
	cmdline_fini(&cfg);
	EXPECT_ERR(L("--mctp-serial 'tty'", "only 'pty' is supported"), "-object", OBJ, "-device",
		   DEV, "--mctp-serial", "tty");
	EXPECT_ERR(L("--mctp-serial 'ptyx'", "only 'pty' is supported"), "--mctp-serial", "ptyx");
	EXPECT_ERR(L("--mctp-serial", "unknown option 'tag' (device, eid)"), "--mctp-serial",
		   "pty,tag=9");
	EXPECT_ERR(L("--mctp-serial", "eid '7' is not 8..254"), "--mctp-serial", "pty,eid=7");
	EXPECT_ERR(L("--mctp-serial", "eid '255' is not 8..254"), "--mctp-serial", "pty,eid=255");
	/* a wrapped negative number or one after white space is not an EID (strtoul() took them) */
	EXPECT_ERR(L("--mctp-serial", "eid '-18446744073709551607' is not 8..254"), "--mctp-serial",
		   "pty,eid=-18446744073709551607");
	EXPECT_ERR(L("--mctp-serial", "eid ' 9' is not 8..254"), "--mctp-serial", "pty,eid= 9");
	EXPECT_ERR(L("--mctp-serial 'pty,device=d9'", "device 'd9' is not a -device id"),
		   "-object", OBJ, "-device", DEV, "--mctp-serial", "pty,device=d9");
	EXPECT_ERR(L("--mctp-serial", "there is no -device to serve"), "--mctp-serial", "pty");
}

static void test_socket_errors_name_the_address(void **state)
{
	(void)state;
	EXPECT_ERR(L("-qmp", "only server mode"), "-qmp", "unix:/tmp/q.sock");
	EXPECT_ERR(L("-qmp", "only server mode"), "-qmp", "unix:/tmp/q.sock,server=off");
	EXPECT_ERR(L("-qmp 'tcp::4444,server,telnet'", "telnet=on: QMP is served as plain JSON"), "-qmp",
		   "tcp::4444,server,telnet");
	EXPECT_ERR(L("invalid value 'maybe' for 'wait'"), "-qmp", "tcp::4444,server,wait=maybe");
	EXPECT_ERR(L("expected unix:PATH or tcp:HOST:PORT"), "-qmp", "stdio,server");
	EXPECT_ERR(L("port must be a number"), "-qmp", "tcp:localhost:99999,server");
	EXPECT_ERR(L("port must be a number"), "-qmp", "tcp:localhost:,server");
	EXPECT_ERR(L("expected tcp:HOST:PORT"), "-qmp", "tcp:4444,server");
	EXPECT_ERR(L("expected tcp:[IPV6]:PORT"), "-qmp", "tcp:[::1,server");
	EXPECT_ERR(L("empty socket path"), "--fm", "unix:");
	EXPECT_ERR(L("longer than 107"), "--fm", "unix:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	EXPECT_ERR(L("must come first"), "-qmp", "path=unix:/x,server");
	EXPECT_ERR(L("--fm", "expected unix:PATH"), "--fm", "/tmp/fm.sock");
}

/*
 * QEMU's socket chardev options after a -qmp address: ipv4=/ipv6= choose
 * the family bound (QEMU's rule), to= a port range; the options that only
 * tune what we do or belong to other backends are noted as ignored, with why.
 */
static void test_qmp_takes_qemus_socket_options(void **state)
{
	static const struct {
		const char *opts;
		enum sock_family family;
	} fam[] = {
		{ "", SOCK_FAMILY_ANY },
		{ ",ipv4=on", SOCK_FAMILY_IPV4 },
		{ ",ipv4", SOCK_FAMILY_IPV4 },
		{ ",ipv6=off", SOCK_FAMILY_IPV4 },
		{ ",ipv6=on", SOCK_FAMILY_IPV6 },
		{ ",ipv4=off", SOCK_FAMILY_IPV6_ONLY },
		{ ",ipv6=on,ipv4=off", SOCK_FAMILY_IPV6_ONLY },
		{ ",ipv4=on,ipv6=on", SOCK_FAMILY_ANY },
	};
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX], arg[128];

	(void)state;
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		snprintf(arg, sizeof(arg), "tcp:localhost:4444,server=on,wait=off%s", fam[i].opts);
		assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "-qmp", arg, NULL), 0);
		assert_int_equal(cfg.nr_qmp, 1);
		if (cfg.qmp[0].family != fam[i].family)
			fail_msg("%s: family %d, not %d", arg, cfg.qmp[0].family, fam[i].family);
		assert_int_equal(cfg.qmp[0].port_to, 0);
		assert_int_equal(cfg.nr_ignored, 0);
		cmdline_fini(&cfg);
	}
	/* to=: the last port to try; the rest noted as ignored, in order */
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "-qmp",
			       "tcp:127.0.0.1:4444,server,nowait,to=4450,nodelay=on,mux=on,logfile=/tmp/q.log",
			       "-qmp", "unix:/tmp/q.sock,server=on,wait=off,ipv4=on,tight=off,nodelay,to=9",
			       NULL), 0);
	assert_int_equal(cfg.nr_qmp, 2);
	assert_string_equal(cfg.qmp[0].port, "4444");
	assert_int_equal(cfg.qmp[0].port_to, 4450);
	assert_int_equal(cfg.qmp[0].family, SOCK_FAMILY_ANY);
	assert_string_equal(cfg.qmp[1].path, "/tmp/q.sock");
	assert_int_equal(cfg.nr_ignored, 7);
	expect_ignored(&cfg, 0, "nodelay=on (-qmp tcp:127.0.0.1:4444,server,nowait,to=4450,nodelay=on,"
		       "mux=on,logfile=/tmp/q.log)", "TCP_NODELAY");
	expect_ignored(&cfg, 1, "mux=on (-qmp tcp:127.0.0.1:4444,server,nowait,to=4450,nodelay=on,"
		       "mux=on,logfile=/tmp/q.log)", "only QMP uses the socket");
	expect_ignored(&cfg, 2, "logfile=/tmp/q.log (-qmp tcp:127.0.0.1:4444,server,nowait,to=4450,"
		       "nodelay=on,mux=on,logfile=/tmp/q.log)", "--trace=qmp");
	expect_ignored(&cfg, 3, "tight=off (-qmp unix:/tmp/q.sock,server=on,wait=off,ipv4=on,tight=off,"
		       "nodelay,to=9)", "only applies with abstract=on");
	/* QEMU's "noX" flag form: nodelay is delay=off */
	expect_ignored(&cfg, 4, "delay=off (-qmp unix:/tmp/q.sock,server=on,wait=off,ipv4=on,tight=off,"
		       "nodelay,to=9)", "TCP_NODELAY");
	/* a Unix socket has no family: noted after its other options */
	expect_ignored(&cfg, 5, "ipv4=on (-qmp unix:/tmp/q.sock,server=on,wait=off,ipv4=on,tight=off,"
		       "nodelay,to=9)", "a Unix socket has no address family");
	expect_ignored(&cfg, 6, "to=9 (-qmp unix:/tmp/q.sock,server=on,wait=off,ipv4=on,tight=off,"
		       "nodelay,to=9)", "a Unix socket has no address family or port");
	assert_int_equal(cfg.qmp[1].port_to, 0);
	cmdline_fini(&cfg);
	/* off is what we do: accepted silently */
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "-qmp",
			       "tcp::0,server,wait=off,telnet=off,websocket=off,tn3270=off,abstract=off",
			       NULL), 0);
	assert_int_equal(cfg.nr_qmp, 1);
	assert_int_equal(cfg.nr_ignored, 0);
	cmdline_fini(&cfg);
}

static void test_qmp_refuses_socket_options_it_cannot_honour(void **state)
{
	(void)state;
	/* QEMU's texts */
	EXPECT_ERR(L("-qmp 'tcp::4444,server,ipv4=off,ipv6=off'", "Cannot disable IPv4 and IPv6 at same time"),
		   "-qmp", "tcp::4444,server,ipv4=off,ipv6=off");
	EXPECT_ERR(L("'reconnect' option is incompatible with socket in server listen mode"), "-qmp",
		   "tcp::4444,server,reconnect=5");
	EXPECT_ERR(L("'reconnect-ms' option is incompatible with socket in server listen mode"), "-qmp",
		   "unix:/tmp/q.sock,server,reconnect-ms=500");
	EXPECT_ERR(L("invalid parameter 'keep-alive'"), "-qmp", "tcp::4444,server,keep-alive=on");
	/* a protocol on the socket, or a socket we cannot make */
	EXPECT_ERR(L("tls-creds: TLS is not supported"), "-qmp", "tcp::4444,server,tls-creds=tls0");
	EXPECT_ERR(L("tls-authz: TLS is not supported"), "-qmp", "tcp::4444,server,tls-authz=auth0");
	EXPECT_ERR(L("websocket=on: QMP is served as plain JSON"), "-qmp", "tcp::4444,server,websocket=on");
	EXPECT_ERR(L("tn3270=on: QMP is served as plain JSON"), "-qmp", "tcp::4444,server,tn3270");
	EXPECT_ERR(L("abstract=on: Linux abstract socket names are not supported"), "-qmp",
		   "unix:qmp,server,abstract=on");
	EXPECT_ERR(L("fd: a socket passed in by the parent (fd=) is not supported"), "-qmp",
		   "tcp::4444,server,fd=3");
	/* values */
	EXPECT_ERR(L("invalid value 'maybe' for 'ipv4' (on/off)"), "-qmp", "tcp::4444,server,ipv4=maybe");
	EXPECT_ERR(L("invalid value '0' for 'to' (1..65535)"), "-qmp", "tcp::4444,server,to=0");
	EXPECT_ERR(L("invalid value '70000' for 'to' (1..65535)"), "-qmp", "tcp::4444,server,to=70000");
	EXPECT_ERR(L("invalid value 'x' for 'to' (a number)"), "-qmp", "tcp::4444,server,to=x");
	EXPECT_ERR(L("to=4000 is below the port 4444"), "-qmp", "tcp::4444,server,to=4000");
	EXPECT_ERR(L("invalid value 'x' for 'rows' (a number)"), "-qmp", "tcp::4444,server,rows=x");
	/* a client socket stays refused, whatever else is given */
	EXPECT_ERR(L("only server mode"), "-qmp", "tcp::4444,ipv4=on");
}

/*
 * A -chardev socket that a -mon mode=control uses takes the same options,
 * and its messages and notes name the -chardev; an unused one is ignored
 * whole, whatever it holds (it is the guest's).
 */
static void test_chardev_of_a_qmp_monitor_takes_the_socket_options(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "-chardev",
			       "socket,id=q0,host=127.0.0.1,port=5551,server=on,wait=off,ipv4=on,to=5560,"
			       "logappend=on", "-mon", "chardev=q0,mode=control",
			       "-chardev", "socket,id=g0,port=1,server=on,tls-creds=t0,keep-alive=on", NULL), 0);
	assert_int_equal(cfg.nr_qmp, 1);
	assert_string_equal(cfg.qmp[0].host, "127.0.0.1");
	assert_string_equal(cfg.qmp[0].port, "5551");
	assert_int_equal(cfg.qmp[0].family, SOCK_FAMILY_IPV4);
	assert_int_equal(cfg.qmp[0].port_to, 5560);
	assert_int_equal(cfg.nr_ignored, 2);
	expect_ignored(&cfg, 0, "logappend=on (-chardev socket,id=q0,host=127.0.0.1,port=5551,server=on,"
		       "wait=off,ipv4=on,to=5560,logappend=on)", "--trace=qmp");
	expect_ignored(&cfg, 1, "-chardev socket,id=g0,port=1,server=on,tls-creds=t0,keep-alive=on",
		       "no -mon mode=control uses");
	cmdline_fini(&cfg);
	EXPECT_ERR(L("-chardev 'socket,id=q0,path=/tmp/q.sock,server=on,tls-creds=t0'",
		     "tls-creds: TLS is not supported"), "-chardev",
		   "socket,id=q0,path=/tmp/q.sock,server=on,tls-creds=t0", "-mon", "chardev=q0,mode=control");
	EXPECT_ERR(L("-chardev 'socket,id=q0,port=1,server=on,keep-alive=on'", "invalid parameter 'keep-alive'"),
		   "-chardev", "socket,id=q0,port=1,server=on,keep-alive=on", "-mon", "chardev=q0,mode=control");
	EXPECT_ERR(L("-chardev", "Cannot disable IPv4 and IPv6 at same time"), "-chardev",
		   "socket,id=q0,port=1,server=on,ipv4=off,ipv6=off", "-mon", "chardev=q0,mode=control");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listeners_name_their_device),
		cmocka_unit_test(test_mctp_cci_listeners_and_their_defaults),
		cmocka_unit_test(test_host_socket_limits_are_per_listener),
		cmocka_unit_test(test_qmp_and_fm_limits_are_per_listener),
		cmocka_unit_test(test_listener_errors_name_the_listener),
		cmocka_unit_test(test_host_socket_binds_host_ids_to_users),
		cmocka_unit_test(test_host_socket_binding_errors),
		cmocka_unit_test(test_mctp_serial_takes_pty_and_a_device),
		cmocka_unit_test(test_socket_errors_name_the_address),
		cmocka_unit_test(test_qmp_takes_qemus_socket_options),
		cmocka_unit_test(test_qmp_refuses_socket_options_it_cannot_honour),
		cmocka_unit_test(test_chardev_of_a_qmp_monitor_takes_the_socket_options),
	};

	return cmocka_run_group_tests_name("cmdline-listen", tests, NULL, NULL);
}
