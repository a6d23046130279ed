/* SPDX-License-Identifier: MIT */
/*
 * test-static.c - integration: static capacity next to DC regions against
 * the real daemon.  A QEMU command line with volatile-memdev,
 * persistent-memdev, lsa, DC regions and QEMU's PCI properties starts
 * unchanged, and Identify Memory Device, Get Partition Info and Get DC
 * Configuration agree with QEMU's layout (volatile, persistent, DC).  Real
 * hosts (libcxldcd-host in this process) reach the static capacity: one
 * through its mapping, one through the slow path, each seeing the other's
 * writes; the persistent part, a memory-backend-file, keeps what they wrote
 * across a restart of the daemon with --state.  The cxldcd-host CLI
 * ($CXLDCD_HOST) fills and verifies static capacity, mapped and by the slow
 * path.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cxldcd/cxldcd-host.h"
#include "dev-util.h"
#include "dproc-host.h"

#define PATH "/machine/peripheral/cxl-dcd0"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

struct line {
	char pmem[256], lsa[256];
	const char *argv[24];
};

/*
 * QEMU's line (docs/cmdline.md): 256 MiB volatile, 256 MiB persistent in a
 * file, an LSA, two DC regions over 512 MiB; @extra: more arguments.
 */
static void qemu_line(struct line *l, const struct dproc *p, const char *device,
		      const char *const *extra)
{
	int n = 0;

	snprintf(l->pmem, sizeof(l->pmem),
		 "memory-backend-file,id=cxl-mem2,share=on,mem-path=%s/pmem0.raw,size=256M", p->dir);
	snprintf(l->lsa, sizeof(l->lsa),
		 "memory-backend-file,id=cxl-lsa1,share=on,mem-path=%s/lsa0.raw,size=256M", p->dir);
	l->argv[n++] = "-object";
	l->argv[n++] = "memory-backend-ram,id=cxl-mem1,share=on,size=256M";
	l->argv[n++] = "-object";
	l->argv[n++] = l->pmem;
	l->argv[n++] = "-object";
	l->argv[n++] = l->lsa;
	l->argv[n++] = "-object";
	l->argv[n++] = "memory-backend-ram,id=cxl-dc0,share=on,size=512M";
	l->argv[n++] = "-device";
	l->argv[n++] = device;
	while (extra && *extra)
		l->argv[n++] = *extra++;
	l->argv[n] = NULL;
}

/* Start the daemon of @p (made once by dproc_init(): files and sockets stay put across restarts). */
static struct qmp_client *start(struct dproc *p, const char *const *argv)
{
	struct qmp_client *c;

	c = connect_dev(p, argv);
	return c;
}

/* QMP closed, SIGTERM: the daemon exits 0. */
static void stop(struct dproc *p, struct qmp_client *c)
{
	qmp_client_free(c);
	kill(p->pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(p, TMO), 0);
}

#define QEMU_DEV "cxl-type3,bus=root_port13,volatile-memdev=cxl-mem1,persistent-memdev=cxl-mem2," \
		 "id=cxl-dcd0,lsa=cxl-lsa1,volatile-dc-memdev=cxl-dc0,num-dc-regions=2,sn=99," \
		 "x-speed=32,x-width=16,hdm-db=on,addr=0x0"

/*
 * query-cxl-devices of the one device: its static capacity and backends
 * (QEMU_DEV's and STATIC_ONLY_DEV's: cxl-mem1, cxl-mem2, cxl-lsa1, 256 MiB
 * each part), dc-block-size only with DC regions (@block, 0: absent),
 * static-host only when given (@static_host, -1: absent).
 */
