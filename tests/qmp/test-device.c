/* SPDX-License-Identifier: MIT */
/*
 * test-device.c - integration: the real cxldcd with devices from the
 * command line, driven over QMP: the tagged-memory session of the seed
 * series end to end (the host played through cxl-cci-request), QEMU's own
 * DCD example and the cover letter's session pasted unchanged, every
 * selection and removal policy, events, every command's error texts, and
 * several clients hammering the daemon at once.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dev-util.h"

#define TAG_A "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define TAG_B "0e4a0b4c-1f2a-4d55-9a8e-31e0c8a1b2c3"
#define VMEM "/machine/peripheral/cxl-vmem0"

/* A tag-backed device (the series' shape): one 4 GiB region, 2 hosts. */
static const char *const tagged_dev[] = {
	"-device", "cxl-type3,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=4G,num-hosts=2",
	NULL
};

static json_t *query(struct qmp_client *c, const char *dev)
{
	return expect_ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"%s\"}}", dev));
}

static json_t *host_of(json_t *q, int host)
{
	return json_array_get(json_object_get(ret_of(q), "hosts"), (size_t)host);
}

/* ---- the tagged-memory session ---------------------------------------- */

static void add_tagged(struct qmp_client *c, const char *tag, uint64_t off)
{
	ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"" VMEM "\","
		"\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"%s\","
		"\"extents\":[{\"offset\":%llu,\"len\":1073741824}]}}", tag, (unsigned long long)off));
}

static void test_tagged_memory_session(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	struct cxldcd_event ev[8];
	json_t *q, *e, *x;

	(void)state;
	c = start_dev(&p, tagged_dev);
	/* Two tagged 1 GiB backends: v1's tag on memory-backend-ram, the RFC's type. */
	ok(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\","
			  "\"id\":\"tm0\",\"size\":1073741824,\"share\":true,\"tag\":\"" TAG_A "\"}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-tagged\","
			  "\"id\":\"tm1\",\"size\":1073741824,\"tag\":\"" TAG_B "\"}}", TMO));
	assert_string_equal(tag_status(c, VMEM, 0, TAG_A), "not-found");

	add_tagged(c, TAG_A, 0);
	add_tagged(c, TAG_B, GiB);
	assert_string_equal(tag_status(c, VMEM, 0, TAG_A), "pending");
	/* An offered tag keeps its backend. */
	/* QEMU's exact text (user_creatable_del()); the debug log says why. */
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"tm0\"}}", TMO),
		   "object 'tm0' is in use, can not be deleted");

	/* The host reads both Add Capacity records (tags on them), clears them, accepts each group. */
	assert_int_equal(host_read_dc_log(c, VMEM, 0, ev, 8), 2);
	assert_int_equal(ev[0].dc_type, CXLDCD_DC_EV_ADD_CAPACITY);
	assert_int_equal(ev[0].dc_extent.len, GiB);
	assert_int_equal(ev[1].dc_extent.dpa, ev[0].dc_extent.dpa + GiB);
	assert_int_equal(host_send_ranges(c, VMEM, 0, 0x4802, &ev[0], 1), 0);
	assert_int_equal(host_send_ranges(c, VMEM, 0, 0x4802, &ev[1], 1), 0);
	e = qmp_client_event(c, "CXL_DC_CAPACITY_ACCEPTED", TMO);
	assert_non_null(e);
	x = json_array_get(json_object_get(json_object_get(e, "data"), "extents"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "tag")), TAG_A);
	assert_string_equal(json_string_value(json_object_get(json_object_get(e, "data"), "path")), VMEM);
	json_decref(e);
	assert_string_equal(tag_status(c, VMEM, 0, TAG_A), "committed");
	assert_string_equal(tag_status(c, VMEM, 0, TAG_B), "committed");
	q = query(c, VMEM);
	assert_int_equal(json_array_size(json_object_get(host_of(q, 0), "extents")), 2);
	assert_int_equal(json_integer_value(json_object_get(host_of(q, 0), "generation")), 2);
	assert_int_equal(json_array_size(json_object_get(ret_of(q), "tags")), 2);
	json_decref(q);

	/* Bound backends cannot go. */
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"tm0\"}}", TMO),
		   "object 'tm0' is in use, can not be deleted");
	q = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-memdev\"}", TMO));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ret_of(q), 0), "bound-extents")), 1);
	json_decref(q);

	/* Tag-based release of A: the host gets a Release Capacity record with the tag. */
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"" VMEM "\","
			  "\"host-id\":0,\"removal-policy\":\"tag-based\",\"tag\":\"" TAG_A "\",\"region\":0}}", TMO));
	assert_string_equal(tag_status(c, VMEM, 0, TAG_A), "release-pending");
	assert_int_equal(host_read_dc_log(c, VMEM, 0, ev, 8), 1);
	assert_int_equal(ev[0].dc_type, CXLDCD_DC_EV_RELEASE_CAPACITY);
	assert_string_equal(tag_text(ev[0].dc_extent.tag), TAG_A);
	assert_int_equal(host_send_ranges(c, VMEM, 0, 0x4803, &ev[0], 1), 0);
	e = qmp_client_event(c, "CXL_DC_CAPACITY_RELEASED", TMO);
	assert_non_null(e);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "data"), "host-id")), 0);
	json_decref(e);
	assert_string_equal(tag_status(c, VMEM, 0, TAG_A), "released");
	assert_string_equal(tag_status(c, VMEM, 0, TAG_B), "committed");

	/* Now tm0 can go; tm1 (still bound) cannot. */
	ok(qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"tm0\"}}", TMO));
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"tm1\"}}", TMO),
		   "object 'tm1' is in use, can not be deleted");
	q = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-memdev\"}", TMO));
	assert_int_equal(json_array_size(ret_of(q)), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ret_of(q), 0), "tag")), TAG_B);
	json_decref(q);
	qmp_client_free(c);
}

