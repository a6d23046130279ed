/* SPDX-License-Identifier: MIT */
/*
 * test-reasons.c - integration: one validator, the same verdict at every
 * face.  Each refusal is sent three ways to the real daemon: as the QMP
 * command (QEMU's text where QEMU has one, else the model's), as the FM-API
 * command through cxl-cci-request (return code and "reason") and over the FM
 * socket itself (return code).  After every refusal the device reads back
 * exactly as before (query-cxl-dynamic-capacity).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev-util.h"

#define TAG_A "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define TAG_B "0e4a0b4c-1f2a-4d55-9a8e-31e0c8a1b2c3"
static const uint8_t tag_a[16] = { 0x5b, 0xe1, 0x3b, 0xce, 0xae, 0x34, 0x4a, 0x77,
				   0xb6, 0xc3, 0x16, 0xdf, 0x97, 0x5f, 0xcf, 0x1a };
static const uint8_t tag_b[16] = { 0x0e, 0x4a, 0x0b, 0x4c, 0x1f, 0x2a, 0x4d, 0x55,
				   0x9a, 0x8e, 0x31, 0xe0, 0xc8, 0xa1, 0xb2, 0xc3 };

/* d0: untagged memory, 512 MiB in one region at DPA 0; s0: sharable, tag A backed. */
static const char *const devs[] = {
	"-object", "memory-backend-memfd,id=m0,size=512M",
	"-object", "memory-backend-ram,id=ma,size=256M,tag=" TAG_A,
	"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2",
	"-device", "cxl-type3,id=s0,num-dc-regions=1,dc-regions-total-size=256M,num-hosts=2,sharable=on",
	"--fm", NULL, NULL
};

struct face {
	struct dproc p;
	struct qmp_client *c;
	int fm;                 /* FM socket of d0 */
};

/* ---- payloads ----------------------------------------------------------- */

struct ext {
	uint64_t dpa, len;
};

/* 5604h (policy < 8) or 5605h (flags): header, then 40-byte extents (tag, seq 0.., in order). */
static size_t initiate(uint8_t *p, uint16_t host, uint8_t policy_or_flags, uint8_t region, uint64_t length,
		       const uint8_t *tag, const struct ext *e, uint32_t n, bool seq)
{
	memset(p, 0, 0x20 + 40u * n);
	put16(p, host);
	p[2] = policy_or_flags;
	p[3] = region;
	put64(p + 4, length);
	if (tag)
		memcpy(p + 0x0c, tag, 16);
	put32(p + 0x1c, n);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *x = p + 0x20 + 40u * i;

		put64(x, e[i].dpa);
		put64(x + 8, e[i].len);
		if (tag)
			memcpy(x + 16, tag, 16);
		if (seq)
			put16(x + 32, (uint16_t)i);
	}
	return 0x20 + 40u * n;
}

/* ---- the three faces ----------------------------------------------------- */

static void fm_exchange(int fd, uint16_t op, const uint8_t *in, size_t len, uint16_t want_rc)
{
	uint8_t msg[4096], rsp[4096];
	size_t got = 0;

	memset(msg, 0, 12);
	msg[1] = 0x55;
	put16(msg + 3, op);
	msg[5] = (uint8_t)len;
	msg[6] = (uint8_t)(len >> 8);
	memcpy(msg + 12, in, len);
	assert_int_equal(send(fd, msg, 12 + len, MSG_NOSIGNAL), (ssize_t)(12 + len));
	while (got < 12) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		assert_true(poll(&pfd, 1, TMO) > 0);
		k = read(fd, rsp + got, sizeof(rsp) - got);
		assert_true(k > 0);
		got += (size_t)k;
	}
	assert_int_equal(rsp[0], 0x01);
	assert_int_equal(rsp[8] | rsp[9] << 8, want_rc);
}

/* cxl-cci-request: the return code, and the reason when the model refused. */
static void cci_expect(struct qmp_client *c, const char *dev, const char *cci, int host, uint16_t op,
		       const uint8_t *in, size_t len, uint16_t want_rc, const char *reason)
{
	json_t *r = qmp_cci_reply(c, dev, cci, host, op, in, len);
	json_t *ret = json_object_get(r, "return");

	if (json_integer_value(json_object_get(ret, "return-code")) != want_rc)
		fail_msg("%04xh, want rc %u reason %s: %s", op, want_rc, reason, json_dumps(ret, JSON_COMPACT));
	if (!json_object_get(ret, "reason"))
		fail_msg("no reason in %s", json_dumps(ret, JSON_COMPACT));
	assert_string_equal(json_string_value(json_object_get(ret, "reason")), reason);
	assert_non_null(json_string_value(json_object_get(ret, "message")));
	json_decref(r);
}

