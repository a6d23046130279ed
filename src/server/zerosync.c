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
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mem/mem.h"
#include "daemon.h"

int srv_zerosync_dup(struct server_ctx *s, const char *id)
{
	struct mem_backend *b = mem_registry_find(s->reg, id);
	struct mem_backend_info bi;
	struct stat sb;

	if (!b || !s->st || s->replaying || s->nr_zeroed == s->zeroed_synced)
		return -1;      /* nothing zeroed since the recorded snapshot synced */
	mem_backend_get_info(b, &bi);
	/* a file (not a memfd), and one a restart opens again (not an O_TMPFILE): as the snapshot's */
	if (!bi.mem_path || bi.fd < 0 || fstat(bi.fd, &sb) || !sb.st_nlink)
		return -1;
	return fcntl(bi.fd, F_DUPFD_CLOEXEC, 0);
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
