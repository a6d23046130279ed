/* SPDX-License-Identifier: MIT */
/*
 * cxldcd-demo - the tagged-memory flow end to end on one embedded device,
 * in one process: a fabric manager talks to the FM CCI, two hosts talk to
 * their mailbox CCIs, every request and response is a real CCI payload run
 * through the firmware (src/cci), memory is real (src/mem host windows).
 *
 * Steps: tagged backends; prescriptive add of tag B to host 1 (fragments the
 * sharable region); free-policy add of tag A to host 0 (one tag, several
 * extents); host 0 reads/clears the DC log, accepts, writes a pattern in its
 * window; host 1 gets tag A by enable-shared-access and reads host 0's data;
 * tag-based release of A on host 0 with the status before and after; forced
 * release of A on host 1 (access gone at once, checked in a child process);
 * the FM's log of Add Capacity Response / Capacity Released records.
 *
 * Prints a timeline; exits 0 only if every check passed.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/tag.h"
#include "cci/cci.h"
#include "cci/dcd.h"
#include "cci/events.h"
#include "cci/fm-dcd.h"
#include "common/wire.h"
#include "core/core.h"
#include "mem/mem.h"

#define DEMO_VERSION "0.1.0"
#define MiB ((uint64_t)1 << 20)
#define NR_HOSTS 2
#define BUF_SIZE 8192

static const char *TAG_A = "5be13bce-ae34-4a77-b6c3-16df975fcf1a";
static const char *TAG_B = "0b0e0f2a-7d8e-4c1f-9a3b-5c6d7e8f9a0b";

struct demo {
	struct cxldcd_dev *dev;
	struct mem_registry *reg;
	struct mem_dev *md;
	struct cci_ctx *fm;
	struct cci_ctx *mbox[NR_HOSTS];
	uint64_t r1_base;
	struct timespec t0;
	unsigned step, failed;
};

static void say(struct demo *d, const char *who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct demo *d, const char *who, const char *fmt, ...)
{
	struct timespec now;
	va_list ap;
	double ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - d->t0.tv_sec) * 1e3 + (double)(now.tv_nsec - d->t0.tv_nsec) / 1e6;
	printf("  %8.3f ms  %-7s ", ms, who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void check(struct demo *d, bool ok, const char *what)
{
	printf("             %s %s\n", ok ? "[ok]  " : "[FAIL]", what);
	if (!ok)
		d->failed++;
}

static void step(struct demo *d, const char *title)
{
	printf("\n%u. %s\n", ++d->step, title);
}

/* Run one command on a CCI and report it on the timeline. */
static enum cxldcd_rc call(struct demo *d, struct cci_ctx *cci, const char *who, uint16_t op,
			   const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	static uint8_t scratch[BUF_SIZE];
	size_t n = 0;
	enum cxldcd_rc rc;

	rc = cci_execute(cci, op, in, in_len, out ? out : scratch, BUF_SIZE, &n);
	if (out_len)
		*out_len = n;
	say(d, who, "%04Xh  in=%zu out=%zu  -> %s", op, in_len, n, cxldcd_rc_str(rc));
	return rc;
}

/* Drain host's DC log: Get Event Records until empty, clearing each batch. */
static uint32_t drain_dc_log(struct demo *d, uint16_t host, const char *who,
			     struct cxldcd_event *evs, uint32_t cap)
{
	uint32_t total = 0;

