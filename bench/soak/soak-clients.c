/* SPDX-License-Identifier: MIT */
/*
 * soak-clients.c - bench-soak's clients: the FM socket of each device, QMP,
 * the libcxldcd-host agents (one per host and device) and the patterns
 * applications write and verify in the groups; the FM helpers (list, add,
 * release, drain).
 */
#include "soak.h"

int qmp = -1;
char *qbuf;
static size_t qlen, qcap;
uint64_t base[NDEV];   /* region 0 base DPA per device */

struct agent ag[MAXH][NDEV];

static void fm_send(int dv, uint16_t opcode, const uint8_t *payload, size_t len)
{
	int rc = fm_client_send(&fm[dv], opcode, payload, len);

	if (rc)
		die("fm%d send 0x%04x: %s", dv, opcode, strerror(-rc));
}

/* Wait for the FM answer; return its CXL return code. */
static uint16_t fm_wait(int dv)
{
	double until = bench_now_s() + WAIT_S;

	while (fm[dv].done < fm[dv].sent) {
		struct pollfd p = { .fd = fm[dv].fd, .events = POLLIN };
		int rc;

		if (bench_now_s() > until)
			die("fm%d: no answer within %.0f s", dv, WAIT_S);
		pump_hosts(0);
		if (poll(&p, 1, 5) <= 0)
			continue;
		rc = fm_client_read(&fm[dv]);
		if (rc)
			die("fm%d read: %s", dv, strerror(-rc));
	}
	return fm[dv].rc;
}

static uint16_t fm_call(int dv, uint16_t opcode, const uint8_t *payload, size_t len)
{
	uint16_t rc;

	fm[dv].rc = 0;
	fm_send(dv, opcode, payload, len);
	rc = fm_wait(dv);
	if (rc && verbose)
		fprintf(stderr, "bench-soak: fm%d 0x%04x -> %s\n", dv, opcode, cxldcd_rc_str(rc));
	return rc;
}

void qmp_send(int fd, const char *s)
{
	size_t off = 0, len = strlen(s);

	while (off < len) {
		ssize_t k = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			die("qmp send: %s", strerror(errno));
		off += (size_t)k;
	}
}

/*
 * One QMP command on fd, answered: 0 ("return"), 1 ("error"); events are
 * skipped.  The reply line is left in qbuf (NUL-terminated) until the next call.
 */
int qmp_call_on(int fd, const char *cmd)
{
	double until = bench_now_s() + WAIT_S;

	qlen = 0;
	qmp_send(fd, cmd);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char *nl;
		ssize_t k;

		/* qlen first: before the first reply qbuf is NULL, and memchr(NULL, ...) is undefined */
		while (qlen && (nl = memchr(qbuf, '\n', qlen))) {
			size_t n = (size_t)(nl - qbuf) + 1;
			int r = -1;

			*nl = 0;
			if (!strncmp(qbuf, "{\"return\"", 9))
				r = 0;
			else if (!strncmp(qbuf, "{\"error\"", 8))
				r = 1;
			if (r >= 0) {
				if (verbose && r)
					fprintf(stderr, "bench-soak: qmp %.80s -> %.200s\n", cmd, qbuf);
				return r;
			}
			memmove(qbuf, qbuf + n, qlen - n);
			qlen -= n;
		}
		if (bench_now_s() > until)
			die("qmp: no answer within %.0f s to %.100s", WAIT_S, cmd);
		if (qcap - qlen < 65536) {
			qcap = qcap ? qcap * 2 : 1 << 20;
			qbuf = realloc(qbuf, qcap);
			if (!qbuf)
				die("out of memory");
		}
		pump_hosts(0);
		if (poll(&p, 1, 5) <= 0)
			continue;
		k = recv(fd, qbuf + qlen, qcap - qlen - 1, 0);
		if (k <= 0)
			die("qmp recv: %s", k ? strerror(errno) : "closed");
		qlen += (size_t)k;
	}
}

int qmp_open(void)
{
	int fd = daemon_connect(d.qmp);

	if (qmp_call_on(fd, "{\"execute\":\"qmp_capabilities\"}\n"))
		die("qmp_capabilities refused");
	return fd;
}

/* ------------------------------------------------------------ patterns */

/*
 * Tags: 16 bytes, tag number n in the last 6; n is never reused.  Untagged
 * groups are keyed by (host, agent generation, group id) and forgotten
 * when their agent reconnects.
 */
uint64_t next_tag = 1;

static void make_tag(uint8_t tag[CXLDCD_TAG_SIZE], uint64_t n)
{
	static const uint8_t head[4] = { 0x50, 0xa1, 0x5e, 0xed };

	bench_tag(tag, head, n);
}

