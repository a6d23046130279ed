/* SPDX-License-Identifier: MIT */
/*
 * test-cmdline.c - the command-line parser: every option, the defaults, and
 * an error naming the bad argument for each way an argument can be wrong.
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

static int parse(struct cmdline_cfg *cfg, char *err, const char *first, ...)
{
	char *argv[32] = { "cxldcd" };
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	return cmdline_parse(argc, argv, "/run/user/1000/cxldcd", cfg, err, CMDLINE_ERR_MAX);
}

/* Parsing must fail and the message must contain every @needle. */
#define EXPECT_ERR(needles, ...) do { \
	struct cmdline_cfg cfg_; \
	char err_[CMDLINE_ERR_MAX]; \
	const char *n_[] = needles; \
	assert_int_equal(parse(&cfg_, err_, __VA_ARGS__, NULL), -EINVAL); \
	for (size_t i_ = 0; i_ < sizeof(n_) / sizeof(n_[0]); i_++) { \
		if (!strstr(err_, n_[i_])) \
			fail_msg("error '%s' lacks '%s'", err_, n_[i_]); \
	} \
	cmdline_fini(&cfg_); \
} while (0)
#define L(...) { __VA_ARGS__ }

#define OBJ "memory-backend-ram,id=m0,size=1G"
#define DEV "cxl-type3,id=d0,num-dc-regions=2,volatile-dc-memdev=m0"

static void test_no_arguments_give_the_default_device(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];
	char *argv[] = { "cxldcd" };

	(void)state;
	assert_int_equal(cmdline_parse(1, argv, "/run/user/1000/cxldcd", &cfg, err, sizeof(err)), 0);
	assert_true(cfg.defaults);
	assert_int_equal(cfg.nr_objects, 1);
	assert_int_equal(cfg.objects[0].type, CMDLINE_OBJ_MEMFD);
	assert_int_equal(cfg.objects[0].size, 8ull << 30);
	assert_true(cfg.objects[0].share);
	assert_int_equal(cfg.nr_devices, 1);
	assert_string_equal(cfg.devices[0].id, "cxl-dcd0");
	assert_int_equal(cfg.devices[0].num_dc_regions, 2);
	assert_int_equal(cfg.devices[0].num_hosts, 2);
	assert_string_equal(cfg.devices[0].volatile_dc_memdev, "dc-mem0");
	assert_int_equal(cfg.nr_qmp, 1);
	assert_string_equal(cfg.qmp[0].path, "/run/user/1000/cxldcd/qmp.sock");
	assert_int_equal(cfg.nr_fm, 1);
	assert_string_equal(cfg.fm[0].addr.path, "/run/user/1000/cxldcd/fm.sock");
	assert_null(cfg.fm[0].device);
	assert_int_equal(cfg.fm[0].dev, 0);
	assert_int_equal(cfg.nr_host, 1);
	assert_int_equal(cfg.host[0].addr.kind, SOCK_UNIX);
	assert_string_equal(cfg.host[0].addr.path, "/run/user/1000/cxldcd/host.sock");
	assert_int_equal(cfg.host[0].dev, 0);
	assert_true(cfg.uses_runtime_dir);
	assert_string_equal(cfg.runtime_dir, "/run/user/1000/cxldcd");
	cmdline_fini(&cfg);
}

