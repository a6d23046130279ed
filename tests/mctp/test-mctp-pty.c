/* SPDX-License-Identifier: MIT */
/*
 * test-mctp-pty.c - the daemon's --mctp-serial pty against a user-space
 * DSP0253 peer written here, independently of src/mctp (its own framing,
 * FCS, fragmentation and reassembly), acting as the bus owner at EID 8:
 * control messages, CCI messages of both bindings, a corrupted frame that
 * must not cost the next one, 2 KiB requests split over 32 packets and two
 * of them interleaved packet by packet under different tags.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e.h"

#define OWN_EID 8
#define DEV_EID 9
#define MTU 64

/* ---- the peer ----------------------------------------------------------- */

struct peer {
	int fd;
	uint8_t rx[4096];       /* one reassembled message */
	size_t rx_len;
	uint8_t rx_tag, rx_src;
};

static uint16_t fcs16(uint16_t f, const uint8_t *p, size_t n)
{
	while (n--) {
		f ^= *p++;
		for (int i = 0; i < 8; i++)
			f = (f & 1) ? (uint16_t)((f >> 1) ^ 0x8408) : (uint16_t)(f >> 1);
	}
	return f;
}

/* One frame: 7E 01 N escaped(packet) FCS-hi FCS-lo 7E. */
static size_t frame(const uint8_t *pkt, size_t n, uint8_t *out)
{
	uint8_t hdr[2] = { 0x01, (uint8_t)n };
	uint16_t f = fcs16(fcs16(0xffff, hdr, 2), pkt, n);
	size_t o = 0;

	out[o++] = 0x7e;
	out[o++] = 0x01;
	out[o++] = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		if (pkt[i] == 0x7e || pkt[i] == 0x7d) {
			out[o++] = 0x7d;
			out[o++] = pkt[i] ^ 0x20;
		} else {
			out[o++] = pkt[i];
		}
	}
	out[o++] = (uint8_t)(f >> 8);
	out[o++] = (uint8_t)f;
	out[o++] = 0x7e;
	return o;
}

/* The frames of message @msg (type byte first), packet i at frames[i]. */
static size_t packets(uint8_t dst, uint8_t tag, const uint8_t *msg, size_t len,
		      uint8_t frames[][2 * (MTU + 4) + 6], size_t *flen)
{
	size_t n = 0;

	for (size_t off = 0; off < len; off += MTU, n++) {
		uint8_t pkt[4 + MTU];
		size_t k = len - off < MTU ? len - off : MTU;

		pkt[0] = 0x01;
		pkt[1] = dst;
		pkt[2] = OWN_EID;
		pkt[3] = (uint8_t)((off == 0 ? 0x80 : 0) | (off + k == len ? 0x40 : 0) |
				   ((n & 3) << 4) | 0x08 | (tag & 7));
		memcpy(pkt + 4, msg + off, k);
		flen[n] = frame(pkt, 4 + k, frames[n]);
	}
	return n;
}

static void put(struct peer *p, const uint8_t *b, size_t n)
{
	assert_int_equal(write(p->fd, b, n), (ssize_t)n);
}

static uint8_t frames_buf[64][2 * (MTU + 4) + 6];
static size_t flen_buf[64];

static void send_msg(struct peer *p, uint8_t dst, uint8_t tag, const uint8_t *msg, size_t len)
{
	size_t n = packets(dst, tag, msg, len, frames_buf, flen_buf);

	for (size_t i = 0; i < n; i++)
		put(p, frames_buf[i], flen_buf[i]);
}

static int get_byte(struct peer *p, uint64_t until)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	uint8_t c;

	while (e2e_now_ms() < until) {
		if (poll(&pfd, 1, 50) == 1 && read(p->fd, &c, 1) == 1)
			return c;
	}
	return -1;
}

/*
 * One good frame's packet into pkt; -1 on timeout.  Bad frames are skipped.
 * Revision, count and FCS are not escaped (serial.h COMPAT note): read raw.
 */