static char *snapshot(struct qmp_client *c, const char *dev)
{
	json_t *q = expect_ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"%s\"}}", dev));
	char *s = json_dumps(json_object_get(q, "return"), JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(q);
	return s;
}

static void unchanged(struct qmp_client *c, const char *dev, const char *before)
{
	char *now = snapshot(c, dev);

	assert_string_equal(now, before);
	free(now);
}

/*
 * One refusal at every face: qmp (its desc: exact, or a part when part is
 * set), the FM command through cxl-cci-request and, for d0, the FM socket.
 */
static void refused(struct face *f, const char *dev, const char *qmp, const char *desc, bool part,
		    uint16_t op, const uint8_t *in, size_t len, uint16_t rc, const char *reason)
{
	char *before = snapshot(f->c, dev);

	if (part)
		expect_err_part(qmp_client_cmd(f->c, qmp, TMO), desc);
	else
		expect_err(qmp_client_cmd(f->c, qmp, TMO), desc);
	unchanged(f->c, dev, before);
	cci_expect(f->c, dev, "fm", -1, op, in, len, rc, reason);
	unchanged(f->c, dev, before);
	if (!strcmp(dev, "d0")) {
		fm_exchange(f->fm, op, in, len, rc);
		unchanged(f->c, dev, before);
	}
	free(before);
}

#define ADD0(ext) "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0," \
	"\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[" ext "]}}"
#define REL0(ext) "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0," \
	"\"removal-policy\":\"prescriptive\",\"region\":0,\"extents\":[" ext "]}}"
#define X(off, len) "{\"offset\":" #off ",\"len\":" #len "}"

static void start(struct face *f)
{
	const char *args[sizeof(devs) / sizeof(devs[0])];

	memcpy(args, devs, sizeof(devs));
	assert_int_equal(dproc_init(&f->p), 0);
	args[9] = f->p.fm_arg;
	f->c = connect_dev(&f->p, args);
	f->fm = dproc_connect_unix(f->p.fm, 5000);
	assert_true(f->fm >= 0);
}

/*
 * d0: host 0 holds [0, 2M) and has [4M, 6M) pending; host 1 holds [8M, 10M);
 * host 0 holds tag B at [32M, 34M).
 */
static void d0_state(struct face *f)
{
	ok(qmp_client_cmd(f->c, ADD0(X(0, 2097152)), TMO));
	ok(qmp_client_cmd(f->c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
			  "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_B "\","
			  "\"extents\":[{\"offset\":33554432,\"len\":2097152}]}}", TMO));
	assert_int_equal(host_answer_all(f->c, "d0", 0), 2);
	ok(qmp_client_cmd(f->c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
			  "\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[" X(8388608, 2097152) "]}}", TMO));
	assert_int_equal(host_answer_all(f->c, "d0", 1), 1);
	ok(qmp_client_cmd(f->c, ADD0(X(4194304, 2097152)), TMO));
}