static void test_full_command_line(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];
	const struct cmdline_device *d;

	(void)state;
	assert_int_equal(parse(&cfg, err,
		"-object", "memory-backend-memfd,id=mem0,size=8G,share=off,hugetlb=yes",
		"-object", "memory-backend-file,id=f0,size=512M,mem-path=/dev/shm/a,,b,share=on",
		"--object", "memory-backend-tagged,id=t0,size=1g,tag=5BE13BCE-AE34-4A77-B6C3-16DF975FCF1A",
		"-object", "{\"qom-type\":\"memory-backend-ram\",\"id\":\"j0\",\"size\":1048576,\"share\":true}",
		"-device", "cxl-type3,bus=rp0,id=cxl-vmem0,num-dc-regions=2,volatile-dc-memdev=mem0,"
			   "num-hosts=4,dc-block-size=2M,max-extents=1000000,max-tags=64,"
			   "event-log-depth=64,mbox-payload-size=1M,seq-one-based=on,"
			   "sanitize-on-release=true,sharable,pending-timeout-ms=5000,sn=0x1234,"
			   "trusted-hosts=on",
		"-device", "cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=4G",
		"-qmp", "unix:/tmp/q.sock,server,wait=off",
		"-qmp", "tcp:localhost:4444,server=on,nowait",
		"-qmp=tcp::0,server",
		"--fm", "unix:/tmp/fm.sock", "--fm=tcp:[::1]:9000",
		"--host-socket", "/tmp/host.sock", "--state=/var/lib/cxldcd",
		"--trace=cci,qmp", "-trace", "host", NULL), 0);
	assert_false(cfg.defaults);
	assert_false(cfg.uses_runtime_dir);
	assert_int_equal(cfg.nr_objects, 4);
	assert_false(cfg.objects[0].share);
	assert_true(cfg.objects[0].hugetlb);
	assert_string_equal(cfg.objects[1].mem_path, "/dev/shm/a,b");
	assert_true(cfg.objects[1].share);
	assert_string_equal(cmdline_object_prop(&cfg.objects[1], "size"), "512M");
	assert_true(cfg.objects[2].has_tag);
	assert_string_equal(cfg.objects[2].tag, "5be13bce-ae34-4a77-b6c3-16df975fcf1a");
	assert_int_equal(cfg.objects[2].tag_bytes[0], 0x5b);
	assert_int_equal(cfg.objects[2].size, 1ull << 30);
	assert_int_equal(cfg.objects[3].size, 1048576);
	assert_true(cfg.objects[3].share);
	assert_int_equal(cfg.nr_devices, 2);
	d = &cfg.devices[0];
	assert_string_equal(d->id, "cxl-vmem0");
	assert_int_equal(d->num_hosts, 4);
	assert_int_equal(d->dc_block_size, 2u << 20);
	assert_int_equal(d->max_extents, 1000000);
	assert_int_equal(d->max_tags, 64);
	assert_int_equal(d->event_log_depth, 64);
	assert_int_equal(d->mbox_payload_size, 1u << 20);
	assert_true(d->seq_one_based && d->sanitize_on_release && d->sharable);
	assert_int_equal(d->pending_timeout_ms, 5000);
	assert_int_equal(d->sn, 0x1234);
	assert_string_equal(d->bus, "rp0");
	assert_true(d->set & CMDLINE_DEV_SHARABLE);
	assert_false(d->set & CMDLINE_DEV_DC_REGIONS_TOTAL_SIZE);
	assert_true(d->trusted_hosts);
	assert_true(d->set & CMDLINE_DEV_TRUSTED_HOSTS);
	assert_int_equal(d->nr_props, 16);
	assert_int_equal(cfg.devices[1].dc_regions_total_size, 4ull << 30);
	assert_false(cfg.devices[1].trusted_hosts); /* default: hosts are not trusted */
	assert_int_equal(cfg.nr_qmp, 3);
	assert_int_equal(cfg.qmp[0].kind, SOCK_UNIX);
	assert_string_equal(cfg.qmp[1].host, "localhost");
	assert_string_equal(cfg.qmp[1].port, "4444");
	assert_string_equal(cfg.qmp[2].host, "");
	assert_string_equal(cfg.qmp[2].port, "0");
	assert_int_equal(cfg.nr_fm, 2);
	assert_string_equal(cfg.fm[1].addr.host, "::1");
	assert_int_equal(cfg.fm[0].dev, 0);
	assert_int_equal(cfg.fm[1].dev, 0);
	assert_int_equal(cfg.nr_host, 1);
	assert_int_equal(cfg.host[0].addr.kind, SOCK_UNIX);
	assert_string_equal(cfg.host[0].addr.path, "/tmp/host.sock");
	assert_string_equal(cfg.host[0].arg, "/tmp/host.sock");
	assert_string_equal(cfg.state_dir, "/var/lib/cxldcd");
	assert_int_equal(cfg.trace, CMDLINE_TRACE_CCI | CMDLINE_TRACE_QMP | CMDLINE_TRACE_HOST);
	cmdline_fini(&cfg);
}

/*
 * A pasted QEMU command line (-object, -device, no --fm, no --host-socket)
 * gets QMP, FM and host-link sockets in the runtime directory, one FM and
 * one host link per device; "none" turns the FM or host-link defaults off.
 */
static void test_sockets_default_to_runtime_dir_when_absent(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "-device",
			       "cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=1G", NULL), 0);
	assert_false(cfg.defaults);
	assert_true(cfg.uses_runtime_dir);
	assert_int_equal(cfg.nr_qmp, 1);
	assert_string_equal(cfg.qmp[0].path, "/run/user/1000/cxldcd/qmp.sock");
	assert_int_equal(cfg.nr_fm, 2);
	assert_string_equal(cfg.fm[0].addr.path, "/run/user/1000/cxldcd/fm.sock");
	assert_int_equal(cfg.fm[0].dev, 0);
	assert_string_equal(cfg.fm[1].addr.path, "/run/user/1000/cxldcd/fm-d1.sock");
	assert_int_equal(cfg.fm[1].dev, 1);
	assert_int_equal(cfg.nr_host, 2);
	assert_string_equal(cfg.host[0].addr.path, "/run/user/1000/cxldcd/host.sock");
	assert_int_equal(cfg.host[0].dev, 0);
	assert_string_equal(cfg.host[1].addr.path, "/run/user/1000/cxldcd/host-d1.sock");
	assert_string_equal(cfg.host[1].arg, "unix:/run/user/1000/cxldcd/host-d1.sock");
	assert_int_equal(cfg.host[1].dev, 1);
	cmdline_fini(&cfg);

	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "--fm", "none",
			       "--host-socket", "none", "-qmp", "unix:/tmp/q.sock,server", NULL), 0);
	assert_int_equal(cfg.nr_fm, 0);
	assert_int_equal(cfg.nr_host, 0);
	assert_false(cfg.uses_runtime_dir);
	cmdline_fini(&cfg);

	/* An explicit --fm: no default FM socket, the host link still defaults. */
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", DEV, "--fm",
			       "unix:/tmp/f.sock", NULL), 0);
	assert_int_equal(cfg.nr_fm, 1);
	assert_string_equal(cfg.fm[0].addr.path, "/tmp/f.sock");
	assert_int_equal(cfg.nr_host, 1);
	cmdline_fini(&cfg);
}

