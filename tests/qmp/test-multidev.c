/* SPDX-License-Identifier: MIT */
/*
 * test-multidev.c - integration: two -device cxl-type3 in one daemon, each
 * with its own FM socket and host links (--fm/--host-socket ...,device=ID).
 *  - 5600h Get DCD Info over each FM socket describes its own device
 *    (2 hosts / 2 regions against 3 hosts / 1 region);
 *  - a real host (libcxldcd-host) on device d1's Unix host link accepts an
 *    add made on d1 over QMP; d0 (and a host on its bare-PATH socket) is
 *    untouched;
 *  - a host on d1's TCP host link (127.0.0.1, port 0: the bound port is read
 *    from the daemon's log) takes the slow path: its writes land in d1's
 *    backing file, reads of capacity it does not hold are refused;
 *  - the host link's journal records carry the device index: after SIGKILL
 *    and restart, d1's accepted extents are back on d1 and d0 stays empty;
 *  - a device= naming no -device stops the daemon with status 2.
 */
#include <errno.h>
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
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cxldcd/cxldcd-host.h"
#include "cci-raw.h"
#include "dev-util.h"

struct args {
	char obj0[300], obj1[300], fm0[200], fm1[200], host0[200], host1[200];
	char mem0[200], mem1[200];
	const char *argv[32];
};

/*
 * d0: 2 regions on a 1 GiB file, 2 hosts (FM and host link by default);
 * d1: 1 region on a 512 MiB file, 3 hosts, named by device=d1, trusted-hosts=on
 * (hosts map the file itself, so their writes are in it at once).
 */
static void make_args(struct args *a, struct dproc *p)
{
	int n = 0;

	snprintf(a->mem0, sizeof(a->mem0), "%s/m0.mem", p->dir);
	snprintf(a->mem1, sizeof(a->mem1), "%s/m1.mem", p->dir);
	snprintf(a->obj0, sizeof(a->obj0), "memory-backend-file,id=m0,size=1G,share=on,mem-path=%s",
		 a->mem0);
	snprintf(a->obj1, sizeof(a->obj1), "memory-backend-file,id=m1,size=512M,share=on,mem-path=%s",
		 a->mem1);
	snprintf(a->fm0, sizeof(a->fm0), "unix:%s/fm0.sock", p->dir);
	snprintf(a->fm1, sizeof(a->fm1), "unix:%s/fm1.sock,device=d1", p->dir);
	snprintf(a->host0, sizeof(a->host0), "%s/host0.sock", p->dir);
	snprintf(a->host1, sizeof(a->host1), "unix:%s/host1.sock,device=d1", p->dir);
	a->argv[n++] = "-object";
	a->argv[n++] = a->obj0;
	a->argv[n++] = "-object";
	a->argv[n++] = a->obj1;
	a->argv[n++] = "-device";
	a->argv[n++] = "cxl-type3,id=d0,num-dc-regions=2,volatile-dc-memdev=m0,num-hosts=2";
	a->argv[n++] = "-device";
	a->argv[n++] = "cxl-type3,id=d1,num-dc-regions=1,volatile-dc-memdev=m1,num-hosts=3,trusted-hosts=on";
	a->argv[n++] = "--fm";
	a->argv[n++] = a->fm1;
	a->argv[n++] = "--fm";
	a->argv[n++] = a->fm0;
	a->argv[n++] = "--host-socket";
	a->argv[n++] = a->host0;              /* a bare PATH: the first device */
	a->argv[n++] = "--host-socket";
	a->argv[n++] = a->host1;
	a->argv[n++] = "--host-socket";
	a->argv[n++] = "tcp:127.0.0.1:0,device=d1";
	a->argv[n++] = "--state";
	a->argv[n++] = p->state;
	a->argv[n] = NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct qmp_client *start(struct dproc *p, const struct args *a)
{
	struct qmp_client *c;

	c = connect_dev(p, a->argv);
	return c;
}

/* The port of the last "host link: listening on tcp:127.0.0.1:PORT (device d1)". */
static uint16_t tcp_port_from_log(struct dproc *p)
{
	static const char key[] = "host link: listening on tcp:127.0.0.1:";
	const char *log = dproc_log(p), *s, *last = NULL;
	unsigned port = 0;

	for (s = strstr(log, key); s; s = strstr(s + 1, key))
		last = s;
	if (!last || sscanf(last + sizeof(key) - 1, "%u (device d1)", &port) != 1 || !port ||
	    port > 65535)
		fail_msg("no TCP host-link port of d1 in the log: %s", log);
	return (uint16_t)port;
}

/* ---- FM socket ------------------------------------------------------------ */

static int fm_connect(const char *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = arg + 5;         /* "unix:" */
	size_t len = strcspn(path, ",");
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_true(len < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, len);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* 5600h Get DCD Info over the FM socket at @arg: number of hosts and of regions. */
static void fm_dcd_info(const char *arg, unsigned *hosts, unsigned *regions)
{
	uint8_t req[12], rsp[12 + 256];
	size_t len;
	int fd = fm_connect(arg);

	cci_raw_hdr(req, 0x21, 0x5600, 0);
	assert_int_equal(send(fd, req, sizeof(req), MSG_NOSIGNAL), (ssize_t)sizeof(req));
	assert_int_equal(cci_raw_recv(fd, rsp, 12, TMO), 12);
	assert_int_equal(rsp[0], 0x01);  /* response */
	assert_int_equal(rsp[1], 0x21);
	assert_int_equal(rsp[8] | rsp[9] << 8, 0);
	len = rsp[5] | (size_t)rsp[6] << 8 | (size_t)(rsp[7] & 0x1f) << 16;
	assert_true(len >= 2 && len <= 256);
	assert_int_equal(cci_raw_recv(fd, rsp + 12, len, TMO), len);
	*hosts = rsp[12];
	*regions = rsp[13];
	close(fd);
}

/* ---- QMP ------------------------------------------------------------------ */

/* Accepted extents and pending groups of @host on @dev. */
static void host_state(struct qmp_client *c, const char *dev, unsigned host, size_t *ext,
		       size_t *pend)
{
	json_t *q = expect_ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"%s\"}}", dev));
	json_t *h = json_array_get(json_object_get(ret_of(q), "hosts"), host);

	assert_non_null(h);
	*ext = json_array_size(json_object_get(h, "extents"));
	*pend = json_array_size(json_object_get(h, "pending"));
	json_decref(q);
}

