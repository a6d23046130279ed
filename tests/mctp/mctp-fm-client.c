/* SPDX-License-Identifier: MIT */
/*
 * mctp-fm-client.c - a fabric-manager client written against the Linux
 * AF_MCTP socket API exactly as libcxlmi uses it (our own code, no libcxlmi
 * source): per endpoint one socket for message type 08h (CXL CCI, DSP0281)
 * and one for 07h (CXL FM API, DSP0234); sendto() with MCTP_TAG_OWNER;
 * poll() with a 2-second timeout (CXL r3.1 §9.20.2); recvfrom() of one
 * whole response; FM-API command sets (51h and up) on 07h, everything else
 * on 08h; the CCI message tag counting up per endpoint; ABCDh in the
 * request's Vendor Specific Extended Status; FM-API support found by
 * looking for 5600h in the CEL read over 08h (libcxlmi's examples).
 *
 * It knows nothing of cxldcd: run under cxldcd-mctp-run (test-mctp-afmctp)
 * it talks to the daemon, on a machine with kernel MCTP it would talk to a
 * real device.  One command per run; results on stdout, one line each;
 * exit 0 when every check passed, 1 otherwise.
 *
 *   mctp-fm-client EID probe
 *   mctp-fm-client EID add HOST TAG LEN          (5604h, Free policy, region 0)
 *   mctp-fm-client EID extents HOST              (5603h)
 *   mctp-fm-client EID tags                      (5608h)
 *   mctp-fm-client EID release HOST TAG LEN      (5605h, tag-based)
 *   mctp-fm-client EID binding                   (opcodes on the wrong type)
 *   mctp-fm-client EID mctp-cci                  (Type 3 commands on 08h, FM-API on 07h)
 *   mctp-fm-client EID socket-api                (kernel socket semantics)
 *   mctp-fm-client EID routes                    (print $CXLDCD_MCTP_ROUTES)
 *   mctp-fm-client EID bench N                   (N Identify round trips, timed)
 *
 * $MCTP_FM_CLIENT_TIMEOUT_MS replaces the 2 s a request waits for its
 * response (a test that expects a lost message need not wait 2 s).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/mctp.h>
#include <uuid/uuid.h>

#ifndef AF_MCTP
#define AF_MCTP 45              /* linux/socket.h, kernel 5.15 */
#endif

#define TYPE_FMAPI 0x07
#define TYPE_CCI 0x08
#define TIMEOUT_MS 2000
#define HDR 12
#define MAX_MSG (HDR + 4096)

static int timeout_ms = TIMEOUT_MS;   /* a request's wait for its response */

struct ep {
	uint8_t eid;
	int sd;                 /* type 08h */
	int fmapi_sd;           /* type 07h */
	uint8_t tag;            /* CCI message tag */
};

static int failures;

#define CHECK(cond, ...)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			printf("FAIL %s:%d: ", __func__, __LINE__);                        \
			printf(__VA_ARGS__);                                               \
			printf("\n");                                                      \
			failures++;                                                        \
		}                                                                          \
	} while (0)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static struct sockaddr_mctp addr_of(const struct ep *e, uint8_t type)
{
	struct sockaddr_mctp a = {
		.smctp_family = AF_MCTP,
		.smctp_network = MCTP_NET_ANY,
		.smctp_addr.s_addr = e->eid,
		.smctp_type = type,
		.smctp_tag = MCTP_TAG_OWNER,
	};

	return a;
}

static int ep_open(struct ep *e, uint8_t eid)
{
	e->eid = eid;
	e->tag = 0;
	e->sd = socket(AF_MCTP, SOCK_DGRAM, 0);
	e->fmapi_sd = socket(AF_MCTP, SOCK_DGRAM, 0);
	return e->sd < 0 || e->fmapi_sd < 0 ? -1 : 0;
}

static void ep_close(struct ep *e)
{
	close(e->sd);
	close(e->fmapi_sd);
}

/*
 * One command: the response payload in out (cap bytes), its length in
 * *out_len.  Return the CXL return code, or -1 when the exchange failed.
 */