void tag_str(char out[37], uint64_t n)
{
	uint8_t t[CXLDCD_TAG_SIZE];

	make_tag(t, n);
	cxldcd_tag_format(t, out);
}

uint64_t tag_num(const uint8_t t[CXLDCD_TAG_SIZE])
{
	uint64_t n = 0;

	for (int i = 10; i < 16; i++)
		n = n << 8 | t[i];
	return n;
}
static uint64_t wset[WSET];

static bool wset_has(uint64_t k)
{
	for (uint32_t i = (uint32_t)(k * 0x9e3779b97f4a7c15ull >> 48) % WSET;; i = (i + 1) % WSET) {
		if (!wset[i])
			return false;
		if (wset[i] == k)
			return true;
	}
}

static void wset_add(uint64_t k)
{
	for (uint32_t i = (uint32_t)(k * 0x9e3779b97f4a7c15ull >> 48) % WSET;; i = (i + 1) % WSET) {
		if (wset[i] == k)
			return;
		if (!wset[i]) {
			wset[i] = k;
			return;
		}
	}
}

static uint32_t agent_gen[MAXH][NDEV];

static uint64_t group_key(int hi, int dv, const struct cxldcd_host_group_info *g)
{
	if (g->tagged)
		return tag_num(g->tag) | (uint64_t)dv << 62;
	return 1ull << 61 | (uint64_t)hi << 56 | (uint64_t)dv << 55 | (uint64_t)agent_gen[hi][dv] << 32 |
	       (g->id & 0xffffffffu);
}

static uint64_t pat(uint64_t key, uint64_t off)
{
	uint64_t x = key * 0x9e3779b97f4a7c15ull ^ off;

	x ^= x >> 31;
	return x * 0xbf58476d1ce4e5b9ull;
}

uint64_t patterns_written, patterns_verified, pattern_errors;

/*
 * Verify the group's pattern, or write it the first time.  Every 4 KiB
 * holds two words: the offset X it was written at and pat(key, X), so a
 * group that lost part of its capacity (a prescriptive release of one of
 * its extents: the mapping closes up) still verifies, while bytes that are
 * lost (zero) or another group's do not.
 */
static void touch_pattern(int hi, int dv, const struct cxldcd_host_group_info *g, uint64_t key,
			  volatile uint64_t *w, uint64_t size)
{
	if (!wset_has(key)) {
		for (uint64_t off = 0; off < size; off += 4096) {
			w[off / 8] = off;
			w[off / 8 + 1] = pat(key, off);
		}
		wset_add(key);
		patterns_written++;
		return;
	}
	for (uint64_t off = 0; off < size; off += 4096) {
		uint64_t x = w[off / 8], y = w[off / 8 + 1];

		if (x % 4096 == 0 && y == pat(key, x))
			continue;
		if (!pattern_errors++ || verbose)
			fprintf(stderr, "bench-soak: pattern mismatch host=%d dev=%d tag=%llu tagged=%d "
				"off=0x%llx size=0x%llx: found 0x%llx 0x%llx\n", hi, dv,
				(unsigned long long)tag_num(g->tag), g->tagged, (unsigned long long)off,
				(unsigned long long)size, (unsigned long long)x, (unsigned long long)y);
		return;
	}
	patterns_verified++;
}

/*
 * Whether group id of h is still whole: not revoked in part.  A group a
 * forced release took part of opens with its revoked pieces inaccessible
 * at their offsets (docs/host.md), and the open's wait for a move drives
 * the link, so a revocation can come between the list and the open.
 * touch() walks the whole mapping: such a group is left alone.
 */
bool still_whole(struct cxldcd_host *h, uint64_t id)
{
	static struct cxldcd_host_group_info l[1024];
	uint32_t n = cxldcd_host_list_groups(h, l, 1024);

	for (uint32_t i = 0; i < n && i < 1024; i++)
		if (l[i].id == id)
			return !l[i].revoked;
	return false;
}

/* touch_pattern() over the group's mapping, noted for on_fault(). */
void touch(int hi, int dv, const struct cxldcd_host_group_info *g, void *addr, uint64_t size)
{
	uint64_t key = group_key(hi, dv, g);
	volatile uint64_t *w = addr;

	touching.hi = hi;
	touching.dv = dv;
	touching.id = g->id;
	touching.size = size;
	touching.addr = addr;
	touching.on = true;
	touch_pattern(hi, dv, g, key, w, size);
	touching.on = false;
}

/* ------------------------------------------------------------ agents */

uint64_t host_failures;

uint64_t agent_errors;