static int get_packet(struct peer *p, uint8_t *pkt, uint64_t until)
{
	for (;;) {
		uint8_t hdr[2], fcs[2];
		int c, count;

		while ((c = get_byte(p, until)) != 0x7e)
			if (c < 0)
				return -1;
		while ((c = get_byte(p, until)) == 0x7e)
			;
		if (c != 0x01 || (count = get_byte(p, until)) < 4)
			continue;
		hdr[0] = (uint8_t)c;
		hdr[1] = (uint8_t)count;
		for (int n = 0; n < count; n++) {
			c = get_byte(p, until);
			if (c == 0x7d)
				c = get_byte(p, until) ^ 0x20;
			if (c < 0)
				return -1;
			pkt[n] = (uint8_t)c;
		}
		for (int k = 0; k < 2; k++) {
			if ((c = get_byte(p, until)) < 0)
				return -1;
			fcs[k] = (uint8_t)c;
		}
		if (get_byte(p, until) != 0x7e)
			continue;
		if (fcs16(fcs16(0xffff, hdr, 2), pkt, (size_t)count) != (uint16_t)(fcs[0] << 8 | fcs[1]))
			continue;
		return count;
	}
}

/* The next whole message addressed to us (SOM..EOM, in sequence); false on timeout. */
static bool recv_msg(struct peer *p, int timeout_ms)
{
	uint64_t until = e2e_now_ms() + (uint64_t)timeout_ms;
	uint8_t pkt[256];
	int n, seq = 0;

	p->rx_len = 0;
	while ((n = get_packet(p, pkt, until)) >= 0) {
		assert_true(n >= 4);
		assert_int_equal(pkt[1], OWN_EID);
		assert_int_equal(pkt[3] & 0x08, 0);        /* TO clear: a response */
		if (pkt[3] & 0x80) {
			p->rx_len = 0;
			seq = (pkt[3] >> 4) & 3;
			p->rx_tag = pkt[3] & 7;
			p->rx_src = pkt[2];
		}
		assert_int_equal((pkt[3] >> 4) & 3, seq);
		assert_true(n - 4 <= MTU);
		seq = (seq + 1) & 3;
		memcpy(p->rx + p->rx_len, pkt + 4, (size_t)n - 4);
		p->rx_len += (size_t)n - 4;
		if (pkt[3] & 0x40)
			return true;
		assert_int_equal(n - 4, MTU);               /* all but the last are full */
	}
	return false;
}

static void peer_open(struct e2e *e, struct peer *p)
{
	const char *log = dproc_log(&e->d), *at;
	char path[64];
	struct termios t;
	int k = 0;

	/* the last one: after a restart the log still holds the old daemon's pty */
	at = NULL;
	for (const char *q = strstr(log, "mctp-serial: /dev/"); q;
	     q = strstr(q + 1, "mctp-serial: /dev/"))
		at = q;
	if (!at)
		fail_msg("no pty in the log:\n%s", log);
	at += strlen("mctp-serial: ");
	while (at[k] && at[k] != ' ' && k < 63) {
		path[k] = at[k];
		k++;
	}
	path[k] = '\0';
	p->fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(p->fd >= 0);
	assert_int_equal(tcgetattr(p->fd, &t), 0);
	assert_int_equal(t.c_lflag & ECHO, 0);             /* the daemon made it raw */
}

static void start(struct e2e *e, struct peer *p)
{
	static const char *const more[] = {
		"-object", "memory-backend-memfd,id=ma,size=128M,share=on,tag=" TAG_A,
		"--mctp-serial", "pty,device=" DEV_ID, NULL,
	};

	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,dc-regions-total-size=1G,"
			    "num-hosts=2", more);
	peer_open(e, p);
}

/* A CCI request message: type, 12-byte header (tag, opcode, length), payload. */
static size_t cci_req(uint8_t *m, uint8_t type, uint8_t tag, uint16_t op, size_t pl)
{
	memset(m, 0, 13);
	m[0] = type;
	m[2] = tag;
	m[4] = (uint8_t)op;
	m[5] = (uint8_t)(op >> 8);
	m[6] = (uint8_t)pl;
	m[7] = (uint8_t)(pl >> 8);
	return 13 + pl;
}