/* Nothing accepted or pending on any host of d0. */
static void expect_d0_untouched(struct qmp_client *c)
{
	for (unsigned h = 0; h < 2; h++) {
		size_t ext, pend;

		host_state(c, "d0", h, &ext, &pend);
		assert_int_equal(ext, 0);
		assert_int_equal(pend, 0);
	}
}

/*
 * Offer [offset, +len) of d1's region 0 to @host; @h (a host of d1) accepts
 * it: d1 holds it, and @h has it as its one group.
 */
static void d1_offer_and_accept(struct qmp_client *c, struct cxldcd_host *h, unsigned host,
				uint64_t offset, uint64_t len)
{
	size_t ext = 0, pend = 1;
	uint64_t until = now_ms() + TMO;

	ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d1\",\"host-id\":%u,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,"
		"\"extents\":[{\"offset\":%llu,\"len\":%llu}]}}",
		host, (unsigned long long)offset, (unsigned long long)len));
	while ((ext != 1 || pend || cxldcd_host_list_groups(h, NULL, 0) != 1) && now_ms() < until) {
		cxldcd_host_run_once(h, 20);
		host_state(c, "d1", host, &ext, &pend);
	}
	assert_int_equal(ext, 1);
	assert_int_equal(pend, 0);
	assert_int_equal(cxldcd_host_list_groups(h, NULL, 0), 1);
}

/* ---- hosts ---------------------------------------------------------------- */

static void host_log(void *opaque, int level, const char *msg)
{
	fprintf(stderr, "host %u [%d]: %s\n", (unsigned)(uintptr_t)opaque, level, msg);
}

