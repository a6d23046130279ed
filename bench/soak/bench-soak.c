/* SPDX-License-Identifier: MIT */
/*
 * bench-soak.c - a long mixed workload against the real daemon, watching
 * for leaks and slow drifts: the daemon's VmRSS, its open fds, the size of
 * its --state directory, and the latency of each kind of operation, per
 * minute; at the end, invariants.
 *
 * One `cxldcd` (fork/exec, private directory on /dev/shm, else /tmp) with
 * --state and two devices, each backed by a memory-backend-file (so the
 * bytes outlive a restart): d0 not sharable (FM socket fm0, host link h0),
 * d1 sharable (fm1, h1), H hosts each.  In this process: per host one
 * libcxldcd-host agent per device (accept all, direct mapping), one QMP
 * client, one FM client per device.  For -t seconds a seeded random mix:
 *
 *   d0: 5604h prescriptive tagged / untagged, 5604h free (tagged / not);
 *       5605h tag-based or prescriptive (a listed extent), forced or not;
 *   d1: QMP prescriptive add of a fresh tag to one host, enable-shared-access
 *       of a live tag to another; QMP release (tag-based) and 5605h forced
 *       release of one sharer (the others move to a fresh grant);
 *   QMP query-cxl-dynamic-capacity pages and release status, query-events;
 *   applications: open a group, verify its pattern (or write it the first
 *       time), keep some open a while, close; hosts give groups back;
 *   a host drops its agents and reconnects; object-add / object-del of a
 *   backend; a second QMP client connects and leaves; every -r seconds the
 *   daemon is stopped (SIGTERM) and started again with the same --state.
 *
 * Operations the device may refuse (a busy block, a tag still pending) are
 * counted as refused, not failures.  Tags are never reused, so a pattern
 * is keyed by its tag: the same bytes for every sharer and across restarts.
 *
 * Once the time is over: load stops, every host answers what is pending,
 * then (a) the FM's extent lists (5603h) and each agent's groups must agree
 * per host (bytes, extents and tags), (b) every group's pattern verifies;
 * then everything is released, and (c) fds must equal the baseline taken
 * after the same connections were made at the start, RSS within -R percent
 * of it (default 25%) plus 4 MiB of warm-up — both measured on the daemon
 * that started last, against a baseline taken on the same daemon right
 * after its start; the RSS check is skipped when the daemon is an ASan
 * build (ASan's shadow and quarantine are most of it) — and (d) the
 * state dir stays under -S MiB (default 64) for the whole run.  The
 * daemon's stderr is scanned for sanitizer reports at every stop
 * (CXLDCD=an ASan build with ASAN_OPTIONS=detect_leaks=1).
 *
 * SOAK_NOTERM=1 (a diagnostic): a "restart" then only drops every host
 * agent at once and connects them again, without stopping the daemon.
 *
 * Usage: bench-soak [-t seconds] [-H hosts] [-s seed] [-r restart_s] [-d dir] [-R pct]
 *                   [-S MiB] [-g] [-v]
 * -g: before each restart, let the hosts answer everything first (without
 * it a restart meets the hosts wherever they are: docs/performance.md "Soak"
 * tells what that shows).
 * defaults: -t 60 -H 6 -s 1 -r 90 -d /dev/shm -R 25 -S 64.  Exit status 1 when an
 * invariant breaks.  The daemon is $CXLDCD, else the one this build made.
 */
#include "soak.h"

static struct sample smp[MAX_MIN];
static uint32_t nr_smp;
static uint64_t ops_total, state_max;

static void sample(double t0)
{
	struct sample *s = &smp[nr_smp < MAX_MIN ? nr_smp++ : MAX_MIN - 1];

	s->t = bench_now_s() - t0;
	s->rss_kib = bench_rss_kib(d.pid);
	s->fds = count_fds();
	s->state = state_bytes();
	s->ops = ops_total;
	if (s->state > state_max)
		state_max = s->state;
}

