/* SPDX-License-Identifier: MIT */
/*
 * test-hostlink.c - both ends against a hostile peer.
 *
 *  - The daemon side (hostlink) against a raw client that breaks the
 *    protocol: bad magic, oversize length, messages before HELLO, unknown or
 *    duplicate host ids, host ids bound to another uid, file descriptors
 *    from the host, slow-path errors,
 *    and the interrupt policy (no IRQ while the DC mode is none).
 *  - The host library against a misbehaving device: a frame-aware proxy
 *    between libcxldcd-host and the real device rewrites chosen responses
 *    (bogus record count, bogus region, extent list longer than asked, MAP
 *    past the end of its file).  The host must report an error and never
 *    crash.
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
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "cci/msg.h"
#include "hostlink/proto.h"
#include "../support/hl-raw.h"
#include "hx.h"

static uint32_t raw_last_seq;       /* sequence number of the last message raw_recv() read */

/* hx_raw_recv(), noting the sequence number in raw_last_seq. */
static int raw_recv(struct hx *x, int fd, uint8_t *payload, size_t cap, uint32_t *len, int ms)
{
	return hx_raw_recv(x, fd, payload, cap, len, &raw_last_seq, ms);
}

static void expect_error_then_eof(struct hx *x, int fd)
{
	uint8_t p[512];
	uint32_t len;

	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_ERROR);
	assert_int_equal(p[0], HL_S_PROTO);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), -1);
}

static void hello(struct hx *x, int fd, uint16_t host, uint16_t *status)
{
	uint32_t flags;

	*status = hx_raw_hello(x, fd, host, HL_HELLO_F_MAP, &flags);
}