static uint16_t rsp_rc(const struct peer *p)
{
	return (uint16_t)(p->rx[9] | p->rx[10] << 8);
}

/* ---- tests -------------------------------------------------------------- */

static void test_bus_owner_assigns_eid_and_reads_types(void **state)
{
	struct e2e *e = *state;
	struct peer p;

	start(e, &p);
	/* Get Endpoint ID to the null EID: 0 until assigned. */
	const uint8_t get_eid[] = { 0x00, 0x81, 0x02 };
	send_msg(&p, 0x00, 1, get_eid, sizeof(get_eid));
	assert_true(recv_msg(&p, E2E_TMO));
	const uint8_t r0[] = { 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00 };
	assert_int_equal(p.rx_len, sizeof(r0));
	assert_memory_equal(p.rx, r0, sizeof(r0));
	assert_int_equal(p.rx_tag, 1);
	/* Set Endpoint ID 9, as mctpd does after `mctp link set ... up`. */
	const uint8_t set_eid[] = { 0x00, 0x82, 0x01, 0x00, DEV_EID };
	send_msg(&p, 0x00, 2, set_eid, sizeof(set_eid));
	assert_true(recv_msg(&p, E2E_TMO));
	const uint8_t r1[] = { 0x00, 0x02, 0x01, 0x00, 0x00, DEV_EID, 0x00 };
	assert_memory_equal(p.rx, r1, sizeof(r1));
	assert_int_equal(p.rx_src, DEV_EID);
	/* Now addressed by its EID: Get Message Type Support, Get MCTP Version Support. */
	const uint8_t types[] = { 0x00, 0x83, 0x05 };
	send_msg(&p, DEV_EID, 3, types, sizeof(types));
	assert_true(recv_msg(&p, E2E_TMO));
	const uint8_t r2[] = { 0x00, 0x03, 0x05, 0x00, 0x02, 0x07, 0x08 };
	assert_int_equal(p.rx_len, sizeof(r2));
	assert_memory_equal(p.rx, r2, sizeof(r2));
	const uint8_t ver[] = { 0x00, 0x84, 0x04, 0xff };
	send_msg(&p, DEV_EID, 4, ver, sizeof(ver));
	assert_true(recv_msg(&p, E2E_TMO));
	const uint8_t r3[] = { 0x00, 0x04, 0x04, 0x00, 0x01, 0xf1, 0xf3, 0xf1, 0x00 };
	assert_memory_equal(p.rx, r3, sizeof(r3));
	close(p.fd);
}

static void test_cci_on_both_bindings_and_a_bad_frame_costs_nothing_else(void **state)
{
	struct e2e *e = *state;
	struct peer p;
	uint8_t m[64], f[200];
	size_t n, fl;

	start(e, &p);
	/* A corrupted Identify frame: dropped, no answer. */
	n = cci_req(m, 0x08, 0x10, 0x0001, 0);
	n = packets(0x00, 1, m, n, frames_buf, flen_buf);
	assert_int_equal(n, 1);
	memcpy(f, frames_buf[0], flen_buf[0]);
	fl = flen_buf[0];
	f[fl - 3] ^= 0xff;                                  /* FCS low byte */
	put(&p, f, fl);
	/* Right behind it, the same request intact. */
	put(&p, frames_buf[0], flen_buf[0]);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(p.rx_len, 1 + 12 + 0x12);
	assert_int_equal(p.rx[0], 0x08);
	assert_int_equal(p.rx[1], 0x01);                    /* Response */
	assert_int_equal(p.rx[2], 0x10);
	assert_int_equal(rsp_rc(&p), 0);
	assert_int_equal(p.rx[13 + 0x11], 0x03);            /* Type 3 component */
	assert_false(recv_msg(&p, 200));                    /* one answer only */

	/* Get DCD Info on 07h; on 08h it is Unsupported. */
	n = cci_req(m, 0x07, 0x11, 0x5600, 0);
	send_msg(&p, 0x00, 2, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0);
	assert_int_equal(p.rx_len, 1 + 12 + 0x54);          /* two packets */
	assert_int_equal(p.rx[13], 2);                      /* hosts */
	n = cci_req(m, 0x08, 0x12, 0x5600, 0);
	send_msg(&p, 0x00, 3, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0x03);
	close(p.fd);
}

