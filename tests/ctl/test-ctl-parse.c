/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-parse.c - cxldcd-ctl's argument parsers and size formatter
 * (tools/cxldcd-ctl/parse.c): what each accepts, what it refuses, and that
 * a refusal leaves the output untouched.
 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parse.h"

static uint64_t size_ok(const char *s)
{
	uint64_t v = 0;

	if (ctl_parse_size(s, &v))
		fail_msg("'%s' refused", s);
	return v;
}

static void size_bad(const char *s)
{
	uint64_t v = 77;

	if (!ctl_parse_size(s, &v))
		fail_msg("'%s' accepted as %llu", s, (unsigned long long)v);
	assert_int_equal(v, 77);
}

static void test_size_takes_bytes_hex_and_binary_suffixes(void **state)
{
	(void)state;
	assert_int_equal(size_ok("0"), 0);
	assert_int_equal(size_ok("4096"), 4096);
	assert_int_equal(size_ok("0x200000"), 0x200000);
	assert_int_equal(size_ok("0X10"), 16);
	assert_int_equal(size_ok("0x1B"), 0x1b);    /* B is a hex digit here */
	assert_int_equal(size_ok("512B"), 512);
	assert_int_equal(size_ok("4K"), 4096);
	assert_int_equal(size_ok("2m"), 2ull << 20);
	assert_int_equal(size_ok("1G"), 1ull << 30);
	assert_int_equal(size_ok("3T"), 3ull << 40);
	assert_int_equal(size_ok("1P"), 1ull << 50);
	assert_int_equal(size_ok("15E"), 15ull << 60);
	assert_int_equal(size_ok("2MiB"), 2ull << 20);
	assert_int_equal(size_ok("64KB"), 64ull << 10);
	assert_int_equal(size_ok("0x10M"), 16ull << 20);
	assert_int_equal(size_ok("18446744073709551615"), UINT64_MAX);
	assert_int_equal(size_ok("010"), 10);       /* decimal, never octal */
}

static void test_size_refuses_signs_fractions_blanks_and_overflow(void **state)
{
	(void)state;
	size_bad("");
	size_bad("-1");
	size_bad("+1");
	size_bad(" 1G");
	size_bad("1G ");
	size_bad("1.5G");
	size_bad("1X");
	size_bad("1GG");
	size_bad("1Ki");
	size_bad("G");
	size_bad("0x");
	size_bad("0xG");
	size_bad("18446744073709551616");
	size_bad("16E");
	size_bad("0x10000000000000000");
}

static void test_extent_is_offset_colon_len(void **state)
{
	uint64_t off = 1, len = 2;

	(void)state;
	assert_int_equal(ctl_parse_extent("0:1G", &off, &len), 0);
	assert_int_equal(off, 0);
	assert_int_equal(len, 1ull << 30);
	assert_int_equal(ctl_parse_extent("0x40000000:512M", &off, &len), 0);
	assert_int_equal(off, 1ull << 30);
	assert_int_equal(len, 512ull << 20);
	off = len = 9;
	assert_int_equal(ctl_parse_extent("1G", &off, &len), -EINVAL);
	assert_int_equal(ctl_parse_extent("1G:", &off, &len), -EINVAL);
	assert_int_equal(ctl_parse_extent(":1G", &off, &len), -EINVAL);
	assert_int_equal(ctl_parse_extent("0:0", &off, &len), -EINVAL);
	assert_int_equal(ctl_parse_extent("0:1G:2", &off, &len), -EINVAL);
	assert_int_equal(ctl_parse_extent("-1:1G", &off, &len), -EINVAL);
	assert_int_equal(off, 9);
	assert_int_equal(len, 9);
}

