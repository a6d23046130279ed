/* SPDX-License-Identifier: MIT */
/*
 * bench-restore.c - cost of core_restore() (the snapshot load of a daemon
 * restart) per item of state, at a small and a big device.
 *
 * The device: one region of 64 KiB blocks, two hosts.  N resident extents,
 * each with a tag of its own, offered to host 0 in groups of BATCH and
 * accepted; then N / 10 one-extent groups, each with a tag of its own,
 * offered to host 1 and left pending.  The DC logs are drained, so the
 * snapshot is the extents, tags, holds and groups.  The device is
 * snapshotted once; each repetition restores it into a fresh device
 * (core_dev_new() is not timed, core_restore() is, with the checks it makes
 * as it reads) and the median is printed per item (an item: a resident
 * extent or a pending tag, N + N / 10 of them), in wall time and in the
 * thread's CPU time (steadier on a shared machine).  The last column is the
 * CPU time per item of a core_check_invariants() on the restored device:
 * the full walk a restore no longer makes (the tests and fuzzers do), timed
 * alone, and a check that the restore was sound.
 *
 * -a (address order, as bench-faces' restart): host 0's extents are blocks
 * 0..N-1 and host 1's pending ones the N/10 blocks after them, and host
 * 1's DC log keeps the record of each offer (event-log depth 65,535): the
 * snapshot lists the allocations in one ascending run (no sort) and holds
 * N/10 event records.
 *
 * -H (huge): the snapshot is held in a 2 MiB-page mapping (hugemap_new()),
 * as a daemon that read() its file into one would hold it; without -H in
 * a heap block of 4 KiB pages, as the daemon's mapping of the file is
 * (persist.c, map_file()).  On this VM the first read of each 4 KiB page
 * costs a process ~6 us even when mapped and populated (a forked child
 * reading its parent's buffer; docs/performance.md, "Session 12:
 * restore"): ~8 ms of a -f restore at 110,000 items.
 *
 * -f (fresh): each restore runs in a child forked for it, after the
 * snapshot is made and the source device freed, so the memory it takes
 * was never touched by that process: a daemon restart's first touch
 * (docs/performance.md, "Session 6: restart first touch").  Without -f the
 * restores follow one another in one process, each reusing memory the one
 * before touched (what the allocator kept); the columns are the same.
 *
 * Usage: bench-restore [-f] [-a] [-H] [reps [small [big]]]   (defaults 7 1000 100000;
 * build with --buildtype=release to measure).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "common/hugemap.h"
#include "core/core.h"
#include "drain.h"
#include "model-dev.h"
#include "util.h"

#define BLK (64ull << 10)
#define BATCH 1000u
#define MAX_REPS 31u

static bool addr_order;     /* -a */
static bool huge_snap;      /* -H */

static double now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, const struct cxldcd_diag *d)
{
	fprintf(stderr, "bench-restore: %s failed: %s\n", what, d->text);
	exit(1);
}

static struct cxldcd_dev *new_dev(uint32_t n)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev;
	struct cxldcd_diag d;

	bench_model_cfg(&cfg, BLK, 2);
	cfg.max_extents = n + n / 10 + 16;
	cfg.max_tags = n + n / 10 + 16;
	cfg.evlog_depth = addr_order ? 65535 : 4096;
	if (core_dev_new(&cfg, &dev, &d))
		die("dev_new", &d);
	return dev;
}

/* Items 0..n-1 accepted by host 0 (block 2i; -a: i), then n/10 pending on host 1 (block 2i+1; -a: n+i). */
static void populate(struct cxldcd_dev *dev, uint32_t n)
{
	static struct cxldcd_extent x[BATCH];
	static struct cxldcd_range r[BATCH];
	struct core_add_req req = { .policy = CXLDCD_ADD_PRESCRIPTIVE, .extents = x };
	struct cxldcd_diag d;

	for (uint32_t done = 0; done < n; done += req.nr_extents) {
		/* -a: one extent a request, as bench-faces offers them (a request creates its tags by id) */
		req.nr_extents = addr_order ? 1 : n - done < BATCH ? n - done : BATCH;
		for (uint32_t i = 0; i < req.nr_extents; i++) {
			x[i] = (struct cxldcd_extent){ .dpa = (addr_order ? 1ull : 2ull) * (done + i) * BLK,
						       .len = BLK };
			bench_tag_of(done + i, x[i].tag);
			r[i] = (struct cxldcd_range){ x[i].dpa, BLK };
		}
		if (core_add(dev, &req, NULL, &d))
			die("add", &d);
		if (core_add_response(dev, 0, r, req.nr_extents, false, &d))
			die("accept", &d);
		bench_drain_dc_log(dev, 0);
		bench_drain_dc_log(dev, CORE_OWNER_FM);
	}
	req.host = 1;
	req.nr_extents = 1;
	for (uint32_t i = 0; i < n / 10; i++) {
		x[0] = (struct cxldcd_extent){ .dpa = (addr_order ? (uint64_t)n + i : 2ull * i + 1) * BLK,
					       .len = BLK };
		bench_tag_of(n + i, x[0].tag);
		if (core_add(dev, &req, NULL, &d))
			die("pending add", &d);
		if (i % 1024 == 1023 && !addr_order)
			bench_drain_dc_log(dev, 1);
	}
	if (!addr_order)
		bench_drain_dc_log(dev, 1);
	bench_drain_dc_log(dev, CORE_OWNER_FM);
}