/*
 * 08h reaches the Type 3 device's own MCTP-based CCI: Identify Memory Device
 * answered, 4802h (prohibited on MCTP) Unsupported Mailbox or CCI, a CEL of
 * exactly that CCI's commands (56xxh included, which it takes as 07h); 07h
 * still reaches the FM-API.
 */
static void test_08h_is_the_type3_mctp_cci_and_07h_the_fm_api(void **state)
{
	static const uint16_t cel[] = {
		0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0100, 0x0101, 0x0200, 0x0300, 0x0301,
		0x0400, 0x0401, 0x0405, 0x0500, 0x0501, 0x0502, 0x0600, 0x4000, 0x4100, 0x4102, 0x4103,
		0x4200, 0x4201, 0x4202, 0x4300, 0x4302, 0x4303, 0x4304, 0x4305, 0x4400, 0x4401,
		0x4500, 0x5600, 0x5601, 0x5602, 0x5603, 0x5604, 0x5605, 0x5606, 0x5607, 0x5608,
	};
	static const uint8_t cel_uuid[16] = { 0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
					      0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17 };
	struct e2e *e = *state;
	struct peer p;
	uint8_t m[64];
	size_t n;

	start(e, &p);
	n = cci_req(m, 0x08, 0x40, 0x4000, 0);
	send_msg(&p, 0x00, 1, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0);
	assert_int_equal(p.rx_len, 1 + 12 + 0x45);
	assert_int_equal(p.rx[0], 0x08);
	assert_int_equal(p.rx[2], 0x40);
	assert_int_equal(p.rx[4] | p.rx[5] << 8, 0x4000);
	assert_memory_equal(p.rx + 13, "cxldcd ", 7);      /* FW Revision */
	assert_int_equal(p.rx[13 + 0x43] | p.rx[13 + 0x44] << 8,
			 p.rx[13 + 0x30] | p.rx[13 + 0x31] << 8); /* DC log = info log depth */
	assert_true((p.rx[13 + 0x30] | p.rx[13 + 0x31] << 8) > 0);

	n = cci_req(m, 0x08, 0x41, 0x4802, 8);
	send_msg(&p, 0x00, 2, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0x15);
	assert_int_equal(p.rx_len, 1 + 12);

	/* Get Log (CEL) on 08h: exactly the MCTP CCI's commands. */
	n = cci_req(m, 0x08, 0x42, 0x0401, 0x18);
	memset(m + 13, 0, 0x18);
	memcpy(m + 13, cel_uuid, 16);
	m[13 + 0x14] = (uint8_t)sizeof(cel) * 2;             /* 4 bytes per entry */
	send_msg(&p, 0x00, 3, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0);
	assert_int_equal(p.rx_len, 1 + 12 + 4 * (sizeof(cel) / sizeof(cel[0])));
	for (size_t i = 0; i < sizeof(cel) / sizeof(cel[0]); i++)
		assert_int_equal(p.rx[13 + 4 * i] | p.rx[14 + 4 * i] << 8, cel[i]);

	/* 07h: the FM-API as before; 4000h as 07h is the wrong binding. */
	n = cci_req(m, 0x07, 0x43, 0x5600, 0);
	send_msg(&p, 0x00, 4, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0);
	assert_int_equal(p.rx_len, 1 + 12 + 0x54);
	n = cci_req(m, 0x07, 0x44, 0x4000, 0);
	send_msg(&p, 0x00, 5, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0x03);
	close(p.fd);
}