/* Commands the device refused, device errors, rejected groups: counted; -v prints them. */
static void on_agent_event(void *opaque, const struct cxldcd_host_event *ev)
{
	if (ev->type != CXLDCD_HOST_EV_CMD_FAILED && ev->type != CXLDCD_HOST_EV_DEVICE_ERROR &&
	    ev->type != CXLDCD_HOST_EV_GROUP_REJECTED)
		return;
	agent_errors++;
	if (verbose)
		fprintf(stderr, "bench-soak: agent %s: %s: %s\n", (const char *)opaque,
			cxldcd_host_event_name(ev->type), ev->text ? ev->text : "");
}

void agent_up(int hi, int dv)
{
	static char names[MAXH][NDEV][24];
	struct cxldcd_host_cfg cfg = { .host_id = (uint16_t)hi, .accept = CXLDCD_HOST_ACCEPT_ALL,
				       .socket_path = d.host[dv], .event_fn = on_agent_event,
				       .event_opaque = names[hi][dv] };
	struct cxldcd_host_dev_info info;
	int rc = -1;

	snprintf(names[hi][dv], sizeof(names[hi][dv]), "host=%d dev=%d", hi, dv);
	for (int i = 0; i < 500 && rc; i++) {
		rc = cxldcd_host_new(&cfg, &ag[hi][dv].h);
		if (rc)
			usleep(10000);
	}
	if (rc)
		die("cxldcd_host_new host=%d dev=%d: %s", hi, dv, strerror(-rc));
	if ((rc = cxldcd_host_wait_ready(ag[hi][dv].h, (int)(WAIT_S * 1000))))
		die("host=%d dev=%d bring-up: %s", hi, dv, strerror(-rc));
	if (cxldcd_host_get_dev_info(ag[hi][dv].h, &info) || info.nr_regions != 1 || !info.mapping)
		die("unexpected device configuration (host=%d dev=%d)", hi, dv);
	base[dv] = info.regions[0].base;
	ag[hi][dv].nr_open = 0;
	agent_gen[hi][dv]++;
}

void agent_down(int hi, int dv)
{
	cxldcd_host_free(ag[hi][dv].h);
	ag[hi][dv].h = NULL;
	ag[hi][dv].nr_open = 0;
}

void pump_hosts(int timeout_ms)
{
	struct pollfd p[MAXH * NDEV];
	struct agent *a[MAXH * NDEV];
	int n = 0;

	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			if (ag[h][dv].h) {
				a[n] = &ag[h][dv];
				p[n++] = (struct pollfd){ .fd = cxldcd_host_get_fd(ag[h][dv].h),
							  .events = POLLIN };
			}
	if (poll(p, (nfds_t)n, timeout_ms) <= 0)
		return;
	for (int i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (cxldcd_host_process(a[i]->h) < 0) {
			int hi = (int)((a[i] - &ag[0][0]) / NDEV), dv = (int)((a[i] - &ag[0][0]) % NDEV);

			host_failures++;
			fprintf(stderr, "bench-soak: host=%d dev=%d failed (state %d); reconnecting\n", hi,
				dv, cxldcd_host_get_state(a[i]->h));
			agent_down(hi, dv);
			agent_up(hi, dv);
		}
	}
}

static bool hosts_idle(void)
{
	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			if (ag[h][dv].h && !cxldcd_host_idle(ag[h][dv].h))
				return false;
	return true;
}

/* Let the hosts answer until they are idle and nothing arrives for 300 ms. */
void settle(void)
{
	double quiet = bench_now_s() + 0.3, until = bench_now_s() + WAIT_S;

	while (bench_now_s() < quiet || !hosts_idle()) {
		if (bench_now_s() > until)
			die("hosts not idle after %.0f s", WAIT_S);
		pump_hosts(20);
		if (!hosts_idle())
			quiet = bench_now_s() + 0.3;
	}
}

void connect_clients(void)
{
	for (int dv = 0; dv < NDEV; dv++) {
		memset(&fm[dv], 0, sizeof(fm[dv]));
		fm[dv].fd = daemon_connect(d.fm[dv]);
		/* the FM socket answers Busy while the journal replays */
		for (double until = bench_now_s() + WAIT_S;; usleep(1000)) {
			struct cci_region_extents_in in = { 0 };
			uint8_t buf[CCI_REGION_EXTENTS_IN_SIZE];
			struct wwr w;

			wwr_init(&w, buf, sizeof(buf));
			cci_enc_region_extents_in(&w, &in);
			if (fm_call(dv, CXLDCD_OP_FM_GET_DC_REGION_EXTENT_LISTS, buf, w.off) !=
			    CXLDCD_RC_BUSY)
				break;
			if (bench_now_s() > until)
				die("fm%d busy for %.0f s", dv, WAIT_S);
		}
	}
	qmp = qmp_open();
}

void connect_agents(void)
{
	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			agent_up((int)h, dv);
	settle();
}