static void test_bad_magic_is_a_violation_and_the_server_goes_on(void **state)
{
	struct hx *x = *state;
	struct hostlink_stats st;
	uint8_t junk[32];
	int fd = hx_raw_connect(x->sock);

	memset(junk, 0x41, sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	expect_error_then_eof(x, fd);
	close(fd);
	hostlink_stats_get(x->hl, &st);
	assert_int_equal(st.violations, 1);
	assert_int_equal(st.nr_conns, 0);
	hx_host_start(x);
}

static void test_oversize_length_is_refused_without_waiting(void **state)
{
	struct hx *x = *state;
	uint8_t h[HL_HDR_SIZE] = { 0x43, 0x58, 0x48, 0x4c, 1, HL_HELLO };
	int fd = hx_raw_connect(x->sock);

	h[12] = 0xff;
	h[13] = 0xff;
	h[14] = 0xff;
	h[15] = 0x7f;
	assert_int_equal(write(fd, h, sizeof(h)), (ssize_t)sizeof(h));
	expect_error_then_eof(x, fd);
	close(fd);
}

static void test_messages_before_hello_and_wrong_sizes_are_violations(void **state)
{
	struct hx *x = *state;
	uint8_t p[64] = { 0 };
	uint16_t status;
	int fd = hx_raw_connect(x->sock);

	hl_raw_send(fd, HL_CCI_REQ, 1, p, 12);
	expect_error_then_eof(x, fd);
	close(fd);

	fd = hx_raw_connect(x->sock);
	hl_raw_send(fd, HL_HELLO, 1, p, 7); /* short hello */
	expect_error_then_eof(x, fd);
	close(fd);

	fd = hx_raw_connect(x->sock);
	hello(x, fd, 0, &status);
	assert_int_equal(status, 0);
	hl_raw_send(fd, HL_MAP, 2, p, HL_MAP_SIZE); /* device-only type from the host */
	expect_error_then_eof(x, fd);
	close(fd);

	fd = hx_raw_connect(x->sock);
	hello(x, fd, 0, &status);
	hl_raw_send(fd, HL_CCI_REQ, 2, p, 0); /* empty cci message: cannot be answered */
	expect_error_then_eof(x, fd);
	close(fd);
}

static void test_unknown_and_duplicate_host_ids_are_refused(void **state)
{
	struct hx *x = *state;
	uint8_t p[64];
	uint32_t len;
	uint16_t status;
	int a = hx_raw_connect(x->sock), b, c;

	hello(x, a, 5, &status);
	assert_int_equal(status, HL_S_UNKNOWN_HOST);
	assert_int_equal(raw_recv(x, a, p, sizeof(p), &len, 500), -1);
	close(a);
	b = hx_raw_connect(x->sock);
	hello(x, b, 1, &status);
	assert_int_equal(status, 0);
	c = hx_raw_connect(x->sock);
	hello(x, c, 1, &status);
	assert_int_equal(status, HL_S_HOST_CONNECTED);
	close(c);
	assert_true(hostlink_host_connected(x->hl, 1));
	close(b);
	hx_pump(x, 100);
	assert_false(hostlink_host_connected(x->hl, 1));
}

/*
 * hostlink_bind_host(): a host id bound to another uid is refused with ACCES
 * and the connection ends; one bound to our uid and gid is ours; bad
 * bindings are refused; a listener with set_group is 0660 of that group.
 */
static void test_a_host_id_bound_to_another_uid_is_refused(void **state)
{
	struct hx *x = *state;
	const struct hostlink_limits lim = { .set_group = true, .group = getgid() };
	uint8_t p[64];
	uint32_t len;
	uint16_t status;
	struct stat st;
	char path[128];
	int a, b;

	assert_int_equal(hostlink_bind_host(x->hl, 1, getuid() + 1, (gid_t)-1), 0);
	assert_int_equal(hostlink_bind_host(x->hl, 1, getuid() + 1, (gid_t)-1), 0);
	assert_int_equal(hostlink_bind_host(x->hl, 1, getuid() + 2, (gid_t)-1), -EEXIST);
	assert_int_equal(hostlink_bind_host(x->hl, 1, getuid() + 1, getgid()), -EEXIST);
	assert_int_equal(hostlink_bind_host(x->hl, 5, getuid(), (gid_t)-1), -EINVAL);
	assert_int_equal(hostlink_bind_host(x->hl, 0, (uid_t)-1, (gid_t)-1), -EINVAL);
	assert_int_equal(hostlink_bind_host(x->hl, 0, getuid(), getgid()), 0);
	a = hx_raw_connect(x->sock);
	hello(x, a, 1, &status);
	assert_int_equal(status, HL_S_ACCES);
	assert_int_equal(raw_recv(x, a, p, sizeof(p), &len, 500), -1);
	close(a);
	assert_false(hostlink_host_connected(x->hl, 1));

	snprintf(path, sizeof(path), "%s/group.sock", x->dir);
	assert_int_equal(hostlink_listen_unix(x->hl, path, &lim), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getgid());
	b = hx_raw_connect(path);
	hello(x, b, 0, &status);
	assert_int_equal(status, 0);
	assert_true(hostlink_host_connected(x->hl, 0));
	close(b);
}

/*
 * hostlink_limits.bound_only: on that listener a HELLO of a host id nobody
 * bound is refused with ACCES and the connection ends (no MAP, nothing
 * more); a bound id whose user connects is accepted there; the same
 * unbound id is accepted on a listener without it.  Before, an unbound id
 * was anyone's who reached any listener (fails on the old code: host 1 was
 * accepted on the bound-only socket).
 */
static void test_a_bound_only_listener_refuses_unbound_host_ids(void **state)
{
	struct hx *x = *state;
	const struct hostlink_limits lim = { .bound_only = true };
	uint8_t p[64];
	uint32_t len;
	uint16_t status;
	char path[128];
	int a, b, c;

	assert_int_equal(hostlink_bind_host(x->hl, 0, getuid(), (gid_t)-1), 0);
	snprintf(path, sizeof(path), "%s/bound-only.sock", x->dir);
	assert_int_equal(hostlink_listen_unix(x->hl, path, &lim), 0);
	a = hx_raw_connect(path);
	hello(x, a, 1, &status);
	assert_int_equal(status, HL_S_ACCES);
	assert_int_equal(raw_recv(x, a, p, sizeof(p), &len, 500), -1);
	close(a);
	assert_false(hostlink_host_connected(x->hl, 1));
	b = hx_raw_connect(path);           /* host 0 is bound to us: ours here */
	hello(x, b, 0, &status);
	assert_int_equal(status, 0);
	assert_true(hostlink_host_connected(x->hl, 0));
	c = hx_raw_connect(x->sock);        /* without bound_only, host 1 is anyone's */
	hello(x, c, 1, &status);
	assert_int_equal(status, 0);
	assert_true(hostlink_host_connected(x->hl, 1));
	close(b);
	close(c);
	hx_pump(x, 50);
	unlink(path);
}

/* A second listener with its own limits: 2 connections, 150 ms to say HELLO. */
static void test_listener_limits_evict_the_oldest_and_time_out_the_idle(void **state)
{
	struct hx *x = *state;
	const struct hostlink_limits lim = { .max_conns = 2, .hello_timeout_ms = 150 };
	struct hostlink_stats st;
	char path[128];
	uint16_t status;
	int a, b, c, d, host;

	snprintf(path, sizeof(path), "%s/limited.sock", x->dir);
	assert_int_equal(hostlink_listen_unix(x->hl, path, &lim), 0);
	host = hx_raw_connect(x->sock);    /* the default listener: not counted below */
	a = hx_raw_connect(path);
	hx_pump(x, 20);
	b = hx_raw_connect(path);
	hx_pump(x, 20);
	c = hx_raw_connect(path);          /* full: a, the oldest without HELLO, goes */
	hx_pump(x, 20);
	hostlink_stats_get(x->hl, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.nr_conns, 3);
	assert_int_equal(raw_recv(x, a, (uint8_t[8]){ 0 }, 8, (uint32_t[1]){ 0 }, 200), -1);
	hello(x, c, 1, &status);        /* c is past HELLO: only b may go now */
	assert_int_equal(status, 0);
	d = hx_raw_connect(path);
	hx_pump(x, 20);
	hostlink_stats_get(x->hl, &st);
	assert_int_equal(st.evicted, 2);
	/* d never says HELLO: closed by the listener's timeout; c stays */
	for (uint64_t end = hx_now_ms() + 3000; st.hello_timeouts < 1 && hx_now_ms() < end;) {
		hx_pump(x, 50);
		hostlink_stats_get(x->hl, &st);
	}
	assert_int_equal(st.hello_timeouts, 1);
	assert_true(hostlink_host_connected(x->hl, 1));
	/* the default listener's connection has 5 s: still open */
	assert_int_equal(st.nr_conns, 2);
	close(a);
	close(b);
	close(c);
	close(d);
	close(host);
	hx_pump(x, 50);
	unlink(path);
}

static void test_file_descriptors_from_the_host_drop_it(void **state)
{
	struct hx *x = *state;
	uint8_t p[64] = { 0 };
	uint16_t status;
	int fd = hx_raw_connect(x->sock), devnull = 0;

	hello(x, fd, 0, &status);
	assert_int_equal(hl_send(fd, p, 1, &devnull, 1), 1);
	expect_error_then_eof(x, fd);
	close(fd);
}

static void test_slow_path_errors_come_back_as_status(void **state)
{
	struct hx *x = *state;
	uint8_t p[64] = { 0 };
	uint32_t len;
	uint16_t status;
	int fd = hx_raw_connect(x->sock);

	hello(x, fd, 0, &status);
	p[8] = 0x10; /* read 16 bytes at DPA 0: not accepted */
	hl_raw_send(fd, HL_READ_REQ, 2, p, HL_IO_REQ_SIZE);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_READ_RSP);
	assert_int_equal(len, 8);
	assert_int_equal(p[0], HL_S_FAULT);
	memset(p, 0, sizeof(p)); /* length 0 */
	hl_raw_send(fd, HL_READ_REQ, 3, p, HL_IO_REQ_SIZE);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_READ_RSP);
	assert_int_equal(p[0], HL_S_INVAL);
	memset(p, 0, sizeof(p));
	p[8] = 0x20; /* write claims 32 bytes, carries 4 */
	hl_raw_send(fd, HL_WRITE_REQ, 4, p, HL_IO_REQ_SIZE + 4);
	expect_error_then_eof(x, fd);
	close(fd);
}