	for (;;) {
		uint8_t in[1] = { CXLDCD_LOG_DC }, out[BUF_SIZE], clr[BUF_SIZE];
		struct cxldcd_event batch[32];
		struct cci_get_events_out h;
		struct cci_clear_events_in c = { .log = CXLDCD_LOG_DC };
		struct wwr w;
		size_t n;

		if (call(d, d->mbox[host], who, CXLDCD_OP_GET_EVENT_RECORDS, in, 1, out, &n) != 0 ||
		    cci_dec_get_events_out(out, n, &h, batch, 32) != 0 || h.nr_records == 0)
			return total;
		for (uint16_t i = 0; i < h.nr_records && i < 32; i++) {
			const struct cxldcd_event *e = &batch[i];
			char tag[37];

			common_tag_format(e->dc_extent.tag, tag);
			say(d, who, "  record handle=%u type=%u dpa=0x%" PRIx64 " len=%" PRIu64
				    "MiB tag=%s seq=%u more=%u", e->handle, e->dc_type,
			    e->dc_extent.dpa, e->dc_extent.len / MiB, tag, e->dc_extent.shared_seq,
			    e->dc_flags & CXLDCD_DC_EVF_MORE);
			if (total < cap)
				evs[total] = *e;
			total++;
			c.handles[c.nr_handles++] = e->handle;
		}
		wwr_init(&w, clr, sizeof(clr));
		cci_enc_clear_events_in(&w, &c);
		call(d, d->mbox[host], who, CXLDCD_OP_CLEAR_EVENT_RECORDS, clr, w.off, NULL, NULL);
	}
}

static enum cxldcd_rc fm_add(struct demo *d, uint16_t host, uint8_t policy, uint8_t region,
			     uint64_t length, const uint8_t tag[16], const struct cxldcd_extent *ext,
			     uint32_t nr)
{
	struct cci_initiate_add_in in = { .host = host, .policy = policy, .region = region,
					  .length = length, .nr = nr };
	uint8_t buf[BUF_SIZE];
	struct wwr w;

	if (tag)
		memcpy(in.tag, tag, 16);
	wwr_init(&w, buf, sizeof(buf));
	cci_enc_initiate_add_in(&w, &in, ext);
	return call(d, d->fm, "fm", CXLDCD_OP_FM_INITIATE_DC_ADD, buf, w.off, NULL, NULL);
}

static enum cxldcd_rc fm_release_tag(struct demo *d, uint16_t host, const uint8_t tag[16], bool forced)
{
	struct cci_initiate_release_in in = { .host = host, .policy = CXLDCD_RELEASE_TAG_BASED,
					      .forced = forced };
	uint8_t buf[256];
	struct wwr w;

	memcpy(in.tag, tag, 16);
	wwr_init(&w, buf, sizeof(buf));
	cci_enc_initiate_release_in(&w, &in, NULL);
	return call(d, d->fm, "fm", CXLDCD_OP_FM_INITIATE_DC_RELEASE, buf, w.off, NULL, NULL);
}

/* Host answers its oldest pending group (4802h) accepting every offered extent. */
static enum cxldcd_rc host_accept(struct demo *d, uint16_t host, const struct cxldcd_event *evs,
				  uint32_t n)
{
	struct cxldcd_range r[32];
	uint8_t buf[BUF_SIZE];
	uint32_t k = 0;
	struct wwr w;

	for (uint32_t i = 0; i < n && k < 32; i++)
		if (evs[i].dc_type == CXLDCD_DC_EV_ADD_CAPACITY)
			r[k++] = (struct cxldcd_range){ evs[i].dc_extent.dpa, evs[i].dc_extent.len };
	wwr_init(&w, buf, sizeof(buf));
	cci_enc_dc_rsp_in(&w, r, k, false);
	return call(d, d->mbox[host], host ? "host1" : "host0", CXLDCD_OP_ADD_DC_RESPONSE, buf,
		    w.off, NULL, NULL);
}

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 131u + (off >> 12) * 7u + 0x5a);
}

static bool host_reads_pattern(struct demo *d, uint16_t host, const struct cxldcd_event *evs, uint32_t n)
{
	uint8_t *win;
	uint64_t size;
	void *base;

	if (mem_dev_window(d->md, host, &base, &size) != 0)
		return false;
	win = base;
	for (uint32_t i = 0; i < n; i++) {
		const struct cxldcd_extent *e = &evs[i].dc_extent;
		uint8_t *p = win + (e->dpa - core_dev_cfg(d->dev)->regions[0].base);

		for (uint64_t off = 0; off < e->len; off += 4096)
			if (p[off] != pattern(e->dpa + off))
				return false;
	}
	return true;
}