static void test_add_reasons_at_every_face(void **state)
{
	struct face f;
	uint8_t p[1024];
	size_t n;
	char *before;

	(void)state;
	start(&f);
	d0_state(&f);

	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 16 * MiB, 0 } }, 1, false);
	refused(&f, "d0", ADD0(X(16777216, 0)), "extent with 0 length is not allowed", false,
		0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "zero-length");
	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { MiB, 2 * MiB } }, 1, false);
	refused(&f, "d0", ADD0(X(1048576, 2097152)), "dpa or len is not aligned to region block size", false,
		0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "unaligned");
	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 512 * MiB, 2 * MiB } }, 1, false);
	refused(&f, "d0", ADD0(X(536870912, 2097152)), "extent range is beyond the region end", false,
		0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "beyond-region");
	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 16 * MiB, 4 * MiB }, { 18 * MiB, 2 * MiB } }, 2, false);
	refused(&f, "d0", ADD0(X(16777216, 4194304) "," X(18874368, 2097152)),
		"duplicate or overlapped extents are detected", false,
		0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "list-overlap");
	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 0, 2 * MiB } }, 1, false);
	refused(&f, "d0", ADD0(X(0, 2097152)), "cannot add DPA already accessible to the same LD", false,
		0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "already-accessible");
	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 4 * MiB, 2 * MiB } }, 1, false);
	refused(&f, "d0", ADD0(X(4194304, 2097152)), "cannot add DPA again while still pending", false,
		0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "still-pending");
	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 8 * MiB, 2 * MiB } }, 1, false);
	refused(&f, "d0", ADD0(X(8388608, 2097152)), "overlaps capacity of host=1", true,
		0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "held-elsewhere");
	/*
	 * QEMU checks extent by extent: extent 0's state comes before extent 1's
	 * length (the QMP face used to check every length first).
	 */
	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 0, 2 * MiB }, { 16 * MiB, 0 } }, 2, false);
	refused(&f, "d0", ADD0(X(0, 2097152) "," X(16777216, 0)),
		"cannot add DPA already accessible to the same LD", false,
		0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "already-accessible");
	/*
	 * No extents: the FM command is refused; QMP, as QEMU, offers nothing
	 * and succeeds (its loop over the list runs zero times).
	 */
	n = initiate(p, 0, 2, 0, 0, NULL, NULL, 0, false);
	before = snapshot(f.c, "d0");
	ok(qmp_client_cmd(f.c, ADD0(""), TMO));
	unchanged(f.c, "d0", before);
	free(before);
	cci_expect(f.c, "d0", "fm", -1, 0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "no-extents");
	fm_exchange(f.fm, 0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST);
	n = initiate(p, 0, 0, 0, GiB, NULL, NULL, 0, false);
	refused(&f, "d0", "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
		"\"selection-policy\":\"free\",\"region\":0,\"extents\":[" X(0, 1073741824) "]}}",
		"not enough", true, 0x5604, p, n, CXLDCD_RC_RESOURCES_EXHAUSTED, "no-capacity");
	n = initiate(p, 1, 2, 0, 0, tag_b, (struct ext[]){ { 64 * MiB, 2 * MiB } }, 1, false);
	refused(&f, "d0", "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_B "\",\"extents\":[" X(67108864, 2097152) "]}}",
		"tag in use by host=0", true, 0x5604, p, n, CXLDCD_RC_INVALID_INPUT, "tag-in-use");
	/* FM only: QMP checks host-id itself. */
	n = initiate(p, 7, 2, 0, 0, NULL, (struct ext[]){ { 64 * MiB, 2 * MiB } }, 1, false);
	cci_expect(f.c, "d0", "fm", -1, 0x5604, p, n, CXLDCD_RC_INVALID_INPUT, "invalid-host");
	fm_exchange(f.fm, 0x5604, p, n, CXLDCD_RC_INVALID_INPUT);

	close(f.fm);
	qmp_client_free(f.c);
}