/* A WRITE_REQ of n bytes at DPA 0 (not accepted: answered HL_S_FAULT). */
static void big_write(struct hx *x, int fd, uint32_t seq, uint32_t n)
{
	size_t cap = HL_HDR_SIZE + HL_IO_REQ_SIZE + n;
	uint8_t *buf = calloc(1, cap), p[64];
	struct wwr w;
	uint32_t len;

	assert_non_null(buf);
	wwr_init(&w, buf, cap);
	hl_msg_begin(&w, HL_WRITE_REQ, seq);
	wwr_u64le(&w, 0);      /* dpa */
	wwr_u32le(&w, n);      /* len */
	wwr_zero(&w, 4 + n);   /* reserved, data */
	assert_int_equal(hl_msg_end(&w), 0);
	for (size_t off = 0; off < w.off;) {
		ssize_t k = send(fd, buf + off, w.off - off, MSG_DONTWAIT);

		if (k < 0) {
			assert_int_equal(errno, EAGAIN);
			hx_pump(x, 5);
			continue;
		}
		off += (size_t)k;
	}
	free(buf);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 2000), HL_WRITE_RSP);
	assert_int_equal(p[0], HL_S_FAULT);
}

/* The receive buffers' idle time in setup_clocked()'s hostlink (hostlink_cfg.rbuf_idle_ms). */
#define IDLE_MS 250u

/* The fixture with the hostlink on x->clock_ms and receive buffers idle after IDLE_MS. */
static int setup_clocked(void **state)
{
	struct hx *x = calloc(1, sizeof(*x));
	struct hx_opts o = { .fake_clock = true, .rbuf_idle_ms = IDLE_MS };

	assert_non_null(x);
	hx_init_opts(x, &o);
	*state = x;
	return 0;
}