static void check_query_devices(struct qmp_client *c, uint64_t block, int static_host)
{
	json_t *r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-devices\"}", TMO));
	json_t *d = json_array_get(ret_of(r), 0), *v;

	assert_int_equal(json_array_size(ret_of(r)), 1);
	assert_string_equal(json_string_value(json_object_get(d, "id")), "cxl-dcd0");
	v = json_object_get(d, "dc-block-size");
	if (block)
		assert_int_equal(json_integer_value(v), block);
	else if (v)
		fail_msg("dc-block-size %lld on a device without DC regions", json_integer_value(v));
	assert_int_equal(json_integer_value(json_object_get(d, "volatile-capacity")), 256 * MiB);
	assert_int_equal(json_integer_value(json_object_get(d, "persistent-capacity")), 256 * MiB);
	assert_string_equal(json_string_value(json_object_get(d, "volatile-memdev")), "cxl-mem1");
	assert_string_equal(json_string_value(json_object_get(d, "persistent-memdev")), "cxl-mem2");
	assert_string_equal(json_string_value(json_object_get(d, "lsa")), "cxl-lsa1");
	v = json_object_get(d, "static-host");
	if (static_host >= 0)
		assert_int_equal(json_integer_value(v), static_host);
	else
		assert_null(v);
	json_decref(r);
}

static void test_qemu_line_with_both_memdevs_lsa_and_dc_regions(void **state)
{
	struct dproc p;
	struct line l;
	struct qmp_client *c;
	uint8_t out[4096], in[2] = { 2, 0 };
	size_t n;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	qemu_line(&l, &p, QEMU_DEV, NULL);
	c = start(&p, l.argv);
	assert_non_null(strstr(dproc_log(&p), "device cxl-dcd0 (" PATH "): 2 DC region(s) of 256 MiB, "
				"block 2048 KiB, 1 host(s), volatile-dc-memdev=cxl-dc0, static capacity "
				"256 MiB volatile + 256 MiB persistent"));
	/* Identify Memory Device: total 2, volatile only 1, persistent only 1 (x 256 MB), align 0 */
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4000, NULL, 0, out, &n), 0);
	assert_int_equal(n, 0x45);
	assert_int_equal(le64(out + 0x10), 2);
	assert_int_equal(le64(out + 0x18), 1);
	assert_int_equal(le64(out + 0x20), 1);
	assert_int_equal(le64(out + 0x28), 0);
	assert_int_equal(out[0x38] | out[0x39] << 8 | out[0x3a] << 16 | (uint32_t)out[0x3b] << 24,
			 256 * MiB);
	/* Get Partition Info: active volatile 1, active persistent 1, nothing next */
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4100, NULL, 0, out, &n), 0);
	assert_int_equal(n, 0x20);
	assert_int_equal(le64(out), 1);
	assert_int_equal(le64(out + 8), 1);
	assert_int_equal(le64(out + 0x10), 0);
	assert_int_equal(le64(out + 0x18), 0);
	/* Get DC Configuration: the regions start after volatile + persistent */
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4800, in, 2, out, &n), 0);
	assert_int_equal(out[0], 2);
	assert_int_equal(le64(out + 8), 512 * MiB);
	assert_int_equal(le64(out + 8 + 0x28), 768 * MiB);
	check_query_devices(c, 2 * MiB, -1);
	stop(&p, c);
}

/*
 * The LSA lives in its memory-backend-file, as QEMU's does: Set LSA writes
 * through, and a daemon started again (no --state) reads the labels back.
 */
static void test_lsa_file_keeps_labels_across_a_restart(void **state)
{
	struct dproc p;
	struct line l;
	struct qmp_client *c;
	uint8_t set[8 + 5] = { 0 }, get[8] = { 0 }, out[64], disk[5] = { 0 };
	char path[200];
	size_t n;
	int fd;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	qemu_line(&l, &p, QEMU_DEV, NULL);
	c = start(&p, l.argv);
	put32(set, 0x1000);                     /* Set LSA: offset, reserved, data */
	memcpy(set + 8, "label", 5);
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4103, set, sizeof(set), out, &n), 0);
	stop(&p, c);
	snprintf(path, sizeof(path), "%s/lsa0.raw", p.dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	assert_int_equal(pread(fd, disk, 5, 0x1000), 5);
	close(fd);
	assert_memory_equal(disk, "label", 5);
	c = start(&p, l.argv);
	put32(get, 0x1000 - 2);                 /* Get LSA: offset, length */
	put32(get + 4, 9);
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4102, get, 8, out, &n), 0);
	assert_int_equal(n, 9);
	assert_memory_equal(out, ((uint8_t[9]){ 0, 0, 'l', 'a', 'b', 'e', 'l', 0, 0 }), 9);
	stop(&p, c);
}