/* ---- sessions pasted from QEMU's documentation and the cover letter ---- */

static void test_qemu_documentation_dcd_session_works_unchanged(void **state)
{
	/* docs/system/devices/cxl.rst's DCD device (bus= is accepted and ignored). */
	static const char *const args[] = {
		"-object", "memory-backend-ram,id=vmem0,share=on,size=4G",
		"-device", "cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2",
		NULL
	};
	struct dproc p;
	struct qmp_client *c;
	json_t *q;

	(void)state;
	c = start_dev(&p, args);
	ok(qmp_client_cmd(c,
		"{ \"execute\": \"cxl-add-dynamic-capacity\",\n"
		"  \"arguments\": {\n"
		"      \"path\": \"/machine/peripheral/cxl-dcd0\",\n"
		"      \"host-id\": 0,\n"
		"      \"selection-policy\": \"prescriptive\",\n"
		"      \"region\": 0,\n"
		"      \"extents\": [\n"
		"      {\n"
		"          \"offset\": 0,\n"
		"          \"len\": 134217728\n"
		"      },\n"
		"      {\n"
		"          \"offset\": 134217728,\n"
		"          \"len\": 134217728\n"
		"      }\n"
		"      ]\n"
		"  }\n"
		"}\n", TMO));
	assert_int_equal(host_answer_all(c, "cxl-dcd0", 0), 2);
	ok(qmp_client_cmd(c,
		"{ \"execute\": \"cxl-release-dynamic-capacity\",\n"
		"  \"arguments\": {\n"
		"      \"path\": \"/machine/peripheral/cxl-dcd0\",\n"
		"      \"host-id\": 0,\n"
		"      \"removal-policy\": \"prescriptive\",\n"
		"      \"region\": 0,\n"
		"      \"extents\": [\n"
		"      {\n"
		"          \"offset\": 134217728,\n"
		"          \"len\": 134217728\n"
		"      }\n"
		"      ]\n"
		"  }\n"
		"}\n", TMO));
	assert_int_equal(host_answer_all(c, "cxl-dcd0", 0), 1);
	q = query(c, "/machine/peripheral/cxl-dcd0");
	assert_int_equal(json_array_size(json_object_get(host_of(q, 0), "extents")), 1);
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(json_object_get(host_of(q, 0), "extents"), 0), "len")), 134217728);
	/* QEMU's rule: the 4 GiB backend is split evenly over 2 regions. */
	assert_int_equal(json_integer_value(json_object_get(
		json_array_get(json_object_get(ret_of(q), "regions"), 1), "len")), 2 * GiB);
	json_decref(q);
	qmp_client_free(c);
}

