/* SPDX-License-Identifier: MIT */
/*
 * start-util.h - helpers of the tests of a daemon's start from a long
 * journal (test-starting.c, test-notify.c, test-durability-faults.c):
 * journal records written straight into a store, so that the replay takes
 * a while, and FM Identify, which a starting daemon answers Busy.
 */
#ifndef CXLDCD_TESTS_START_UTIL_H
#define CXLDCD_TESTS_START_UTIL_H

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "store/store.h"

/*
 * Append n journaled 0103h Set Event Interrupt Policy requests of device
 * d0 (QMP cxl-cci-request records) to the store in state_dir, host i % nr_hosts
 * for record i, straight into the store.
 */
static inline void journal_append_policies(const char *state_dir, uint64_t n, unsigned nr_hosts)
{
	char err[256];
	struct store *st;

	assert_int_equal(store_open(state_dir, &st, err, sizeof(err)), 0);
	assert_int_equal(store_begin(st), 0);
	for (uint64_t i = 0; i < n; i++) {
		char text[256];
		struct store_rec rec = { .time_ns = 1700000000000000000ull + i, .kind = STORE_REC_QMP };

		snprintf(text, sizeof(text),
			 "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"d0\",\"cci\":\"mailbox\","
			 "\"host-id\":%d,\"opcode\":259,\"payload\":\"0%d000000\"}}", (int)(i % nr_hosts),
			 (int)(i % 3 == 0));
		rec.data = (const uint8_t *)text;
		rec.len = strlen(text);
		assert_int_equal(store_journal_append(st, &rec), 0);
	}
	assert_int_equal(store_commit(st), 0);
	store_close(st);
}

/* FM Identify (0001h), no payload, message tag @tag on fd: the return code of the response. */
static inline unsigned fm_identify_rc(int fd, uint8_t tag)
{
	uint8_t msg[12] = { 0, tag, 0, 0x01, 0x00 }, rsp[12];
	size_t got = 0;

	assert_int_equal(send(fd, msg, 12, MSG_NOSIGNAL), 12);
	while (got < 12) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t k;

		assert_true(poll(&pfd, 1, 10000) > 0);
		k = read(fd, rsp + got, 12 - got);
		assert_true(k > 0);
		got += (size_t)k;
	}
	assert_int_equal(rsp[0], 0x01);
	assert_int_equal(rsp[1], tag);
	return rsp[8] | (unsigned)rsp[9] << 8;
}

#endif