/* QEMU's own refusals, with its texts. */
static void test_qemu_refusals(void **state)
{
	struct dproc p;
	struct line l;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	qemu_line(&l, &p, "cxl-type3,id=d0,persistent-memdev=cxl-mem2,volatile-dc-memdev=cxl-dc0,"
			  "num-dc-regions=1", NULL);
	assert_int_equal(dproc_start(&p, l.argv), 0);
	assert_int_equal(dproc_wait_exit(&p, TMO), 2);
	assert_non_null(strstr(dproc_log(&p), "lsa property must be set for persistent devices"));
	qemu_line(&l, &p, "cxl-type3,id=d0,volatile-memdev=cxl-mem1,persistent-memdev=cxl-mem1,"
			  "lsa=cxl-lsa1,volatile-dc-memdev=cxl-dc0,num-dc-regions=1", NULL);
	assert_int_equal(dproc_start(&p, l.argv), 0);
	assert_int_equal(dproc_wait_exit(&p, TMO), 1);
	assert_non_null(strstr(dproc_log(&p), "memory backend cxl-mem1 can't be used multiple times."));
}

static struct cxldcd_host *host_up(const struct dproc *p, uint16_t id, bool mapping)
{
	struct cxldcd_host_cfg cfg = { .socket_path = p->host, .host_id = id, .no_mapping = !mapping,
				       .accept = CXLDCD_HOST_ACCEPT_ALL };
	struct cxldcd_host *h = NULL;

	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);   /* the daemon may still be starting */
	return h;
}

/* What host 0 wrote (through its mapping) and host 1 (the slow path) to persistent capacity, read by h. */
static void expect_persistent_bytes(struct cxldcd_host *h)
{
	uint8_t buf[16] = { 0 };

	assert_int_equal(cxldcd_host_read(h, 256 * MiB + 0x2000, buf, 10, TMO), 0);
	assert_memory_equal(buf, "persistent", 10);
	assert_int_equal(cxldcd_host_read(h, 256 * MiB + 0x3000, buf, 7, TMO), 0);
	assert_memory_equal(buf, "from-h1", 7);
}

/*
 * Host 0 maps the 512 MiB of static capacity and writes "volatile" at
 * 0x1000 and "persistent" at 256 MiB + 0x2000; host 1 (slow path) reads
 * both back, and writes "from-h1" at 256 MiB + 0x3000, which host 0 sees at
 * once; a read past the static capacity fails.
 */
static void hosts_share_static(struct cxldcd_host *h0, struct cxldcd_host *h1)
{
	uint8_t buf[16] = { 0 };
	uint64_t size;
	uint8_t *m;
	void *addr;

	assert_int_equal(cxldcd_host_static_map(h0, &addr, &size), 0);
	assert_int_equal(size, 512 * MiB);
	m = addr;
	/* host 0 writes volatile and persistent capacity through its mapping */
	memcpy(m + 0x1000, "volatile", 8);
	memcpy(m + 256 * MiB + 0x2000, "persistent", 10);
	assert_int_equal(cxldcd_host_read(h1, 0x1000, buf, 8, TMO), 0);
	assert_memory_equal(buf, "volatile", 8);
	assert_int_equal(cxldcd_host_read(h1, 256 * MiB + 0x2000, buf, 10, TMO), 0);
	assert_memory_equal(buf, "persistent", 10);
	/* host 1 writes through the slow path; host 0 sees it at once */
	assert_int_equal(cxldcd_host_write(h1, 256 * MiB + 0x3000, "from-h1", 7, TMO), 0);
	assert_memory_equal(m + 256 * MiB + 0x3000, "from-h1", 7);
	/* the end of the static capacity is the end: DC capacity not accepted stays closed */
	assert_int_equal(cxldcd_host_read(h1, 512 * MiB - 4, buf, 8, TMO), -EFAULT);
}