static void test_cover_letter_session_works_unchanged(void **state)
{
	static const char *const args[] = {
		"-device", "cxl-type3,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=4G", NULL
	};
	struct dproc p;
	struct qmp_client *c;
	json_t *r;

	(void)state;
	c = start_dev(&p, args);
	r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\"/machine/peripheral/cxl-vmem0\",\"host-id\":0,\"region\":0,\"tag\":\"5be13bce-ae34-4a77-b6c3-16df975fcf1a\"}}", TMO));
	assert_string_equal(json_string_value(json_object_get(ret_of(r), "status")), "not-found");
	assert_non_null(json_string_value(json_object_get(ret_of(r), "message")));
	json_decref(r);
	ok(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"tm0\",\"size\":1073741824,\"tag\":\"5be13bce-ae34-4a77-b6c3-16df975fcf1a\"}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"/machine/peripheral/cxl-vmem0\",\"host-id\":0,\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"5be13bce-ae34-4a77-b6c3-16df975fcf1a\",\"extents\":[{\"offset\":0,\"len\":1073741824}]}}", TMO));
	assert_int_equal(host_answer_all(c, "cxl-vmem0", 0), 1);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"/machine/peripheral/cxl-vmem0\",\"host-id\":0,\"removal-policy\":\"tag-based\",\"tag\":\"5be13bce-ae34-4a77-b6c3-16df975fcf1a\",\"region\":0,\"extents\":[{\"offset\":0,\"len\":1073741824}]}}", TMO));
	assert_string_equal(tag_status(c, VMEM, 0, TAG_A), "release-pending");
	assert_int_equal(host_answer_all(c, "cxl-vmem0", 0), 1);
	assert_string_equal(tag_status(c, VMEM, 0, TAG_A), "released");
	ok(qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"tm0\"}}", TMO));
	qmp_client_free(c);
}

/* ---- policies ------------------------------------------------------------ */