static void test_log_daemon_options(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "--log-level", "debug", "--log-file=/tmp/l",
			       "--daemonize", "--pidfile", "/tmp/p", NULL), 0);
	assert_true(cfg.has_log_level);
	assert_int_equal(cfg.log_level, LOG_DEBUG);
	assert_string_equal(cfg.log_file, "/tmp/l");
	assert_string_equal(cfg.pidfile, "/tmp/p");
	assert_true(cfg.daemonize);
	cmdline_fini(&cfg);
	assert_int_equal(parse(&cfg, err, "-log-level=warning", NULL), 0);
	assert_int_equal(cfg.log_level, LOG_WARNING);
	cmdline_fini(&cfg);
	EXPECT_ERR(L("--log-level 'loud': unknown level (error, warning, notice, info, debug)"),
		   "--log-level", "loud");
	EXPECT_ERR(L("option '--daemonize' takes no value"), "--daemonize=1");
}

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
	EXPECT_ERR(L("--mctp-serial 'pty,device=d9'", "device 'd9' is not a -device id"),
		   "-object", OBJ, "-device", DEV, "--mctp-serial", "pty,device=d9");
	EXPECT_ERR(L("--mctp-serial", "there is no -device to serve"), "--mctp-serial", "pty");
}

static void test_help_and_version(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "--help", NULL), 0);
	assert_true(cfg.help);
	cmdline_fini(&cfg);
	assert_int_equal(parse(&cfg, err, "-version", NULL), 0);
	assert_true(cfg.version);
	cmdline_fini(&cfg);
	assert_non_null(strstr(cmdline_usage(), "-qmp"));
	/* A host link's listener keeps num-hosts + 64 (src/server/main-listen.c), not 64. */
	assert_non_null(strstr(cmdline_usage(), "max-conns (num-hosts + 64)"));
	assert_non_null(strstr(cmdline_usage(), "--help, -h, --version, -V"));
}