/* 5604h Prescriptive with 50 extents: 12 + 0x20 + 50 * 0x28 = 2044 bytes, about 2 KiB. */
static size_t big_add(uint8_t *m, uint8_t tag, uint16_t op)
{
	/* TAG_A as bytes, in the order the CCI carries it (uuid_parse order). */
	static const uint8_t tag_a[16] = { 0x5b, 0xe1, 0x3b, 0xce, 0xae, 0x34, 0x4a, 0x77,
					   0xb6, 0xc3, 0x16, 0xdf, 0x97, 0x5f, 0xcf, 0x1a };
	size_t pl = 0x20 + 50 * 0x28, n = cci_req(m, 0x07, tag, op, pl);
	uint8_t *in = m + 13;

	memset(in, 0, pl);
	in[2] = 2;                                          /* Prescriptive */
	in[0x1c] = 50;
	for (size_t i = 0; i < 50; i++) {
		uint8_t *x = in + 0x20 + 0x28 * i;
		uint64_t dpa = i * 2 * MiB, len = 2 * MiB;

		for (int b = 0; b < 8; b++) {
			x[b] = (uint8_t)(dpa >> (8 * b));
			x[8 + b] = (uint8_t)(len >> (8 * b));
		}
		memcpy(x + 0x10, tag_a, 16);
	}
	return n;
}

static void test_2k_requests_in_32_packets_interleaved_under_two_tags(void **state)
{
	static uint8_t a[4096], b[4096], fa[64][2 * (MTU + 4) + 6], fb[64][2 * (MTU + 4) + 6];
	static size_t la[64], lb[64];
	struct e2e *e = *state;
	struct peer p;
	size_t na, nb;
	bool got_a = false, got_b = false;

	start(e, &p);
	na = packets(0x00, 5, a, big_add(a, 0x21, 0x5604), fa, la);
	nb = packets(0x00, 6, b, big_add(b, 0x22, 0x5605), fb, lb);
	assert_int_equal(na, 32);
	assert_int_equal(nb, 32);
	for (size_t i = 0; i < na; i++) {
		put(&p, fa[i], la[i]);
		put(&p, fb[i], lb[i]);
	}
	for (int k = 0; k < 2; k++) {
		assert_true(recv_msg(&p, E2E_TMO));
		assert_int_equal(p.rx[0], 0x07);
		if (p.rx_tag == 5) {
			assert_int_equal(rsp_rc(&p), 0);
			assert_int_equal(p.rx[2], 0x21);
			assert_int_equal(p.rx[4] | p.rx[5] << 8, 0x5604);
			got_a = true;
		} else {
			assert_int_equal(p.rx_tag, 6);
			assert_int_equal(p.rx[2], 0x22);
			assert_int_equal(p.rx[4] | p.rx[5] << 8, 0x5605);
			got_b = true;
		}
	}
	assert_true(got_a && got_b);
	/* 5604h with its 50 extents really reached the device: one add pending for host 0. */
	{
		json_t *r = qmp_ok(e, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":"
				      "{\"path\":\"" DEV_PATH "\"}}");
		json_t *h = json_array_get(json_object_get(RET(r), "hosts"), 0);
		json_t *pend = json_object_get(h, "pending");

		assert_int_equal(json_array_size(pend), 1);
		if (json_is_array(json_object_get(json_array_get(pend, 0), "extents")))
			assert_int_equal(json_array_size(json_object_get(json_array_get(pend, 0),
									  "extents")), 50);
		json_decref(r);
	}
	close(p.fd);
}

/*
 * A peer that writes 3000 requests before it reads anything: about 110 KiB
 * of responses pile up, more than the terminal holds.  None may be lost.
 */
static void test_a_slow_reader_loses_no_response(void **state)
{
	static uint8_t line[3000 * 40];
	struct e2e *e = *state;
	struct peer p;
	uint8_t m[64];
	size_t n, len = 0;
	int got = 0;

	start(e, &p);
	n = cci_req(m, 0x08, 0, 0x0001, 0);
	for (int i = 0; i < 3000; i++) {
		m[2] = (uint8_t)i;
		size_t k = packets(0x00, (uint8_t)i, m, n, frames_buf, flen_buf);

		assert_int_equal(k, 1);
		memcpy(line + len, frames_buf[0], flen_buf[0]);
		len += flen_buf[0];
	}
	for (size_t off = 0; off < len;) {
		ssize_t k = write(p.fd, line + off, len - off);

		if (k < 0 && errno == EAGAIN) {
			poll(NULL, 0, 1);
			continue;
		}
		assert_true(k > 0);
		off += (size_t)k;
	}
	while (got < 3000 && recv_msg(&p, 2000)) {
		assert_int_equal(p.rx[2], (uint8_t)got);
		got++;
	}
	assert_int_equal(got, 3000);
	close(p.fd);
}

