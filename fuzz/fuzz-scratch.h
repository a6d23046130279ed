/* SPDX-License-Identifier: MIT */
/*
 * A fuzz target's scratch directory: emptied between runs, so that what a
 * store or a backend left there does not reach the next input.  Not the
 * directory's making or removal (each target names its own).
 */
#ifndef CXLDCD_FUZZ_SCRATCH_H
#define CXLDCD_FUZZ_SCRATCH_H

#include <dirent.h>
#include <stdio.h>
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

#endif
