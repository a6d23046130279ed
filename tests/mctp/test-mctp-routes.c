/* SPDX-License-Identifier: MIT */
/*
 * test-mctp-routes.c - libcxldcd-mctp.so's reading of CXLDCD_MCTP_ROUTES
 * (mctp_run_routes_parse(), tools/cxldcd-mctp-run/routes.c): the grammar
 * of routes.h (EID=ADDR[|ADDR08] joined by ';'), what it reads, and what it
 * leaves out and says so (the environment is anyone's to set).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "routes.h"

struct told {
	unsigned n;
	char item[4][64];
};

static void refused(void *arg, const char *item, size_t len, const char *why)
{
	struct told *t = arg;

	assert_non_null(why);
	if (t->n < 4)
		snprintf(t->item[t->n], sizeof(t->item[0]), "%.*s", (int)len, item);
	t->n++;
}

static struct mctp_run_route out[MCTP_RUN_MAX_ROUTES];

static unsigned parse(const char *s, struct told *t)
{
	memset(t, 0, sizeof(*t));
	memset(out, 0xa5, sizeof(out));
	return mctp_run_routes_parse(s, out, refused, t);
}

static void test_routes_as_cxldcd_mctp_run_writes_them(void **state)
{
	struct told t;

	(void)state;
	assert_int_equal(parse("8=unix:/d/fm.sock|unix:/d/mctp.sock;9=tcp::1;254=tcp:[::1]:2|tcp:h:3", &t), 3);
	assert_int_equal(t.n, 0);
	assert_int_equal(out[0].eid, 8);
	assert_string_equal(out[0].addr, "unix:/d/fm.sock");
	assert_string_equal(out[0].addr08, "unix:/d/mctp.sock");
	assert_int_equal(out[1].eid, 9);
	assert_string_equal(out[1].addr, "tcp::1");
	assert_string_equal(out[1].addr08, "");
	assert_int_equal(out[2].eid, 254);
	assert_string_equal(out[2].addr, "tcp:[::1]:2");
	assert_string_equal(out[2].addr08, "tcp:h:3");
	/* Unset, empty, or empty routes only: none, nothing refused. */
	assert_int_equal(mctp_run_routes_parse(NULL, out, refused, &t), 0);
	assert_int_equal(parse("", &t), 0);
	assert_int_equal(parse(";;", &t), 0);
	assert_int_equal(t.n, 0);
}

/* A second '|' was read into the 08h address: "unix:/b|tcp::1". */
static void test_a_second_bar_is_refused_not_kept_in_the_address(void **state)
{
	struct told t;

	(void)state;
	assert_int_equal(parse("8=unix:/a|unix:/b|tcp::1;9=unix:/c", &t), 1);
	assert_int_equal(out[0].eid, 9);
	assert_string_equal(out[0].addr, "unix:/c");
	assert_int_equal(t.n, 1);
	assert_string_equal(t.item[0], "8=unix:/a|unix:/b|tcp::1");
}

/* The EID was strtoul(, 0): octal, hex, signs, spaces, and a negative number wrapped. */
static void test_an_eid_is_decimal_8_to_254(void **state)
{
	static const char *const bad[] = {
		"010=unix:/a", "0x9=unix:/a", "+9=unix:/a", " 9=unix:/a", "09=unix:/a",
		"-18446744073709551607=unix:/a", "7=unix:/a", "255=unix:/a", "1000=unix:/a",
		"=unix:/a", "9 =unix:/a",
	};
	struct told t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &t), 0);
		assert_int_equal(t.n, 1);
		assert_string_equal(t.item[0], bad[i]);
	}
}

/* Both were read; the second could never be reached (route_of() takes the first). */
static void test_an_eid_given_twice_is_refused(void **state)
{
	struct told t;

	(void)state;
	assert_int_equal(parse("9=unix:/a;9=unix:/b;10=unix:/c", &t), 2);
	assert_string_equal(out[0].addr, "unix:/a");
	assert_int_equal(out[1].eid, 10);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.item[0], "9=unix:/b");
}

/* Read, then each use failed (EINVAL) and the message was lost. */
static void test_an_address_not_unix_or_tcp_is_refused(void **state)
{
	static const char *const bad[] = {
		"9=/run/fm.sock", "9=", "9=unix:/a|", "9=unix:/a|/run/mctp.sock", "9=UNIX:/a", "9=tc:1",
	};
	struct told t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &t), 0);
		assert_int_equal(t.n, 1);
	}
}

static void test_an_address_fits_its_buffer_or_is_refused(void **state)
{
	char s[2 * MCTP_RUN_ADDR_MAX + 16];
	struct told t;

	(void)state;
	/* 199 bytes: the longest that fits with its NUL. */
	snprintf(s, sizeof(s), "8=unix:%0*d|tcp:%0*d", MCTP_RUN_ADDR_MAX - 6, 0, MCTP_RUN_ADDR_MAX - 5, 0);
	assert_int_equal(parse(s, &t), 1);
	assert_int_equal(strlen(out[0].addr), MCTP_RUN_ADDR_MAX - 1);
	assert_int_equal(strlen(out[0].addr08), MCTP_RUN_ADDR_MAX - 1);
	snprintf(s, sizeof(s), "8=unix:%0*d", MCTP_RUN_ADDR_MAX - 5, 0);
	assert_int_equal(parse(s, &t), 0);
	assert_int_equal(t.n, 1);
	snprintf(s, sizeof(s), "8=unix:/a|tcp:%0*d", MCTP_RUN_ADDR_MAX - 4, 0);
	assert_int_equal(parse(s, &t), 0);
	assert_int_equal(t.n, 1);
}

/* The routes past the 16th were dropped without a word. */
static void test_routes_past_the_last_are_refused_and_said(void **state)
{
	char s[32 * MCTP_RUN_MAX_ROUTES];
	struct told t;
	size_t off = 0;
	uint8_t untouched[sizeof(out[0])];

	(void)state;
	for (unsigned i = 0; i < MCTP_RUN_MAX_ROUTES + 2; i++)
		off += (size_t)snprintf(s + off, sizeof(s) - off, "%s%u=tcp::%u", i ? ";" : "", 8 + i, i);
	assert_int_equal(parse(s, &t), MCTP_RUN_MAX_ROUTES);
	assert_int_equal(out[MCTP_RUN_MAX_ROUTES - 1].eid, 8 + MCTP_RUN_MAX_ROUTES - 1);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.item[0], "24=tcp::16");
	assert_string_equal(t.item[1], "25=tcp::17");
	/* A refusal writes nothing: the slot after the routes read keeps its bytes. */
	memset(untouched, 0xa5, sizeof(untouched));
	assert_int_equal(parse("8=tcp::1;9=tcp", &t), 1);
	assert_int_equal(parse("8=tcp::1;9=unix:/a|b", &t), 1);
	assert_memory_equal(&out[1], untouched, sizeof(untouched));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_as_cxldcd_mctp_run_writes_them),
		cmocka_unit_test(test_a_second_bar_is_refused_not_kept_in_the_address),
		cmocka_unit_test(test_an_eid_is_decimal_8_to_254),
		cmocka_unit_test(test_an_eid_given_twice_is_refused),
		cmocka_unit_test(test_an_address_not_unix_or_tcp_is_refused),
		cmocka_unit_test(test_an_address_fits_its_buffer_or_is_refused),
		cmocka_unit_test(test_routes_past_the_last_are_refused_and_said),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