static int cmd_on(struct ep *e, uint8_t type, uint16_t op, const void *in, size_t in_len,
		  uint8_t *out, size_t cap, size_t *out_len)
{
	int sd = type == TYPE_FMAPI ? e->fmapi_sd : e->sd;
	struct sockaddr_mctp to = addr_of(e, type), from;
	socklen_t from_len = sizeof(from);
	uint8_t req[MAX_MSG], rsp[MAX_MSG];
	struct pollfd pfd = { .fd = sd, .events = POLLIN };
	uint8_t tag = e->tag++;
	ssize_t n;

	if (in_len > MAX_MSG - HDR || cap > MAX_MSG - HDR)
		return -1;
	memset(req, 0, HDR);
	req[1] = tag;
	put16(req + 3, op);
	put16(req + 5, (uint16_t)in_len);
	req[7] = (uint8_t)(in_len >> 16);
	put16(req + 10, 0xabcd);        /* Vendor Specific Extended Status: libcxlmi sends ABCDh */
	if (in_len)
		memcpy(req + HDR, in, in_len);
	if (sendto(sd, req, HDR + in_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		printf("sendto: %s\n", strerror(errno));
		return -1;
	}
	if (poll(&pfd, 1, timeout_ms) != 1) {
		printf("timeout on %04Xh\n", op);
		return -1;
	}
	n = recvfrom(sd, rsp, HDR + cap, 0, (struct sockaddr *)&from, &from_len);
	CHECK(n >= HDR, "short response %zd", n);
	if (n < HDR)
		return -1;
	CHECK(from_len == sizeof(from) && from.smctp_family == AF_MCTP, "source address");
	CHECK(from.smctp_addr.s_addr == e->eid, "source eid %u", from.smctp_addr.s_addr);
	CHECK(from.smctp_type == to.smctp_type, "type %02x", from.smctp_type);
	CHECK(!(from.smctp_tag & MCTP_TAG_OWNER), "response tag has TO set");
	CHECK((rsp[0] & 0xf) == 1, "category %u", rsp[0] & 0xf);
	CHECK(rsp[1] == tag, "tag %u, sent %u", rsp[1], tag);
	CHECK(get16(rsp + 3) == op, "opcode %04X", get16(rsp + 3));
	CHECK((size_t)n - HDR == (get16(rsp + 5) | (size_t)(rsp[7] & 0x1f) << 16),
	      "payload length field");
	CHECK(rsp[2] == 0 && get16(rsp + 10) == 0, "reserved byte or vendor status in response");
	memcpy(out, rsp + HDR, (size_t)n - HDR);
	*out_len = (size_t)n - HDR;
	return get16(rsp + 8);
}

/* The binding of libcxlmi: FM-API command sets (51h and up) on 07h, the rest on 08h. */
static int cmd(struct ep *e, uint16_t op, const void *in, size_t in_len, uint8_t *out, size_t cap,
	       size_t *out_len)
{
	uint8_t type = (op >> 8) >= 0x51 ? TYPE_FMAPI : TYPE_CCI;

	return cmd_on(e, type, op, in, in_len, out, cap, out_len);
}

/* ---- commands ----------------------------------------------------------- */

static const uint8_t cel_uuid[16] = {
	0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78,
	0x8f, 0x79, 0x96, 0xb1, 0x62, 0x3b, 0x3f, 0x17,
};

static void probe(struct ep *e)
{
	uint8_t out[4096], in[0x18] = { 0 };
	size_t len = 0, cel_size = 0;
	bool fmapi_dcd = false;
	int rc;

	rc = cmd(e, 0x0001, NULL, 0, out, sizeof(out), &len);
	CHECK(rc == 0 && len == 0x12, "identify rc=%d len=%zu", rc, len);
	if (rc)
		return;
	printf("identify vendor=%04x device=%04x component=%02x\n", get16(out),
		       get16(out + 2), out[0x11]);
	rc = cmd(e, 0x0400, NULL, 0, out, sizeof(out), &len);
	CHECK(rc == 0 && len >= 8, "get supported logs rc=%d", rc);
	for (size_t i = 0; rc == 0 && i < get16(out) && 8 + 0x14 * (i + 1) <= len; i++)
		if (!memcmp(out + 8 + 0x14 * i, cel_uuid, 16))
			cel_size = get32(out + 8 + 0x14 * i + 16);
	printf("logs n=%u cel_size=%zu\n", rc == 0 ? get16(out) : 0, cel_size);
	CHECK(cel_size && cel_size % 4 == 0 && cel_size <= sizeof(out), "cel size %zu", cel_size);
	memcpy(in, cel_uuid, 16);
	put32(in + 0x10, 0);
	put32(in + 0x14, (uint32_t)cel_size);
	rc = cmd(e, 0x0401, in, sizeof(in), out, sizeof(out), &len);
	CHECK(rc == 0 && len == cel_size, "get log rc=%d len=%zu", rc, len);
	printf("cel");
	for (size_t i = 0; rc == 0 && i + 4 <= len; i += 4) {
		printf(" %04X", get16(out + i));
		fmapi_dcd |= get16(out + i) == 0x5600;
	}
	printf("\n");
	/* libcxlmi's examples send 56xxh only when the CEL read over 08h lists 5600h */
	printf("fmapi-dcd in-cel=%s\n", fmapi_dcd ? "yes" : "no");
	CHECK(fmapi_dcd, "CEL read over 08h does not list 5600h");
	rc = cmd(e, 0x5600, NULL, 0, out, sizeof(out), &len);
	CHECK(rc == 0 && len == 0x54, "get dcd info rc=%d len=%zu", rc, len);
	if (rc == 0)
		printf("dcd hosts=%u regions=%u\n", out[0], out[1]);
}

static int parse_tag(const char *s, uint8_t tag[16])
{
	uuid_t u;

	if (uuid_parse(s, u))
		return -1;
	memcpy(tag, u, 16);
	return 0;
}

static void add(struct ep *e, uint16_t host, const uint8_t tag[16], uint64_t len)
{
	uint8_t in[0x20] = { 0 }, out[16];
	size_t olen;
	int rc;

	put16(in, host);
	in[2] = 0;              /* Free */
	in[3] = 0;              /* region 0 */
	put64(in + 4, len);
	memcpy(in + 0x0c, tag, 16);
	rc = cmd(e, 0x5604, in, sizeof(in), out, sizeof(out), &olen);
	printf("add rc=%d\n", rc);
	CHECK(rc == 0, "initiate dc add rc=%d", rc);
}

static void release(struct ep *e, uint16_t host, const uint8_t tag[16], uint64_t len)
{
	uint8_t in[0x20] = { 0 }, out[16];
	size_t olen;
	int rc;

	put16(in, host);
	in[2] = 0;              /* Tag-based */
	put64(in + 4, len);
	memcpy(in + 0x0c, tag, 16);
	rc = cmd(e, 0x5605, in, sizeof(in), out, sizeof(out), &olen);
	printf("release rc=%d\n", rc);
	CHECK(rc == 0, "initiate dc release rc=%d", rc);
}

static void extents(struct ep *e, uint16_t host)
{
	uint8_t in[12] = { 0 }, out[4096];
	char s[40];
	size_t len;
	int rc;

	put16(in, host);
	put32(in + 4, 64);
	rc = cmd(e, 0x5603, in, sizeof(in), out, sizeof(out), &len);
	CHECK(rc == 0 && len >= 0x18, "get dc region extent lists rc=%d", rc);
	if (rc || len < 0x18)
		return;
	printf("extents returned=%u total=%u gen=%u\n", get32(out + 8), get32(out + 12),
	       get32(out + 16));
	for (uint32_t i = 0; i < get32(out + 8) && 0x18 + 0x28 * (i + 1) <= len; i++) {
		const uint8_t *x = out + 0x18 + 0x28 * i;

		uuid_unparse_lower(x + 0x10, s);
		printf("extent dpa=0x%llx len=0x%llx tag=%s\n", (unsigned long long)get64(x),
		       (unsigned long long)get64(x + 8), s);
	}
}

static void tags(struct ep *e)
{
	uint8_t in[8] = { 0 }, out[4096];
	char s[40];
	size_t len;
	int rc;

	put32(in + 4, 16);
	rc = cmd(e, 0x5608, in, sizeof(in), out, sizeof(out), &len);
	CHECK(rc == 0 && len >= 0x10, "dc list tags rc=%d", rc);
	if (rc || len < 0x10)
		return;
	printf("tags total=%u returned=%u\n", get32(out + 4), get32(out + 8));
	for (uint32_t i = 0; i < get32(out + 8) && 0x10 + 0x54 * (i + 1) <= len; i++) {
		uuid_unparse_lower(out + 0x10 + 0x54 * i, s);
		printf("tag %s\n", s);
	}
}

/* Each binding serves its own command sets: the other one's are Unsupported (03h). */
static void binding(struct ep *e)
{
	uint8_t out[256], in[2] = { 1, 0 };
	size_t len1 = 1, len2 = 1, len3 = 1;
	int rc1, rc2, rc3;

	rc1 = cmd_on(e, TYPE_FMAPI, 0x0001, NULL, 0, out, sizeof(out), &len1);
	rc2 = cmd_on(e, TYPE_CCI, 0x5600, NULL, 0, out, sizeof(out), &len2);
	/* 4800h is prohibited on MCTP CCIs: Unsupported Mailbox or CCI. */
	rc3 = cmd_on(e, TYPE_CCI, 0x4800, in, sizeof(in), out, sizeof(out), &len3);
	printf("binding identify-on-07h=%d dcd-info-on-08h=%d dc-config-on-08h=%d\n", rc1, rc2,
	       rc3);
	CHECK(rc1 == 3 && len1 == 0, "identify on 07h rc=%d", rc1);
	CHECK(rc2 == 3 && len2 == 0, "get dcd info on 08h rc=%d", rc2);
	CHECK(rc3 == 0x15 && len3 == 0, "get dc config on 08h rc=%d", rc3);
}

/*
 * What the Type 3 MCTP-based CCI (08h) serves: Identify Memory Device
 * (4000h) in full, as hex; Get DC Configuration (4802h) not (15h); and the
 * FM-API still on 07h (Get DCD Info, 5600h).
 */
/*
 * One request of each command the spec allows on the Type 3 MCTP-based CCI
 * (CXL r3.2 Table 8-49 / r3.1 Table 8-126, not "P") that cxldcd implements,
 * then of each it prohibits there: the allowed ones answer (not 15h; 0501h
 * and 0502h say Unsupported for the unknown feature asked), the prohibited
 * ones 15h.  Background operations may answer Busy.
 */
static const struct {
	uint16_t op;
	bool allowed;
	uint8_t n;
	uint8_t in[0x48];
} mctp_ops[] = {
	{ 0x0001, true, 0, { 0 } }, { 0x0002, true, 0, { 0 } }, { 0x0003, true, 0, { 0 } },
	{ 0x0004, true, 1, { 10 } }, { 0x0005, true, 0, { 0 } }, { 0x0100, true, 1, { 0 } },
	{ 0x0101, true, 6, { 0 } }, { 0x0200, true, 0, { 0 } }, { 0x0300, true, 0, { 0 } },
	{ 0x0301, true, 8, { 0, 0, 0, 0, 0, 0, 0, 0x17 } }, { 0x0400, true, 0, { 0 } },
	{ 0x0401, true, 0x18, { 0x0d, 0xa9, 0xc0, 0xb5, 0xbf, 0x41, 0x4b, 0x78, 0x8f, 0x79, 0x96,
				0xb1, 0x62, 0x3b, 0x3f, 0x17, 0, 0, 0, 0, 4 } },
	{ 0x0405, true, 2, { 1, 0 } }, { 0x0500, true, 8, { 8 } }, { 0x0501, true, 0x15, { 0x5a } }, { 0x0502, true, 0x20, { 0x5a } },
	{ 0x0600, true, 2, { 0, 0 } }, { 0x4000, true, 0, { 0 } }, { 0x4100, true, 0, { 0 } },
	{ 0x4102, true, 8, { 0 } },
	{ 0x4103, true, 8, { 0 } }, { 0x4200, true, 0, { 0 } }, { 0x4201, true, 0, { 0 } },
	{ 0x4202, true, 0x0c, { 0 } }, { 0x4300, true, 0x10, { 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ 0x4302, true, 0x48, { 0 } }, { 0x4303, true, 0x10, { 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	{ 0x4304, true, 0x11, { 0, 0, 0, 0, 0, 0, 0, 0, 1 } }, { 0x4305, true, 0, { 0 } },
	{ 0x4400, true, 0, { 0 } }, { 0x4401, true, 0, { 0 } }, { 0x4500, true, 0, { 0 } },
	{ 0x0102, false, 0, { 0 } }, { 0x0103, false, 4, { 0 } }, { 0x4301, false, 8, { 0 } },
	{ 0x4402, false, 0x0c, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8 } }, { 0x4800, false, 2, { 8 } },
	{ 0x4801, false, 8, { 8 } }, { 0x4802, false, 8, { 0 } }, { 0x4803, false, 8, { 0 } },
};

static void mctp_cci_ops(struct ep *e)
{
	uint8_t out[256];
	const unsigned n_ops = sizeof(mctp_ops) / sizeof(mctp_ops[0]);
	unsigned ok = 0, refused = 0, n_allowed = 0;

	printf("mctp-cci-ops");
	for (size_t i = 0; i < sizeof(mctp_ops) / sizeof(mctp_ops[0]); i++) {
		size_t len = 0;
		int rc = cmd_on(e, TYPE_CCI, mctp_ops[i].op, mctp_ops[i].in, mctp_ops[i].n, out,
				sizeof(out), &len);

		printf(" %04x:%02x", mctp_ops[i].op, (unsigned)rc & 0xffu);
		n_allowed += mctp_ops[i].allowed;
		if (mctp_ops[i].allowed)
			ok += rc >= 0 && rc != 0x15;
		else
			refused += rc == 0x15;
	}
	printf("\nmctp-cci allowed-answered=%u prohibited-15h=%u\n", ok, refused);
	CHECK(ok == n_allowed && refused == n_ops - n_allowed,
	      "allowed answered %u of %u, prohibited 15h %u of %u", ok, n_allowed, refused,
	      n_ops - n_allowed);
}

static void mctp_cci(struct ep *e)
{
	uint8_t out[256], in[8] = { 1, 0 };
	size_t len = 0;
	int rc;

	rc = cmd_on(e, TYPE_CCI, 0x4000, NULL, 0, out, sizeof(out), &len);
	printf("memdev-on-08h rc=%d len=0x%zx hex=", rc, len);
	for (size_t i = 0; rc == 0 && i < len; i++)
		printf("%02x", out[i]);
	printf("\n");
	CHECK(rc == 0 && len == 0x45, "identify memory device on 08h rc=%d len=%zu", rc, len);
	len = 1;
	rc = cmd_on(e, TYPE_CCI, 0x4802, in, sizeof(in), out, sizeof(out), &len);
	printf("dc-config-4802-on-08h rc=%d len=%zu\n", rc, len);
	len = 1;
	rc = cmd_on(e, TYPE_FMAPI, 0x5600, NULL, 0, out, sizeof(out), &len);
	printf("dcd-info-on-07h rc=%d len=0x%zx\n", rc, len);
	CHECK(rc == 0 && len == 0x54, "get dcd info on 07h rc=%d len=%zu", rc, len);
	mctp_cci_ops(e);
}

/* ---- the socket API ----------------------------------------------------- */

static ssize_t send_identify(int sd, uint8_t eid, uint8_t tagbits, uint8_t cci_tag)
{
	struct sockaddr_mctp to = {
		.smctp_family = AF_MCTP, .smctp_addr.s_addr = eid, .smctp_type = TYPE_CCI,
		.smctp_tag = tagbits,
	};
	uint8_t req[HDR] = { 0, cci_tag, 0, 0x01, 0x00 };

	return sendto(sd, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to));
}

static void errnos(struct ep *e)
{
	struct sockaddr_mctp to = addr_of(e, TYPE_CCI);
	uint8_t req[HDR] = { 0, 0, 0, 0x01, 0x00 }, buf[64];
	struct mctp_ioc_tag_ctl ctl = { .peer_addr = e->eid };

	errno = 0;
	CHECK(socket(AF_MCTP, SOCK_STREAM, 0) < 0 && errno == ESOCKTNOSUPPORT, "stream %d", errno);
	CHECK(socket(AF_MCTP, SOCK_DGRAM, 1) < 0 && errno == EPROTONOSUPPORT, "proto %d", errno);
	CHECK(send(e->sd, req, sizeof(req), 0) < 0 && errno == EDESTADDRREQ, "no addr %d", errno);
	CHECK(write(e->sd, req, sizeof(req)) < 0 && errno == EDESTADDRREQ, "write %d", errno);
	CHECK(sendto(e->sd, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to) - 1) < 0 &&
	      errno == EINVAL, "short addr %d", errno);
	to.smctp_tag = 0x20;
	CHECK(sendto(e->sd, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
	      errno == EINVAL, "tag bits %d", errno);
	to.smctp_tag = MCTP_TAG_PREALLOC;
	CHECK(sendto(e->sd, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
	      errno == EINVAL, "prealloc without owner %d", errno);
	to = addr_of(e, TYPE_CCI);
	to.smctp_addr.s_addr = (uint8_t)(e->eid + 100);
	CHECK(sendto(e->sd, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
	      errno == EHOSTUNREACH, "no route %d", errno);
	to = addr_of(e, TYPE_CCI);
	CHECK(connect(e->sd, (struct sockaddr *)&to, sizeof(to)) < 0 && errno == EOPNOTSUPP,
	      "connect %d", errno);
	CHECK(recv(e->sd, buf, sizeof(buf), MSG_WAITALL) < 0 && errno == EOPNOTSUPP,
	      "recv flags %d", errno);
	CHECK(recv(e->sd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "empty %d", errno);
	CHECK(ioctl(e->sd, SIOCMCTPDROPTAG, &ctl) < 0 && errno == EINVAL, "drop unknown %d", errno);
	to.smctp_tag = MCTP_TAG_OWNER | MCTP_TAG_PREALLOC | 3;
	CHECK(sendto(e->sd, req, sizeof(req), 0, (struct sockaddr *)&to, sizeof(to)) < 0,
	      "unallocated prealloc tag accepted");
	CHECK(bind(e->sd, (struct sockaddr *)&to, sizeof(to)) == 0, "bind %d", errno);
	CHECK(bind(e->sd, (struct sockaddr *)&to, sizeof(to)) < 0 && errno == EADDRINUSE,
	      "bind twice %d", errno);
}

/* One datagram = one message: MSG_PEEK, MSG_TRUNC, truncation, readiness. */
static void datagrams(struct ep *e)
{
	uint8_t buf[64];
	struct sockaddr_mctp from;
	socklen_t from_len = sizeof(from);
	struct pollfd pfd = { .fd = e->sd, .events = POLLIN };
	fd_set rd;
	struct timeval tv = { .tv_sec = 2 };
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int ep = epoll_create1(0);
	ssize_t n;

	CHECK(poll(&pfd, 1, 0) == 0, "readable before any request");
	CHECK(send_identify(e->sd, e->eid, MCTP_TAG_OWNER, 0x41) == HDR, "send %d", errno);
	CHECK(poll(&pfd, 1, TIMEOUT_MS) == 1, "poll");
	FD_ZERO(&rd);
	FD_SET(e->sd, &rd);
	CHECK(select(e->sd + 1, &rd, NULL, NULL, &tv) == 1, "select");
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, e->sd, &ev) == 0 && epoll_wait(ep, &got, 1, 2000) == 1,
	      "epoll");
	close(ep);
	n = recv(e->sd, buf, 4, MSG_PEEK | MSG_TRUNC);
	CHECK(n == HDR + 0x12, "peek|trunc gives the whole length: %zd", n);
	n = recvfrom(e->sd, buf, 4, 0, (struct sockaddr *)&from, &from_len);
	CHECK(n == 4 && buf[1] == 0x41, "truncated read %zd", n);
	CHECK(from.smctp_type == TYPE_CCI && from.smctp_addr.s_addr == e->eid, "source");
	CHECK(recv(e->sd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN,
	      "the rest of a truncated message is gone");
	{
		struct iovec iov[2] = { { buf, 5 }, { buf + 5, sizeof(buf) - 5 } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

		CHECK(send_identify(e->sd, e->eid, MCTP_TAG_OWNER, 0x42) == HDR, "send");
		n = recvmsg(e->sd, &mh, 0);
		CHECK(n == HDR + 0x12 && buf[1] == 0x42 && !(mh.msg_flags & MSG_TRUNC),
		      "recvmsg %zd", n);
		CHECK(send_identify(e->sd, e->eid, MCTP_TAG_OWNER, 0x43) == HDR, "send");
		iov[1].iov_len = 1;
		n = recvmsg(e->sd, &mh, 0);
		CHECK(n == 6 && (mh.msg_flags & MSG_TRUNC), "recvmsg truncated %zd", n);
	}
	{
		/* Lengths not known at compile time: fortified builds call __*_chk. */
		volatile size_t cap = sizeof(buf);

		CHECK(send_identify(e->sd, e->eid, MCTP_TAG_OWNER, 0x44) == HDR, "send");
		n = read(e->sd, buf, cap);
		CHECK(n == HDR + 0x12 && buf[1] == 0x44, "read %zd", n);
		CHECK(send_identify(e->sd, e->eid, MCTP_TAG_OWNER, 0x45) == HDR, "send");
		n = recv(e->sd, buf, cap, 0);
		CHECK(n == HDR + 0x12 && buf[1] == 0x45, "recv %zd", n);
		CHECK(send_identify(e->sd, e->eid, MCTP_TAG_OWNER, 0x46) == HDR, "send");
		from_len = sizeof(from);
		n = recvfrom(e->sd, buf, cap, 0, (struct sockaddr *)&from, &from_len);
		CHECK(n == HDR + 0x12 && buf[1] == 0x46 && from.smctp_addr.s_addr == e->eid,
		      "recvfrom %zd", n);
	}
}

/* MCTP control: Get Endpoint ID and Get Message Type Support (DSP0236 §12.4, §12.7). */
static void control(struct ep *e)
{
	struct sockaddr_mctp to = addr_of(e, 0x00);
	uint8_t req[2] = { 0x80 | 0x05, 0x02 }, buf[32];
	int sd = socket(AF_MCTP, SOCK_DGRAM, 0);
	ssize_t n;

	CHECK(sendto(sd, req, 2, 0, (struct sockaddr *)&to, sizeof(to)) == 2, "send %d", errno);
	n = recv(sd, buf, sizeof(buf), 0);
	CHECK(n == 6 && buf[0] == 0x05 && buf[1] == 0x02 && buf[2] == 0 && buf[3] == e->eid,
	      "get eid %zd", n);
	req[1] = 0x05;
	CHECK(sendto(sd, req, 2, 0, (struct sockaddr *)&to, sizeof(to)) == 2, "send %d", errno);
	n = recv(sd, buf, sizeof(buf), 0);
	CHECK(n == 6 && buf[2] == 0 && buf[3] == 2 && buf[4] == 0x07 && buf[5] == 0x08,
	      "message types %zd", n);
	close(sd);
}

/* Many requests in flight on one socket: every response is queued, in order. */
static void pipelined(struct ep *e)
{
	uint8_t buf[64];
	int i, ok = 0;

	for (i = 0; i < 200; i++)
		if (send_identify(e->sd, e->eid, MCTP_TAG_OWNER, (uint8_t)i) != HDR)
			break;
	CHECK(i == 200, "send %d: %d", i, errno);
	for (i = 0; i < 200; i++)
		ok += recv(e->sd, buf, sizeof(buf), MSG_DONTWAIT) == HDR + 0x12 && buf[1] == i;
	CHECK(ok == 200, "%d of 200 responses", ok);
}

/* A socket replaced by dup2() is no longer an MCTP socket: read() reads the pipe. */
static void replaced(void)
{
	int sd = socket(AF_MCTP, SOCK_DGRAM, 0), p[2];
	char c = 0;

	CHECK(sd >= 0 && pipe(p) == 0, "socket/pipe %d", errno);
	CHECK(write(p[1], "x", 1) == 1, "pipe write %d", errno);
	CHECK(dup2(p[0], sd) == sd, "dup2 %d", errno);
	CHECK(read(sd, &c, 1) == 1 && c == 'x', "read after dup2: %d", errno);
	close(sd);
	close(p[0]);
	close(p[1]);
}

/* Preallocated tags, two sockets answered independently, in any order. */
static void tags_and_sockets(struct ep *e)
{
	struct mctp_ioc_tag_ctl ctl = { .peer_addr = e->eid };
	struct sockaddr_mctp from;
	socklen_t from_len = sizeof(from);
	uint8_t buf[64];
	int other = socket(AF_MCTP, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	CHECK(ioctl(e->sd, SIOCMCTPALLOCTAG, &ctl) == 0, "alloctag %d", errno);
	CHECK((ctl.tag & ~MCTP_TAG_MASK) == (MCTP_TAG_OWNER | MCTP_TAG_PREALLOC), "tag bits %x",
	      ctl.tag);
	CHECK(send_identify(e->sd, e->eid, ctl.tag, 0x50) == HDR, "send prealloc %d", errno);
	CHECK(send_identify(other, e->eid, MCTP_TAG_OWNER, 0x51) == HDR, "send other %d", errno);
	CHECK(recv(other, buf, sizeof(buf), 0) == HDR + 0x12 && buf[1] == 0x51, "other socket");
	CHECK(recvfrom(e->sd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len) ==
		      HDR + 0x12 && buf[1] == 0x50, "first socket");
	CHECK(from.smctp_tag == (ctl.tag & MCTP_TAG_MASK), "response tag %u", from.smctp_tag);
	CHECK(ioctl(other, SIOCMCTPDROPTAG, &ctl) < 0 && errno == EINVAL,
	      "another socket's tag dropped");
	CHECK(ioctl(e->sd, SIOCMCTPDROPTAG, &ctl) == 0, "droptag %d", errno);
	CHECK(ioctl(e->sd, SIOCMCTPDROPTAG, &ctl) < 0 && errno == EINVAL, "dropped twice");
	for (int i = 0; i < 8; i++)
		CHECK(ioctl(e->sd, SIOCMCTPALLOCTAG, &(struct mctp_ioc_tag_ctl){ .peer_addr = e->eid })
		      == 0, "alloc %d", i);
	ctl = (struct mctp_ioc_tag_ctl){ .peer_addr = e->eid };
	CHECK(ioctl(other, SIOCMCTPALLOCTAG, &ctl) < 0 && errno == EBUSY, "ninth tag %d", errno);
	CHECK(send_identify(other, e->eid, MCTP_TAG_OWNER, 0x52) < 0 && errno == EBUSY,
	      "no tag left %d", errno);
	close(other);
}

/* N Identify round trips, one after the other: the transport's latency. */
static void bench(struct ep *e, long n)
{
	struct timespec a, b;
	uint8_t out[64];
	size_t len;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		if (cmd(e, 0x0001, NULL, 0, out, sizeof(out), &len)) {
			CHECK(0, "identify %ld failed", i);
			return;
		}
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("bench identify n=%ld %.1f us/round-trip %.0f/s\n", n, s / (double)n * 1e6,
	       (double)n / s);
}

int main(int argc, char **argv)
{
	struct ep e;
	uint8_t tag[16];
	long eid = argc > 2 ? strtol(argv[1], NULL, 0) : 0;
	const char *c = argc > 2 ? argv[2] : "";

	if (eid < 8 || eid > 254) {
		fprintf(stderr, "usage: mctp-fm-client EID COMMAND [ARGS...]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("MCTP_FM_CLIENT_TIMEOUT_MS"))
		timeout_ms = atoi(getenv("MCTP_FM_CLIENT_TIMEOUT_MS"));
	if (!strcmp(c, "routes")) {
		printf("%s\n", getenv("CXLDCD_MCTP_ROUTES") ? getenv("CXLDCD_MCTP_ROUTES") : "");
		return 0;
	}
	if (ep_open(&e, (uint8_t)eid)) {
		printf("socket(AF_MCTP): %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(c, "probe")) {
		probe(&e);
	} else if (!strcmp(c, "add") && argc == 6 && !parse_tag(argv[4], tag)) {
		add(&e, (uint16_t)atoi(argv[3]), tag, strtoull(argv[5], NULL, 0));
	} else if (!strcmp(c, "release") && argc == 6 && !parse_tag(argv[4], tag)) {
		release(&e, (uint16_t)atoi(argv[3]), tag, strtoull(argv[5], NULL, 0));
	} else if (!strcmp(c, "extents") && argc == 4) {
		extents(&e, (uint16_t)atoi(argv[3]));
	} else if (!strcmp(c, "tags")) {
		tags(&e);
	} else if (!strcmp(c, "bench") && argc == 4) {
		bench(&e, atol(argv[3]));
	} else if (!strcmp(c, "mctp-cci")) {
		mctp_cci(&e);
	} else if (!strcmp(c, "binding")) {
		binding(&e);
	} else if (!strcmp(c, "socket-api")) {
		errnos(&e);
		datagrams(&e);
		control(&e);
		pipelined(&e);
		replaced();
		tags_and_sockets(&e);
		printf("socket-api failures=%d\n", failures);
	} else {
		fprintf(stderr, "mctp-fm-client: bad command\n");
		return 2;
	}
	ep_close(&e);
	return failures ? 1 : 0;
}