static void test_free_contiguous_shared_forced_and_sanitize(void **state)
{
	static const char *const args[] = {
		"-object", "memory-backend-memfd,id=m0,size=1G",
		"-object", "memory-backend-ram,id=t0,size=64M,tag=" TAG_A,
		"-device", "cxl-type3,id=d0,num-dc-regions=2,volatile-dc-memdev=m0,num-hosts=2,dc-block-size=2M",
		"-device", "cxl-type3,id=s0,num-dc-regions=1,dc-regions-total-size=256M,num-hosts=2,sharable=on",
		NULL
	};
	struct dproc p;
	struct qmp_client *c;
	json_t *q, *ext, *e;

	(void)state;
	c = start_dev(&p, args);
	/* free: the length is the sum of extents[].len; offsets are ignored. */
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
			  "\"selection-policy\":\"free\",\"region\":1,\"extents\":[{\"offset\":0,\"len\":4194304},{\"offset\":0,\"len\":2097152}]}}", TMO));
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
			  "\"selection-policy\":\"contiguous\",\"region\":0,\"extents\":[{\"offset\":0,\"len\":8388608}]}}", TMO));
	assert_int_equal(host_answer_all(c, "d0", 1), 2);
	q = query(c, "d0");
	ext = json_object_get(host_of(q, 1), "extents");
	assert_int_equal(json_array_size(ext), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ext, 0), "len")), 8 * MiB);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ext, 1), "region")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ext, 1), "len")), 6 * MiB);
	json_decref(q);
	/* forced removal revokes at once, with sanitize. */
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":1,"
			  "\"removal-policy\":\"prescriptive\",\"forced-removal\":true,\"sanitize-on-release\":true,"
			  "\"region\":0,\"extents\":[{\"offset\":0,\"len\":8388608}]}}", TMO));
	e = qmp_client_event(c, "CXL_DC_FORCED_RELEASE", TMO);
	assert_non_null(e);
	json_decref(e);
	q = query(c, "d0");
	assert_int_equal(json_array_size(json_object_get(host_of(q, 1), "extents")), 1);
	json_decref(q);

	/* A sharable region: host 0 gets tag A, host 1 joins with enable-shared-access. */
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":0,"
			  "\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
			  "\"extents\":[{\"offset\":0,\"len\":33554432},{\"offset\":67108864,\"len\":33554432}]}}", TMO));
	assert_int_equal(host_answer_all(c, "s0", 0), 2);
	ok(qmp_client_cmd(c, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"s0\",\"host-id\":1,"
			  "\"selection-policy\":\"enable-shared-access\",\"region\":0,\"tag\":\"" TAG_A "\",\"extents\":[]}}", TMO));
	assert_int_equal(host_answer_all(c, "s0", 1), 2);
	q = query(c, "s0");
	ext = json_object_get(host_of(q, 1), "extents");
	assert_int_equal(json_array_size(ext), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ext, 1), "shared-seq")), 1);
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(ret_of(q), "tags"), 0),
							 "accepted-hosts")), 2);
	json_decref(q);
	qmp_client_free(c);
}

/* ---- errors -------------------------------------------------------------- */

#define ADD(args) "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{" args "}}"
#define REL(args) "{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{" args "}}"
#define D0 "\"path\":\"/machine/peripheral/d0\",\"host-id\":0,"

/* cxl-add-dynamic-capacity's arguments refused, each with QEMU's text or ours. */
static void add_errors(struct qmp_client *c, const char *pre)
{
	expect_err(qmp_client_cmdf(c, TMO, ADD("\"path\":\"/machine/peripheral/nope\",\"host-id\":0,%s\"extents\":[]"), pre),
		   "Unable to resolve CXL type 3 device");
	expect_err(qmp_client_cmd(c, ADD(D0 "\"selection-policy\":\"prescriptive\",\"region\":1,\"extents\":[]"), TMO),
		   "region id is too large");
	expect_err(qmp_client_cmdf(c, TMO, ADD("\"path\":\"d0\",\"host-id\":2,%s\"extents\":[]"), pre),
		   "host-id=2 is out of range: the device has num-hosts=2");
	expect_err(qmp_client_cmd(c, ADD(D0 "\"selection-policy\":\"bogus\",\"region\":0,\"extents\":[]"), TMO),
		   "Parameter 'selection-policy' does not accept value 'bogus'");
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[{\"offset\":0,\"len\":0}]"), pre),
		   "extent with 0 length is not allowed");
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[{\"offset\":1048576,\"len\":2097152}]"), pre),
		   "dpa or len is not aligned to region block size");
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[{\"offset\":536870912,\"len\":2097152}]"), pre),
		   "extent range is beyond the region end");
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[{\"offset\":0,\"len\":4194304},{\"offset\":2097152,\"len\":2097152}]"), pre),
		   "duplicate or overlapped extents are detected");
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"tag\":\"xyz\",\"extents\":[]"), pre),
		   "tag=xyz is not a valid UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
	/* QEMU's visitor wraps a negative uint64 (-1 is 2^64-1): the extent's checks see that */
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[{\"offset\":-1,\"len\":2097152}]"), pre),
		   "dpa or len is not aligned to region block size");
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[{\"offset\":-2097152,\"len\":2097152}]"), pre),
		   "extent range is beyond the region end");
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"tag\":\"" TAG_A "\""), pre), "Parameter 'extents' is missing");
	expect_err(qmp_client_cmd(c, ADD(D0 "\"selection-policy\":\"enable-shared-access\",\"region\":0"), TMO),
		   "tag is required for selection-policy enable-shared-access");
	expect_err_part(qmp_client_cmd(c, ADD(D0 "\"selection-policy\":\"free\",\"region\":0,\"extents\":[{\"offset\":0,\"len\":1073741824}]"), TMO),
			"not enough");
}