/* The hostlink's receive buffers in all, after pumping both loops. */
static uint64_t rbuf_bytes_now(struct hx *x)
{
	struct hostlink_stats st;

	hx_pump(x, 50);
	hostlink_stats_get(x->hl, &st);
	return st.rbuf_bytes;
}

/*
 * A receive buffer grown for a big message stays for the next one (no
 * realloc per message in a stream of big WRITEs: each one puts the
 * shrinking off) and shrinks back once the connection has been idle for
 * IDLE_MS on the hostlink's clock, not a millisecond before.
 */
static void test_a_grown_receive_buffer_shrinks_only_when_idle(void **state)
{
	struct hx *x = *state;
	const uint64_t t = x->clock_ms; /* the clock stands still until set */
	struct hostlink_stats st;
	uint16_t status;
	uint64_t base;
	int fd = hx_raw_connect(x->sock);

	hello(x, fd, 0, &status);
	hostlink_stats_get(x->hl, &st);
	base = st.rbuf_bytes;
	big_write(x, fd, 2, 256 * 1024);
	assert_true(rbuf_bytes_now(x) > 256 * 1024);
	x->clock_ms = t + IDLE_MS - 1;
	assert_true(rbuf_bytes_now(x) > 256 * 1024);
	big_write(x, fd, 3, 256 * 1024); /* idle from t + IDLE_MS - 1 again */
	x->clock_ms = t + IDLE_MS;
	assert_true(rbuf_bytes_now(x) > 256 * 1024);
	x->clock_ms = t + 2 * IDLE_MS - 2;
	assert_true(rbuf_bytes_now(x) > 256 * 1024);
	x->clock_ms = t + 2 * IDLE_MS - 1;
	assert_int_equal(rbuf_bytes_now(x), base);
	close(fd);
}

static void cci_send(int fd, uint32_t seq, uint16_t opcode, const uint8_t *in, uint32_t n)
{
	uint8_t msg[64];
	struct cci_hdr h = { .category = CCI_CAT_REQUEST, .tag = 1, .opcode = opcode,
			     .payload_len = n };

	assert_int_equal(cci_enc_hdr(&h, msg, sizeof(msg)), 0);
	memcpy(msg + 12, in, n);
	hl_raw_send(fd, HL_CCI_REQ, seq, msg, 12 + n);
}

static void test_irq_honours_the_interrupt_policy(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e = hx_ext(x->base[1], 2 * MiB, NULL, 0);
	uint8_t pol[5] = { 0, 0, 0, 0, 0x01 }, p[256], clr[8] = { 4, 0, 1, 0, 0, 0, 1, 0 };
	struct hostlink_stats st;
	uint64_t irqs;
	uint32_t len;
	uint16_t status;
	int fd = hx_raw_connect(x->sock);

	hello(x, fd, 0, &status);
	hostlink_stats_get(x->hl, &st);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	/*
	 * Mode none: no IRQ.  The hostlink queues an IRQ from within the add
	 * (the model's log_nonempty), so none is counted and the next message
	 * on the connection is the answer to the request sent after it.
	 */
	irqs = st.irqs;
	hostlink_stats_get(x->hl, &st);
	assert_int_equal(st.irqs, irqs);
	/* clear the record (handle 1) so the log is empty again, then enable */
	cci_send(fd, 2, CXLDCD_OP_CLEAR_EVENT_RECORDS, clr, 8);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_CCI_RSP);
	assert_int_equal(raw_last_seq, 2);
	assert_int_equal(p[8], 0);
	cci_send(fd, 3, CXLDCD_OP_SET_EVENT_INTERRUPT_POLICY, pol, 5);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_CCI_RSP);
	assert_int_equal(p[8], 0);
	e.dpa += 2 * MiB;
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_IRQ);
	hostlink_stats_get(x->hl, &st);
	assert_int_equal(st.irqs, irqs + 1);
	assert_int_equal(len, HL_IRQ_SIZE);
	assert_true(p[0] & 0x10);
	assert_int_equal(p[4], CXLDCD_LOG_DC);
	close(fd);
}

/* Send 4802h with @n ranges (More clear). */
static void raw_add_rsp_send(int fd, uint32_t seq, const struct cxldcd_extent *e, uint32_t n)
{
	uint8_t in[8 + 24 * 2] = { 0 };

	assert_true(n <= 2);
	in[0] = (uint8_t)n;
	for (uint32_t i = 0; i < n; i++) {
		for (unsigned b = 0; b < 8; b++) {
			in[8 + 24 * i + b] = (uint8_t)(e[i].dpa >> (8 * b));
			in[8 + 24 * i + 8 + b] = (uint8_t)(e[i].len >> (8 * b));
		}
	}
	cci_send(fd, seq, CXLDCD_OP_ADD_DC_RESPONSE, in, 8 + 24 * n);
}