/* RssAnon of this process, bytes (0 if unknown). */
static double rss_anon(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	double kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %lf", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* The footprint of the last restore (-b): core_footprint() and the RssAnon it added. */
struct foot {
	struct core_footprint f;
	double rss;
};

struct result {
	uint32_t items;
	size_t bytes;
	double ns[MAX_REPS], cpu_ns[MAX_REPS]; /* wall and thread CPU time, sorted */
	double chk_ns[MAX_REPS];            /* CPU time of one more core_check_invariants() */
	double med, cpu_med, chk_med;
	struct foot ft;                     /* the last restore's */
};

/* One timed restore of snap into a new device (and the check after it): ns[3] = wall, CPU, check. */
static void restore_once(uint32_t n, const uint8_t *snap, size_t len, double ns[3], struct foot *ft)
{
	struct cxldcd_dev *b = new_dev(n);
	double r0 = rss_anon(), t0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	struct cxldcd_diag d;

	if (core_restore(b, snap, len, &d))
		die("restore", &d);
	ns[0] = now_ns(CLOCK_MONOTONIC) - t0;
	ns[1] = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	if (core_check_invariants(b, d.text, sizeof(d.text)))
		die("check", &d);
	ns[2] = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	core_footprint(b, &ft->f);
	ft->rss = rss_anon() - r0;
	core_dev_free(b);
}

/* restore_once() in a child forked for it (-f): its figures come back through a pipe. */
static void restore_fresh(uint32_t n, const uint8_t *snap, size_t len, double ns[3], struct foot *ft)
{
	int fd[2], st;
	pid_t pid;

	if (pipe(fd))
		die("pipe", &(struct cxldcd_diag){ .text = "pipe() failed" });
	pid = fork();
	if (pid < 0)
		die("fork", &(struct cxldcd_diag){ .text = "fork() failed" });
	if (!pid) {
		close(fd[0]);
		restore_once(n, snap, len, ns, ft);
		_exit(write(fd[1], ns, 3 * sizeof(*ns)) == 3 * sizeof(*ns) &&
		      write(fd[1], ft, sizeof(*ft)) == sizeof(*ft) ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], ns, 3 * sizeof(*ns)) != 3 * sizeof(*ns) || read(fd[0], ft, sizeof(*ft)) != sizeof(*ft) ||
	    waitpid(pid, &st, 0) != pid || st)
		die("child", &(struct cxldcd_diag){ .text = "the restore in the child failed" });
	close(fd[0]);
}

static void run(uint32_t n, uint32_t reps, bool fresh, struct result *res)
{
	struct cxldcd_dev *a = new_dev(n);
	uint8_t *snap;
	size_t len;

	populate(a, n);
	if (core_snapshot(a, &snap, &len))
		die("snapshot", &(struct cxldcd_diag){ .text = "out of memory" });
	core_dev_free(a);
	if (huge_snap) {
		uint8_t *h = hugemap_new(len);

		if (!h)
			die("snapshot", &(struct cxldcd_diag){ .text = "out of memory" });
		memcpy(h, snap, len);
		free(snap);
		snap = h;
	}
	res->items = n + n / 10;
	res->bytes = len;
	/* One untimed restore first: the allocator's free lists and the caches. */
	for (uint32_t i = 0; i <= reps; i++) {
		double ns[3];

		if (fresh)
			restore_fresh(n, snap, len, ns, &res->ft);
		else
			restore_once(n, snap, len, ns, &res->ft);
		if (i) {
			res->ns[i - 1] = ns[0];
			res->cpu_ns[i - 1] = ns[1];
			res->chk_ns[i - 1] = ns[2];
		}
	}
	res->med = bench_median(res->ns, reps);
	res->cpu_med = bench_median(res->cpu_ns, reps);
	res->chk_med = bench_median(res->chk_ns, reps);
	if (huge_snap)
		hugemap_free(snap, len);
	else
		free(snap);
}