static struct cxldcd_host *host_up(struct cxldcd_host_cfg *cfg)
{
	struct cxldcd_host *h = NULL;
	int rc = -1;

	if (getenv("TEST_VERBOSE")) {
		cfg->log_fn = host_log;
		cfg->log_opaque = (void *)(uintptr_t)cfg->host_id;
		cfg->log_level = 7;
	}
	for (int i = 0; i < 200 && rc; i++) {
		rc = cxldcd_host_new(cfg, &h);
		if (rc)
			poll(NULL, 0, 25);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(cxldcd_host_wait_ready(h, TMO), 0);
	return h;
}

/* A host on the Unix socket of @arg ("PATH" or "unix:PATH[,...]"). */
static struct cxldcd_host *unix_host(const char *arg, uint16_t id)
{
	char path[200];
	struct cxldcd_host_cfg cfg = { .socket_path = path, .host_id = id,
				       .accept = CXLDCD_HOST_ACCEPT_ALL };

	if (!strncmp(arg, "unix:", 5))
		arg += 5;
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(arg, ","), arg);
	return host_up(&cfg);
}

static struct cxldcd_host *tcp_host(struct dproc *p, uint16_t id)
{
	struct cxldcd_host_cfg cfg = { .tcp_addr = "127.0.0.1", .tcp_port = tcp_port_from_log(p),
				       .host_id = id, .accept = CXLDCD_HOST_ACCEPT_ALL };

	return host_up(&cfg);
}

static void pread_all(const char *path, uint64_t off, uint8_t *buf, size_t len)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/*
 * Host 1 of d1 over its Unix host link: mapped, accepts an add made on d1,
 * writes through its mapping into d1's backing file; d0 and its host 0
 * (@h0) see nothing of it.  Return host 1.
 */
static struct cxldcd_host *host1_maps_d1(struct qmp_client *c, const struct args *a,
					 struct cxldcd_host *h0)
{
	struct cxldcd_host_dev_info di;
	struct cxldcd_host_group_info g[4];
	struct cxldcd_host *h1;
	uint8_t file[4096];
	void *map;
	uint64_t size;

	h1 = unix_host(a->host1, 1);
	assert_int_equal(cxldcd_host_get_dev_info(h1, &di), 0);
	assert_int_equal(di.nr_regions, 1);
	assert_true(di.mapping);
	d1_offer_and_accept(c, h1, 1, 0, 2 * MiB);
	assert_int_equal(cxldcd_host_list_groups(h1, g, 4), 1);
	assert_int_equal(g[0].size, 2 * MiB);
	assert_int_equal(cxldcd_host_group_open(h1, NULL, g[0].id, &map, &size), 0);
	assert_int_equal(size, 2 * MiB);
	memset(map, 0x5a, 4096);
	assert_int_equal(cxldcd_host_group_close(h1, g[0].id), 0);
	pread_all(a->mem1, 0, file, 4096);
	for (size_t i = 0; i < 4096; i++)
		assert_int_equal(file[i], 0x5a);
	expect_d0_untouched(c);
	assert_int_equal(cxldcd_host_run_once(h0, 50) >= 0, 1);
	assert_int_equal(cxldcd_host_list_groups(h0, NULL, 0), 0);
	return h1;
}

/*
 * Host 2 of d1 over TCP: slow path by DPA, into d1's backing file; it
 * writes @out (4096 bytes, filled here) 512 bytes into its extent at 4 MiB
 * of region 0 (base in *@base) and cannot reach host 1's.  Return host 2.
 */