static void print_table(void)
{
	printf("\n| s | daemon VmRSS KiB | fds | state KiB | ops | fm-add ms | fm-release ms | "
	       "qmp-add ms | app-open-io ms | restart ms |\n|---|---|---|---|---|---|---|---|---|---|\n");
	for (uint32_t i = 0; i < nr_smp; i++) {
		const struct lat *l = lat_min[i < MAX_MIN ? i : MAX_MIN - 1];
		static const enum op cols[] = { OP_FM_ADD, OP_FM_REL, OP_QMP_ADD, OP_APP, OP_RESTART };

		printf("| %.0f | %ld | %d | %llu | %llu |", smp[i].t, smp[i].rss_kib, smp[i].fds,
		       (unsigned long long)smp[i].state / 1024,
		       (unsigned long long)(smp[i].ops - (i ? smp[i - 1].ops : 0)));
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
			const struct lat *x = &l[cols[c]];

			if (x->n)
				printf(" %.2f / %.1f |", x->sum / x->n * 1e3, x->max * 1e3);
			else
				printf(" - |");
		}
		printf("\n");
	}
	printf("\n(latency: mean / max per minute)\n\n| operation | count | refused | mean ms | max ms |\n"
	       "|---|---|---|---|---|\n");
	for (int o = 0; o < NR_OPS; o++)
		if (lat_all[o].n)
			printf("| %s | %llu | %llu | %.2f | %.1f |\n", op_name[o],
			       (unsigned long long)lat_all[o].n, (unsigned long long)lat_all[o].refused,
			       lat_all[o].sum / lat_all[o].n * 1e3, lat_all[o].max * 1e3);
}

static uint32_t failures;

static __attribute__((format(printf, 2, 3))) void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAILED");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures += !ok;
}

/* -v, after a disagreement: the FM's extents (lst) and the agent's groups (grp) side by side. */
static void list_holders(uint32_t n, uint32_t ng)
{
	for (uint32_t i = 0; i < n; i++)
		fprintf(stderr, "bench-soak:   FM extent dpa=0x%llx len=0x%llx tag=%llu\n",
			(unsigned long long)lst[i].dpa, (unsigned long long)lst[i].len,
			(unsigned long long)tag_num(lst[i].tag));
	for (uint32_t j = 0; j < ng && j < 1024; j++)
		fprintf(stderr, "bench-soak:   agent group id=%llu tag=%llu size=0x%llx extents=%u "
			"revoked=%d release_pending=%d open=%u\n", (unsigned long long)grp[j].id,
			(unsigned long long)tag_num(grp[j].tag), (unsigned long long)grp[j].size,
			grp[j].nr_extents, grp[j].revoked, grp[j].release_pending, grp[j].open_count);
}

/* Whether the agent of (h, dv) has a group of the FM's extent e (an untagged one: any). */
static bool agent_has(uint32_t ng, const struct cxldcd_extent *e)
{
	bool found = !tag_num(e->tag);

	for (uint32_t j = 0; j < ng && j < 1024 && !found; j++)
		found = grp[j].tagged && !memcmp(grp[j].tag, e->tag, CXLDCD_TAG_SIZE);
	return found;
}

/* (a) for host h on device dv: its disagreements; *extents += what the FM lists. */
static uint32_t check_holder(uint32_t h, int dv, uint32_t *extents)
{
	uint32_t n = fm_list(dv, (uint16_t)h, lst, 4096);
	uint32_t ng = cxldcd_host_list_groups(ag[h][dv].h, grp, 1024);
	uint64_t fm_bytes = 0, host_bytes = 0;
	uint32_t host_extents = 0, bad = 0;

	*extents += n;
	for (uint32_t i = 0; i < ng && i < 1024; i++) {
		host_bytes += grp[i].size;
		host_extents += grp[i].nr_extents;
	}
	for (uint32_t i = 0; i < n; i++) {
		fm_bytes += lst[i].len;
		if (agent_has(ng, &lst[i]))
			continue;
		bad++;
		fprintf(stderr, "bench-soak: host=%u dev=%d: FM lists tag %llu, "
			"the agent has no such group\n", h, dv, (unsigned long long)tag_num(lst[i].tag));
	}
	if (fm_bytes != host_bytes || n != host_extents) {
		bad++;
		fprintf(stderr, "bench-soak: host=%u dev=%d: FM lists %llu bytes in %u "
			"extents, the agent holds %llu in %u extents of %u groups\n", h,
			dv, (unsigned long long)fm_bytes, n, (unsigned long long)host_bytes,
			host_extents, ng);
		if (verbose)
			list_holders(n, ng);
	}
	return bad;
}

