/* SPDX-License-Identifier: MIT */
/*
 * test-fm.c - integration: the FM-API CCI socket (--fm) of the real daemon.
 * Requests and expected responses are written byte by byte from the spec
 * tables (CXL r3.2 §7.6.3 Table 7-14, §7.6.7.6.1/4/5 Tables 7-63, 7-68..70),
 * independently of the codecs.  Also: the stream stays in sync after an
 * oversized message, a non-request closes the connection, a peer vanishing
 * mid-message is harmless, several FM clients work at once, and a batch of
 * mixed requests in one write is answered whole and in order, also when the
 * daemon is stopped by SIGTERM right after reading it.
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
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "cci-raw.h"
#include "dev-util.h"

static const char *const fm_dev[] = {
	"-object", "memory-backend-memfd,id=m0,size=8G",
	"-device", "cxl-type3,id=d0,num-dc-regions=2,volatile-dc-memdev=m0,num-hosts=2",
	"--fm", NULL, NULL
};

static int fm_connect(const char *path)
{
	int fd = dproc_connect_unix(path, 5000);

	if (fd < 0)
		fail_msg("cannot connect to %s", path);
	return fd;
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
	assert_int_equal(send(fd, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Send a request and check the whole response: header fields and payload bytes. */
static void exchange(int fd, uint8_t tag, uint16_t op, const uint8_t *in, size_t in_len, uint16_t rc,
		     const uint8_t *out, size_t out_len)
{
	uint8_t msg[4096], rsp[4096], want[12];

	cci_raw_hdr(msg, tag, op, (uint32_t)in_len);
	if (in_len)
		memcpy(msg + 12, in, in_len);
	send_all(fd, msg, 12 + in_len);
	assert_int_equal(cci_raw_recv(fd, rsp, 12, TMO), 12);
	cci_raw_hdr(want, tag, op, (uint32_t)out_len);
	want[0] = 0x01;   /* category: response */
	put16(want + 8, rc);
	assert_memory_equal(rsp, want, 12);
	assert_int_equal(cci_raw_recv(fd, rsp + 12, out_len, TMO), out_len);
	if (out_len)
		assert_memory_equal(rsp + 12, out, out_len);
}

static struct qmp_client *start_fm(struct dproc *p)
{
	const char *args[sizeof(fm_dev) / sizeof(fm_dev[0])];
	struct qmp_client *c;

	memcpy(args, fm_dev, sizeof(fm_dev));
	assert_int_equal(dproc_init(p), 0);
	args[5] = p->fm_arg;
	c = connect_dev(p, args);
	return c;
}

static void test_fm_get_dcd_info_add_and_extent_lists_byte_exact(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	uint8_t info[0x54] = { 0 }, add[0x48] = { 0 }, lists_in[0x0c] = { 0 }, lists_out[0x40] = { 0 };
	int fd;

	(void)state;
	c = start_fm(&p);
	fd = fm_connect(p.fm);
	/* 5600h Get DCD Info: 2 hosts, 2 regions, policies 0007h/0003h, SoR mask 03h, 8 GiB = 32 x 256 MB. */
	info[0x00] = 2;
	info[0x01] = 2;
	put16(info + 0x04, 0x0007);
	put16(info + 0x08, 0x0003);
	info[0x0a] = 0x03;
	put64(info + 0x0c, 32);
	put64(info + 0x14, 0x40200000);   /* region 0: 2 MiB | 1 GiB */
	put64(info + 0x1c, 0x40200000);
	exchange(fd, 0x42, 0x5600, NULL, 0, 0, info, sizeof(info));

	/* 5604h Initiate DC Add, prescriptive, host 1: one extent dpa=0x200000 len=0x200000. */
	put16(add + 0x00, 1);
	add[0x02] = 2;
	put32(add + 0x1c, 1);
	put64(add + 0x20, 0x200000);
	put64(add + 0x28, 0x200000);
	exchange(fd, 0x43, 0x5604, add, sizeof(add), 0, NULL, 0);
	/* The host (over QMP) accepts. */
	assert_int_equal(host_answer_all(c, "d0", 1), 1);

	/* 5603h Get DC Region Extent Lists, host 1, up to 16 from 0. */
	put16(lists_in + 0x00, 1);
	put32(lists_in + 0x04, 16);
	put16(lists_out + 0x00, 1);
	put32(lists_out + 0x08, 1);        /* returned */
	put32(lists_out + 0x0c, 1);        /* total */
	put32(lists_out + 0x10, 1);        /* generation */
	put64(lists_out + 0x18, 0x200000);
	put64(lists_out + 0x20, 0x200000);
	exchange(fd, 0x44, 0x5603, lists_in, sizeof(lists_in), 0, lists_out, sizeof(lists_out));
	/* Errors are CXL return codes with an empty payload: 4802h is not an FM command. */
	exchange(fd, 0x45, 0x4802, NULL, 0, 0x15, NULL, 0);
	exchange(fd, 0x46, 0x5603, lists_in, 4, 0x16, NULL, 0);
	close(fd);
	qmp_client_free(c);
}