static void test_release_reasons_at_every_face(void **state)
{
	struct face f;
	uint8_t p[1024];
	size_t n;

	(void)state;
	start(&f);
	d0_state(&f);

	n = initiate(p, 0, 1, 0, 0, NULL, (struct ext[]){ { 16 * MiB, 2 * MiB } }, 1, false);
	refused(&f, "d0", REL0(X(16777216, 2097152)), "cannot release extent with non-existing DPA range", false,
		0x5605, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "not-held");
	n = initiate(p, 0, 1, 0, 0, NULL, (struct ext[]){ { 4 * MiB, 2 * MiB } }, 1, false);
	refused(&f, "d0", REL0(X(4194304, 2097152)), "cannot release extent with pending DPA range", false,
		0x5605, p, n, CXLDCD_RC_INVALID_PA, "still-pending");
	/* Pending is checked before coverage, over the whole range. */
	n = initiate(p, 0, 1, 0, 0, NULL, (struct ext[]){ { 2 * MiB, 4 * MiB } }, 1, false);
	refused(&f, "d0", REL0(X(2097152, 4194304)), "cannot release extent with pending DPA range", false,
		0x5605, p, n, CXLDCD_RC_INVALID_PA, "still-pending");
	n = initiate(p, 0, 1, 0, 0, NULL, (struct ext[]){ { 0, 0 } }, 1, false);
	refused(&f, "d0", REL0(X(0, 0)), "extent with 0 length is not allowed", false,
		0x5605, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "zero-length");
	n = initiate(p, 0, 1, 0, 0, NULL, (struct ext[]){ { 0, MiB } }, 1, false);
	refused(&f, "d0", REL0(X(0, 1048576)), "dpa or len is not aligned to region block size", false,
		0x5605, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "unaligned");
	n = initiate(p, 0, 1, 0, 0, NULL, (struct ext[]){ { 0, 2 * MiB }, { 0, 2 * MiB } }, 2, false);
	refused(&f, "d0", REL0(X(0, 2097152) "," X(0, 2097152)), "duplicate or overlapped extents are detected", false,
		0x5605, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "list-overlap");
	n = initiate(p, 0, 0, 0, 0, tag_a, NULL, 0, false);
	refused(&f, "d0", "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
		"\"removal-policy\":\"tag-based\",\"region\":0,\"tag\":\"" TAG_A "\"}}",
		"tag-based release: tag not found on the host", true,
		0x5605, p, n, CXLDCD_RC_INVALID_INPUT, "tag-not-on-host");
	n = initiate(p, 0, 0, 0, 4 * MiB, tag_b, NULL, 0, false);
	refused(&f, "d0", "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
		"\"removal-policy\":\"tag-based\",\"region\":0,\"tag\":\"" TAG_B "\",\"extents\":[" X(0, 4194304) "]}}",
		"exceeds the tag's", true, 0x5605, p, n, CXLDCD_RC_RESOURCES_EXHAUSTED, "length-mismatch");
	/* Host face (4802h through the host's mailbox): nothing offered to host 1. */
	memset(p, 0, 8);
	cci_expect(f.c, "d0", "mailbox", 1, 0x4802, p, 8, CXLDCD_RC_INVALID_INPUT, "no-pending-add");
	/*
	 * "other": a refusal the model does not classify further, e.g. 0103h
	 * asking FW interrupts (10b) for the DC log; the text says why.
	 */
	memset(p, 0, 5);
	p[CXLDCD_LOG_DC] = 2;
	cci_expect(f.c, "d0", "mailbox", 1, 0x0103, p, 5, CXLDCD_RC_INVALID_INPUT, "other");

	close(f.fm);
	qmp_client_free(f.c);
}

/*
 * Sharable capacity: tags and shared access (s0), and the per-tag release
 * rule of CXL r3.2 §7.6.7.6.6 (5605h: Invalid Input) and §8.2.10.9.9.4
 * (4803h: Invalid Extent List).
 */