/*
 * (a) Per host and device: the FM's extents and the agent's groups agree
 * (total bytes, number of extents, and each tag the FM lists is one of the
 * agent's groups).
 */
static void check_holders(void)
{
	uint32_t bad = 0, extents = 0;

	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			bad += check_holder(h, dv, &extents);
	check(!bad, "every resident extent the FM lists is held by the agent of its host "
	      "(%u extents, %u disagreements)", extents, bad);
}

/* (b) for host h on device dv: each group it holds, not revoked, opened and touched. */
static void verify_groups(uint32_t h, int dv)
{
	struct cxldcd_host *ah = ag[h][dv].h;
	uint32_t ng = cxldcd_host_list_groups(ah, grp, 1024);

	for (uint32_t i = 0; i < ng && i < 1024; i++) {
		void *addr;
		uint64_t size;

		if (grp[i].revoked || cxldcd_host_group_open(ah, NULL, grp[i].id, &addr, &size))
			continue;
		if (still_whole(ah, grp[i].id))
			touch((int)h, dv, &grp[i], addr, size);
		cxldcd_host_group_close(ah, grp[i].id);
	}
}

/* (b) Every group's pattern verifies (or is written for the first time). */
static void check_patterns(void)
{
	uint64_t before = pattern_errors, verified = patterns_verified;

	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			verify_groups(h, dv);
	check(pattern_errors == before && !pattern_errors,
	      "data patterns verify (%llu written, %llu verified during the run, %llu at the end, "
	      "%llu mismatches)", (unsigned long long)patterns_written,
	      (unsigned long long)verified, (unsigned long long)(patterns_verified - verified),
	      (unsigned long long)pattern_errors);
}

/* Pending groups on device dv (query-cxl-dynamic-capacity); -v: the answer on stderr. */
static uint32_t pending_groups(int dv)
{
	char cmd[160];
	uint32_t n = 0;

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":"
		 "{\"path\":\"d%d\"}}\n", dv);
	if (qmp_call_on(qmp, cmd))
		die("query-cxl-dynamic-capacity d%d refused", dv);
	for (const char *p = qbuf; (p = strstr(p, "\"group\":")); p++)
		n++;
	if (verbose && n) {
		fprintf(stderr, "bench-soak: d%d: %s\n", dv, qbuf);
		for (uint32_t h = 0; h < d.nr_hosts; h++) {
			struct cxldcd_host_stats st;

			cxldcd_host_get_stats(ag[h][dv].h, &st);
			fprintf(stderr, "bench-soak: agent host=%u dev=%d state=%d idle=%d msgs=%llu cmds=%llu "
				"irqs=%llu added=%llu rejected=%llu released=%llu deverr=%llu failures=%llu\n",
				h, dv, cxldcd_host_get_state(ag[h][dv].h), cxldcd_host_idle(ag[h][dv].h),
				(unsigned long long)st.msgs_in, (unsigned long long)st.cmds_sent,
				(unsigned long long)st.irqs, (unsigned long long)st.groups_added,
				(unsigned long long)st.groups_rejected, (unsigned long long)st.groups_released,
				(unsigned long long)st.device_errors, (unsigned long long)st.cmd_failures);
		}
	}
	return n;
}

/* Close every group host h's application keeps open on device dv. */
static void close_open_groups(uint32_t h, int dv)
{
	struct agent *a = &ag[h][dv];

	while (a->nr_open)
		cxldcd_host_group_close(a->h, a->open[--a->nr_open].id);
}

/* Release what host h holds on device dv (its groups closed first): forced. */
static void release_host(uint32_t h, int dv)
{
	close_open_groups(h, dv);
	for (uint32_t n = fm_list(dv, (uint16_t)h, lst, 4096); n; n--)
		fm_release(dv, (uint16_t)h, &lst[n - 1], tag_num(lst[n - 1].tag) != 0, true);
}

/* Release everything: forced, per host and device, tag-based for tagged extents. */
static void release_all(void)
{
	for (int round = 0; round < 4; round++) {
		for (uint32_t h = 0; h < d.nr_hosts; h++)
			for (int dv = 0; dv < NDEV; dv++)
				release_host(h, dv);
		settle();
	}
	for (int dv = 0; dv < NDEV; dv++)
		fm_drain(dv);
}