/* 4802h with @n ranges (More clear); return the response's CXL return code. */
static uint8_t raw_add_rsp(struct hx *x, int fd, uint32_t seq, const struct cxldcd_extent *e,
			   uint32_t n)
{
	uint8_t p[256];
	uint32_t len;

	raw_add_rsp_send(fd, seq, e, n);
	for (;;) {
		int t = raw_recv(x, fd, p, sizeof(p), &len, 1000);

		assert_true(t > 0);
		if (t == HL_CCI_RSP)
			return p[8];
	}
}

/* 4803h of one range: the raw message */
static void raw_release(int fd, uint32_t seq, uint64_t dpa, uint64_t len)
{
	uint8_t in[8 + 24] = { 1 };

	for (unsigned b = 0; b < 8; b++) {
		in[8 + b] = (uint8_t)(dpa >> (8 * b));
		in[16 + b] = (uint8_t)(len >> (8 * b));
	}
	cci_send(fd, seq, CXLDCD_OP_RELEASE_DC, in, sizeof(in));
}

/*
 * DIAG (docs/host-link.md): a host that asks for it in HELLO gets the
 * model's reason right before a failed CCI response, with the same sequence
 * number; a successful response comes alone; a host that does not ask (every
 * host before DIAG) never sees one.
 */
static void test_diag_precedes_a_failed_response_only_when_asked(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e = hx_ext(x->base[1], 2 * MiB, NULL, 0);
	uint8_t p[512], pol[5] = { 0 };
	struct hl_diag d;
	uint32_t len, flags;
	int fd = hx_raw_connect(x->sock), old = hx_raw_connect(x->sock);

	assert_int_equal(hx_raw_hello(x, fd, 0, HL_HELLO_F_MAP | HL_HELLO_F_DIAG, &flags), 0);
	assert_int_equal(flags, HL_ACK_F_MAP | HL_ACK_F_DIAG);
	/* 4803h of a range host 0 does not hold */
	raw_release(fd, 7, x->base[0], 2 * MiB);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_DIAG);
	assert_int_equal(raw_last_seq, 7);
	assert_int_equal(hl_dec_diag(p, len, &d), 0);
	assert_int_equal(d.opcode, CXLDCD_OP_RELEASE_DC);
	assert_int_equal(d.rc, CXLDCD_RC_INVALID_PA);
	assert_int_equal(d.reason, CORE_REASON_NOT_HELD);
	assert_string_equal(d.name, "not-held");
	assert_int_equal(d.index, 0);
	assert_true(d.text_len > 0);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_CCI_RSP);
	assert_int_equal(raw_last_seq, 7);
	assert_int_equal(p[8], CXLDCD_RC_INVALID_PA);
	/* a success: the response alone */
	cci_send(fd, 8, CXLDCD_OP_SET_EVENT_INTERRUPT_POLICY, pol, 5);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_CCI_RSP);
	assert_int_equal(p[8], 0);
	/* 4802h accepting more than the offer: refused with its reason */
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	e.len = 4 * MiB;
	raw_add_rsp_send(fd, 9, &e, 1);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_DIAG);
	assert_int_equal(raw_last_seq, 9);
	assert_int_equal(hl_dec_diag(p, len, &d), 0);
	assert_int_equal(d.opcode, CXLDCD_OP_ADD_DC_RESPONSE);
	assert_int_equal(d.rc, CXLDCD_RC_INVALID_PA);
	assert_string_equal(d.name, "not-held");
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_CCI_RSP);
	assert_int_equal(p[8], d.rc);

	/* an unclassified refusal: reason "other", no list index (0103h, FW interrupt for the DC log) */
	pol[CXLDCD_LOG_DC] = 2;
	cci_send(fd, 10, CXLDCD_OP_SET_EVENT_INTERRUPT_POLICY, pol, 5);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_DIAG);
	assert_int_equal(hl_dec_diag(p, len, &d), 0);
	assert_int_equal(d.rc, CXLDCD_RC_INVALID_INPUT);
	assert_string_equal(d.name, "other");
	assert_int_equal(d.index, CXLDCD_LOG_DC);
	assert_int_equal(raw_recv(x, fd, p, sizeof(p), &len, 1000), HL_CCI_RSP);
	assert_int_equal(p[8], CXLDCD_RC_INVALID_INPUT);

	/* the old host: the same refusal, no DIAG */
	assert_int_equal(hx_raw_hello(x, old, 1, HL_HELLO_F_MAP, &flags), 0);
	assert_int_equal(flags, HL_ACK_F_MAP);
	raw_release(old, 2, x->base[0], 2 * MiB);
	assert_int_equal(raw_recv(x, old, p, sizeof(p), &len, 1000), HL_CCI_RSP);
	assert_int_equal(raw_last_seq, 2);
	assert_int_equal(p[8], CXLDCD_RC_INVALID_PA);
	/* nothing else: the next message is the answer to the next request */
	memset(pol, 0, sizeof(pol));
	cci_send(old, 3, CXLDCD_OP_SET_EVENT_INTERRUPT_POLICY, pol, 5);
	assert_int_equal(raw_recv(x, old, p, sizeof(p), &len, 1000), HL_CCI_RSP);
	assert_int_equal(raw_last_seq, 3);
	assert_int_equal(p[8], 0);
	close(old);
	close(fd);
}