/*
 * Hosts reach static capacity: host 0 maps it, host 1 uses the slow path,
 * each sees the other's bytes; persistent bytes survive a restart.
 */
static void test_hosts_share_static_capacity_and_pmem_survives_a_restart(void **state)
{
	const char *extra[] = { "--host-socket", NULL, "--state", NULL, NULL };
	struct cxldcd_host_dev_info info;
	struct cxldcd_host *h0, *h1;
	struct dproc p;
	struct line l;
	struct qmp_client *c;
	uint8_t buf[16] = { 0 };
	void *addr;
	uint64_t size;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	extra[1] = p.host;
	extra[3] = p.state;
	qemu_line(&l, &p, QEMU_DEV ",num-hosts=2", extra);
	c = start(&p, l.argv);
	h0 = host_up(&p, 0, true);
	h1 = host_up(&p, 1, false);
	assert_int_equal(cxldcd_host_get_dev_info(h1, &info), 0);
	assert_int_equal(cxldcd_host_static_size(h1), 512 * MiB);
	assert_false(info.mapping);
	assert_int_equal(cxldcd_host_static_map(h1, &addr, &size), -ENODEV);
	hosts_share_static(h0, h1);
	cxldcd_host_free(h0);
	cxldcd_host_free(h1);
	stop(&p, c);

	/* the same line again: the persistent bytes are back, the volatile ones are not */
	c = start(&p, l.argv);
	h1 = host_up(&p, 1, false);
	expect_persistent_bytes(h1);
	assert_int_equal(cxldcd_host_read(h1, 0x1000, buf, 8, TMO), 0);
	assert_memory_equal(buf, (uint8_t[8]){ 0 }, 8);
	cxldcd_host_free(h1);
	stop(&p, c);
}

/* static-host=0: QEMU's one owner; host 1 reaches no static capacity by any path. */
static void test_static_host_excludes_the_other_hosts(void **state)
{
	const char *extra[] = { "--host-socket", NULL, NULL };
	struct cxldcd_host *h0, *h1;
	struct dproc p;
	struct line l;
	struct qmp_client *c;
	uint8_t buf[8], out[4096];
	void *addr;
	uint64_t size;
	size_t n;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	extra[1] = p.host;
	qemu_line(&l, &p, QEMU_DEV ",num-hosts=2,static-host=0", extra);
	c = start(&p, l.argv);
	check_query_devices(c, 2 * MiB, 0);
	h0 = host_up(&p, 0, true);
	h1 = host_up(&p, 1, true);
	assert_int_equal(cxldcd_host_static_size(h0), 512 * MiB);
	assert_int_equal(cxldcd_host_static_map(h0, &addr, &size), 0);
	memcpy(addr, "host0", 5);
	assert_int_equal(cxldcd_host_static_size(h1), 0);
	assert_int_equal(cxldcd_host_static_map(h1, &addr, &size), -ENOENT);
	assert_int_equal(cxldcd_host_read(h1, 0, buf, 5, TMO), -EFAULT);
	assert_int_equal(cxldcd_host_write(h1, 256 * MiB, "x", 1, TMO), -EFAULT);
	assert_int_equal(cxldcd_host_read(h0, 0, buf, 5, TMO), 0);
	assert_memory_equal(buf, "host0", 5);
	/* Identify Memory Device and Get Partition Info: host 1 has none */
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 1, 0x4000, NULL, 0, out, &n), 0);
	assert_int_equal(le64(out + 0x10), 0);
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 1, 0x4100, NULL, 0, out, &n), 0);
	assert_int_equal(le64(out), 0);
	assert_int_equal(le64(out + 8), 0);
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4000, NULL, 0, out, &n), 0);
	assert_int_equal(le64(out + 0x10), 2);
	cxldcd_host_free(h0);
	cxldcd_host_free(h1);
	stop(&p, c);
}