static uint32_t arg_u32(const char *s, uint32_t min, uint32_t max)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v < min || v > max) {
		fprintf(stderr, "usage: bench-soak [-t seconds] [-H hosts 1..8] [-s seed] [-r restart_s] "
			"[-d dir] [-R rss_pct] [-S state_mib] [-g] [-v]\n");
		exit(2);
	}
	return (uint32_t)v;
}

/* The command line (usage at the top of this file). */
struct opts {
	uint32_t secs, seed, restart_s, rss_pct, state_mib;
	const char *root;
};

static void parse_args(int argc, char **argv, struct opts *o)
{
	int opt;

	*o = (struct opts){ .secs = 60, .seed = 1, .restart_s = 90, .rss_pct = 25, .state_mib = 64,
			    .root = "/dev/shm" };
	d.nr_hosts = 6;
	while ((opt = getopt(argc, argv, "t:H:s:r:d:R:S:gv")) != -1) {
		switch (opt) {
		case 't': o->secs = arg_u32(optarg, 1, 86400); break;
		case 'H': d.nr_hosts = arg_u32(optarg, 1, MAXH); break;
		case 's': o->seed = arg_u32(optarg, 0, UINT32_MAX); break;
		case 'r': o->restart_s = arg_u32(optarg, 0, 86400); break;
		case 'd': o->root = optarg; break;
		case 'R': o->rss_pct = arg_u32(optarg, 0, 1000); break;
		case 'S': o->state_mib = arg_u32(optarg, 1, 1u << 20); break;
		case 'g': settle_first = true; break;
		case 'v': verbose = true; break;
		default: arg_u32("x", 1, 0);
		}
	}
}

/* The run's directory under root (else /tmp) and the paths in it; cleanup and signals. */
static void prepare(const char *root)
{
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };

	if (access(root, W_OK))
		root = "/tmp";
	snprintf(d.dir, sizeof(d.dir), "%.40s/cxldcd-soak-XXXXXX", root);
	if (!mkdtemp(d.dir))
		die("mkdtemp: %s", strerror(errno));
	for (int i = 0; i < NDEV; i++) {
		snprintf(d.fm[i], sizeof(d.fm[i]), "%s/fm%d.sock", d.dir, i);
		snprintf(d.host[i], sizeof(d.host[i]), "%s/h%d.sock", d.dir, i);
		snprintf(d.mem[i], sizeof(d.mem[i]), "%s/mem%d", d.dir, i);
	}
	snprintf(d.qmp, sizeof(d.qmp), "%s/qmp.sock", d.dir);
	snprintf(d.log, sizeof(d.log), "%s/stderr.log", d.dir);
	snprintf(d.state, sizeof(d.state), "%s/state", d.dir);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* A minute is over: its sample (-v: on stderr too). */
static void next_minute(double t0)
{
	minute++;
	sample(t0);
	if (verbose)
		fprintf(stderr, "bench-soak: minute %u: rss %ld KiB fds %d state %llu KiB\n",
			minute, smp[nr_smp - 1].rss_kib, smp[nr_smp - 1].fds,
			(unsigned long long)smp[nr_smp - 1].state / 1024);
}

/*
 * The random mix from t0 for the -t seconds, a restart every -r seconds, a
 * sample every minute; *rss0: the daemon's VmRSS right after its last start.
 */
static void run_load(const struct opts *o, double t0, long *rss0)
{
	double next_sample = t0 + 60, until = t0 + o->secs;
	double next_restart = o->restart_s ? t0 + o->restart_s : 1e300;

	while (bench_now_s() < until) {
		enum op op = bench_now_s() >= next_restart ? OP_RESTART : pick();
		double s = bench_now_s();
		bool ok = run_op(op);

		lat_add(op, bench_now_s() - s, !ok);
		ops_total++;
		if (op == OP_RESTART) {
			next_restart = bench_now_s() + o->restart_s;
			*rss0 = bench_rss_kib(d.pid);
		}
		pump_hosts(0);
		if (ops_total % 256 == 0) {
			fm_drain(0);
			fm_drain(1);
		}
		if (bench_now_s() >= next_sample) {
			next_minute(t0);
			next_sample += 60;
		}
	}
}

