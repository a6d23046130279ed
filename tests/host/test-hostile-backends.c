/* SPDX-License-Identifier: MIT */
/*
 * test-hostile-backends.c - integration: one memory backend given two uses
 * (two devices' DC memory, or a device's static capacity and a tag's DC
 * capacity), a label area and a restart must not become a path from one
 * host's bytes to another host.
 *
 * Each test starts the real daemon ($CXLDCD) and plays the hosts with
 * libcxldcd-host (accept all) and the orchestrator over QMP.  A backend
 * serves one use only (QEMU: "memory backend ID can't be used multiple
 * times."); before that rule held across devices and tags:
 *  - two devices whose volatile-dc-memdev is one backend: the next host of
 *    device d1 offered DPA X read what host 0 of device d0 had written there
 *    and released;
 *  - a tagged backend that is also a device's volatile-memdev with
 *    static-host=1: host 0, which has no static capacity, was offered the
 *    tag after a restart and read what host 1 wrote into its static capacity;
 *  - a tagged backend bound by two tag-backed devices: a host of the
 *    trusted one (it maps the backend itself), forced out of the tag,
 *    read through the fd it kept what a host of the other device wrote.
 * With the rule the daemon refuses the first (start fails) and the model
 * refuses the tag's add (Invalid Physical Address), so neither host reads
 * the other's bytes.
 * With static-host=1 the Label Storage Area is host 1's too: host 0 read
 * and overwrote host 1's labels (Get/Set LSA) before the model sized the
 * LSA per host (core_lsa_size_of()).
 * And a file backend's released capacity on a region that sanitizes on
 * release reads as zeros to its next owner after a crash and restart with
 * --state (passes on the old code: a regression test).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../qmp/host-util.h"
#include "cci-raw.h"
#include "hl-raw.h"
#include "rawmsg.h"

#define TAG_T "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define SECRET 0x5e

static struct cxldcd_host *host_on(const char *sock, uint16_t id)
{
	struct cxldcd_host_cfg cfg = { .socket_path = sock, .host_id = id,
				       .accept = CXLDCD_HOST_ACCEPT_ALL };
	struct cxldcd_host *h;

	assert_int_equal(dproc_host_new(&cfg, &h, TMO), 0);
	return h;
}

static uint64_t region0_base(const struct cxldcd_host *h)
{
	struct cxldcd_host_dev_info di;

	assert_int_equal(cxldcd_host_get_dev_info(h, &di), 0);
	return di.regions[0].base;
}

/* Offer host @id of @dev 2 MiB at region 0 offset 0 (with @tag unless NULL): the QMP reply. */
static json_t *offer(struct qmp_client *c, const char *dev, int id, const char *tag)
{
	char tagarg[64] = "";

	if (tag)
		snprintf(tagarg, sizeof(tagarg), ",\"tag\":\"%s\"", tag);
	return qmp_client_cmdf(c, TMO, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{"
			       "\"path\":\"%s\",\"host-id\":%d,\"selection-policy\":\"prescriptive\","
			       "\"region\":0%s,\"extents\":[{\"offset\":0,\"len\":2097152}]}}",
			       dev, id, tagarg);
}

/* Run host h until the device lists n extents for host id. */
static void run_until(struct qmp_client *c, const char *dev, int id, struct cxldcd_host *h,
		      size_t n)
{
	for (int i = 0; i < 500 && qmp_host_extent_count(c, dev, (size_t)id) != n; i++)
		cxldcd_host_run_once(h, 20);
	assert_int_equal(qmp_host_extent_count(c, dev, (size_t)id), n);
}

/* Give back every group of h (Release DC) and run it until the device lists none. */
static void release_all(struct qmp_client *c, const char *dev, int id, struct cxldcd_host *h)
{
	struct cxldcd_host_group_info g[4];
	uint32_t n = cxldcd_host_list_groups(h, g, 4);

	assert_true(n >= 1 && n <= 4);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(cxldcd_host_group_release(h, NULL, g[i].id), 0);
	run_until(c, dev, id, h, 0);
}

/*
 * Offer host 0 of dev tag T, whose backend is tm0: whether the model refused
 * it (the error names tm0, and host 0 holds nothing).
 */
static bool offer_of_tm0_refused(struct qmp_client *c, const char *dev)
{
	json_t *r = offer(c, dev, 0, TAG_T);

	if (!json_object_get(r, "error")) {
		json_decref(r);
		return false;
	}
	expect_err_part(r, "tm0");
	assert_int_equal(qmp_host_extent_count(c, dev, 0), 0);
	return true;
}

/* Close c and stop the daemon with SIGTERM: it exits with status 0. */
static void stop_cleanly(struct dproc *p, struct qmp_client *c)
{
	qmp_client_free(c);
	kill(p->pid, SIGTERM);
	assert_int_equal(dproc_wait_exit(p, TMO), 0);
}

static bool has_byte(const uint8_t *p, size_t n, uint8_t v)
{
	return memchr(p, v, n) != NULL;
}

/* Whether host h finds SECRET in the first MiB of its region 0 (read into buf). */
static bool reads_secret(struct cxldcd_host *h, uint8_t *buf)
{
	memset(buf, 0, MiB);
	assert_int_equal(cxldcd_host_read(h, region0_base(h), buf, MiB, TMO), 0);
	return has_byte(buf, MiB, SECRET);
}

/*
 * Start the daemon with @args: 0 and the QMP client in *c, or the exit
 * status it stopped with (within 2 s) and *c NULL.
 */
static int start_or_refuse(struct dproc *p, const char *const *args, struct qmp_client **c)
{
	int st;

	*c = NULL;
	assert_int_equal(dproc_start(p, args), 0);
	st = dproc_wait_exit(p, 2000);
	if (st >= 0)
		return st;
	*c = dproc_connect(p, TMO);
	if (!*c)
		fail_msg("daemon did not come up: %s", dproc_log(p));
	return 0;
}

static void test_two_devices_cannot_share_a_dc_backend(void **state)
{
	char h0[200], h1[200];
	const char *args[] = { "-object", "memory-backend-ram,id=m0,size=512M",
			       "-device", "cxl-type3,id=d0,num-dc-regions=2,volatile-dc-memdev=m0,num-hosts=2",
			       "-device", "cxl-type3,id=d1,num-dc-regions=2,volatile-dc-memdev=m0,num-hosts=2",
			       "--host-socket", h0, "--host-socket", h1, "--fm", "none", NULL };
	struct cxldcd_host *a, *b;
	struct qmp_client *c;
	static uint8_t buf[2 * MiB];
	struct dproc p;
	int st;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(h0, sizeof(h0), "%s/h0.sock,device=d0", p.dir);
	snprintf(h1, sizeof(h1), "%s/h1.sock,device=d1", p.dir);
	st = start_or_refuse(&p, args, &c);
	if (!c) {
		assert_int_not_equal(st, 0);
		assert_non_null(strstr(dproc_log(&p), "memory backend m0 can't be used multiple times"));
		return;
	}
	/* It started: host 0 of d0 writes DPA X and releases it; host 0 of d1 takes its X. */
	snprintf(h0, sizeof(h0), "%s/h0.sock", p.dir);
	snprintf(h1, sizeof(h1), "%s/h1.sock", p.dir);
	a = host_on(h0, 0);
	b = host_on(h1, 0);
	ok(offer(c, "d0", 0, NULL));
	run_until(c, "d0", 0, a, 1);
	memset(buf, SECRET, sizeof(buf));
	assert_int_equal(cxldcd_host_write(a, region0_base(a), buf, MiB, TMO), 0);
	release_all(c, "d0", 0, a);
	ok(offer(c, "d1", 0, NULL));
	run_until(c, "d1", 0, b, 1);
	if (reads_secret(b, buf))
		fail_msg("host 0 of device d1 read the bytes host 0 of device d0 wrote and released");
	cxldcd_host_free(a);
	cxldcd_host_free(b);
	qmp_client_free(c);
}

/*
 * tm0 carries tag T and is d0's volatile-memdev, which only host 1 reaches
 * (static-host=1).  Host 1 writes its static capacity; after a clean restart
 * (the file keeps it) the orchestrator offers host 0 tag T.
 */
static void test_a_static_backend_is_no_tags_dc_memory(void **state)
{
	char obj[300], h[200];
	const char *args[] = { "-object", obj,
			       "-device", "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=256M,"
					  "volatile-memdev=tm0,static-host=1,num-hosts=2",
			       "--host-socket", h, "--fm", "none", NULL };
	struct cxldcd_host *h0, *h1;
	struct qmp_client *c;
	static uint8_t buf[2 * MiB];
	struct dproc p;
	int st;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(obj, sizeof(obj), "memory-backend-file,id=tm0,size=256M,share=on,tag=" TAG_T
		 ",mem-path=%s/tm0.mem", p.dir);
	snprintf(h, sizeof(h), "%s/h.sock", p.dir);
	st = start_or_refuse(&p, args, &c);
	assert_int_equal(st, 0);
	h1 = host_on(h, 1);
	memset(buf, SECRET, sizeof(buf));
	assert_int_equal(cxldcd_host_write(h1, 0, buf, MiB, TMO), 0); /* static DPA 0 */
	cxldcd_host_free(h1);
	stop_cleanly(&p, c);

	c = connect_dev(&p, args);
	h0 = host_on(h, 0);
	if (!offer_of_tm0_refused(c, "d0")) {
		run_until(c, "d0", 0, h0, 1);
		if (reads_secret(h0, buf))
			fail_msg("host 0 read through tag T what host 1 wrote into its own static capacity");
	}
	cxldcd_host_free(h0);
	qmp_client_free(c);
}

/*
 * Capacity released on a region that sanitizes on release stays zero for the
 * next owner across a crash and restart with --state.  Host 0 writes its
 * capacity and the daemon stops cleanly (the file backend gets the bytes);
 * started again, host 0 gets its capacity back (replay) and gives it back;
 * the daemon is killed (SIGKILL) and started once more, and host 1 is
 * offered the same range: it reads zeros, not what the file held.
 */
static void test_a_sanitized_release_stays_zero_across_a_restart(void **state)
{
	char obj[300], h[200];
	const char *args[] = { "-object", obj,
			       "-device", "cxl-type3,id=d0,num-dc-regions=2,volatile-dc-memdev=m0,num-hosts=2,"
					  "sanitize-on-release=on",
			       "--host-socket", h, "--fm", "none", "--state", NULL, NULL };
	struct cxldcd_host *h0, *h1;
	struct qmp_client *c;
	static uint8_t buf[2 * MiB];
	struct dproc p;

	(void)state;
	assert_int_equal(dproc_init(&p), 0);
	snprintf(obj, sizeof(obj), "memory-backend-file,id=m0,size=512M,share=on,mem-path=%s/m0.mem",
		 p.dir);
	snprintf(h, sizeof(h), "%s/h.sock", p.dir);
	args[9] = p.state;
	c = connect_dev(&p, args);
	h0 = host_on(h, 0);
	ok(offer(c, "d0", 0, NULL));
	run_until(c, "d0", 0, h0, 1);
	memset(buf, SECRET, sizeof(buf));
	for (uint64_t off = 0; off < sizeof(buf); off += MiB) /* a request moves 1 MiB at most */
		assert_int_equal(cxldcd_host_write(h0, region0_base(h0) + off, buf, MiB, TMO), 0);
	cxldcd_host_free(h0);
	stop_cleanly(&p, c);

	c = connect_dev(&p, args);
	h0 = host_on(h, 0);
	run_until(c, "d0", 0, h0, 1);
	release_all(c, "d0", 0, h0);
	cxldcd_host_free(h0);
	qmp_client_free(c);
	dproc_kill9(&p);

	c = connect_dev(&p, args);
	h1 = host_on(h, 1);
	ok(offer(c, "d0", 1, NULL));
	run_until(c, "d0", 1, h1, 1);
	memset(buf, 0xff, sizeof(buf));
	for (uint64_t off = 0; off < sizeof(buf); off += MiB)
		assert_int_equal(cxldcd_host_read(h1, region0_base(h1) + off, buf + off, MiB, TMO), 0);
	if (has_byte(buf, sizeof(buf), SECRET))
		fail_msg("host 1 read what host 0 wrote and released on a sanitizing region");
	assert_null(memchr(buf, 0xff, sizeof(buf)));
	cxldcd_host_free(h1);
	qmp_client_free(c);
}

/*
 * static-host=1: the persistent capacity, and so its Label Storage Area, is
 * host 1's alone.  Host 1 labels it; host 0, for which the device has no
 * static capacity, must see no LSA (Identify Memory Device: LSA Size 0),
 * read none of host 1's label and write none of its own over it.
 */
static void test_a_host_without_static_capacity_has_no_label_area(void **state)
{
	const char *args[] = { "-object", "memory-backend-ram,id=pm,size=256M",
			       "-object", "memory-backend-ram,id=lsa0,size=128K",
			       "-device", "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=256M,"
					  "persistent-memdev=pm,lsa=lsa0,static-host=1,num-hosts=2",
			       "--fm", "none", "--host-socket", "none", NULL };
	static const uint8_t label[16] = "host 1's label";
	uint8_t set[8 + sizeof(label)] = { 0 }, get[8] = { 0 }, out[256], evil[8 + 16];
	struct qmp_client *c;
	struct dproc p;
	size_t n;

	(void)state;
	c = start_dev(&p, args);
	memcpy(set + 8, label, sizeof(label));              /* Set LSA: offset 0, reserved, data */
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 1, 0x4103, set, sizeof(set), out, &n), 0);
	put32(get + 4, sizeof(label));                      /* Get LSA: offset 0, length 16 */

	n = 0;
	if (!qmp_cci(c, "d0", "mailbox", 0, 0x4102, get, sizeof(get), out, &n) && n &&
	    !memcmp(out, label, sizeof(label)))
		fail_msg("host 0 read the label host 1 wrote for its own persistent capacity");
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0x4000, NULL, 0, out, &n), 0);
	assert_true(n >= 0x3c);
	assert_int_equal(out[0x38] | out[0x39] << 8 | out[0x3a] << 16 | (uint32_t)out[0x3b] << 24, 0);
	memset(evil, 0x66, sizeof(evil));
	memset(evil, 0, 8);
	assert_int_not_equal(qmp_cci(c, "d0", "mailbox", 0, 0x4103, evil, sizeof(evil), NULL, NULL), 0);

	assert_int_equal(qmp_cci(c, "d0", "mailbox", 1, 0x4000, NULL, 0, out, &n), 0);
	assert_int_equal(out[0x38] | out[0x39] << 8 | out[0x3a] << 16 | (uint32_t)out[0x3b] << 24,
			 128 * 1024);
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 1, 0x4102, get, sizeof(get), out, &n), 0);
	assert_int_equal(n, sizeof(label));
	assert_memory_equal(out, label, sizeof(label));
	qmp_client_free(c);
}