static void test_uuid_is_canonicalised_to_lowercase(void **state)
{
	char out[37] = "unchanged";

	(void)state;
	assert_int_equal(ctl_parse_uuid("5BE13BCE-AE34-4A77-B6C3-16DF975FCF1A", out), 0);
	assert_string_equal(out, "5be13bce-ae34-4a77-b6c3-16df975fcf1a");
	assert_int_equal(ctl_parse_uuid("00000000-0000-0000-0000-000000000000", out), 0);
	assert_string_equal(out, "00000000-0000-0000-0000-000000000000");
	strcpy(out, "unchanged");
	assert_int_equal(ctl_parse_uuid("", out), -EINVAL);
	assert_int_equal(ctl_parse_uuid("not-a-uuid", out), -EINVAL);
	assert_int_equal(ctl_parse_uuid("5be13bceae344a77b6c316df975fcf1a", out), -EINVAL);
	assert_int_equal(ctl_parse_uuid("5be13bce-ae34-4a77-b6c3-16df975fcf1", out), -EINVAL);
	assert_int_equal(ctl_parse_uuid("5be13bce-ae34-4a77-b6c3-16df975fcf1aa", out), -EINVAL);
	assert_int_equal(ctl_parse_uuid("5be13bce-ae34-4a77-b6c3_16df975fcf1a", out), -EINVAL);
	assert_int_equal(ctl_parse_uuid("5be13bcg-ae34-4a77-b6c3-16df975fcf1a", out), -EINVAL);
	assert_int_equal(ctl_parse_uuid("{5be13bce-ae34-4a77-b6c3-16df975fcf1}", out), -EINVAL);
	assert_string_equal(out, "unchanged");
}

