/* SPDX-License-Identifier: MIT */
/*
 * test-cmdline.c - the command-line parser: every option, the defaults, and
 * an error naming the bad argument for each way an argument can be wrong.
 * The listener options (--fm, --mctp-cci, --host-socket, --mctp-serial,
 * -qmp and QEMU's socket chardev options) are tested in
 * test-cmdline-listen.c.
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
	/* The default max-fds is the soft RLIMIT_NOFILE (hostlink.c default_max_out_fds()). */
	assert_non_null(strstr(cmdline_usage(), "max-fds (RLIMIT_NOFILE's soft limit,"));
	assert_null(strstr(cmdline_usage(), "num-hosts,\n"));
	/* --trace takes all as well (opt_trace()). */
	assert_non_null(strstr(cmdline_usage(), "cci, qmp, host, all"));
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
	/* strtoull() takes these; the grammar does not (no space, no sign, one 0x) */
	assert_int_equal(cmdline_parse_size("0x-1", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("0x+10", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("0x 10", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("0x0x10", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("0x", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("\t5", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("\n4G", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("\t-18446744073709551611", &v), -EINVAL);
	assert_int_equal(cmdline_parse_size("0X1f", &v), 0);
	assert_int_equal(v, 31);
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
		cmocka_unit_test(test_help_and_version),
		cmocka_unit_test(test_value_parsers),
		cmocka_unit_test(test_runtime_dir_follows_xdg),
		cmocka_unit_test(test_option_errors_name_the_option),
		cmocka_unit_test(test_object_errors_name_the_property),
		cmocka_unit_test(test_static_memdevs_and_ignored_qemu_properties),
		cmocka_unit_test(test_qemu_machine_and_cxl_topology_are_ignored),
		cmocka_unit_test(test_qemu_guest_options_are_ignored_with_why),
		cmocka_unit_test(test_device_errors_name_the_property),
		cmocka_unit_test(test_out_of_tree_cxl_type3_properties),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