/* (a), (b) and no offer left pending, once the load is over and the hosts answered. */
static void check_held(void)
{
	uint32_t pend;

	check_holders();
	check_patterns();
	pend = pending_groups(0) + pending_groups(1);
	check(!pend, "no offer left pending once the hosts are idle (%u pending groups)", pend);
}

/* After release_all(): nothing left, (c) fds and RSS against rss0 and fds0, (d), the stops. */
static void check_released(const struct opts *o, long rss0, int fds0)
{
	uint32_t left = 0, pend;
	long rss1;
	int fds1;

	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			left += fm_list(dv, (uint16_t)h, lst, 4096) +
				cxldcd_host_list_groups(ag[h][dv].h, grp, 0);
	pend = pending_groups(0) + pending_groups(1);
	check(!left && !pend, "everything released (%u extents or groups left, %u pending groups)",
	      left, pend);
	usleep(500000);
	rss1 = bench_rss_kib(d.pid);
	fds1 = count_fds();
	check(fds1 == fds0, "daemon fds back to the baseline (%d; %d after the first start, same connections, nothing allocated)", fds1, fds0);
	/* the allocator and SQLite's page cache warm up once: 4 MiB on top of the percentage */
	if (daemon_sanitized())
		printf("skipped: daemon VmRSS (%ld KiB; %ld KiB right after its start): a sanitizer "
		       "build, its RSS is ASan's shadow and quarantine\n", rss1, rss0);
	else
		check(rss1 <= rss0 + rss0 * (long)o->rss_pct / 100 + 4096,
		      "daemon VmRSS back within %u%% + 4 MiB of the baseline (%ld KiB; %ld KiB right "
		      "after its start)", o->rss_pct, rss1, rss0);
	check(state_max <= (uint64_t)o->state_mib << 20,
	      "state dir stayed under %u MiB (at most %llu KiB; %llu KiB now)", o->state_mib,
	      (unsigned long long)state_max / 1024, (unsigned long long)state_bytes() / 1024);
	check(!restart_diffs, "each restart restored the device model it stopped with (%u "
	      "differences)", restart_diffs);
	printf("host agents: %llu refused commands, device errors or rejected groups (-v lists "
	       "them)\n", (unsigned long long)agent_errors);
	check(!host_failures, "no host link failed (%llu)", (unsigned long long)host_failures);
	disconnect_all();
	daemon_term();
	check(!d.bad_exits, "every daemon stop was clean (%u of %u not)", d.bad_exits, d.starts);
	check(!d.san_reports, "no sanitizer reports in the daemon's stderr (%u)", d.san_reports);
}

int main(int argc, char **argv)
{
	struct opts o;
	double t0;
	long rss0;
	int fds0;

	parse_args(argc, argv, &o);
	rng_state = 0x9e3779b97f4a7c15ull ^ ((uint64_t)o.seed << 17 | o.seed);
	prepare(o.root);
	printf("bench-soak: cxldcd %s, --state in %s; d0: 512 MiB not sharable, d1: 256 MiB "
	       "sharable, 2 MiB blocks, file backends; %u hosts x 2 agents (accept all, mapped); "
	       "%u s, seed %u, restart every %u s%s\n", getenv("CXLDCD") ? getenv("CXLDCD") : CXLDCD_PATH,
	       d.dir, d.nr_hosts, o.secs, o.seed, o.restart_s,
	       settle_first ? " once the hosts are idle" : "");
	fflush(stdout);
	daemon_exec();
	connect_all();
	rss0 = bench_rss_kib(d.pid);
	fds0 = count_fds();
	t0 = bench_now_s();
	sample(t0);
	run_load(&o, t0, &rss0);
	/* load over: let every host answer, then the invariants */
	for (uint32_t h = 0; h < d.nr_hosts; h++)
		for (int dv = 0; dv < NDEV; dv++)
			close_open_groups(h, dv);
	settle();
	minute++;
	sample(t0);
	print_table();
	printf("\nafter %.0f s, %llu operations, %u daemon starts:\n", bench_now_s() - t0,
	       (unsigned long long)ops_total, d.starts);
	check_held();
	release_all();
	check_released(&o, rss0, fds0);
	keep_dir = failures && verbose;
	if (keep_dir)
		fprintf(stderr, "bench-soak: directory kept: %s\n", d.dir);
	return failures ? 1 : 0;
}
