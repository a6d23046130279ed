/* SPDX-License-Identifier: MIT */
/*
 * faults-util.h - what the test-durability-* tests that run the daemon
 * with tests/support/faultfs.c preloaded ($FAULTFS) share: starting it
 * with the shim (a fault, the WAL-sync counter, the fsync hold), the
 * fault switch, and the requests and reads they all use.
 */
#ifndef CXLDCD_TESTS_QMP_FAULTS_UTIL_H
#define CXLDCD_TESTS_QMP_FAULTS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "hostlink/proto.h"
#include "store/store.h"

#include "dev-util.h"
#include "start-util.h"
#include "state-util.h"

#define DEV "cxl-type3,id=d0,num-dc-regions=1,dc-regions-total-size=1G,num-hosts=2"

static inline void make_args(struct state_args *a, struct dproc *p)
{
	state_args(a, p, NULL, DEV, "--fm", p->fm_arg);
}

__attribute__((unused)) static char ctl_path[200];

/* Turn the injected fault on ("ENOSPC", "EIO", "EFBIG") or off (NULL). */
static inline void fault(const char *what)
{
	FILE *f;

	if (!what) {
		unlink(ctl_path);
		return;
	}
	f = fopen(ctl_path, "w");
	assert_non_null(f);
	fputs(what, f);
	fclose(f);
}

/* Start with the shim preloaded (the environment is the child's at fork). */
static inline void start_faulty(struct dproc *p, struct state_args *a)
{
	const char *shim = getenv("FAULTFS");

	if (!shim)
		skip();
	snprintf(ctl_path, sizeof(ctl_path), "%s/fault", p->dir);
	setenv("LD_PRELOAD", shim, 1);
	setenv("CXLDCD_FAULTFS", ctl_path, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	assert_int_equal(dproc_start(p, a->argv), 0);
	unsetenv("LD_PRELOAD");
	unsetenv("CXLDCD_FAULTFS");
}

/* Start with the shim's fsync hold: while the file at hold exists, the WAL's fsync waits. */
static inline void start_holding(struct dproc *p, struct state_args *a, char *hold, size_t cap)
{
	snprintf(hold, cap, "%s/hold", p->dir);
	setenv("CXLDCD_FAULTFS_HOLD", hold, 1);
	start_faulty(p, a);
	unsetenv("CXLDCD_FAULTFS_HOLD");
}

__attribute__((unused)) static const char *add_a =
	"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
	"\"selection-policy\":\"prescriptive\",\"region\":0,\"tag\":\"" TAG_A "\","
	"\"extents\":[{\"offset\":0,\"len\":2097152}]}}";
__attribute__((unused)) static const char *forced =
	"{\"execute\":\"cxl-release-dynamic-capacity\",\"arguments\":{\"path\":\"d0\",\"host-id\":0,"
	"\"removal-policy\":\"tag-based\",\"forced-removal\":true,\"tag\":\"" TAG_A "\",\"region\":0}}";

/* An FM-API message of @opcode (5606h/5607h) naming tag A, message tag @mtag, into m[28]. */
static inline void fm_ref_msg(uint8_t *m, uint8_t mtag, uint16_t opcode)
{
	static const uint8_t tag[16] = { 0x5b, 0xe1, 0x3b, 0xce, 0xae, 0x34, 0x4a, 0x77,
					 0xb6, 0xc3, 0x16, 0xdf, 0x97, 0x5f, 0xcf, 0x1a };

	memset(m, 0, 12 + 16);
	m[1] = mtag;
	put16(m + 3, opcode);
	m[5] = 16;
	memcpy(m + 12, tag, 16);
}

/* 5606h DC Add Reference of tag A over the FM socket: the response's return code. */
static inline int fm_add_ref(int fd)
{
	uint8_t req[12 + 16], rsp[12 + 64];
	ssize_t n;

	fm_ref_msg(req, 7, 0x5606);  /* message tag 7 */
	assert_int_equal(write(fd, req, sizeof(req)), (ssize_t)sizeof(req));
	n = read(fd, rsp, sizeof(rsp));
	assert_true(n >= 12);
	assert_int_equal(rsp[1], 7);
	return rsp[8] | rsp[9] << 8;
}

/* Nothing to read on any of fds[n] for ms milliseconds. */
static inline void assert_silent(const int *fds, int n, int ms)
{
	struct pollfd pf[8];

	for (int i = 0; i < n; i++)
		pf[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	if (poll(pf, (nfds_t)n, ms) != 0)
		for (int i = 0; i < n; i++)
			if (pf[i].revents)
				fail_msg("connection %d got an answer before its commit was synced", i);
}

/* Host @host's pending offers (the device query). */
static inline size_t host_pending(struct qmp_client *c, size_t host)
{
	json_t *r = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	size_t n = json_array_size(json_object_get(json_array_get(json_object_get(ret_of(r), "hosts"), host),
						   "pending"));

	json_decref(r);
	return n;
}

#endif /* CXLDCD_TESTS_QMP_FAULTS_UTIL_H */