static void test_fm_stream_survives_bad_peers(void **state)
{
	struct dproc p;
	struct qmp_client *c;
	uint8_t msg[12 + 4096] = { 0 }, rsp[64], id_out[0x12];
	int fd, fd2;

	(void)state;
	c = start_fm(&p);
	fd = fm_connect(p.fm);
	/* A header announcing 4096 bytes (> mbox-payload-size 2048): Invalid Payload Length, payload skipped. */
	cci_raw_hdr(msg, 7, 0x0001, 4096);
	send_all(fd, msg, sizeof(msg));
	assert_int_equal(cci_raw_recv(fd, rsp, 12, TMO), 12);
	assert_int_equal(rsp[1], 7);
	assert_int_equal(rsp[8], 0x16);
	/* In sync: Identify answers (0x12 bytes). */
	cci_raw_hdr(msg, 8, 0x0001, 0);
	send_all(fd, msg, 12);
	assert_int_equal(cci_raw_recv(fd, rsp, 12, TMO), 12);
	assert_int_equal(rsp[8], 0);
	assert_int_equal(rsp[5], 0x12);
	assert_int_equal(cci_raw_recv(fd, id_out, 0x12, TMO), 0x12);
	/* Half a message, then gone. */
	fd2 = fm_connect(p.fm);
	send_all(fd2, msg, 7);
	close(fd2);
	/* A response (category 1) cannot be answered: the connection is closed. */
	fd2 = fm_connect(p.fm);
	cci_raw_hdr(msg, 9, 0x0001, 0);
	msg[0] = 1;
	send_all(fd2, msg, 12);
	assert_int_equal(cci_raw_recv(fd2, rsp, 1, TMO), 0);
	close(fd2);
	/* Byte by byte still works. */
	cci_raw_hdr(msg, 10, 0x0001, 0);
	for (int i = 0; i < 12; i++)
		send_all(fd, msg + i, 1);
	assert_int_equal(cci_raw_recv(fd, rsp, 12 + 0x12, TMO), 12 + 0x12);
	assert_int_equal(rsp[1], 10);
	close(fd);
	ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	qmp_client_free(c);
}

static void test_several_fm_clients_pipelined(void **state)
{
	enum { CLIENTS = 4, PER = 500 };
	struct dproc p;
	struct qmp_client *c;
	uint8_t *buf = malloc(PER * 12), rsp[12 + 0x54];
	int fd[CLIENTS];

	(void)state;
	c = start_fm(&p);
	for (int i = 0; i < CLIENTS; i++)
		fd[i] = fm_connect(p.fm);
	for (int k = 0; k < PER; k++)
		cci_raw_hdr(buf + 12 * k, (uint8_t)k, 0x5600, 0);
	for (int i = 0; i < CLIENTS; i++)
		send_all(fd[i], buf, PER * 12);
	for (int i = 0; i < CLIENTS; i++) {
		for (int k = 0; k < PER; k++) {
			assert_int_equal(cci_raw_recv(fd[i], rsp, sizeof(rsp), TMO), sizeof(rsp));
			assert_int_equal(rsp[1], (uint8_t)k);
			assert_int_equal(rsp[8], 0);
		}
		close(fd[i]);
	}
	free(buf);
	qmp_client_free(c);
}

/*
 * Request k of a mixed batch: 5604h (one 2 MiB extent at block @first + k/3
 * offered to host 1: journaled, answered from the group commit), 5600h or
 * 5603h (run at once, after the adds before them).  Its length.
 */