/* Touch host's window at dpa in a child process; true if the child faulted. */
static bool access_faults(struct demo *d, uint16_t host, uint64_t dpa)
{
	uint64_t size;
	void *base;
	pid_t pid;
	int status;

	if (mem_dev_window(d->md, host, &base, &size) != 0)
		return false;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		volatile uint8_t *p = (uint8_t *)base + (dpa - core_dev_cfg(d->dev)->regions[0].base);

		signal(SIGSEGV, SIG_DFL);
		(void)*p;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

static int setup(struct demo *d)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_diag diag = { 0 };
	struct mem_dev_cfg mcfg = { .mode = MEM_DEV_TAGGED, .direct_map = true };
	char err[256] = "";

	core_cfg_default(&cfg);
	cfg.nr_hosts = NR_HOSTS;
	cfg.regions[1].sharable = true;
	if (core_dev_new(&cfg, &d->dev, &diag) != 0) {
		fprintf(stderr, "demo: device: %s\n", diag.text);
		return -1;
	}
	d->r1_base = core_dev_cfg(d->dev)->regions[1].base;
	if (mem_registry_new(&d->reg) != 0)
		return -1;
	const struct mem_backend_props tm0 = { .type = "memory-backend-ram", .id = "tm0",
					       .size = 256 * MiB, .share = true, .tag = TAG_A };
	const struct mem_backend_props tm1 = { .type = "memory-backend-tagged", .id = "tm1",
					       .size = 64 * MiB, .share = true, .tag = TAG_B };
	if (mem_registry_add(d->reg, &tm0, NULL, err, sizeof(err)) != 0 ||
	    mem_registry_add(d->reg, &tm1, NULL, err, sizeof(err)) != 0 ||
	    mem_dev_new(d->dev, d->reg, &mcfg, &d->md, err, sizeof(err)) != 0) {
		fprintf(stderr, "demo: memory: %s\n", err);
		return -1;
	}
	if (cci_ctx_new(d->dev, CCI_FM, 0, &d->fm) != 0)
		return -1;
	for (uint16_t h = 0; h < NR_HOSTS; h++)
		if (cci_ctx_new(d->dev, CCI_MAILBOX, h, &d->mbox[h]) != 0)
			return -1;
	return 0;
}

static void teardown(struct demo *d)
{
	for (uint16_t h = 0; h < NR_HOSTS; h++)
		cci_ctx_free(d->mbox[h]);
	cci_ctx_free(d->fm);
	core_dev_free(d->dev);  /* observers stay registered for the device's life: free it first */
	mem_dev_free(d->md);
	mem_registry_free(d->reg);
}

static void status(struct demo *d, uint16_t host, const uint8_t tag[16], const char *want)
{
	const char *s = core_tag_state_str(core_tag_status(d->dev, host, -1, tag));
	char line[160];

	say(d, "fm", "cxl-release-dynamic-capacity-status host=%u tag=%s -> %s", host, TAG_A, s);
	snprintf(line, sizeof(line), "host %u tag A status is \"%s\"", host, want);
	check(d, strcmp(s, want) == 0, line);
}

/*
 * The demo takes no arguments: --help and --version answer, anything else
 * is refused (exit 2) rather than running the demo.  Returns -1 to run it.
 */
static int args(int argc, char **argv)
{
	if (argc < 2)
		return -1;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: cxldcd-demo\n"
		       "       cxldcd-demo --help | --version\n"
		       "Runs the capacity story on one embedded device (2 regions of 4 GiB,\n"
		       "2 hosts): a fabric manager on its FM CCI, two hosts on their mailbox\n"
		       "CCIs, every request a real CCI payload.  Takes no arguments; exits 0\n"
		       "when every check passed.  'make demo' runs it with real processes.\n");
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("cxldcd-demo " DEMO_VERSION "\n");
		return 0;
	}
	fprintf(stderr, "cxldcd-demo: unexpected argument '%s' (it takes none; see --help)\n",
		argv[1]);
	return 2;
}