/*
 * The next message of type want (others skipped, their fds closed), within
 * TMO: its payload (at most cap bytes) in p; a MAP's fd in *fd (else -1).
 */
static void raw_next(struct raw *r, uint8_t want, uint8_t *p, size_t cap, int *fd)
{
	for (int i = 0; i < 1000; i++) {
		struct pollfd pf = { .fd = r->sock, .events = POLLIN };

		if (raw_pop(r, want, p, cap, fd))
			return;
		if (poll(&pf, 1, 10) != 1)
			continue;
		assert_true(raw_recv(r) > 0);
	}
	fail_msg("no message of type 0x%02x from the daemon", want);
}

/*
 * tm0 carries tag T.  Device d1 trusts its hosts (a host maps the backend
 * itself, and keeps it after a forced release); device d0 does not.  A
 * hostile host 0 of d1 accepts T, keeps the fd when T is taken from it; the
 * orchestrator then offers T on d0, whose host 0 writes and releases it.
 * Through the fd it kept, d1's host must not read what d0's host wrote:
 * a tag's backend serves one device.
 */
static void test_a_tags_backend_serves_one_device(void **state)
{
	char h0[200], h1[200];
	const char *args[] = { "-object", "memory-backend-ram,id=tm0,size=256M,tag=" TAG_T,
			       "-device", "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=256M,num-hosts=2",
			       "-device", "cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=256M,num-hosts=2,"
					  "trusted-hosts=on",
			       "--host-socket", h0, "--host-socket", h1, "--fm", "none", NULL };
	uint8_t hello[8] = { 1, 0, 0, 0, HL_HELLO_F_MAP }, p[64], req[12 + 8 + 0x18] = { 0 };
	struct cxldcd_host *a;
	struct qmp_client *c;
	static uint8_t buf[2 * MiB];
	struct raw r = { 0 };
	struct hl_map m;
	struct dproc dp;
	uint64_t base;
	int fd;

	(void)state;
	assert_int_equal(dproc_init(&dp), 0);
	snprintf(h0, sizeof(h0), "%s/h0.sock,device=d0", dp.dir);
	snprintf(h1, sizeof(h1), "%s/h1.sock,device=d1", dp.dir);
	c = connect_dev(&dp, args);
	snprintf(h0, sizeof(h0), "%s/h0.sock", dp.dir);
	snprintf(h1, sizeof(h1), "%s/h1.sock", dp.dir);

	/* d1's host 0, raw: HELLO with mapping, then T offered and accepted (4802h) */
	r.sock = dproc_connect_unix(h1, TMO);
	assert_true(r.sock >= 0);
	hl_raw_send(r.sock, HL_HELLO, 1, hello, sizeof(hello));
	raw_next(&r, HL_HELLO_ACK, p, sizeof(p), NULL);
	assert_int_equal(p[0] | p[1] << 8, 0);
	base = (uint64_t)p[0x10] | (uint64_t)p[0x11] << 8 | (uint64_t)p[0x12] << 16 |
	       (uint64_t)p[0x13] << 24 | (uint64_t)p[0x14] << 32 | (uint64_t)p[0x15] << 40;
	ok(offer(c, "d1", 0, TAG_T));
	cci_raw_hdr(req, 1, 0x4802, 8 + 0x18);
	put32(req + 12, 1);
	put64(req + 20, base);
	put64(req + 28, 2 * MiB);
	hl_raw_send(r.sock, HL_CCI_REQ, 2, req, sizeof(req));
	raw_next(&r, HL_MAP, p, sizeof(p), &fd);
	assert_int_equal(hl_dec_map(p, HL_MAP_SIZE, &m), 0);
	assert_true(fd >= 0);
	raw_next(&r, HL_CCI_RSP, p, sizeof(p), NULL);
	assert_int_equal(p[8] | p[9] << 8, 0);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d1\","
			  "\"host-id\":0,\"removal-policy\":\"tag-based\",\"forced-removal\":true,"
			  "\"tag\":\"" TAG_T "\",\"region\":0}}", TMO));

	/* d0's host 0 is offered T, writes it and gives it back */
	a = host_on(h0, 0);
	if (!offer_of_tm0_refused(c, "d0")) {
		run_until(c, "d0", 0, a, 1);
		memset(buf, SECRET, sizeof(buf));
		assert_int_equal(cxldcd_host_write(a, region0_base(a), buf, MiB, TMO), 0);
		release_all(c, "d0", 0, a);
		memset(buf, 0, sizeof(buf));
		assert_int_equal(pread(fd, buf, MiB, (off_t)m.offset), (ssize_t)MiB);
		if (has_byte(buf, MiB, SECRET))
			fail_msg("host 0 of d1, forced out of tag T, read through its kept fd what host 0 of d0 wrote there");
	}
	close(fd);
	raw_close(&r);
	cxldcd_host_free(a);
	qmp_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_two_devices_cannot_share_a_dc_backend, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_static_backend_is_no_tags_dc_memory, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_sanitized_release_stays_zero_across_a_restart, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_host_without_static_capacity_has_no_label_area, dproc_reap_all),
		cmocka_unit_test_teardown(test_a_tags_backend_serves_one_device, dproc_reap_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