/*
 * CXL r3.2 §8.2.10.9.9.3 and the reference's 4802h section: a forced
 * release of a pending add makes its group Dead; a non-empty answer to it
 * is refused with Invalid Physical Address, an empty answer (reject all)
 * succeeds and consumes it, and the next group is then answerable.
 */
static void test_dead_group_takes_only_the_empty_answer(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent t0 = hx_ext(x->base[0], 2 * MiB, TAG_A, 0);
	struct cxldcd_extent t1 = hx_ext(x->base[0] + 4 * MiB, 2 * MiB, TAG_B, 0);
	struct core_release_req rq = { .host = 0, .policy = CXLDCD_RELEASE_TAG_BASED,
				       .forced = true };
	struct cxldcd_diag diag = { 0 };
	struct cxldcd_extent got[4];
	uint32_t nr = 0;
	uint16_t status;
	int fd = hx_raw_connect(x->sock);

	hello(x, fd, 0, &status);
	assert_int_equal(status, 0);
	assert_int_equal(hx_add(x, 0, &t0, 1), CXLDCD_RC_SUCCESS);
	memcpy(rq.tag, t0.tag, CXLDCD_TAG_SIZE);
	assert_int_equal(core_release(x->dev, &rq, &diag), CXLDCD_RC_SUCCESS);
	assert_int_equal(hx_add(x, 0, &t1, 1), CXLDCD_RC_SUCCESS);

	/* The Dead group is first: any non-empty answer is Invalid PA, again and again. */
	assert_int_equal(raw_add_rsp(x, fd, 2, &t0, 1), CXLDCD_RC_INVALID_PA);
	assert_int_equal(raw_add_rsp(x, fd, 3, &t1, 1), CXLDCD_RC_INVALID_PA);
	assert_int_equal(raw_add_rsp(x, fd, 4, &t0, 1), CXLDCD_RC_INVALID_PA);
	/* While the Dead group lives, it holds T0's range. */
	assert_int_not_equal(hx_add(x, 1, &t0, 1), CXLDCD_RC_SUCCESS);
	/* The empty answer is taken and consumes it ... */
	assert_int_equal(raw_add_rsp(x, fd, 5, NULL, 0), CXLDCD_RC_SUCCESS);
	/* ... and the next group is answerable. */
	assert_int_equal(raw_add_rsp(x, fd, 6, &t1, 1), CXLDCD_RC_SUCCESS);
	assert_int_equal(core_extent_list(x->dev, 0, 0, 4, got, &nr), CXLDCD_RC_SUCCESS);
	assert_int_equal(nr, 1);
	assert_int_equal(got[0].dpa, t1.dpa);
	assert_int_equal(got[0].len, t1.len);
	/* The Dead group's capacity went back to the pool: T0's range can be offered again. */
	t0.shared_seq = 0;
	assert_int_equal(hx_add(x, 1, &t0, 1), CXLDCD_RC_SUCCESS);
	/* Nothing is pending any more: a further answer has no group to go to. */
	assert_int_equal(raw_add_rsp(x, fd, 7, NULL, 0), CXLDCD_RC_INVALID_INPUT);
	close(fd);
}

/* ------------------------------------------------------ misbehaving device proxy */

enum mutation { M_NONE, M_EVENT_COUNT, M_REGION_BLOCK, M_LIST_RETURNED, M_MAP_OFFSET };

struct proxy {
	int lfd, down, up;          /* listener, host side, device side */
	enum mutation m;
	uint8_t buf[2][1 << 16];
	size_t len[2];
	int fds[16];
	unsigned nfd;
	int hits;
};