void connect_all(void)
{
	connect_clients();
	connect_agents();
}

void disconnect_agents(void)
{
	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			agent_down((int)h, dv);
}

void disconnect_clients(void)
{
	for (int dv = 0; dv < NDEV; dv++) {
		close(fm[dv].fd);
		fm[dv].fd = -1;
	}
	close(qmp);
	qmp = -1;
}

void disconnect_all(void)
{
	disconnect_agents();
	disconnect_clients();
}

/* ------------------------------------------------------------ FM helpers */

/* All of host h's extents on device dv (5603h pages); return the count (<= cap). */
uint32_t fm_list(int dv, uint16_t h, struct cxldcd_extent *e, uint32_t cap)
{
	uint32_t got = 0;

	for (;;) {
		struct cci_region_extents_in in = { .host = h, .start = got, .count = PAGE };
		struct cci_region_extents_out out;
		uint8_t buf[CCI_REGION_EXTENTS_IN_SIZE];
		struct wwr w;
		uint16_t rc;

		wwr_init(&w, buf, sizeof(buf));
		cci_enc_region_extents_in(&w, &in);
		rc = fm_call(dv, CXLDCD_OP_FM_GET_DC_REGION_EXTENT_LISTS, buf, w.off);
		if (rc)
			die("5603h host=%u dev=%d: %s", h, dv, cxldcd_rc_str(rc));
		if (cci_dec_region_extents_out(fm[dv].out, fm[dv].out_len, &out, e + got, cap - got))
			die("malformed 5603h response");
		got += out.returned;
		if (!out.returned || got >= out.total || got >= cap)
			return got;
	}
}

uint16_t fm_add(int dv, uint16_t h, uint8_t policy, uint64_t blk, uint32_t nblk,
		uint64_t tagn)
{
	struct cxldcd_extent e = { .dpa = base[dv] + blk * BLK, .len = nblk * BLK };
	struct cci_initiate_add_in in = { .host = h, .policy = policy, .nr = 1 };
	uint8_t buf[256];
	struct wwr w;

	if (tagn)
		make_tag(e.tag, tagn);
	if (policy == CXLDCD_ADD_FREE) {
		in.nr = 0;
		in.length = nblk * BLK;
		memcpy(in.tag, e.tag, CXLDCD_TAG_SIZE);
	}
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_initiate_add_in(&w, &in, policy == CXLDCD_ADD_FREE ? NULL : &e))
		die("cannot encode 5604h");
	return fm_call(dv, CXLDCD_OP_FM_INITIATE_DC_ADD, buf, w.off);
}

uint16_t fm_release(int dv, uint16_t h, const struct cxldcd_extent *e, bool by_tag,
		    bool forced)
{
	struct cci_initiate_release_in in = { .host = h, .forced = forced,
					      .policy = by_tag ? CXLDCD_RELEASE_TAG_BASED :
								 CXLDCD_RELEASE_PRESCRIPTIVE,
					      .nr = by_tag ? 0 : 1 };
	uint8_t buf[256];
	struct wwr w;

	if (by_tag)
		memcpy(in.tag, e->tag, CXLDCD_TAG_SIZE);
	wwr_init(&w, buf, sizeof(buf));
	if (cci_enc_initiate_release_in(&w, &in, by_tag ? NULL : e))
		die("cannot encode 5605h");
	return fm_call(dv, CXLDCD_OP_FM_INITIATE_DC_RELEASE, buf, w.off);
}

/* Empty the FM's DC event log of device dv (records nobody else reads). */
void fm_drain(int dv)
{
	static struct cxldcd_event ev[FM_MBOX_BYTES / CXLDCD_EVENT_RECORD_SIZE];
	uint8_t log = CXLDCD_LOG_DC;

	for (int i = 0; i < 64; i++) {
		struct cci_get_events_out o;
		struct cci_clear_events_in in = { .log = CXLDCD_LOG_DC };
		uint8_t buf[CCI_CLEAR_EVENTS_HDR + 2 * 255];
		struct wwr w;

		if (fm_call(dv, CXLDCD_OP_GET_EVENT_RECORDS, &log, 1))
			return;
		if (cci_dec_get_events_out(fm[dv].out, fm[dv].out_len, &o, ev, sizeof(ev) / sizeof(ev[0])))
			die("malformed get event records output");
		if (!o.nr_records)
			return;
		for (uint16_t k = 0; k < o.nr_records; k++)
			in.handles[in.nr_handles++] = ev[k].handle;
		wwr_init(&w, buf, sizeof(buf));
		cci_enc_clear_events_in(&w, &in);
		fm_call(dv, CXLDCD_OP_CLEAR_EVENT_RECORDS, buf, w.off);
	}
}
