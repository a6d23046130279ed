/* SPDX-License-Identifier: MIT */
/*
 * A fuzz target's scratch directory: made on tmpfs where it can be (a
 * store's fsync()s cost nothing there), emptied between runs so that what
 * a store or a backend left there does not reach the next input, removed
 * at the end.  Not what goes in it (each target's own).
 */
#ifndef CXLDCD_FUZZ_SCRATCH_H
#define CXLDCD_FUZZ_SCRATCH_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Remove every entry of @dir (a file, or an empty directory such as an O_TMPFILE backend's path). */
static inline void fz_empty_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path))
			rmdir(path);
	}
	if (d)
		closedir(d);
}

/* A new directory cxldcd-fuzz-@name-XXXXXX in /dev/shm, else in /tmp, into @dir; aborts if neither. */
static inline void fz_make_scratch(char *dir, size_t cap, const char *name)
{
	static const char *const bases[] = { "/dev/shm", "/tmp" };

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		if ((size_t)snprintf(dir, cap, "%s/cxldcd-fuzz-%s-XXXXXX", bases[i], name) < cap &&
		    mkdtemp(dir))
			return;
	}
	fprintf(stderr, "fuzz-%s: cannot make a scratch directory: %s\n", name, strerror(errno));
	abort();
}

/* Empty @dir and remove it (the end of a run). */
static inline void fz_remove_scratch(const char *dir)
{
	fz_empty_dir(dir);
	rmdir(dir);
}

#endif