static size_t pending_of_host0(struct e2e *e)
{
	json_t *r = qmp_ok(e, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":"
			      "{\"path\":\"" DEV_PATH "\"}}");
	size_t n = json_array_size(json_object_get(
		json_array_get(json_object_get(RET(r), "hosts"), 0), "pending"));

	json_decref(r);
	return n;
}

static void test_a_change_made_over_the_line_survives_kill9(void **state)
{
	static uint8_t m[4096];
	struct e2e *e = *state;
	struct peer p;
	size_t n;

	e->with_state = true;
	start(e, &p);
	n = big_add(m, 0x40, 0x5604);
	send_msg(&p, 0x00, 1, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0);                    /* acknowledged: journaled first */
	close(p.fd);
	assert_int_equal(pending_of_host0(e), 1);
	e2e_restart_daemon(e, true);
	assert_int_equal(pending_of_host0(e), 1);
}

/*
 * A change made on the MCTP CCI (08h) is journaled under its own port and
 * replayed there: Set Alert Configuration (Set Event Interrupt Policy is
 * prohibited on MCTP: 15h).
 */
static void test_a_change_on_the_mctp_cci_survives_kill9(void **state)
{
	/* valid: life used; enabled: life used; warning threshold 70 % */
	static const uint8_t alert[0x0c] = { 0x01, 0x01, 70 };
	struct e2e *e = *state;
	struct peer p;
	uint8_t m[64];
	size_t n;

	e->with_state = true;
	start(e, &p);
	n = cci_req(m, 0x08, 0x4f, 0x0103, 5);
	memset(m + 13, 0, 5);
	send_msg(&p, 0x00, 1, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0x15);
	n = cci_req(m, 0x08, 0x50, 0x4202, sizeof(alert));
	memcpy(m + 13, alert, sizeof(alert));
	send_msg(&p, 0x00, 2, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0);
	close(p.fd);
	e2e_restart_daemon(e, true);
	peer_open(e, &p);
	n = cci_req(m, 0x08, 0x51, 0x4201, 0);
	send_msg(&p, 0x00, 3, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0);
	assert_int_equal(p.rx_len, 1 + 12 + 0x10);
	assert_int_equal(p.rx[13 + 0x00], 0x01);           /* Valid Alerts: life used */
	assert_int_equal(p.rx[13 + 0x03], 70);             /* Life Used Programmable Warning */
	close(p.fd);
}

/*
 * A journaled request on the line joins the loop round's group commit like
 * the other faces': an FM 5604h over MCTP and a journaled QMP
 * cxl-cci-request (0103h) that arrive together are journaled in one commit
 * (the daemon's count at quit: before, the line committed on its own).
 */
static void test_a_line_request_shares_the_round_commit(void **state)
{
	static uint8_t m[4096];
	struct e2e *e = *state;
	struct peer p;
	json_t *r;
	size_t n;
	static const char qmp[] =
		"{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"" DEV_ID "\","
		"\"cci\":\"mailbox\",\"host-id\":1,\"opcode\":259,\"payload\":\"0000000000\"},\"id\":7}";

	e->with_state = true;
	start(e, &p);
	assert_int_equal(dproc_sigstop(&e->d), 0);
	n = big_add(m, 0x40, 0x5604);
	send_msg(&p, 0x00, 1, m, n);
	assert_int_equal(qmp_client_send_raw(e->c, qmp, strlen(qmp)), 0);
	usleep(200000);         /* the tty layer moves the frames to the daemon's side */
	assert_int_equal(kill(e->d.pid, SIGCONT), 0);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(rsp_rc(&p), 0);
	r = qmp_client_recv(e->c, E2E_TMO);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "return"), "return-code")), 0);
	json_decref(r);
	json_decref(qmp_ok(e, "{\"execute\":\"quit\"}"));
	assert_int_equal(dproc_wait_exit(&e->d, E2E_TMO), 0);
	if (!strstr(dproc_log(&e->d), "state: 2 requests journaled in 1 commits"))
		fail_msg("not one commit: %s", strstr(dproc_log(&e->d), "requests journaled") ?
			 strstr(dproc_log(&e->d), "requests journaled") - 2 : "(no count)");
	close(p.fd);
}

