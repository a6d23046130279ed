/* SPDX-License-Identifier: MIT */
/*
 * rundir.h - where cxldcd's sockets live by default, one rule for the
 * daemon, the host agent (cxldcd-host) and cxldcd-ctl:
 * $XDG_RUNTIME_DIR/cxldcd when XDG_RUNTIME_DIR is an absolute path, else
 * /tmp/cxldcd-$UID (a root shell or a container often has no XDG).
 */
#ifndef CXLDCD_COMMON_RUNDIR_H
#define CXLDCD_COMMON_RUNDIR_H

#include <stddef.h>

/*
 * rundir_path() - the runtime directory, or @file inside it when @file is
 * not NULL.  Creates nothing.
 * Return: 0, or -ENAMETOOLONG when it does not fit @len (@buf then holds a
 * truncated, NUL-terminated text).
 */
int rundir_path(const char *file, char *buf, size_t len);

/*
 * rundir_private() - check that @dir is a directory owned by this user with
 * no group or other access (it may sit in /tmp, where another user could
 * make it first).  Creates nothing.
 * Return: 0, -EPERM when it exists but is not private and ours, or -errno
 * (-ENOENT: missing).
 */
int rundir_private(const char *dir);

/*
 * rundir_ensure() - create @dir with mode 0700 if it is missing (its parent
 * must exist), and check that it is a directory owned by this user with no
 * group or other access (it may sit in /tmp).
 * Return: 0, -EPERM when it exists but is not private and ours, or -errno.
 */
int rundir_ensure(const char *dir);

#endif /* CXLDCD_COMMON_RUNDIR_H */