int main(int argc, char **argv)
{
	struct demo d = { 0 };
	struct cxldcd_event ev0[32], ev1[32], evb[32], fmev[32];
	uint8_t tag_a[16], tag_b[16];
	uint32_t n0, n1, nb;
	char err[128];
	int rc = args(argc, argv);

	if (rc >= 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &d.t0);
	printf("cxldcd demo: one embedded DCD (2 regions of 4 GiB, region 1 sharable, 2 hosts),\n"
	       "a fabric manager on the FM CCI, hosts on their mailbox CCIs\n");
	if (setup(&d) != 0)
		return 1;
	common_tag_parse(TAG_A, tag_a, err, sizeof(err));
	common_tag_parse(TAG_B, tag_b, err, sizeof(err));

	step(&d, "tagged backends: tm0 (256 MiB, tag A) and tm1 (64 MiB, tag B)");
	check(&d, mem_registry_find_tag(d.reg, tag_a) && mem_registry_find_tag(d.reg, tag_b),
	      "both backends found by tag");

	step(&d, "prescriptive add of tag B to host 1: two 32 MiB extents, leaving holes");
	struct cxldcd_extent pb[2] = {
		{ .dpa = d.r1_base + 32 * MiB, .len = 32 * MiB, .shared_seq = 0 },
		{ .dpa = d.r1_base + 96 * MiB, .len = 32 * MiB, .shared_seq = 1 },
	};
	memcpy(pb[0].tag, tag_b, 16);
	memcpy(pb[1].tag, tag_b, 16);
	check(&d, fm_add(&d, 1, CXLDCD_ADD_PRESCRIPTIVE, 1, 0, NULL, pb, 2) == 0, "5604h accepted");
	nb = drain_dc_log(&d, 1, "host1", evb, 32);
	check(&d, nb == 2, "host 1 saw two Add Capacity records");
	check(&d, host_accept(&d, 1, evb, nb) == 0, "host 1 accepted tag B");

	step(&d, "free-policy add of 96 MiB with tag A to host 0: the device picks the holes");
	check(&d, fm_add(&d, 0, CXLDCD_ADD_FREE, 1, 96 * MiB, tag_a, NULL, 0) == 0, "5604h accepted");
	check(&d, core_tag_status(d.dev, 0, -1, tag_a) == CORE_TAG_PENDING, "tag A pending on host 0");
	n0 = drain_dc_log(&d, 0, "host0", ev0, 32);
	check(&d, n0 == 3, "one tag, three extents, More-chained");
	check(&d, n0 == 3 && (ev0[0].dc_flags & 1) && (ev0[1].dc_flags & 1) && !(ev0[2].dc_flags & 1),
	      "More set on all records but the last");

	step(&d, "host 0 accepts and writes a pattern through its window");
	check(&d, host_accept(&d, 0, ev0, n0) == 0, "4802h accepted");
	check(&d, core_extent_count(d.dev, 0) == 3, "4801h view: host 0 holds 3 extents");
	{
		void *base;
		uint64_t size;

		if (mem_dev_window(d.md, 0, &base, &size) == 0) {
			uint64_t r0 = core_dev_cfg(d.dev)->regions[0].base;

			for (uint32_t i = 0; i < n0; i++) {
				const struct cxldcd_extent *e = &ev0[i].dc_extent;
				uint8_t *p = (uint8_t *)base + (e->dpa - r0);

				for (uint64_t off = 0; off < e->len; off += 4096)
					p[off] = pattern(e->dpa + off);
			}
			say(&d, "host0", "wrote %u extents through the window at %p", n0, base);
		}
		uint8_t b = 0;
		check(&d, mem_read(d.md, 0, ev0[1].dc_extent.dpa, &b, 1, NULL, 0) == 0 &&
			  b == pattern(ev0[1].dc_extent.dpa), "slow path reads the same byte");
	}
	status(&d, 0, tag_a, "committed");

	step(&d, "enable-shared-access: host 1 gets tag A and reads host 0's data");
	check(&d, fm_add(&d, 1, CXLDCD_ADD_ENABLE_SHARED, 1, 0, tag_a, NULL, 0) == 0, "5604h accepted");
	n1 = drain_dc_log(&d, 1, "host1", ev1, 32);
	check(&d, n1 == 3, "host 1 offered the same three extents");
	check(&d, host_accept(&d, 1, ev1, n1) == 0, "4802h accepted");
	check(&d, host_reads_pattern(&d, 1, ev1, n1), "host 1 reads host 0's pattern (same pages)");

	step(&d, "release by tag on host 0 (orchestrator), then host 0 gives it back");
	status(&d, 0, tag_a, "committed");
	check(&d, fm_release_tag(&d, 0, tag_a, false) == 0, "5605h tag-based accepted");
	status(&d, 0, tag_a, "release-pending");
	{
		struct cxldcd_event rel[32];
		struct cxldcd_range r[32];
		uint32_t nr = drain_dc_log(&d, 0, "host0", rel, 32), k = 0;
		bool tagged = nr > 0;
		uint8_t buf[BUF_SIZE];
		struct wwr w;

		for (uint32_t i = 0; i < nr && i < 32; i++) {
			tagged &= memcmp(rel[i].dc_extent.tag, tag_a, 16) == 0;
			r[k++] = (struct cxldcd_range){ rel[i].dc_extent.dpa, rel[i].dc_extent.len };
		}
		check(&d, nr == 3 && tagged, "three Release Capacity records, each carrying tag A");
		wwr_init(&w, buf, sizeof(buf));
		cci_enc_dc_rsp_in(&w, r, k, false);
		check(&d, call(&d, d.mbox[0], "host0", CXLDCD_OP_RELEASE_DC, buf, w.off, NULL, NULL) == 0,
		      "4803h accepted");
	}
	status(&d, 0, tag_a, "released");
	check(&d, access_faults(&d, 0, ev0[0].dc_extent.dpa), "host 0 access now faults");
	check(&d, host_reads_pattern(&d, 1, ev1, n1), "host 1 still reads the shared data");

	step(&d, "forced release of tag A on host 1: access revoked at once");
	check(&d, fm_release_tag(&d, 1, tag_a, true) == 0, "5605h forced accepted");
	check(&d, access_faults(&d, 1, ev1[0].dc_extent.dpa), "host 1 access faults immediately");
	{
		struct cxldcd_event fr[32];
		uint32_t nf = drain_dc_log(&d, 1, "host1", fr, 32);

		check(&d, nf == 3 && fr[0].dc_type == CXLDCD_DC_EV_FORCED_RELEASE,
		      "host 1 told by Forced Capacity Release records");
	}
	status(&d, 1, tag_a, "released");

	step(&d, "the fabric manager's log: what hosts accepted and released");
	{
		uint8_t in[1] = { CXLDCD_LOG_DC }, out[BUF_SIZE];
		struct cci_get_events_out h = { 0 };
		uint32_t acc = 0, relc = 0;
		size_t n;

		if (call(&d, d.fm, "fm", CXLDCD_OP_GET_EVENT_RECORDS, in, 1, out, &n) == 0 &&
		    cci_dec_get_events_out(out, n, &h, fmev, 32) == 0) {
			for (uint16_t i = 0; i < h.nr_records && i < 32; i++) {
				acc += fmev[i].dc_type == CXLDCD_DC_EV_ADD_CAPACITY_RESPONSE;
				relc += fmev[i].dc_type == CXLDCD_DC_EV_CAPACITY_RELEASED;
			}
		}
		say(&d, "fm", "%u Add Capacity Response, %u Capacity Released records", acc, relc);
		check(&d, acc == 8 && relc == 3, "8 accepted extents and 3 released reported to the FM");
	}

	teardown(&d);
	printf("\ndemo: %u step%s, %s\n", d.step, d.step == 1 ? "" : "s",
	       d.failed ? "SOME CHECKS FAILED" : "every check passed");
	return d.failed ? 1 : 0;
}