/* Whether the first @n bytes of @path are all @v. */
static bool file_all(const char *path, size_t n, uint8_t v)
{
	static uint8_t buf[2 << 20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool all = fd >= 0 && pread(fd, buf, n, 0) == (ssize_t)n;

	for (size_t i = 0; all && i < n; i++)
		all = buf[i] == v;
	if (fd >= 0)
		close(fd);
	return all;
}

/*
 * The Type 3 MCTP CCI's Secure Erase (08h, 4401h: every host's capacity)
 * answers at once on the line, and a trusted host writes its capacity
 * (trusted-hosts=on: the bytes land in the backend file at once; the test
 * writes the file as such a host would) once the erase is answered.  The
 * faultfs shim holds the WAL writes after the erase's own commit: the
 * commit of its proof record.  Before, the line's answer left before that
 * proof was written; the kill lost the proof, so the restart owed the
 * erase and zeroed what the host wrote after the answer.  Now no answer
 * leaves while the proof is held; let go, the answer comes, the host
 * writes, and the bytes survive the kill and the restart.
 */
static void test_an_erase_is_answered_only_once_its_proof_is_durable(void **state)
{
	static uint8_t pat[2 << 20];
	char dir[] = "/tmp/cxldcd-erase-XXXXXX", obj[300], file[200], hold[200], syncs[200];
	char payload[2 * 32 + 1] = "";
	const char *more[] = { "-object", obj, "--mctp-serial", "pty,device=" DEV_ID, NULL };
	uint8_t acc[8 + 0x18] = { 1 }, m[64];
	struct e2e *e = *state;
	struct peer p;
	struct stat sb;
	uint64_t base;
	json_t *r;
	bool answered;
	FILE *f;
	int fd;

	if (!getenv("FAULTFS"))
		skip();
	assert_non_null(mkdtemp(dir));          /* the daemon's own directory is made at its start */
	dproc_track_dir(dir);
	snprintf(file, sizeof(file), "%s/a.mem", dir);
	snprintf(obj, sizeof(obj), "memory-backend-file,id=fa,size=64M,share=on,mem-path=%s,tag=" TAG_A,
		 file);
	snprintf(hold, sizeof(hold), "%s/whold", dir);
	snprintf(syncs, sizeof(syncs), "%s/syncs", dir);
	memset(pat, 0x3c, sizeof(pat));
	assert_true((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0);
	assert_int_equal(pwrite(fd, pat, sizeof(pat), 0), (ssize_t)sizeof(pat));
	assert_int_equal(ftruncate(fd, 64 << 20), 0);
	close(fd);
	e->with_state = true;
	setenv("LD_PRELOAD", getenv("FAULTFS"), 1);
	setenv("CXLDCD_FAULTFS_WHOLD", hold, 1);
	setenv("CXLDCD_FAULTFS_SYNCS", syncs, 1);
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1);
	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,dc-regions-total-size=1G,"
			    "num-hosts=2,trusted-hosts=on", more);
	unsetenv("LD_PRELOAD");
	unsetenv("CXLDCD_FAULTFS_WHOLD");
	unsetenv("CXLDCD_FAULTFS_SYNCS");
	peer_open(e, &p);
	/* Host 0 holds tag A's first 2 MiB (accepted through its mailbox). */
	dc_add(e, 0, "prescriptive", TAG_A, "[{\"offset\":0,\"len\":2097152}]");
	r = qmp_ok(e, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"" DEV_ID "\"}}");
	base = (uint64_t)json_integer_value(json_object_get(
		json_array_get(json_object_get(RET(r), "regions"), 0), "base"));
	json_decref(r);
	for (int i = 0; i < 8; i++)
		acc[8 + i] = (uint8_t)(base >> (8 * i));
	acc[16 + 2] = 0x20;                             /* len 2 MiB */
	for (size_t i = 0; i < sizeof(acc); i++)
		snprintf(payload + 2 * i, 3, "%02x", acc[i]);
	r = qmp_ok(e, "{\"execute\":\"cxl-cci-request\",\"arguments\":{\"path\":\"" DEV_ID "\","
		      "\"cci\":\"mailbox\",\"host-id\":0,\"opcode\":18434,\"payload\":\"%s\"}}", payload);
	assert_int_equal(json_integer_value(json_object_get(RET(r), "return-code")), 0);
	json_decref(r);
	assert_int_equal(dc_host(e, 0).nr_extents, 1);
	/* The erase's own commit is the next WAL sync; the writes after it wait. */
	assert_non_null(f = fopen(hold, "w"));
	fprintf(f, "%ld\n", stat(syncs, &sb) ? 0L : (long)sb.st_size + 1);
	fclose(f);
	send_msg(&p, 0x00, 1, m, cci_req(m, 0x08, 0x61, 0x4401, 0));
	answered = recv_msg(&p, 500);
	if (!answered) {                /* held with its proof: let the proof be written */
		assert_true(file_all(file, sizeof(pat), 0));    /* it ran */
		unlink(hold);
		answered = recv_msg(&p, E2E_TMO);
	}
	assert_true(answered);
	assert_int_equal(rsp_rc(&p), 0);
	assert_true(file_all(file, sizeof(pat), 0));
	memset(pat, 0xa5, sizeof(pat));                 /* the trusted host writes */
	assert_true((fd = open(file, O_WRONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(pwrite(fd, pat, sizeof(pat), 0), (ssize_t)sizeof(pat));
	close(fd);
	close(p.fd);
	e2e_restart_daemon(e, true);
	unlink(hold);
	assert_int_equal(dc_host(e, 0).nr_extents, 1);
	if (!file_all(file, sizeof(pat), 0xa5))
		fail_msg("what the host wrote after its erase was answered was zeroed by the restart");
}

static void test_eid_given_on_the_command_line_is_answered_at_once(void **state)
{
	static const char *const more[] = { "--mctp-serial", "pty,eid=42", NULL };
	struct e2e *e = *state;
	struct peer p;
	uint8_t m[64];
	size_t n;

	e2e_start_daemon(e, "cxl-type3,id=" DEV_ID ",num-dc-regions=1,dc-regions-total-size=1G",
			 more);
	assert_non_null(strstr(dproc_log(&e->d), "(device " DEV_ID ", eid 42)"));
	peer_open(e, &p);
	n = cci_req(m, 0x08, 0x30, 0x0001, 0);
	send_msg(&p, 43, 1, m, n);                          /* someone else: silence */
	assert_false(recv_msg(&p, 200));
	send_msg(&p, 42, 1, m, n);
	assert_true(recv_msg(&p, E2E_TMO));
	assert_int_equal(p.rx_src, 42);
	assert_int_equal(rsp_rc(&p), 0);
	close(p.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bus_owner_assigns_eid_and_reads_types,
						e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(
			test_cci_on_both_bindings_and_a_bad_frame_costs_nothing_else, e2e_setup,
			e2e_teardown),
		cmocka_unit_test_setup_teardown(
			test_2k_requests_in_32_packets_interleaved_under_two_tags, e2e_setup,
			e2e_teardown),
		cmocka_unit_test_setup_teardown(
			test_eid_given_on_the_command_line_is_answered_at_once, e2e_setup,
			e2e_teardown),
		cmocka_unit_test_setup_teardown(test_a_change_made_over_the_line_survives_kill9,
						e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_a_slow_reader_loses_no_response, e2e_setup,
						e2e_teardown),
		cmocka_unit_test_setup_teardown(test_08h_is_the_type3_mctp_cci_and_07h_the_fm_api,
						e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_a_change_on_the_mctp_cci_survives_kill9,
						e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_a_line_request_shares_the_round_commit,
						e2e_setup, e2e_teardown),
		cmocka_unit_test_setup_teardown(test_an_erase_is_answered_only_once_its_proof_is_durable,
						e2e_setup, e2e_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
