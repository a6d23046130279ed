/* SPDX-License-Identifier: MIT */
/*
 * util.h - small pieces the benchmarks share: the clock, a comparison
 * for qsort and a median (the model's benchmarks use these two), the tail
 * of a daemon's log, its RSS,
 * and connecting to a socket the daemon is about to create.
 */
#ifndef CXLDCD_BENCH_UTIL_H
#define CXLDCD_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in seconds. */
double bench_now_s(void);
/* qsort comparison of doubles, ascending. */
int bench_cmp_dbl(const void *a, const void *b);
/* Median of v[0..n) (n > 0; sorts v: v[0] and v[n - 1] are then min and max). */
double bench_median(double *v, size_t n);
/* Print the last (at most 4 KiB) of the log file at path on stderr; nothing if it is missing. */
void bench_log_tail(const char *path);
/* VmRSS of pid in KiB, or -1. */
long bench_rss_kib(pid_t pid);
/*
 * Connect to the Unix socket at path, retrying for wait_s seconds while the
 * daemon *pid (when pid is not NULL) starts.  Return the fd; -1 when the
 * time ran out; -2 when the daemon exited meanwhile (reaped: *pid is set to
 * 0 and its wait status stored in *status).
 */
int bench_connect_unix(const char *path, pid_t *pid, double wait_s, int *status);
/*
 * Start the daemon: vfork and execv(bin, argv) with stdout and stderr
 * appended to the file at log (mode 0600); the child dies with this
 * process (PR_SET_PDEATHSIG).  Return its pid, or -1 (errno) when vfork
 * failed.
 */
pid_t bench_spawn(const char *bin, const char *const argv[], const char *log);
/*
 * Tag number n of a benchmark (16 bytes): its own 4-byte head, then a
 * version-4, variant-1 UUID's fixed bits, n in the last 6 bytes.
 */
void bench_tag(uint8_t tag[16], const uint8_t head[4], uint64_t n);

#endif /* CXLDCD_BENCH_UTIL_H */