/*
 * Errors that depend on the state: an empty list is no error; a pending or
 * accepted range cannot be added again; releases of what is not there; a
 * tag-backed device (t0) needs a tag, and a backend with it.
 */
static void state_errors(struct qmp_client *c, const char *pre)
{
	struct cxldcd_event ev[8];
	json_t *q;

	/* QEMU: an empty prescriptive list offers or releases nothing, and succeeds. */
	ok(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[]"), pre));
	ok(qmp_client_cmd(c, REL(D0 "\"removal-policy\":\"prescriptive\",\"region\":0,\"extents\":[]"), TMO));
	q = query(c, "d0");
	assert_int_equal(json_array_size(json_object_get(host_of(q, 0), "pending")), 0);
	assert_int_equal(json_array_size(json_object_get(host_of(q, 0), "extents")), 0);
	json_decref(q);
	assert_int_equal(host_read_dc_log(c, "d0", 0, ev, 8), 0);
	/* State: pending, then accepted. */
	ok(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[{\"offset\":0,\"len\":2097152}]"), pre));
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[{\"offset\":0,\"len\":2097152}]"), pre),
		   "cannot add DPA again while still pending");
	expect_err(qmp_client_cmd(c, REL(D0 "\"removal-policy\":\"prescriptive\",\"region\":0,\"extents\":[{\"offset\":0,\"len\":2097152}]"), TMO),
		   "cannot release extent with pending DPA range");
	assert_int_equal(host_answer_all(c, "d0", 0), 1);
	expect_err(qmp_client_cmdf(c, TMO, ADD(D0 "%s\"extents\":[{\"offset\":0,\"len\":2097152}]"), pre),
		   "cannot add DPA already accessible to the same LD");
	expect_err_part(qmp_client_cmdf(c, TMO, ADD("\"path\":\"d0\",\"host-id\":1,%s\"extents\":[{\"offset\":0,\"len\":2097152}]"), pre),
			"overlaps capacity of host=0");
	expect_err(qmp_client_cmd(c, REL(D0 "\"removal-policy\":\"prescriptive\",\"region\":0,\"extents\":[{\"offset\":2097152,\"len\":2097152}]"), TMO),
		   "cannot release extent with non-existing DPA range");
	expect_err(qmp_client_cmd(c, REL(D0 "\"removal-policy\":\"tag-based\",\"region\":0"), TMO),
		   "tag is required for removal-policy tag-based");
	expect_err_part(qmp_client_cmd(c, REL(D0 "\"removal-policy\":\"tag-based\",\"region\":0,\"tag\":\"" TAG_A "\""), TMO),
			"tag-based release: tag not found on the host");
	expect_err(qmp_client_cmd(c, REL(D0 "\"removal-policy\":\"prescriptive\",\"region\":0"), TMO),
		   "Parameter 'extents' is missing");
	expect_err(qmp_client_cmd(c, REL("\"path\":\"x\",\"host-id\":0,\"removal-policy\":\"prescriptive\",\"region\":0"), TMO),
		   "Unable to resolve CXL type 3 device");
	expect_err(qmp_client_cmd(c, REL(D0 "\"removal-policy\":\"prescriptive\",\"region\":3,\"extents\":[]"), TMO),
		   "region id is too large");
	/* A tag-backed device needs a tag, and a backend with it. */
	expect_err_part(qmp_client_cmdf(c, TMO, ADD("\"path\":\"t0\",\"host-id\":0,%s\"extents\":[{\"offset\":0,\"len\":2097152}]"), pre),
			"has no tag: the device has no volatile-dc-memdev");
	expect_err_part(qmp_client_cmdf(c, TMO, ADD("\"path\":\"t0\",\"host-id\":0,%s\"tag\":\"" TAG_B "\",\"extents\":[{\"offset\":0,\"len\":2097152}]"), pre),
			"no memory backend has tag=" TAG_B);
}