static struct cxldcd_host *host2_slow_path_on_d1(struct dproc *p, struct qmp_client *c,
						 const struct args *a, uint8_t *out, uint64_t *base)
{
	struct cxldcd_host_dev_info di;
	struct cxldcd_host *h2;
	uint8_t in[4096], file[4096];
	size_t ext, pend;

	h2 = tcp_host(p, 2);
	assert_int_equal(cxldcd_host_get_dev_info(h2, &di), 0);
	assert_int_equal(di.nr_regions, 1);
	assert_false(di.mapping);
	d1_offer_and_accept(c, h2, 2, 4 * MiB, 2 * MiB);
	for (size_t i = 0; i < 4096; i++)
		out[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(cxldcd_host_write(h2, di.regions[0].base + 4 * MiB + 512, out, 4096,
					   TMO), 0);
	assert_int_equal(cxldcd_host_read(h2, di.regions[0].base + 4 * MiB + 512, in, sizeof(in), TMO),
			 0);
	assert_memory_equal(in, out, 4096);
	pread_all(a->mem1, 4 * MiB + 512, file, sizeof(file));
	assert_memory_equal(file, out, 4096);
	/* Host 1's capacity is not host 2's. */
	assert_int_equal(cxldcd_host_read(h2, di.regions[0].base, in, 512, TMO), -EFAULT);
	expect_d0_untouched(c);
	host_state(c, "d1", 0, &ext, &pend);
	assert_int_equal(ext + pend, 0);
	*base = di.regions[0].base;
	return h2;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_each_listener_serves_its_own_device(void **state)
{
	struct cxldcd_host_dev_info di;
	struct cxldcd_host_group_info g[4];
	struct cxldcd_host *h0, *h1, *h2;
	struct dproc p;
	struct args a;
	struct qmp_client *c;
	unsigned hosts, regions;
	uint8_t out[4096], in[4096];
	size_t ext, pend;
	uint64_t base;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	make_args(&a, &p);
	c = start(&p, &a);

	/* One FM socket per device, each answering for its own. */
	fm_dcd_info(a.fm0, &hosts, &regions);
	assert_int_equal(hosts, 2);
	assert_int_equal(regions, 2);
	fm_dcd_info(a.fm1, &hosts, &regions);
	assert_int_equal(hosts, 3);
	assert_int_equal(regions, 1);

	/* Host 0 of d0 on the bare-PATH host socket: d0's two regions. */
	h0 = unix_host(a.host0, 0);
	assert_int_equal(cxldcd_host_get_dev_info(h0, &di), 0);
	assert_int_equal(di.nr_regions, 2);
	assert_true(di.mapping);

	h1 = host1_maps_d1(c, &a, h0);
	h2 = host2_slow_path_on_d1(&p, c, &a, out, &base);

	/* The journal put the host-link records on d1: they come back there after SIGKILL. */
	dproc_kill9(&p);
	qmp_client_free(c);
	cxldcd_host_free(h0);
	cxldcd_host_free(h1);
	cxldcd_host_free(h2);
	c = start(&p, &a);
	host_state(c, "d1", 1, &ext, &pend);
	assert_int_equal(ext, 1);
	assert_int_equal(pend, 0);
	host_state(c, "d1", 2, &ext, &pend);
	assert_int_equal(ext, 1);
	assert_int_equal(pend, 0);
	expect_d0_untouched(c);
	/* The TCP listener is back on a new port, still d1's. */
	h2 = tcp_host(&p, 2);
	assert_int_equal(cxldcd_host_list_groups(h2, g, 4), 1);
	assert_int_equal(cxldcd_host_read(h2, base + 4 * MiB + 512, in, sizeof(in), TMO), 0);
	assert_memory_equal(in, out, sizeof(out));
	cxldcd_host_free(h2);
	qmp_client_free(c);
}

static void test_unknown_device_id_is_a_command_line_error(void **state)
{
	struct dproc p;
	const char *args[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0",
		"--host-socket", "tcp:127.0.0.1:0,device=d7", NULL
	};

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	assert_int_equal(dproc_start(&p, args), 0);
	assert_int_equal(dproc_wait_exit(&p, TMO), 2);
	if (!strstr(dproc_log(&p), "cxldcd: --host-socket 'tcp:127.0.0.1:0,device=d7': "
				   "device 'd7' is not a -device id\n"))
		fail_msg("unexpected log: %s", dproc_log(&p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_each_listener_serves_its_own_device, dproc_reap_all),
		cmocka_unit_test_teardown(test_unknown_device_id_is_a_command_line_error, dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("multidev", tests, NULL, NULL);
}
