/* SPDX-License-Identifier: MIT */
/*
 * rundir.c - the default runtime directory (see rundir.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rundir.h"

int rundir_path(const char *file, char *buf, size_t len)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	int n;

	if (x && x[0] == '/')
		n = snprintf(buf, len, "%s/cxldcd%s%s", x, file ? "/" : "", file ? file : "");
	else
		n = snprintf(buf, len, "/tmp/cxldcd-%u%s%s", (unsigned)getuid(), file ? "/" : "",
			     file ? file : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int rundir_private(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		return -EPERM;
	return 0;
}

int rundir_ensure(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return rundir_private(dir);
}