/* cxl-release-dynamic-capacity-status, query-cxl-dynamic-capacity and cxl-cci-request. */
static void status_query_cci_errors(struct qmp_client *c)
{
	/* Status. */
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\"d0\",\"host-id\":0}}", TMO),
		   "Parameter 'tag' is missing");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\"zz\",\"host-id\":0,\"tag\":\"" TAG_A "\"}}", TMO),
		   "Unable to resolve CXL type 3 device");
	/* the tagged-memory RFC's text for this command */
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,\"region\":1,\"tag\":\"" TAG_A "\"}}", TMO),
		   "Region id is too large");
	expect_err_part(qmp_client_cmd(c, "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,\"tag\":\"nope\"}}", TMO),
			"is not a valid UUID");
	/* query and cci-request. */
	expect_err(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"zz\"}}", TMO),
		   "Unable to resolve CXL type 3 device");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"mailbox\",\"opcode\":1}}", TMO),
		   "host-id is required for cci mailbox");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"fm\",\"opcode\":1,\"payload\":\"0g\"}}", TMO),
		   "payload must be a hex string of at most 2048 bytes (mbox-payload-size)");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"pci\",\"opcode\":1}}", TMO),
		   "Parameter 'cci' does not accept value 'pci'");
	/* Unknown opcode / wrong CCI: a CXL return code, not a QMP error. */
	assert_int_equal(qmp_cci(c, "d0", "fm", -1, 0x4802, NULL, 0, NULL, NULL), 0x15);
	assert_int_equal(qmp_cci(c, "d0", "mailbox", 0, 0xabcd, NULL, 0, NULL, NULL), 0x03);
}

/* object-add and object-del of memory backends. */
static void backend_errors(struct qmp_client *c)
{
	/* Backends. */
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"m0\",\"size\":2097152}}", TMO),
		   "attempt to add duplicate property 'm0' to object (type 'container')");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"x\",\"size\":0}}", TMO),
		   "can't create backend with size 0");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"x\"}}", TMO),
		   "Parameter 'size' is missing");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"x\",\"size\":2097152,\"tag\":\"zz\"}}", TMO),
		   "invalid UUID 'zz' for 'tag'");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-tagged\",\"id\":\"x\",\"size\":2097152}}", TMO),
		   "tag= is required for memory-backend-tagged");
	expect_err_part(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"secret\",\"id\":\"x\",\"size\":1}}", TMO),
			"unknown object type 'secret'");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-add\",\"arguments\":{\"qom-type\":\"memory-backend-ram\",\"id\":\"x\",\"size\":2097152,\"bogus\":1}}", TMO),
		   "unknown property 'bogus'");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"nope\"}}", TMO),
		   "object 'nope' not found");
	expect_err(qmp_client_cmd(c, "{\"execute\":\"object-del\",\"arguments\":{\"id\":\"m0\"}}", TMO),
		   "object 'm0' is in use, can not be deleted");
}