static void proxy_start(struct hx *x, struct proxy *px, const char *path, enum mutation m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(px, 0, sizeof(*px));
	px->m = m;
	px->down = px->up = -1;
	px->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	strcpy(sa.sun_path, path);
	unlink(path);
	assert_int_equal(bind(px->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(px->lfd, 1), 0);
	x->hcfg.socket_path = strdup(path);
}

static void mutate(struct proxy *px, uint8_t *msg, const struct hl_hdr *h)
{
	if (h->type == HL_MAP && px->m == M_MAP_OFFSET) {
		put_le64(msg + HL_HDR_SIZE + 0x10, 1ull << 40); /* past the end of the memfd */
		px->hits++;
	}
	if (h->type != HL_CCI_RSP || h->len < 12)
		return;
	uint8_t *c = msg + HL_HDR_SIZE;
	uint16_t op = get_le16(c + 3);

	if (px->m == M_EVENT_COUNT && op == CXLDCD_OP_GET_EVENT_RECORDS && h->len >= 12 + 0x20 &&
	    get_le16(c + 12 + 0x14)) {
		put_le16(c + 12 + 0x14, 0xffff); /* count far beyond the payload */
		px->hits++;
	}
	if (px->m == M_REGION_BLOCK && op == CXLDCD_OP_GET_DC_CONFIG && h->len >= 12 + 8 + 0x28) {
		put_le64(c + 12 + 8 + 0x18, 0x1000 + 3); /* block size not a power of two */
		px->hits++;
	}
	if (px->m == M_LIST_RETURNED && op == CXLDCD_OP_GET_DC_EXTENT_LIST && h->len >= 12 + 16) {
		put_le32(c + 12, 0xffffffffu);
		px->hits++;
	}
}

/* Forward complete frames from side s (0: host->device, 1: device->host). */
static void proxy_forward(struct proxy *px, int s)
{
	int from = s ? px->up : px->down, to = s ? px->down : px->up;
	ssize_t n = hl_recv(from, px->buf[s] + px->len[s], sizeof(px->buf[s]) - px->len[s], px->fds,
			    &px->nfd, 16);
	size_t off = 0;

	if (n <= 0) {
		if (n == 0 || n != -EAGAIN) {
			close(to);
			if (s)
				px->down = -1;
			else
				px->up = -1;
		}
		return;
	}
	px->len[s] += (size_t)n;
	for (;;) {
		struct hl_hdr h;
		uint8_t *msg = px->buf[s] + off;
		int fd = -1;

		if (hl_dec_hdr(msg, px->len[s] - off, &h) ||
		    px->len[s] - off < HL_HDR_SIZE + h.len)
			break;
		if (s)
			mutate(px, msg, &h);
		if (s && h.type == HL_MAP && px->nfd) {
			fd = px->fds[0];
			memmove(px->fds, px->fds + 1, --px->nfd * sizeof(int));
		}
		assert_int_equal(hl_send(to, msg, HL_HDR_SIZE + h.len, &fd, fd >= 0),
				 (ssize_t)(HL_HDR_SIZE + h.len));
		if (fd >= 0)
			close(fd);
		off += HL_HDR_SIZE + h.len;
	}
	memmove(px->buf[s], px->buf[s] + off, px->len[s] - off);
	px->len[s] -= off;
}

/* Take the host's connection on the proxy's socket and open the device side. */
static void proxy_accept(struct hx *x, struct proxy *px)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	px->down = accept4(px->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (px->down < 0)
		return;
	strcpy(sa.sun_path, x->sock);
	px->up = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(px->up, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

typedef bool proxy_done_fn(const struct hx *x, const struct proxy *px);

/*
 * Run the device, the host and the proxy until @done holds (NULL: at once)
 * and then nothing has moved for three rounds in a row: no fd ready and the
 * host idle (not bringing up, nothing in flight), so whatever the host makes
 * of the last message has happened.  Fail naming @what after 5 s.
 */
static void proxy_settle(struct hx *x, struct proxy *px, proxy_done_fn *done, const char *what)
{
	uint64_t end = hx_now_ms() + 5000;
	int quiet = 0;

	for (;;) {
		struct pollfd p[2];
		size_t n = 0;
		bool moved;

		if (px->down < 0)
			p[n++] = (struct pollfd){ .fd = px->lfd, .events = POLLIN };
		else if (px->up >= 0) {
			p[n++] = (struct pollfd){ .fd = px->down, .events = POLLIN };
			p[n++] = (struct pollfd){ .fd = px->up, .events = POLLIN };
		}
		moved = hx_pump_round(x, p, n, 10);
		if (px->down < 0 && n && p[0].revents) {
			proxy_accept(x, px);
			moved = true;
		} else if (n == 2) {
			if (p[0].revents)
				proxy_forward(px, 0);
			if (px->up >= 0 && px->down >= 0 && p[1].revents)
				proxy_forward(px, 1);
			moved = moved || p[0].revents || p[1].revents;
		}
		quiet = moved ? 0 : quiet + 1;
		if (quiet >= 3 && (!done || done(x, px)))
			return;
		if (hx_now_ms() >= end)
			fail_msg("proxy: %s: not there after 5 s (host state %d, %d rewrites, %u events)",
				 what, x->h ? (int)cxldcd_host_get_state(x->h) : -1, px->hits, x->nr_ev);
	}
}

/* The proxy rewrote a message and the host reported a device error. */
static bool rewritten_and_reported(const struct hx *x, const struct proxy *px)
{
	return px->hits >= 1 && hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR) >= 1;
}

static void proxy_stop(struct hx *x, struct proxy *px)
{
	if (px->down >= 0)
		close(px->down);
	if (px->up >= 0)
		close(px->up);
	for (unsigned i = 0; i < px->nfd; i++)
		close(px->fds[i]);
	close(px->lfd);
	free((char *)x->hcfg.socket_path);
	x->hcfg.socket_path = x->sock;
}

static void test_bogus_event_record_count_is_rejected(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e = hx_ext(x->base[1], 2 * MiB, NULL, 0);
	char path[128];
	struct proxy px;

	snprintf(path, sizeof(path), "%s/proxy.sock", x->dir);
	proxy_start(x, &px, path, M_EVENT_COUNT);
	assert_int_equal(cxldcd_host_new(&x->hcfg, &x->h), 0);
	proxy_settle(x, &px, NULL, "bring-up");
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	proxy_settle(x, &px, rewritten_and_reported, "a record count rewritten and reported");
	assert_true(px.hits >= 1);
	assert_true(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR) >= 1);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	hx_host_stop(x);
	proxy_stop(x, &px);
	unlink(path);
}

static void expect_bringup_refused(struct hx *x, enum mutation m, int err)
{
	char path[128];
	struct proxy px;

	snprintf(path, sizeof(path), "%s/proxy.sock", x->dir);
	proxy_start(x, &px, path, m);
	assert_int_equal(cxldcd_host_new(&x->hcfg, &x->h), 0);
	proxy_settle(x, &px, NULL, "bring-up");
	assert_true(px.hits >= 1);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_FAILED);
	assert_int_equal(cxldcd_host_process(x->h), err);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_FAILED), 1);
	hx_host_stop(x);
	proxy_stop(x, &px);
	unlink(path);
}

