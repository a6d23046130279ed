/* SPDX-License-Identifier: MIT */
/*
 * dev-util.h - helpers of the device integration tests: QMP replies checked
 * with cmocka, and a host played over QMP cxl-cci-request (cci=mailbox):
 * Get Event Records (0100h), Clear Event Records (0101h), Add DC Response
 * (4802h) and Release DC (4803h), payloads built by hand (little-endian).
 */
#ifndef CXLDCD_TESTS_DEV_UTIL_H
#define CXLDCD_TESTS_DEV_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cci/events.h"
#include "dproc.h"

#define TMO 10000
#define MiB (1ull << 20)
#define GiB (1ull << 30)

static inline json_t *expect_ok(json_t *r)
{
	assert_non_null(r);
	if (!json_object_get(r, "return"))
		fail_msg("error: %s", qmp_client_err_desc(r) ? qmp_client_err_desc(r) : "(none)");
	return r;
}

static inline void ok(json_t *r)
{
	json_decref(expect_ok(r));
}

static inline void expect_err(json_t *r, const char *desc)
{
	assert_non_null(r);
	if (!qmp_client_err_desc(r))
		fail_msg("expected error '%s', got success", desc);
	assert_string_equal(qmp_client_err_class(r), "GenericError");
	if (desc && strcmp(qmp_client_err_desc(r), desc))
		fail_msg("expected '%s', got '%s'", desc, qmp_client_err_desc(r));
	json_decref(r);
}

/* Error whose desc contains @part. */
static inline void expect_err_part(json_t *r, const char *part)
{
	assert_non_null(r);
	if (!qmp_client_err_desc(r))
		fail_msg("expected error with '%s', got success", part);
	if (!strstr(qmp_client_err_desc(r), part))
		fail_msg("expected '%s' in '%s'", part, qmp_client_err_desc(r));
	json_decref(r);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/*
 * Start the daemon of @p (dproc_init() done: @args may name its paths) with
 * @args and connect to its QMP socket (fails the test if it does not come up).
 */
static inline struct qmp_client *connect_dev(struct dproc *p, const char *const *args)
{
	struct qmp_client *c;

	assert_int_equal(dproc_start(p, args), 0);
	c = dproc_connect(p, TMO);
	if (!c)
		fail_msg("daemon did not start: %s", dproc_log(p));
	return c;
}

/* Start a daemon with @args and connect to its QMP socket (fails the test if it does not come up). */
static inline struct qmp_client *start_dev(struct dproc *p, const char *const *args)
{
	assert_int_equal(dproc_init(p), 0);
	return connect_dev(p, args);
}

/* One CCI command over QMP (cxl-cci-request); the successful reply. */
static inline json_t *qmp_cci_reply(struct qmp_client *c, const char *dev, const char *cci, int host,
				    uint16_t op, const uint8_t *in, size_t in_len)
{
	char *hex = malloc(2 * in_len + 1), host_arg[32] = "";
	json_t *r;

	assert_non_null(hex);
	for (size_t i = 0; i < in_len; i++)
		sprintf(hex + 2 * i, "%02x", in[i]);
	hex[2 * in_len] = 0;
	if (host >= 0)
		snprintf(host_arg, sizeof(host_arg), ",\"host-id\":%d", host);
	r = expect_ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"%s\",\"cci\":\"%s\"%s,\"opcode\":%u,\"payload\":\"%s\"}}",
		dev, cci, host_arg, op, hex));
	free(hex);
	return r;
}

/* One CCI command over QMP; returns the CXL return code, output in out. */
static inline int qmp_cci(struct qmp_client *c, const char *dev, const char *cci, int host, uint16_t op,
			  const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	json_t *r = qmp_cci_reply(c, dev, cci, host, op, in, in_len);
	const char *ph;
	int rc;

	rc = (int)json_integer_value(json_object_get(json_object_get(r, "return"), "return-code"));
	ph = json_string_value(json_object_get(json_object_get(r, "return"), "payload"));
	assert_non_null(ph);
	if (out_len) {
		*out_len = strlen(ph) / 2;
		for (size_t i = 0; i < *out_len; i++) {
			unsigned v;

			assert_int_equal(sscanf(ph + 2 * i, "%2x", &v), 1);
			out[i] = (uint8_t)v;
		}
	}
	json_decref(r);
	return rc;
}

/* Read and clear the host's DC log; return the records (up to cap). */
static inline uint16_t host_read_dc_log(struct qmp_client *c, const char *dev, int host,
					struct cxldcd_event *ev, uint16_t cap)
{
	uint8_t in[1] = { CXLDCD_LOG_DC }, out[4096], clr[6 + 2 * 64];
	struct cci_get_events_out h;
	size_t n;