/* Run the CLI through the shell; its first output line in @out.  Return its exit status. */
__attribute__((format(printf, 3, 4)))
static int cli(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *f;
	int n, st;

	n = snprintf(cmd, sizeof(cmd), "%s ", getenv("CXLDCD_HOST"));
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	f = popen(cmd, "r");
	assert_non_null(f);
	out[0] = '\0';
	if (!fgets(out, (int)cap, f))
		out[0] = '\0';
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* cxldcd-host static-fill / static-verify: mapped and slow path see one copy. */
static void test_cli_fills_and_verifies_static_capacity(void **state)
{
	const char *extra[] = { "--host-socket", NULL, NULL };
	char out[512];
	struct dproc p;
	struct line l;
	struct qmp_client *c;

	(void)state;
	assert_non_null(getenv("CXLDCD_HOST"));
	assert_int_equal(dproc_init(&p), 0);
	extra[1] = p.host;
	qemu_line(&l, &p, QEMU_DEV ",num-hosts=2", extra);
	c = start(&p, l.argv);
	assert_int_equal(cli(out, sizeof(out), "--connect %s --host-id 0 static-fill 0x10001000 64K 0xc0ffee",
			     p.host), 0);
	assert_string_equal(out, "static-fill dpa=0x10001000 len=0x10000 mapped\n");
	assert_int_equal(cli(out, sizeof(out), "--connect %s --host-id 1 --no-mapping static-verify 0x10002000 4K 0xc0ffee",
			     p.host), 0);
	assert_string_equal(out, "static-verify dpa=0x10002000 len=0x1000 slow-path ok\n");
	assert_int_equal(cli(out, sizeof(out), "--connect %s --host-id 1 static-verify 0x10001000 4K 0xbad0",
			     p.host), 1);
	assert_string_equal(out, "cxldcd-host: mismatch at dpa 0x10001000: 0xee, expected 0xba\n");
	assert_int_equal(cli(out, sizeof(out), "--connect %s --host-id 1 static-fill 0x1ffff000 8K x",
			     p.host), 1);
	assert_non_null(strstr(out, "is outside the static capacity (0x20000000 bytes at DPA 0)"));
	assert_int_equal(cli(out, sizeof(out), "--connect %s --host-id 1 static-fill 0 4K", p.host), 2);
	/* Sanitize by host 0 erases the static capacity (every host's, as QEMU erases its device) */
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4400, NULL, 0, NULL, NULL), 0x01);
	assert_int_equal(cli(out, sizeof(out), "--connect %s --host-id 1 --no-mapping static-verify 0x10001000 64K 0x00",
			     p.host), 0);
	assert_string_equal(out, "static-verify dpa=0x10001000 len=0x10000 slow-path ok\n");
	stop(&p, c);
}

/*
 * QEMU's cxl-type3 without num-dc-regions: static capacity only.  No
 * 48xxh/56xxh (Unsupported), QMP's DC commands say QEMU's text, hosts map
 * and reach the static capacity, and --state keeps the device across a
 * restart with its persistent bytes.
 */
#define STATIC_ONLY_DEV "cxl-type3,bus=root_port13,volatile-memdev=cxl-mem1,persistent-memdev=cxl-mem2," \
			"id=cxl-dcd0,lsa=cxl-lsa1,sn=99,num-hosts=2"