static void test_bogus_region_fails_bringup_cleanly(void **state)
{
	expect_bringup_refused(*state, M_REGION_BLOCK, -EINVAL);
}

static void test_extent_list_longer_than_asked_fails_bringup_cleanly(void **state)
{
	expect_bringup_refused(*state, M_LIST_RETURNED, -EPROTO);
}

static void test_map_past_the_end_of_the_file_is_not_mapped(void **state)
{
	struct hx *x = *state;
	struct cxldcd_extent e = hx_ext(x->base[1], 2 * MiB, NULL, 0);
	struct cxldcd_host_group_info g;
	char path[128];
	struct proxy px;

	snprintf(path, sizeof(path), "%s/proxy.sock", x->dir);
	proxy_start(x, &px, path, M_MAP_OFFSET);
	assert_int_equal(cxldcd_host_new(&x->hcfg, &x->h), 0);
	proxy_settle(x, &px, NULL, "bring-up");
	assert_int_equal(hx_add(x, 0, &e, 1), CXLDCD_RC_SUCCESS);
	proxy_settle(x, &px, rewritten_and_reported, "a MAP rewritten and reported");
	assert_int_equal(px.hits, 1);
	assert_int_equal(cxldcd_host_list_groups(x->h, &g, 1), 1);
	assert_false(g.mapped);
	assert_true(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR) >= 1);
	assert_int_equal(cxldcd_host_get_state(x->h), CXLDCD_HOST_READY);
	hx_host_stop(x);
	proxy_stop(x, &px);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_magic_is_a_violation_and_the_server_goes_on, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_oversize_length_is_refused_without_waiting, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_messages_before_hello_and_wrong_sizes_are_violations, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_duplicate_host_ids_are_refused, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_host_id_bound_to_another_uid_is_refused, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_bound_only_listener_refuses_unbound_host_ids, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_listener_limits_evict_the_oldest_and_time_out_the_idle, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_file_descriptors_from_the_host_drop_it, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_slow_path_errors_come_back_as_status, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_a_grown_receive_buffer_shrinks_only_when_idle, setup_clocked,
						hx_teardown),
		cmocka_unit_test_setup_teardown(test_irq_honours_the_interrupt_policy, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_diag_precedes_a_failed_response_only_when_asked,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_dead_group_takes_only_the_empty_answer, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_bogus_event_record_count_is_rejected, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_bogus_region_fails_bringup_cleanly, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_extent_list_longer_than_asked_fails_bringup_cleanly, hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_map_past_the_end_of_the_file_is_not_mapped, hx_setup, hx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