static void test_device_command_errors(void **state)
{
	static const char *const args[] = {
		"-object", "memory-backend-memfd,id=m0,size=512M",
		"-device", "cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=2",
		"-device", "cxl-type3,id=t0,num-dc-regions=1,dc-regions-total-size=256M",
		NULL
	};
	struct dproc p;
	struct qmp_client *c;
	const char *pre = "\"selection-policy\":\"prescriptive\",\"region\":0,";

	(void)state;
	c = start_dev(&p, args);
	add_errors(c, pre);
	state_errors(c, pre);
	status_query_cci_errors(c);
	backend_errors(c);
	/* Still serving. */
	ok(qmp_client_cmd(c, "{\"execute\":\"query-memdev\"}", TMO));
	qmp_client_free(c);
}

/* ---- load from several clients ------------------------------------------ */

static void test_concurrent_clients_thousands_of_commands(void **state)
{
	static const char *const args[] = {
		"-object", "memory-backend-memfd,id=m0,size=8G",
		"-device", "cxl-type3,id=d0,num-dc-regions=2,volatile-dc-memdev=m0,num-hosts=4,max-extents=100000,event-log-depth=4096",
		NULL
	};
	enum { CLIENTS = 4, PER = 1000 };
	struct dproc p;
	struct qmp_client *c[CLIENTS];
	struct timespec t0, t1;
	char *batch = malloc(PER * 400);
	double secs;

	(void)state;
	c[0] = start_dev(&p, args);
	for (int i = 1; i < CLIENTS; i++)
		assert_non_null(c[i] = dproc_connect(&p, TMO));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Each client pipelines PER commands (adds for its own host, and queries), then reads. */
	for (int i = 0; i < CLIENTS; i++) {
		size_t off = 0;

		for (int k = 0; k < PER; k++) {
			if (k % 2)
				off += (size_t)sprintf(batch + off, "{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\"d0\",\"host-id\":%d,\"tag\":\"" TAG_A "\"},\"id\":%d}", i, k);
			else
				off += (size_t)sprintf(batch + off, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":%d,\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[{\"offset\":%llu,\"len\":2097152}]},\"id\":%d}",
						       i, (unsigned long long)(((uint64_t)i * PER / 2 + (uint64_t)k / 2) * 2 * MiB), k);
		}
		assert_int_equal(qmp_client_send_raw(c[i], batch, off), 0);
	}
	for (int i = 0; i < CLIENTS; i++) {
		for (int k = 0; k < PER; k++) {
			json_t *r = qmp_client_recv(c[i], TMO);

			assert_non_null(r);
			if (json_object_get(r, "event")) {
				json_decref(r);
				k--;
				continue;
			}
			assert_non_null(json_object_get(r, "return"));
			assert_int_equal(json_integer_value(json_object_get(r, "id")), k);
			json_decref(r);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("%d commands from %d clients in %.3f s (%.0f/s)\n", CLIENTS * PER, CLIENTS, secs,
		      CLIENTS * PER / secs);
	for (int i = 0; i < CLIENTS; i++) {
		json_t *q = query(c[0], "d0");

		assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(host_of(q, i), "pending"), 0), "extents")), 1);
		assert_int_equal(json_array_size(json_object_get(host_of(q, i), "pending")), PER / 2);
		json_decref(q);
	}
	for (int i = 0; i < CLIENTS; i++)
		qmp_client_free(c[i]);
	free(batch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tagged_memory_session, dproc_reap_all),
		cmocka_unit_test_teardown(test_qemu_documentation_dcd_session_works_unchanged, dproc_reap_all),
		cmocka_unit_test_teardown(test_cover_letter_session_works_unchanged, dproc_reap_all),
		cmocka_unit_test_teardown(test_free_contiguous_shared_forced_and_sanitize, dproc_reap_all),
		cmocka_unit_test_teardown(test_device_command_errors, dproc_reap_all),
		cmocka_unit_test_teardown(test_concurrent_clients_thousands_of_commands, dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("device", tests, NULL, NULL);
}