static void test_uint_is_bounded(void **state)
{
	uint64_t v = 5;

	(void)state;
	assert_int_equal(ctl_parse_uint("65535", 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(ctl_parse_uint("0x10", 255, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(ctl_parse_uint("65536", 65535, &v), -ERANGE);
	assert_int_equal(ctl_parse_uint("-1", 65535, &v), -EINVAL);
	assert_int_equal(ctl_parse_uint("1K", 65535, &v), -EINVAL);
	assert_int_equal(ctl_parse_uint("", 65535, &v), -EINVAL);
	{
		const char *end;

		assert_int_equal(ctl_parse_uint_at("0x10,2", 255, &v, &end), 0);
		assert_int_equal(v, 16);
		assert_string_equal(end, ",2");
		assert_int_equal(ctl_parse_uint_at("300,2", 255, &v, &end), -ERANGE);
		assert_int_equal(ctl_parse_uint_at(" 1", 255, &v, &end), -EINVAL);
		assert_int_equal(ctl_parse_uint_at("-1", 255, &v, &end), -EINVAL);
		assert_int_equal(ctl_parse_uint_at(",1", 255, &v, &end), -EINVAL);
	}
	assert_int_equal(v, 16);
}

static void test_seconds_take_up_to_three_decimals(void **state)
{
	int ms = -1;

	(void)state;
	assert_int_equal(ctl_parse_seconds("10", &ms), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(ctl_parse_seconds("0.25", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(ctl_parse_seconds("0.001", &ms), 0);
	assert_int_equal(ms, 1);
	assert_int_equal(ctl_parse_seconds("86400", &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(ctl_parse_seconds("86400.001", &ms), -ERANGE);
	assert_int_equal(ctl_parse_seconds("0.0001", &ms), -EINVAL);
	assert_int_equal(ctl_parse_seconds("1.", &ms), -EINVAL);
	assert_int_equal(ctl_parse_seconds(".5", &ms), -EINVAL);
	assert_int_equal(ctl_parse_seconds("-1", &ms), -EINVAL);
	assert_int_equal(ctl_parse_seconds("1s", &ms), -EINVAL);
	assert_int_equal(ms, 86400000);
}

static void test_opcode_is_hex_or_a_name(void **state)
{
	uint16_t op = 1;

	(void)state;
	assert_int_equal(ctl_parse_opcode("4800", &op), 0);
	assert_int_equal(op, 0x4800);
	assert_int_equal(ctl_parse_opcode("0x5600", &op), 0);
	assert_int_equal(op, 0x5600);
	assert_int_equal(ctl_parse_opcode("0100h", &op), 0);
	assert_int_equal(op, 0x0100);
	assert_int_equal(ctl_parse_opcode("get-dc-config", &op), 0);
	assert_int_equal(op, 0x4800);
	assert_int_equal(ctl_parse_opcode("initiate-dc-release", &op), 0);
	assert_int_equal(op, 0x5605);
	assert_string_equal(ctl_opcode_name(0x4803), "release-dc");
	assert_string_equal(ctl_opcode_name(0x4300), "get-poison-list");
	assert_string_equal(ctl_opcode_name(0x4400), "sanitize");
	assert_string_equal(ctl_opcode_name(0x4402), "media-operations");
	assert_string_equal(ctl_opcode_name(0x0405), "get-supported-logs-sub-list");
	assert_null(ctl_opcode_name(0xffff));
	op = 7;
	assert_int_equal(ctl_parse_opcode("10000", &op), -ERANGE);
	assert_int_equal(ctl_parse_opcode("0x4800h", &op), -EINVAL);
	assert_int_equal(ctl_parse_opcode("48g0", &op), -EINVAL);
	assert_int_equal(ctl_parse_opcode("", &op), -EINVAL);
	assert_int_equal(ctl_parse_opcode("get-dc", &op), -EINVAL);
	assert_int_equal(op, 7);
}

static void hex_is(const char *in, const char *want)
{
	char *out = NULL;

	assert_int_equal(ctl_parse_hex(in, &out), 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_hex_payload_ignores_separators_between_bytes(void **state)
{
	char *out = (char *)"untouched";

	(void)state;
	hex_is("", "");
	hex_is("04", "04");
	hex_is("0A0b", "0a0b");
	hex_is("04 00:ff_10", "0400ff10");
	assert_int_equal(ctl_parse_hex("0", &out), -EINVAL);
	assert_int_equal(ctl_parse_hex("0 4", &out), -EINVAL);
	assert_int_equal(ctl_parse_hex("zz", &out), -EINVAL);
	assert_int_equal(ctl_parse_hex("0x04", &out), -EINVAL);
	assert_string_equal(out, "untouched");
}

static void test_addr_takes_qemu_forms_and_paths(void **state)
{
	struct ctl_addr a;

	(void)state;
	assert_int_equal(ctl_parse_addr("unix:/tmp/q.sock", &a), 0);
	assert_int_equal(a.kind, CTL_ADDR_UNIX);
	assert_string_equal(a.path, "/tmp/q.sock");
	assert_int_equal(ctl_parse_addr("unix:/tmp/q.sock,server,wait=off", &a), 0);
	assert_string_equal(a.path, "/tmp/q.sock");
	assert_int_equal(ctl_parse_addr("./q.sock", &a), 0);
	assert_int_equal(a.kind, CTL_ADDR_UNIX);
	assert_string_equal(a.path, "./q.sock");
	assert_int_equal(ctl_parse_addr("tcp:localhost:4444", &a), 0);
	assert_int_equal(a.kind, CTL_ADDR_TCP);
	assert_string_equal(a.host, "localhost");
	assert_string_equal(a.port, "4444");
	assert_int_equal(ctl_parse_addr("tcp::4444", &a), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(ctl_parse_addr("tcp:[::1]:4444,server=on", &a), 0);
	assert_string_equal(a.host, "::1");
	assert_string_equal(a.port, "4444");
	assert_int_equal(ctl_parse_addr("", &a), -EINVAL);
	/* a bare file name is a path (it was refused as "not a path") */
	assert_int_equal(ctl_parse_addr("q.sock", &a), 0);
	assert_int_equal(a.kind, CTL_ADDR_UNIX);
	assert_string_equal(a.path, "q.sock");
	/* HOST:PORT needs tcp:, it is not taken for a file */
	assert_int_equal(ctl_parse_addr("localhost:4444", &a), -EINVAL);
	assert_int_equal(ctl_parse_addr("unix:", &a), -EINVAL);
	assert_int_equal(ctl_parse_addr("tcp:localhost", &a), -EINVAL);
	assert_int_equal(ctl_parse_addr("tcp:localhost:0", &a), -EINVAL);
	assert_int_equal(ctl_parse_addr("tcp:localhost:65536", &a), -EINVAL);
	assert_int_equal(ctl_parse_addr("tcp:[::1:4444", &a), -EINVAL);
	assert_int_equal(ctl_parse_addr("unix:/a/very/long/path/that/does/not/fit/in/sun_path/"
					"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &a),
			 -EINVAL);
}

static void test_size_format_uses_the_largest_exact_unit(void **state)
{
	char b[24];
	uint64_t round_trip;

	(void)state;
	assert_string_equal(ctl_fmt_size(0, b, sizeof(b)), "0");
	assert_string_equal(ctl_fmt_size(1000, b, sizeof(b)), "1000");
	assert_string_equal(ctl_fmt_size(1024, b, sizeof(b)), "1K");
	assert_string_equal(ctl_fmt_size(3ull << 20, b, sizeof(b)), "3M");
	assert_string_equal(ctl_fmt_size(1536ull << 20, b, sizeof(b)), "1536M");
	assert_string_equal(ctl_fmt_size(4ull << 30, b, sizeof(b)), "4G");
	assert_string_equal(ctl_fmt_size(1ull << 60, b, sizeof(b)), "1E");
	assert_string_equal(ctl_fmt_size(UINT64_MAX, b, sizeof(b)), "18446744073709551615");
	assert_int_equal(ctl_parse_size(ctl_fmt_size(1536ull << 20, b, sizeof(b)), &round_trip), 0);
	assert_int_equal(round_trip, 1536ull << 20);
}

/*
 * ctl_getopt()'s table: a command's options, the common ones, a terminator.
 * One option too many is refused whole, never joined cut short (ctl_getopt()
 * used to copy at most 40 and drop the rest silently).
 */
static void test_opts_join_refuses_a_table_that_does_not_fit(void **state)
{
	static const struct option common[] = {
		{ "qmp", required_argument, NULL, 0x1001 },
		{ "json", no_argument, NULL, 0x1002 },
		{ "help", no_argument, NULL, 'h' },
	};
	struct option cmd[50], all[48];
	char names[50][8];

	(void)state;
	for (int i = 0; i < 50; i++) {
		snprintf(names[i], sizeof(names[i]), "o%d", i);
		cmd[i] = (struct option){ names[i], no_argument, NULL, 0x100 + i };
	}
	/* 44 + 3 common + terminator: exactly 48, every one kept, in order */
	memset(&cmd[44], 0, sizeof(cmd[44]));
	assert_int_equal(ctl_opts_join(all, 48, cmd, common, 3), 47);
	for (int i = 0; i < 44; i++)
		assert_int_equal(all[i].val, 0x100 + i);
	assert_string_equal(all[44].name, "qmp");
	assert_string_equal(all[46].name, "help");
	assert_null(all[47].name);
	assert_int_equal(all[47].val, 0);
	/* 45: one too many */
	cmd[44] = (struct option){ names[44], no_argument, NULL, 0x100 + 44 };
	memset(&cmd[45], 0, sizeof(cmd[45]));
	assert_int_equal(ctl_opts_join(all, 48, cmd, common, 3), -E2BIG);
	/* far too many (the command's own table alone overflows) */
	cmd[45] = (struct option){ names[45], no_argument, NULL, 0x100 + 45 };
	for (int i = 46; i < 49; i++)
		cmd[i] = (struct option){ names[i], no_argument, NULL, 0x100 + i };
	memset(&cmd[49], 0, sizeof(cmd[49]));
	assert_int_equal(ctl_opts_join(all, 48, cmd, common, 3), -E2BIG);
	/* no command options: the common ones alone */
	assert_int_equal(ctl_opts_join(all, 48, NULL, common, 3), 3);
	assert_string_equal(all[0].name, "qmp");
	assert_null(all[3].name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size_takes_bytes_hex_and_binary_suffixes),
		cmocka_unit_test(test_size_refuses_signs_fractions_blanks_and_overflow),
		cmocka_unit_test(test_extent_is_offset_colon_len),
		cmocka_unit_test(test_uuid_is_canonicalised_to_lowercase),
		cmocka_unit_test(test_uint_is_bounded),
		cmocka_unit_test(test_seconds_take_up_to_three_decimals),
		cmocka_unit_test(test_opcode_is_hex_or_a_name),
		cmocka_unit_test(test_hex_payload_ignores_separators_between_bytes),
		cmocka_unit_test(test_addr_takes_qemu_forms_and_paths),
		cmocka_unit_test(test_size_format_uses_the_largest_exact_unit),
		cmocka_unit_test(test_opts_join_refuses_a_table_that_does_not_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