	assert_int_equal(qmp_cci(c, dev, "mailbox", host, 0x0100, in, 1, out, &n), 0);
	assert_int_equal(cci_dec_get_events_out(out, n, &h, ev, cap), 0);
	if (!h.nr_records)
		return 0;
	assert_true(h.nr_records <= 64);
	memset(clr, 0, sizeof(clr));
	clr[0] = CXLDCD_LOG_DC;
	clr[2] = (uint8_t)h.nr_records;
	for (uint16_t i = 0; i < h.nr_records; i++)
		put16(clr + 6 + 2 * i, ev[i].handle);
	assert_int_equal(qmp_cci(c, dev, "mailbox", host, 0x0101, clr, 6 + 2u * h.nr_records, NULL, NULL), 0);
	return h.nr_records;
}

/* 4802h / 4803h with n ranges taken from the records' extents. */
static inline int host_send_ranges(struct qmp_client *c, const char *dev, int host, uint16_t op,
				   const struct cxldcd_event *ev, uint16_t n)
{
	uint8_t in[8 + 0x18 * 64];

	assert_true(n <= 64);
	memset(in, 0, sizeof(in));
	put32(in, n);
	for (uint16_t i = 0; i < n; i++) {
		put64(in + 8 + 0x18 * i, ev[i].dc_extent.dpa);
		put64(in + 8 + 0x18 * i + 8, ev[i].dc_extent.len);
	}
	return qmp_cci(c, dev, "mailbox", host, op, in, 8 + 0x18u * n, NULL, NULL);
}

/*
 * Play the host: read the DC log, answer every Add Capacity chain by
 * accepting all of it (4802h per chain) and every Release Capacity record by
 * releasing it (4803h).  Return the number of records handled.
 */
static inline uint16_t host_answer_all(struct qmp_client *c, const char *dev, int host)
{
	struct cxldcd_event ev[64], chain[64];
	uint16_t n = host_read_dc_log(c, dev, host, ev, 64), k = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (ev[i].dc_type == CXLDCD_DC_EV_ADD_CAPACITY) {
			chain[k++] = ev[i];
			if (!(ev[i].dc_flags & CXLDCD_DC_EVF_MORE)) {
				assert_int_equal(host_send_ranges(c, dev, host, 0x4802, chain, k), 0);
				k = 0;
			}
		} else if (ev[i].dc_type == CXLDCD_DC_EV_RELEASE_CAPACITY) {
			assert_int_equal(host_send_ranges(c, dev, host, 0x4803, &ev[i], 1), 0);
		}
	}
	return n;
}

/* 16 tag bytes as a lowercase UUID (static buffer). */
static inline const char *tag_text(const uint8_t t[16])
{
	static char s[37];
	size_t o = 0;

	for (int i = 0; i < 16; i++) {
		o += (size_t)sprintf(s + o, "%02x", t[i]);
		if (i == 3 || i == 5 || i == 7 || i == 9)
			s[o++] = '-';
	}
	s[o] = 0;
	return s;
}

static inline json_t *ret_of(json_t *r)
{
	return json_object_get(r, "return");
}

/* Extents of hosts[host] in query-cxl-dynamic-capacity of dev. */
static inline size_t qmp_host_extent_count(struct qmp_client *c, const char *dev, size_t host)
{
	json_t *q = expect_ok(qmp_client_cmdf(c, TMO, "{\"execute\":\"query-cxl-dynamic-capacity\","
					     "\"arguments\":{\"path\":\"%s\"}}", dev));
	size_t n = json_array_size(json_object_get(json_array_get(json_object_get(ret_of(q), "hosts"),
								   host), "extents"));

	json_decref(q);
	return n;
}

/* Status string of cxl-release-dynamic-capacity-status. */
static inline char *tag_status(struct qmp_client *c, const char *dev, int host, const char *tag)
{
	static char buf[32];
	json_t *r = expect_ok(qmp_client_cmdf(c, TMO,
		"{\"execute\":\"cxl-release-dynamic-capacity-status\",\"arguments\":{\"path\":\"%s\",\"host-id\":%d,\"region\":0,\"tag\":\"%s\"}}",
		dev, host, tag));

	snprintf(buf, sizeof(buf), "%s", json_string_value(json_object_get(ret_of(r), "status")));
	json_decref(r);
	return buf;
}

/*
 * One prescriptive add on device "d0": n extents of size bytes for host,
 * back to back from offset first * size on (at most ~60 bytes of JSON per
 * extent).
 */
static inline void add_extents(struct qmp_client *c, int host, uint64_t size, uint64_t first,
			       unsigned n)
{
	size_t cap = 256 + 64u * n, len;
	char *b = malloc(cap);

	assert_non_null(b);
	len = (size_t)snprintf(b, cap, "{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\","
			       "\"host-id\":%d,\"selection-policy\":\"prescriptive\",\"region\":0,\"extents\":[", host);
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(b + len, cap - len, "%s{\"offset\":%llu,\"len\":%llu}", i ? "," : "",
					(unsigned long long)((first + i) * size), (unsigned long long)size);
	snprintf(b + len, cap - len, "]}}");
	ok(qmp_client_cmd(c, b, 30000));
	free(b);
}

/* add_extents() of n 4 KiB extents from 4 KiB block first on. */
static inline void add_4k_extents(struct qmp_client *c, int host, uint64_t first, unsigned n)
{
	add_extents(c, host, 4096, first, n);
}

#endif