static void test_value_parsers(void **state)
{
	uint64_t v;
	bool b;

	(void)state;
	assert_int_equal(cmdline_parse_size("4G", &v), 0);
	assert_int_equal(v, 4ull << 30);
	assert_int_equal(cmdline_parse_size("2m", &v), 0);
	assert_int_equal(v, 2u << 20);
	assert_int_equal(cmdline_parse_size("1T", &v), 0);
	assert_int_equal(v, 1ull << 40);
	assert_int_equal(cmdline_parse_size("7K", &v), 0);
	assert_int_equal(v, 7 << 10);
	assert_int_equal(cmdline_parse_size("100b", &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(cmdline_parse_size("0x1000", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(cmdline_parse_size("16E", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("-1", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("4GB", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("G", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("99999999999999999999", &v), -EINVAL);
	for (const char *const *s = (const char *const[]){ "on", "yes", "true", NULL }; *s; s++) {
		assert_int_equal(cmdline_parse_bool(*s, &b), 0);
		assert_true(b);
	}
	for (const char *const *s = (const char *const[]){ "off", "no", "false", NULL }; *s; s++) {
		assert_int_equal(cmdline_parse_bool(*s, &b), 0);
		assert_false(b);
	}
	assert_int_equal(cmdline_parse_bool("1", &b), -EINVAL);
}

static void test_runtime_dir_follows_xdg(void **state)
{
	char buf[256], want[64];

	(void)state;
	setenv("XDG_RUNTIME_DIR", "/run/user/42", 1);
	cmdline_runtime_dir(buf, sizeof(buf));
	assert_string_equal(buf, "/run/user/42/cxldcd");
	unsetenv("XDG_RUNTIME_DIR");
	cmdline_runtime_dir(buf, sizeof(buf));
	snprintf(want, sizeof(want), "/tmp/cxldcd-%u", (unsigned)getuid());
	assert_string_equal(buf, want);
	/* a relative XDG_RUNTIME_DIR is ignored, as the XDG spec asks */
	setenv("XDG_RUNTIME_DIR", "run", 1);
	cmdline_runtime_dir(buf, sizeof(buf));
	assert_string_equal(buf, want);
	unsetenv("XDG_RUNTIME_DIR");
}

static void test_option_errors_name_the_option(void **state)
{
	(void)state;
	EXPECT_ERR(L("unknown option '-bogus'"), "-bogus", "4G");
	/* QEMU's guest options are ignored, but take their value as QEMU does */
	EXPECT_ERR(L("option '-m' needs a value"), "-m");
	EXPECT_ERR(L("option '-nographic' takes no value"), "-nographic=on");
	EXPECT_ERR(L("unexpected argument 'stray'"), "stray");
	EXPECT_ERR(L("option '-qmp' needs a value"), "-qmp");
	EXPECT_ERR(L("option '--version' takes no value"), "--version=1");
	EXPECT_ERR(L("--trace", "unknown trace category 'disk'"), "--trace=cci,disk");
	EXPECT_ERR(L("--host-socket", "empty path"), "--host-socket", "");
	EXPECT_ERR(L("--state", "given twice"), "--state", "/a", "--state", "/b");
}

static void test_object_errors_name_the_property(void **state)
{
	(void)state;
	EXPECT_ERR(L("-object", "unknown object type 'memory-backend-foo'"), "-object", "memory-backend-foo,id=a,size=1G");
	EXPECT_ERR(L("-object", "qom-type is required"), "-object", "{\"id\":\"a\"}");
	EXPECT_ERR(L("-object", "invalid JSON"), "-object", "{\"id\":");
	EXPECT_ERR(L("-object", "id= is required"), "-object", "memory-backend-ram,size=1G");
	EXPECT_ERR(L("invalid id '0a'"), "-object", "memory-backend-ram,id=0a,size=1G");
	EXPECT_ERR(L("size= is required"), "-object", "memory-backend-ram,id=a");
	EXPECT_ERR(L("invalid size '4X' for 'size'"), "-object", "memory-backend-ram,id=a,size=4X");
	EXPECT_ERR(L("invalid value 'maybe' for 'share'"), "-object", "memory-backend-ram,id=a,size=1G,share=maybe");
	EXPECT_ERR(L("invalid UUID 'xyz' for 'tag'"), "-object", "memory-backend-ram,id=a,size=1G,tag=xyz");
	EXPECT_ERR(L("unknown property 'mem-path'"), "-object", "memory-backend-ram,id=a,size=1G,mem-path=/x");
	EXPECT_ERR(L("unknown property 'colour'"), "-object", "memory-backend-memfd,id=a,size=1G,colour=red");
	EXPECT_ERR(L("mem-path= is required"), "-object", "memory-backend-file,id=a,size=1G");
	EXPECT_ERR(L("tag= is required"), "-object", "memory-backend-tagged,id=a,size=1G");
	EXPECT_ERR(L("property 'size' given twice"), "-object", "memory-backend-ram,id=a,size=1G,size=2G");
	EXPECT_ERR(L("empty element"), "--fm", "unix:/tmp/x.sock,");
	EXPECT_ERR(L("duplicate object id 'a'"), "-object", "memory-backend-ram,id=a,size=1G",
		   "-object", "memory-backend-memfd,id=a,size=1G");
	EXPECT_ERR(L("property 'size' must be a string"), "-object",
		   "{\"qom-type\":\"memory-backend-ram\",\"id\":\"a\",\"size\":[1]}");
}

/* QEMU's static capacity properties and the PCI ones it ignores, on one line with DC regions. */
static void test_static_memdevs_and_ignored_qemu_properties(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device",
			       "cxl-type3,bus=rp0,volatile-memdev=v0,persistent-memdev=p0,lsa=l0,"
			       "id=d0,num-dc-regions=2,volatile-dc-memdev=m0,sn=7,x-speed=32,"
			       "x-width=16,hdm-db=on,cdat=/x.dat,spdm=2323,addr=0x0,multifunction=off,"
			       "rombar=0,romfile=,romsize=0,failover_pair_id=x,acpi-index=1,"
			       "x-pcie-lnksta-dllla=on,x-pcie-extcap-init=on,x-pcie-err-unc-mask=on,"
			       "x-pcie-ari-nextfn-1=off,x-pcie-ext-tag=on,x-max-bounce-buffer-size=4096",
			       NULL), 0);

	assert_int_equal(cfg.nr_devices, 1);
	assert_string_equal(cfg.devices[0].volatile_memdev, "v0");
	assert_string_equal(cfg.devices[0].persistent_memdev, "p0");
	assert_string_equal(cfg.devices[0].lsa, "l0");
	assert_int_equal(cfg.devices[0].sn, 7);
	cmdline_fini(&cfg);
	/* memdev= is QEMU's older name of persistent-memdev */
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device",
			       "cxl-type3,memdev=p0,lsa=l0,id=d0,num-dc-regions=1,volatile-dc-memdev=m0",
			       NULL), 0);
	assert_string_equal(cfg.devices[0].persistent_memdev, "p0");
	assert_true(cfg.devices[0].set & CMDLINE_DEV_MEMDEV);
	cmdline_fini(&cfg);
}

/*
 * QEMU's CXL DCD example pastes whole: the machine (-M) and the CXL topology
 * (pxb-cxl, cxl-rp, switch ports) are kept, as written, only to be logged as
 * ignored; the cxl-type3 is the one device.  Other device types stay errors.
 */
static void test_qemu_machine_and_cxl_topology_are_ignored(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-M", "q35,cxl=on",
			       "-object", "memory-backend-ram,id=vmem0,share=on,size=4G",
			       "-device", "pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1",
			       "-device", "cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2",
			       "-device", "cxl-upstream,port=2,sn=1234,bus=root_port13,id=us0",
			       "-device", "cxl-downstream,port=0,bus=us0,id=swport0,chassis=0,slot=4",
			       "-device", "cxl-switch-mailbox-cci,bus=root_port13,target=us0,id=swcci0",
			       "-device", "cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,"
			       "num-dc-regions=2",
			       "-machine", "cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G", NULL), 0);
	assert_int_equal(cfg.nr_devices, 1);
	assert_string_equal(cfg.devices[0].id, "cxl-dcd0");
	assert_int_equal(cfg.nr_ignored, 7);
	assert_string_equal(cfg.ignored[0], "-M q35,cxl=on");
	assert_string_equal(cfg.ignored[1], "-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1");
	assert_string_equal(cfg.ignored[2],
			    "-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2");
	assert_string_equal(cfg.ignored[6], "-machine cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G");
	/* the default sockets still come, for the one device */
	assert_int_equal(cfg.nr_fm, 1);
	assert_int_equal(cfg.nr_host, 1);
	assert_int_equal(cfg.nr_qmp, 1);
	cmdline_fini(&cfg);
	assert_int_equal(parse(&cfg, err, "--M=q35", "-device", "cxl-type3,id=d0,num-dc-regions=1,"
			       "dc-regions-total-size=1G", NULL), 0);
	assert_int_equal(cfg.nr_ignored, 1);
	assert_string_equal(cfg.ignored[0], "--M q35");
	cmdline_fini(&cfg);
	EXPECT_ERR(L("-device", "unknown device type 'cxl-type2'", "pxb-cxl"), "-device",
		   "cxl-type2,id=t2");
	EXPECT_ERR(L("option '-M' needs a value"), "-M");
}

/*
 * A whole QEMU command line: the program name, the guest's options (with
 * and without a value), its devices and objects, QEMU's -trace and HMP
 * monitor are each ignored with why; "a=b," ends a list as in QEMU; a -mon
 * mode=control on a -chardev socket is the QMP socket (no default one).
 */
static void test_qemu_guest_options_are_ignored_with_why(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];

	(void)state;
	assert_int_equal(parse(&cfg, err, "qemu-system-x86_64", "-m", "4G,maxmem=8G,slots=8",
			       "-smp", "4", "-nographic", "-enable-kvm", "-drive", "file=a.img,if=virtio",
			       "-device", "virtio-net,netdev=n0", "-device", "i2c_mctp_cxl,target=d0",
			       "-object", "rng-random,id=rng0,filename=/dev/urandom",
			       "-trace", "cxl_*", "-monitor", "stdio",
			       "-chardev", "socket,id=q0,path=/tmp/q0.sock,server=on,wait=off",
			       "-mon", "chardev=q0,mode=control",
			       "-device", "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,", NULL),
			 0);
	assert_int_equal(cfg.nr_ignored, 11);
	assert_string_equal(cfg.ignored[0], "qemu-system-x86_64");
	assert_string_equal(cfg.ignored[1], "-m 4G,maxmem=8G,slots=8");
	assert_string_equal(cfg.ignored_why[1],
			    "an option of QEMU's guest: cxldcd is a device, not a virtual machine");
	assert_string_equal(cfg.ignored[3], "-nographic");
	assert_string_equal(cfg.ignored[6], "-device virtio-net,netdev=n0");
	assert_string_equal(cfg.ignored_why[6],
			    "a device of QEMU's guest: cxldcd is a device, not a virtual machine");
	assert_non_null(strstr(cfg.ignored_why[7], "QEMU's MCTP link into the guest"));
	assert_string_equal(cfg.ignored[8], "-object rng-random,id=rng0,filename=/dev/urandom");
	assert_string_equal(cfg.ignored[9], "-trace cxl_*");
	assert_string_equal(cfg.ignored[10], "-monitor stdio");
	assert_int_equal(cfg.nr_devices, 1);
	assert_int_equal(cfg.nr_qmp, 1);
	assert_string_equal(cfg.qmp[0].path, "/tmp/q0.sock");
	cmdline_fini(&cfg);
	EXPECT_ERR(L("-mon", "no -chardev with id 'q1'"), "-mon", "chardev=q1,mode=control");
	EXPECT_ERR(L("-chardev 'socket,id=q0,path=/tmp/q0.sock'", "client socket: only server mode is supported"), "-chardev",
		   "socket,id=q0,path=/tmp/q0.sock", "-mon", "chardev=q0,mode=control");
	EXPECT_ERR(L("QMP on chardev 'q0' (stdio) is not supported"), "-chardev", "stdio,id=q0",
		   "-mon", "chardev=q0,mode=control");
	/* QEMU's JSON -device: a cxl-type3 is one (it was taken for a guest device's driver) */
	assert_int_equal(parse(&cfg, err, "-device", "{\"driver\":\"cxl-type3\",\"id\":\"d1\","
			       "\"num-dc-regions\":2,\"dc-regions-total-size\":\"2G\"}",
			       "-device", "{\"driver\":\"virtio-net-pci\",\"id\":\"n0\"}",
			       "-qmp-pretty", "unix:/tmp/qp.sock,server,wait=off", NULL), 0);
	assert_int_equal(cfg.nr_devices, 1);
	assert_string_equal(cfg.devices[0].id, "d1");
	assert_int_equal(cfg.devices[0].num_dc_regions, 2);
	assert_int_equal(cfg.nr_ignored, 1);
	assert_int_equal(cfg.nr_qmp, 1);
	assert_string_equal(cfg.qmp[0].path, "/tmp/qp.sock");
	cmdline_fini(&cfg);
	EXPECT_ERR(L("-readconfig '/etc/qemu.cfg': QEMU's configuration files are not read"),
		   "-readconfig", "/etc/qemu.cfg");
	EXPECT_ERR(L("unexpected argument '...'"), "qemu-system-x86_64", "-smp", "4", "...");
	EXPECT_ERR(L("unexpected argument 'qemu-system-x86_64'"), "-smp", "4", "qemu-system-x86_64");
	/* QEMU's cxl-type3 without num-dc-regions: static capacity only */
	assert_int_equal(parse(&cfg, err, "-object", "memory-backend-ram,id=v0,size=256M", "-device",
			       "cxl-type3,volatile-memdev=v0,id=cxl-vmem0", NULL), 0);
	assert_int_equal(cfg.nr_devices, 1);
	assert_int_equal(cfg.devices[0].num_dc_regions, 0);
	assert_string_equal(cfg.devices[0].volatile_memdev, "v0");
	cmdline_fini(&cfg);
}

static void test_device_errors_name_the_property(void **state)
{
	(void)state;
	/* a CXL device type cxldcd does not emulate (QEMU's guest devices are ignored) */
	EXPECT_ERR(L("-device", "unknown device type 'cxl-mhsld'"), "-device", "cxl-mhsld,id=n0");
	/* QEMU's own texts: a persistent memdev needs an lsa; memdev= is its older name */
	EXPECT_ERR(L("lsa property must be set for persistent devices"), "-object", OBJ, "-device",
		   DEV ",persistent-memdev=p0");
	EXPECT_ERR(L("lsa property must be set for persistent devices"), "-object", OBJ, "-device",
		   DEV ",memdev=p0");
	EXPECT_ERR(L("static-host= needs static capacity (volatile-memdev or persistent-memdev)"),
		   "-object", OBJ, "-device", DEV ",static-host=0");
	EXPECT_ERR(L("'256' for 'static-host' is out of range 0..255"), "-object", OBJ, "-device",
		   DEV ",volatile-memdev=v0,static-host=256");
	EXPECT_ERR(L("[memdev] cannot be used with new [persistent-memdev] property"), "-object", OBJ,
		   "-device", DEV ",memdev=p0,persistent-memdev=p1,lsa=l0");
	EXPECT_ERR(L("id= is required"), "-object", OBJ, "-device", "cxl-type3,num-dc-regions=1,volatile-dc-memdev=m0");
	/* no DC region and no static capacity: QEMU's text */
	EXPECT_ERR(L("-device 'cxl-type3,id=d0'", "at least one memdev property must be set"), "-device",
		   "cxl-type3,id=d0");
	EXPECT_ERR(L("at least one memdev property must be set"), "-device", "cxl-type3,id=d0,num-dc-regions=0");
	EXPECT_ERR(L("dc-regions-total-size= need num-dc-regions=1..8"), "-object", OBJ, "-device",
		   "cxl-type3,id=d0,volatile-memdev=m0,dc-regions-total-size=1G");
	EXPECT_ERR(L("'9' for 'num-dc-regions' is out of range 0..8"), "-device", "cxl-type3,id=d0,num-dc-regions=9,dc-regions-total-size=1G");
	EXPECT_ERR(L("volatile-dc-memdev= and dc-regions-total-size= need num-dc-regions=1..8"), "-object", OBJ,
		   "-device", "cxl-type3,id=d0,num-dc-regions=0,volatile-memdev=m0,volatile-dc-memdev=m1");
	EXPECT_ERR(L("invalid number 'two' for 'num-hosts'"), "-object", OBJ, "-device", DEV ",num-hosts=two");
	EXPECT_ERR(L("'65537' for 'num-hosts' is out of range"), "-object", OBJ, "-device", DEV ",num-hosts=65537");
	/* the model's limit, said at parse time (was "nr_hosts=1000 not in 1..256" at start) */
	EXPECT_ERR(L("'1000' for 'num-hosts' is out of range 1..256"), "-object", OBJ, "-device",
		   DEV ",num-hosts=1000");
	EXPECT_ERR(L("'3M' for 'dc-block-size' is not a power of two"), "-object", OBJ, "-device", DEV ",dc-block-size=3M");
	EXPECT_ERR(L("'32' for 'dc-block-size' is out of range"), "-object", OBJ, "-device", DEV ",dc-block-size=32");
	EXPECT_ERR(L("invalid size '1Q' for 'dc-regions-total-size'"), "-device", "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1Q");
	EXPECT_ERR(L("'2M' for 'mbox-payload-size' is out of range"), "-object", OBJ, "-device", DEV ",mbox-payload-size=2M");
	EXPECT_ERR(L("'0' for 'event-log-depth' is out of range"), "-object", OBJ, "-device", DEV ",event-log-depth=0");
	EXPECT_ERR(L("'0' for 'max-extents' is out of range"), "-object", OBJ, "-device", DEV ",max-extents=0");
	EXPECT_ERR(L("invalid number '-1' for 'max-tags'"), "-object", OBJ, "-device", DEV ",max-tags=-1");
	EXPECT_ERR(L("invalid value 'x' for 'seq-one-based'"), "-object", OBJ, "-device", DEV ",seq-one-based=x");
	EXPECT_ERR(L("invalid value '2' for 'sanitize-on-release'"), "-object", OBJ, "-device", DEV ",sanitize-on-release=2");
	EXPECT_ERR(L("invalid value 'x' for 'sharable'"), "-object", OBJ, "-device", DEV ",sharable=x");
	EXPECT_ERR(L("invalid value 'maybe' for 'trusted-hosts'"), "-object", OBJ, "-device", DEV ",trusted-hosts=maybe");
	EXPECT_ERR(L("invalid number '5s' for 'pending-timeout-ms'"), "-object", OBJ, "-device", DEV ",pending-timeout-ms=5s");
	EXPECT_ERR(L("invalid number 'abc' for 'sn'"), "-object", OBJ, "-device", DEV ",sn=abc");
	EXPECT_ERR(L("not both"), "-object", OBJ, "-device", DEV ",dc-regions-total-size=1G");
	EXPECT_ERR(L("volatile-dc-memdev=ID or dc-regions-total-size=SIZE is required"), "-device", "cxl-type3,id=d0,num-dc-regions=1");
	EXPECT_ERR(L("id=d0", "volatile-dc-memdev 'nope' is not an -object id"), "-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=nope");
	EXPECT_ERR(L("duplicate device id 'd0'"), "-object", OBJ, "-device", DEV, "-device", DEV);
	EXPECT_ERR(L("invalid id 'd 0'"), "-object", OBJ, "-device", "cxl-type3,id=d 0,num-dc-regions=1,volatile-dc-memdev=m0");
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

/* The ignored note of the parse: ignored[i] is @text and its why holds @why. */
static void expect_ignored(const struct cmdline_cfg *cfg, size_t i, const char *text, const char *why)
{
	assert_true(i < cfg->nr_ignored);
	assert_string_equal(cfg->ignored[i], text);
	if (!strstr(cfg->ignored_why[i], why))
		fail_msg("why '%s' lacks '%s'", cfg->ignored_why[i], why);
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

/*
 * Properties of out-of-tree cxl-type3 series in published lines: the ones
 * that only switch on what cxldcd always does (or name a part it does not
 * have) are noted as ignored, with why; the ones asking for device
 * behaviour cxldcd lacks are refused, naming the property and why.
 */
static void test_out_of_tree_cxl_type3_properties(void **state)
{
	struct cmdline_cfg cfg;
	char err[CMDLINE_ERR_MAX];
	const char *dev = "cxl-type3,bus=swport2,volatile-dc-memdev=m0,id=d0,num-dc-regions=1,sn=99,"
			  "allow-fm-attach=on,mctp-buf-init=on,chmu-port=4443";
	char text[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device", dev, NULL), 0);
	assert_int_equal(cfg.nr_devices, 1);
	assert_int_equal(cfg.devices[0].num_dc_regions, 1);
	assert_int_equal(cfg.nr_ignored, 3);
	snprintf(text, sizeof(text), "allow-fm-attach=on (-device %s)", dev);
	expect_ignored(&cfg, 0, text, "cxldcd always serves the FM-API, on --fm and --mctp-cci");
	snprintf(text, sizeof(text), "mctp-buf-init=on (-device %s)", dev);
	expect_ignored(&cfg, 1, text, "/mctp-message-buf");
	snprintf(text, sizeof(text), "chmu-port=4443 (-device %s)", dev);
	expect_ignored(&cfg, 2, text, "hotness monitoring unit");
	cmdline_fini(&cfg);
	/* is_mhd off: nothing multi-headed, its head and shm id unused */
	assert_int_equal(parse(&cfg, err, "-object", OBJ, "-device",
			       DEV ",is_mhd=false,mhd_head=0,mhd_shmid=15", NULL), 0);
	assert_int_equal(cfg.nr_ignored, 3);
	expect_ignored(&cfg, 0, "is_mhd=false (-device " DEV ",is_mhd=false,mhd_head=0,mhd_shmid=15)",
		       "only is_mhd=on makes the MHD RFC's multi-headed device");
	expect_ignored(&cfg, 1, "mhd_head=0 (-device " DEV ",is_mhd=false,mhd_head=0,mhd_shmid=15)",
		       "only is_mhd=on");
	cmdline_fini(&cfg);
	/* the MHD RFC's line, as published */
	EXPECT_ERR(L("-device 'cxl-type3,bus=rp0,volatile-memdev=mem0,id=cxl-mem0,sn=66666,is_mhd=true,"
		     "mhd_head=0,mhd_shmid=15'", "is_mhd=true: the MHD RFC's multi-headed device",
		     "is not implemented: one cxldcd serves every head as a host (num-hosts=N)"),
		   "-object", "memory-backend-ram,id=mem0,size=4G", "-device",
		   "cxl-type3,bus=rp0,volatile-memdev=mem0,id=cxl-mem0,sn=66666,is_mhd=true,mhd_head=0,"
		   "mhd_shmid=15");
	EXPECT_ERR(L("mhd-head=0: a property of the MH-SLD RFC's cxl-mhsld device"), "-object", OBJ,
		   "-device", DEV ",mhd-head=0");
	EXPECT_ERR(L("mhd-state_file=mhd_metadata: a property of the MH-SLD RFC"), "-object", OBJ,
		   "-device", DEV ",mhd-state_file=mhd_metadata");
	EXPECT_ERR(L("mhd-init=true: a property of the MH-SLD RFC"), "-object", OBJ, "-device",
		   DEV ",mhd-init=true");
	/* typed as in the series */
	EXPECT_ERR(L("invalid value 'maybe' for 'allow-fm-attach'"), "-object", OBJ, "-device",
		   DEV ",allow-fm-attach=maybe");
	EXPECT_ERR(L("invalid value 'x' for 'chmu-port'"), "-object", OBJ, "-device", DEV ",chmu-port=x");
	/* no published line: still unknown */
	EXPECT_ERR(L("unknown property 'vcs'"), "-object", OBJ, "-device", DEV ",vcs=1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_arguments_give_the_default_device),
		cmocka_unit_test(test_full_command_line),
		cmocka_unit_test(test_sockets_default_to_runtime_dir_when_absent),
		cmocka_unit_test(test_log_daemon_options),
		cmocka_unit_test(test_listeners_name_their_device),
		cmocka_unit_test(test_mctp_cci_listeners_and_their_defaults),
		cmocka_unit_test(test_host_socket_limits_are_per_listener),
		cmocka_unit_test(test_qmp_and_fm_limits_are_per_listener),
		cmocka_unit_test(test_listener_errors_name_the_listener),
		cmocka_unit_test(test_host_socket_binds_host_ids_to_users),
		cmocka_unit_test(test_host_socket_binding_errors),
		cmocka_unit_test(test_mctp_serial_takes_pty_and_a_device),
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_value_parsers),
		cmocka_unit_test(test_runtime_dir_follows_xdg),
		cmocka_unit_test(test_option_errors_name_the_option),
		cmocka_unit_test(test_object_errors_name_the_property),
		cmocka_unit_test(test_static_memdevs_and_ignored_qemu_properties),
		cmocka_unit_test(test_qemu_machine_and_cxl_topology_are_ignored),
		cmocka_unit_test(test_qemu_guest_options_are_ignored_with_why),
		cmocka_unit_test(test_device_errors_name_the_property),
		cmocka_unit_test(test_socket_errors_name_the_address),
		cmocka_unit_test(test_qmp_takes_qemus_socket_options),
		cmocka_unit_test(test_qmp_refuses_socket_options_it_cannot_honour),
		cmocka_unit_test(test_chardev_of_a_qmp_monitor_takes_the_socket_options),
		cmocka_unit_test(test_out_of_tree_cxl_type3_properties),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