static void check_static_only_qmp(struct qmp_client *c)
{
	uint8_t out[4096], in[2] = { 1, 0 };
	json_t *r;
	size_t n;

	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4000, NULL, 0, out, &n), 0);
	assert_int_equal(le64(out + 0x10), 2);          /* Total Capacity, 256 MB units */
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4100, NULL, 0, out, &n), 0);
	assert_int_equal(le64(out), 1);
	assert_int_equal(le64(out + 8), 1);
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 0, 0x4800, in, 2, out, &n), 0x0003);
	assert_int_equal(qmp_cci(c, PATH, "mailbox", 1, 0x4801, (uint8_t[8]){ 0 }, 8, out, &n), 0x0003);
	assert_int_equal(qmp_cci(c, PATH, "fm", -1, 0x5600, NULL, 0, out, &n), 0x0003);
	expect_err(qmp_client_cmdf(c, TMO, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":"
				   "{\"path\":\"%s\",\"host-id\":0,\"selection-policy\":\"prescriptive\","
				   "\"region\":0,\"extents\":[{\"offset\":0,\"len\":2097152}]}}", PATH),
		   "No dynamic capacity support from the device");
	expect_err(qmp_client_cmdf(c, TMO, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":"
				   "{\"path\":\"%s\",\"host-id\":0,\"removal-policy\":\"prescriptive\","
				   "\"region\":0,\"extents\":[{\"offset\":0,\"len\":2097152}]}}", PATH),
		   "No dynamic capacity support from the device");
	r = expect_ok(qmp_client_cmdf(c, TMO, "{\"execute\":\"query-cxl-dynamic-capacity\","
				      "\"arguments\":{\"path\":\"%s\"}}", PATH));
	assert_string_equal(json_string_value(json_object_get(ret_of(r), "mode")), "static-only");
	assert_int_equal(json_array_size(json_object_get(ret_of(r), "regions")), 0);
	assert_int_equal(json_array_size(json_object_get(ret_of(r), "hosts")), 2);
	json_decref(r);
	/* no DC region: no block size, and its static capacity as it is */
	check_query_devices(c, 0, -1);
}

static void test_static_only_device_serves_hosts_and_keeps_its_state(void **state)
{
	const char *extra[] = { "--host-socket", NULL, "--state", NULL, NULL };
	struct cxldcd_host_dev_info info;
	struct cxldcd_host *h0, *h1;
	struct dproc p;
	struct line l;
	struct qmp_client *c;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	extra[1] = p.host;
	extra[3] = p.state;
	qemu_line(&l, &p, STATIC_ONLY_DEV, extra);
	c = start(&p, l.argv);
	assert_non_null(strstr(dproc_log(&p), "device cxl-dcd0 (" PATH "): no DC region, 2 host(s), "
				"static capacity 256 MiB volatile + 256 MiB persistent"));
	check_static_only_qmp(c);
	h0 = host_up(&p, 0, true);
	h1 = host_up(&p, 1, false);
	assert_int_equal(cxldcd_host_get_dev_info(h0, &info), 0);
	assert_int_equal(info.nr_regions, 0);
	assert_int_equal(cxldcd_host_static_size(h0), 512 * MiB);
	hosts_share_static(h0, h1);
	cxldcd_host_free(h0);
	cxldcd_host_free(h1);
	stop(&p, c);

	/* the same line and --state again: the device is back, persistent bytes too */
	c = start(&p, l.argv);
	assert_null(strstr(dproc_log(&p), "error"));
	check_static_only_qmp(c);
	h1 = host_up(&p, 1, false);
	expect_persistent_bytes(h1);
	cxldcd_host_free(h1);
	stop(&p, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_line_with_both_memdevs_lsa_and_dc_regions),
		cmocka_unit_test(test_qemu_refusals),
		cmocka_unit_test(test_lsa_file_keeps_labels_across_a_restart),
		cmocka_unit_test(test_hosts_share_static_capacity_and_pmem_survives_a_restart),
		cmocka_unit_test(test_static_host_excludes_the_other_hosts),
		cmocka_unit_test(test_cli_fills_and_verifies_static_capacity),
		cmocka_unit_test(test_static_only_device_serves_hosts_and_keeps_its_state),
	};

	return cmocka_run_group_tests(tests, NULL, dproc_reap_all);
}