static void test_sharable_reasons_and_release_per_tag(void **state)
{
	struct face f;
	uint8_t p[1024];
	size_t n;
	char *before;

	(void)state;
	start(&f);
	/* Host 0 accepts tag A as two extents: [0, 32M) and [64M, 96M). */
	ok(qmp_client_cmd(f.c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":0,"
			  "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
			  "\"extents\":[" X(0, 33554432) "," X(67108864, 33554432) "]}}", TMO));
	assert_int_equal(host_answer_all(f.c, "s0", 0), 2);

	n = initiate(p, 1, 2, 0, 0, NULL, (struct ext[]){ { 128 * MiB, 2 * MiB } }, 1, false);
	refused(&f, "s0", "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":1,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[" X(134217728, 2097152) "]}}",
		"sharable region requires a tag", true, 0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "tag-required");
	n = initiate(p, 1, 3, 0, 0, tag_b, NULL, 0, false);
	refused(&f, "s0", "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":1,"
		"\"selection-policy\":\"enable-shared-access\",\"region\":0,\"tag\":\"" TAG_B "\"}}",
		"enable shared access: tag not found", true, 0x5604, p, n, CXLDCD_RC_INVALID_INPUT, "tag-not-found");
	n = initiate(p, 0, 3, 0, 0, tag_a, NULL, 0, false);
	refused(&f, "s0", "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":0,"
		"\"selection-policy\":\"enable-shared-access\",\"region\":0,\"tag\":\"" TAG_A "\"}}",
		"enable shared access: tag already accessible", true,
		0x5604, p, n, CXLDCD_RC_INVALID_INPUT, "already-accessible");
	n = initiate(p, 1, 2, 0, 0, tag_a, (struct ext[]){ { 128 * MiB, 2 * MiB } }, 1, true);
	refused(&f, "s0", "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":1,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\",\"extents\":[" X(134217728, 2097152) "]}}",
		"tag already in use", true, 0x5604, p, n, CXLDCD_RC_INVALID_INPUT, "tag-in-use");

	/* 5605h of one whole extent of the two: Invalid Input, nothing changes. */
	n = initiate(p, 0, 1, 0, 0, NULL, (struct ext[]){ { 64 * MiB, 32 * MiB } }, 1, false);
	refused(&f, "s0", "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":0,"
		"\"removal-policy\":\"prescriptive\",\"region\":0,\"extents\":[" X(67108864, 33554432) "]}}",
		"sharable capacity is released per tag", true,
		0x5605, p, n, CXLDCD_RC_INVALID_INPUT, "sharable-partial");
	/* Forced too. */
	n = initiate(p, 0, 1 | 0x10, 0, 0, NULL, (struct ext[]){ { 0, 32 * MiB } }, 1, false);
	refused(&f, "s0", "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":0,"
		"\"removal-policy\":\"prescriptive\",\"forced-removal\":true,\"region\":0,\"extents\":[" X(0, 33554432) "]}}",
		"sharable capacity is released per tag", true,
		0x5605, p, n, CXLDCD_RC_INVALID_INPUT, "sharable-partial");
	/* 4803h of one whole extent from the host: Invalid Extent List, nothing changes. */
	before = snapshot(f.c, "s0");
	memset(p, 0, 8 + 0x18);
	put32(p, 1);
	put64(p + 8, 0);
	put64(p + 16, 32 * MiB);
	cci_expect(f.c, "s0", "mailbox", 0, 0x4803, p, 8 + 0x18, CXLDCD_RC_INVALID_EXTENT_LIST, "sharable-partial");
	unchanged(f.c, "s0", before);
	free(before);
	/* Both extents in one request: released. */
	ok(qmp_client_cmd(f.c, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":0,"
			  "\"removal-policy\":\"prescriptive\",\"region\":0,\"extents\":[" X(0, 33554432) "," X(67108864, 33554432) "]}}", TMO));
	{
		/* The host gives the tag back in one Release DC too. */
		struct cxldcd_event ev[4];

		assert_int_equal(host_read_dc_log(f.c, "s0", 0, ev, 4), 2);
		assert_int_equal(host_send_ranges(f.c, "s0", 0, 0x4803, ev, 2), 0);
	}
	assert_string_equal(tag_status(f.c, "s0", 0, TAG_A), "released");

	close(f.fm);
	qmp_client_free(f.c);
}