static void row(const struct result *r, uint32_t reps)
{
	printf("%-8u %10zu %9.3f ms (%8.3f-%8.3f) %7.1f ns %9.3f ms (%8.3f) %7.1f ns %7.1f ns\n",
	       r->items, r->bytes, r->med / 1e6, r->ns[0] / 1e6, r->ns[reps - 1] / 1e6, r->med / r->items,
	       r->cpu_med / 1e6, r->cpu_ns[0] / 1e6, r->cpu_med / r->items, r->chk_med / r->items);
}

/* What the restored device holds, by structure (core_footprint()), per item. */
static void footprint(const struct result *r)
{
	const struct core_footprint *f = &r->ft.f;
	const struct { const char *what; size_t bytes; } row[] = {
		{ "allocations (slab)", f->allocs }, { "holds (slab)", f->holds }, { "tags (slab)", f->tags },
		{ "tag hash", f->tag_hash }, { "tag slots + counts", f->tag_arrays },
		{ "index node chunks (region trees, tag-host)", f->node_chunks },
		{ "  of which tag-host nodes", f->tag_host_nodes },
		{ "pending groups (in the node chunks above)", f->groups }, { "pending-group rings (on the heap)", f->group_rings },
		{ "event-log rings", f->event_rings },
	};
	size_t sum = 0;

	printf("\nfootprint after a restore of %u items (core_footprint(); mapped blocks count whole 2 MiB units):\n",
	       r->items);
	for (size_t i = 0; i < sizeof(row) / sizeof(row[0]); i++) {
		printf("  %-44s %10zu B %7.1f B/item\n", row[i].what, row[i].bytes, (double)row[i].bytes / r->items);
		sum += i == 6 || i == 7 ? 0 : row[i].bytes;   /* parts of the node chunks */
	}
	printf("  %-44s %10zu B %7.1f B/item\n", "sum (the model)", sum, (double)sum / r->items);
	printf("  %-44s %10zu B %7.1f B/item\n", "restore scratch (given back at its end)", f->restore_scratch,
	       (double)f->restore_scratch / r->items);
	printf("  %-44s %10.0f B %7.1f B/item\n", "RssAnon growth over the restore (process)", r->ft.rss,
	       r->ft.rss / r->items);
}

int main(int argc, char **argv)
{
	bool fresh = false;
	uint32_t reps, small_n, big_n;
	static struct result small, big;

	for (; argc > 1 && (!strcmp(argv[1], "-f") || !strcmp(argv[1], "-a") || !strcmp(argv[1], "-H"));
	     argc--, argv++)
		*(argv[1][1] == 'f' ? &fresh : argv[1][1] == 'a' ? &addr_order : &huge_snap) = true;
	reps = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 7;
	small_n = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1000;
	big_n = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 100000;
	if (!reps || reps > MAX_REPS || !small_n || !big_n) {
		fprintf(stderr, "usage: bench-restore [-f] [-a] [-H] [reps (1..%u) [small [big]]]\n", MAX_REPS);
		return 2;
	}
	run(small_n, reps, fresh, &small);
	run(big_n, reps, fresh, &big);
	printf("core_restore(): N tagged extents accepted by host 0 + N/10 one-extent tags pending on host 1%s;"
	       " median (min-max) of %u restores%s%s\n", addr_order ? " (-a: in address order, their DC records kept)" : "",
	       reps, huge_snap ? ", the snapshot in 2 MiB pages (-H)" : "",
	       fresh ? ", each in a process of its own (-f)" : "");
	printf("items    snap bytes  wall: restore (min-max)          per item  cpu: restore (min)"
	       "        per item    check\n");
	row(&small, reps);
	row(&big, reps);
	printf("ratio per item %u/%u (medians): wall %.2f, cpu %.2f\n", big.items, small.items,
	       (big.med / big.items) / (small.med / small.items),
	       (big.cpu_med / big.items) / (small.cpu_med / small.items));
	footprint(&big);
	return 0;
}
