/* SPDX-License-Identifier: MIT */
/*
 * zerosync.c - what the daemon zeroed in a backend file reaches the disk
 * before the journal records that owe it are forgotten
 * (docs/persistence.md, "A power loss after a release or an erase zeroed
 * its capacity").
 *
 * A zeroing (a sanitizing release, an erase, the settling of a replay)
 * goes to the backend file without a sync: while its record is in the
 * journal, a replay owes it and zeroes again (owed.c).  A snapshot drops
 * those records, so its child first syncs every file backend (persist.c).
 * A backend removed by object-del in between is no longer among them,
 * and its descriptor is closed with it: this file keeps a duplicate of
 * that descriptor until a snapshot that synced it (or had nothing left
 * to sync) is recorded.  The file stays where it is after an object-del,
 * and an object-add of it later must not find the bytes of before the
 * zeroing again.
 *
 * Two records make a replay forget a zeroing without a snapshot: the proof
 * record (an erase or a Set LSA ran, a start did what it owed) and an
 * acceptance of the place (owed.c).  So the commit of either waits until
 * every file backend was synced since the last zeroing
 * (srv_zerosync_all(): request.c, owed.c); without it, a power loss could
 * keep the record and lose the zeroes, and a host given that capacity
 * would read what was erased.  Only the first such commit after a zeroing
 * pays the syncs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mem/mem.h"
#include "daemon.h"

/* Whether @b's file is one a restart opens again (not a memfd, not an O_TMPFILE): its fd, else -1. */
static int file_fd(const struct mem_backend *b)
{
	struct mem_backend_info bi;
	struct stat sb;

	mem_backend_get_info(b, &bi);
	if (!bi.mem_path || bi.fd < 0 || fstat(bi.fd, &sb) || !sb.st_nlink)
		return -1;
	return bi.fd;
}

int srv_zerosync_all(struct server_ctx *s)
{
	uint64_t upto = s->nr_zeroed;
	const char *id = NULL;
	int e = 0;

	if (upto == s->zeroed_durable) {
		s->sync_failing = false;
		return 0;
	}
	for (struct mem_backend *b = mem_registry_first(s->reg); b && !e;
	     b = mem_registry_next(s->reg, b)) {
		int fd = file_fd(b);

		if (fd >= 0 && fsync(fd)) {
			e = errno ? errno : EIO;
			id = mem_backend_id(b);
		}
	}
	for (size_t i = 0; i < s->nr_gone && !e; i++) {
		if (fsync(s->gone_fds[i])) {
			e = errno ? errno : EIO;
			id = "(deleted)";
		}
	}
	if (e) {
		snprintf(s->store_err, sizeof(s->store_err),
			 "cannot sync the file of backend %s, zeroed since its last sync: %s", id,
			 strerror(e));
		if (!s->sync_failing)
			srv_log(s->log, LOG_ERR,
				"state: %s; a proof record and acceptances, which make a replay forget that zeroing, wait until it syncs",
				s->store_err);
		s->sync_failing = true;
		return -e;
	}
	if (s->sync_failing)
		srv_log(s->log, LOG_NOTICE, "state: the zeroed backend files sync again");
	s->sync_failing = false;
	s->zeroed_durable = upto;
	return 0;
}

int srv_zerosync_dup(struct server_ctx *s, const char *id)
{
	struct mem_backend *b = mem_registry_find(s->reg, id);
	int fd = b ? file_fd(b) : -1;   /* the files a snapshot syncs */

	/* Nothing zeroed since the recorded snapshot synced, or since the loop synced every file. */
	if (fd < 0 || !s->st || s->replaying || s->nr_zeroed == s->zeroed_synced ||
	    s->nr_zeroed == s->zeroed_durable)
		return -1;
	return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

void srv_zerosync_keep(struct server_ctx *s, int fd, const char *id)
{
	int *fds;

	if (fd < 0)
		return;
	fds = realloc(s->gone_fds, (s->nr_gone + 1) * sizeof(*fds));
	if (fds) {
		s->gone_fds = fds;
		s->gone_fds[s->nr_gone++] = fd;
		return;
	}
	/* No room to keep it: synced now instead, on the request path. */
	if (fdatasync(fd))
		srv_log(s->log, LOG_WARNING, "state: cannot sync the file of deleted backend %s: %s",
			id, strerror(errno));
	close(fd);
}

size_t srv_zerosync_fork(struct server_ctx *s, int *out, bool sync)
{
	s->nr_gone_forked = s->nr_gone;
	if (!sync || !s->nr_gone)
		return 0;       /* (and no memcpy() from NULL) */
	memcpy(out, s->gone_fds, s->nr_gone * sizeof(*out));
	return s->nr_gone;
}

void srv_zerosync_done(struct server_ctx *s)
{
	size_t n = s->nr_gone_forked;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		close(s->gone_fds[i]);
	memmove(s->gone_fds, s->gone_fds + n, (s->nr_gone - n) * sizeof(*s->gone_fds));
	s->nr_gone -= n;
	s->nr_gone_forked = 0;
}

void srv_zerosync_fini(struct server_ctx *s)
{
	for (size_t i = 0; i < s->nr_gone; i++)
		close(s->gone_fds[i]);
	free(s->gone_fds);
	s->gone_fds = NULL;
	s->nr_gone = s->nr_gone_forked = 0;
}