static size_t mixed_req(uint8_t *m, unsigned k, unsigned first)
{
	static const uint16_t ops[3] = { 0x5604, 0x5600, 0x5603 };
	uint32_t len = k % 3 == 0 ? 0x48 : k % 3 == 1 ? 0 : 0x0c;

	memset(m, 0, 12 + len);
	cci_raw_hdr(m, (uint8_t)k, ops[k % 3], len);
	put16(m + 12, 1);                       /* host 1 (5604h, 5603h) */
	if (k % 3 == 0) {
		m[12 + 0x02] = 2;               /* prescriptive */
		put32(m + 12 + 0x1c, 1);
		put64(m + 12 + 0x20, (uint64_t)(first + k / 3) << 21);
		put64(m + 12 + 0x28, 2 * MiB);
	} else if (k % 3 == 2) {
		put32(m + 12 + 0x04, 16);       /* up to 16 extents from 0 */
	}
	return 12 + len;
}

/* Read the response to request @k of a mixed batch: whole, Success. */
static void expect_mixed_one(int fd, unsigned k)
{
	static const uint16_t ops[3] = { 0x5604, 0x5600, 0x5603 };
	static const uint32_t out_len[3] = { 0, 0x54, 0x18 };   /* host 1 has no extent yet */
	uint8_t rsp[12 + 0x54];

	if (cci_raw_recv(fd, rsp, 12, TMO) != 12)
		fail_msg("response to request %u missing", k);
	assert_int_equal(rsp[0], 0x01);
	assert_int_equal(rsp[1], (uint8_t)k);
	assert_int_equal(rsp[3] | rsp[4] << 8, ops[k % 3]);
	assert_int_equal(rsp[5] | rsp[6] << 8 | (rsp[7] & 0x1f) << 16, out_len[k % 3]);
	assert_int_equal(rsp[8] | rsp[9] << 8, 0);
	assert_int_equal(cci_raw_recv(fd, rsp + 12, out_len[k % 3], TMO), out_len[k % 3]);
}

/* The @n responses of a mixed batch, in order. */
static void expect_mixed(int fd, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		expect_mixed_one(fd, k);
}

/*
 * 60 requests in one write, with --state: reads answered at once, adds
 * from the group commit at the end of the loop round, reads behind an add
 * after it; one flush per connection and round sends them, whole and in
 * order.  Then a second batch reaches a stopped daemon together with
 * SIGTERM: every answer, the group commit's included, is still sent before
 * the connection closes, and the daemon exits 0.
 */
static void test_mixed_batch_in_one_write_answered_in_order_and_at_sigterm(void **state)
{
	enum { N = 60 };
	const char *args[sizeof(fm_dev) / sizeof(fm_dev[0]) + 2];
	uint8_t *buf = malloc(N * (12 + 0x48)), c1;
	struct dproc p;
	struct qmp_client *c;
	size_t len = 0;
	int fd;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(dproc_init(&p), 0);
	memcpy(args, fm_dev, sizeof(fm_dev));
	args[5] = p.fm_arg;
	args[6] = "--state";
	args[7] = p.state;
	args[8] = NULL;
	c = connect_dev(&p, args);
	fd = fm_connect(p.fm);
	for (unsigned k = 0; k < N; k++)
		len += mixed_req(buf + len, k, 1);
	send_all(fd, buf, len);
	expect_mixed(fd, N);
	close(fd);
	qmp_client_free(c);

	fd = fm_connect(p.fm);
	/* One answer first: the daemon has accepted the connection, so it reads it in the next round. */
	len = mixed_req(buf, 1, 0);
	send_all(fd, buf, len);
	expect_mixed_one(fd, 1);
	len = 0;
	for (unsigned k = 0; k < N; k++)
		len += mixed_req(buf + len, k, 1 + N);
	assert_int_equal(dproc_sigstop(&p), 0);
	send_all(fd, buf, len);
	assert_int_equal(kill(p.pid, SIGTERM), 0);
	assert_int_equal(kill(p.pid, SIGCONT), 0);
	expect_mixed(fd, N);
	assert_int_equal(cci_raw_recv(fd, &c1, 1, TMO), 0);     /* then EOF */
	assert_int_equal(dproc_wait_exit(&p, TMO), 0);
	close(fd);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_fm_get_dcd_info_add_and_extent_lists_byte_exact, dproc_reap_all),
		cmocka_unit_test_teardown(test_fm_stream_survives_bad_peers, dproc_reap_all),
		cmocka_unit_test_teardown(test_several_fm_clients_pipelined, dproc_reap_all),
		cmocka_unit_test_teardown(test_mixed_batch_in_one_write_answered_in_order_and_at_sigterm,
					  dproc_reap_all),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("fm", tests, NULL, NULL);
}
