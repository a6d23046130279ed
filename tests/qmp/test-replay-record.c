/* SPDX-License-Identifier: MIT */
/*
 * test-replay-record.c - journal records that are not what the daemon
 * wrote, as --state replay meets them (server_replay_qmp()): refused with a
 * message that quotes the record's own bytes and nothing past them (a
 * record's data is the store's blob: no NUL after it).  Found by fuzz-state.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server/daemon.h"

/*
 * Replay the record of text's first len bytes, kept as SQLite keeps a blob:
 * inside a bigger buffer (a page) that goes on with other bytes.
 */
static int replay(const char *text, size_t len, char *err, size_t cap)
{
	struct server_ctx s;
	size_t page = strlen(text) + 1;
	char *buf = malloc(page);
	int rc;

	assert_non_null(buf);
	memcpy(buf, text, page);
	memset(&s, 0, sizeof(s));
	err[0] = 0;
	rc = server_replay_qmp(&s, buf, len, err, cap);
	free(buf);
	return rc;
}

static void test_not_a_command_quotes_only_the_record(void **state)
{
	static const char bytes[] = "{\"execute\":1}NEXT-RECORD";
	char err[256];

	(void)state;
	/* the record is the JSON alone; what follows in memory is not its own */
	assert_int_equal(replay(bytes, 13, err, sizeof(err)), -EIO);
	assert_string_equal(err, "journaled QMP record is not a command: {\"execute\":1}");
}

static void test_long_record_is_quoted_to_80_bytes(void **state)
{
	char text[201], err[256];

	(void)state;
	memset(text, 'x', sizeof(text) - 1);
	text[200] = 0;
	assert_int_equal(replay(text, 200, err, sizeof(err)), -EIO);
	assert_int_equal(strlen(err), strlen("journaled QMP record is not a command: ") + 80);
}

static void test_unknown_command_is_refused(void **state)
{
	static const char text[] = "{\"execute\":\"nope\",\"arguments\":{}}";
	char err[256];

	(void)state;
	assert_int_equal(replay(text, sizeof(text) - 1, err, sizeof(err)), -EIO);
	assert_string_equal(err, "journaled command nope is unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_a_command_quotes_only_the_record),
		cmocka_unit_test(test_long_record_is_quoted_to_80_bytes),
		cmocka_unit_test(test_unknown_command_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