/* Limits, tag rules and a dead group, on a small device (and a tag-backed t0). */
static void test_limit_and_tag_reasons_at_every_face(void **state)
{
	static const char *const small[] = {
		"-object", "memory-backend-memfd,id=m0,size=512M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2,"
			   "max-extents=3,max-tags=1,event-log-depth=2",
		"-device", "cxl-type3,id=t0,num-dc-regions=1,dc-regions-total-size=256M",
		"--trace", "cci", "--log-level=debug",
		"--fm", NULL, NULL
	};
	const char *args[sizeof(small) / sizeof(small[0])];
	struct face f;
	uint8_t p[1024];
	size_t n;

	(void)state;
	memcpy(args, small, sizeof(small));
	assert_int_equal(dproc_init(&f.p), 0);
	args[10] = f.p.fm_arg;
	f.c = connect_dev(&f.p, args);
	f.fm = dproc_connect_unix(f.p.fm, 5000);
	assert_true(f.fm >= 0);

	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 0, 2 * MiB }, { 4 * MiB, 2 * MiB },
							  { 8 * MiB, 2 * MiB }, { 12 * MiB, 2 * MiB } }, 4, false);
	refused(&f, "d0", ADD0(X(0, 2097152) "," X(4194304, 2097152) "," X(8388608, 2097152) "," X(12582912, 2097152)),
		"exceed max_extents=3", true, 0x5604, p, n, CXLDCD_RC_RESOURCES_EXHAUSTED, "extent-limit");
	/* --trace=cci logs the reason of what the FM socket was refused. */
	for (int i = 0; i < 50 && !strstr(dproc_log(&f.p), "reason=extent-limit"); i++)
		usleep(10000);
	assert_non_null(strstr(dproc_log(&f.p), "5604h in=192 -> Resources Exhausted out=0 reason=extent-limit (host=0 4 extents exceed max_extents=3"));
	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 0, 2 * MiB }, { 4 * MiB, 2 * MiB },
							  { 8 * MiB, 2 * MiB } }, 3, false);
	refused(&f, "d0", ADD0(X(0, 2097152) "," X(4194304, 2097152) "," X(8388608, 2097152)),
		"dc event log has 2 free records, 3 needed", true,
		0x5604, p, n, CXLDCD_RC_RETRY_REQUIRED, "log-full");
	n = initiate(p, 0, 2, 0, 0, NULL, (struct ext[]){ { 0, 2 * MiB }, { 4 * MiB, 2 * MiB } }, 2, true);
	cci_expect(f.c, "d0", "fm", -1, 0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST, "bad-sequence");
	fm_exchange(f.fm, 0x5604, p, n, CXLDCD_RC_INVALID_EXTENT_LIST);
	n = initiate(p, 0, 0, 5, 2 * MiB, NULL, NULL, 0, false);
	cci_expect(f.c, "d0", "fm", -1, 0x5604, p, n, CXLDCD_RC_INVALID_INPUT, "invalid-region");
	fm_exchange(f.fm, 0x5604, p, n, CXLDCD_RC_INVALID_INPUT);

	/* Host 1 has tag A pending: the one tag the device may track. */
	ok(qmp_client_cmd(f.c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
			  "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
			  "\"extents\":[" X(67108864, 2097152) "]}}", TMO));
	n = initiate(p, 1, 2, 0, 0, tag_b, (struct ext[]){ { 128 * MiB, 2 * MiB } }, 1, false);
	refused(&f, "d0", "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_B "\",\"extents\":[" X(134217728, 2097152) "]}}",
		"new tags exceed max_tags=1", true, 0x5604, p, n, CXLDCD_RC_RESOURCES_EXHAUSTED, "tag-limit");
	n = initiate(p, 0, 3, 0, 0, tag_a, NULL, 0, false);
	refused(&f, "d0", "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
		"\"selection-policy\":\"enable-shared-access\",\"region\":0,\"tag\":\"" TAG_A "\"}}",
		"tag capacity is in a non-sharable region", true,
		0x5604, p, n, CXLDCD_RC_INVALID_INPUT, "tag-not-sharable");
	/* The memory layer refuses a tag no backend has (t0 is tag-backed). */
	n = initiate(p, 0, 2, 0, 0, tag_b, (struct ext[]){ { 0, 2 * MiB } }, 1, false);
	refused(&f, "t0", "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"t0\",\"host-id\":0,"
		"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_B "\",\"extents\":[" X(0, 2097152) "]}}",
		"no memory backend has tag=" TAG_B, true, 0x5604, p, n, CXLDCD_RC_INVALID_PA, "vetoed");

	/* A forced release kills host 1's offer; its answer then finds a dead group. */
	ok(qmp_client_cmd(f.c, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
			  "\"removal-policy\":\"tag-based\",\"forced-removal\":true,\"region\":0,\"tag\":\"" TAG_A "\"}}", TMO));
	memset(p, 0, 8 + 0x18);
	put32(p, 1);
	put64(p + 8, 64 * MiB);
	put64(p + 16, 2 * MiB);
	cci_expect(f.c, "d0", "mailbox", 1, 0x4802, p, 8 + 0x18, CXLDCD_RC_INVALID_PA, "group-dead");

	close(f.fm);
	qmp_client_free(f.c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_add_reasons_at_every_face, dproc_reap_all),
		cmocka_unit_test_teardown(test_release_reasons_at_every_face, dproc_reap_all),
		cmocka_unit_test_teardown(test_sharable_reasons_and_release_per_tag, dproc_reap_all),
		cmocka_unit_test_teardown(test_limit_and_tag_reasons_at_every_face, dproc_reap_all),
	};

	return cmocka_run_group_tests_name("reasons", tests, NULL, NULL);
}
