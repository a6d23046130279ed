/* SPDX-License-Identifier: MIT */
/*
 * test-usock.c - usock_listen_own(): the socket path appears only once the
 * socket listens.  This file's listen() stands in for libc's (the calls in
 * src/common/usock.c come here): it notes whether the path was already
 * there, which a client would have found refusing (scripts/demo.sh: "host
 * agents did not start", Connection refused), and can put another file at
 * the path at that moment, as a second daemon starting at once would.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/usock.h"

enum squat { SQUAT_NONE, SQUAT_SOCKET, SQUAT_FILE };

static struct {
	const char *path;           /* the path usock_listen_own() was given */
	unsigned calls;             /* listen() calls */
	unsigned path_there;        /* ... with something at path already */
	enum squat squat;           /* what to put at path in listen() */
	int squat_fd;
	unsigned sweep_at;          /* remove the name being listened at, at this call (1-based) */
	char bound[108];            /* the name the last socket listened at */
} w = { .squat_fd = -1 };

static int bind_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || syscall(SYS_listen, fd, 4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int listen(int fd, int backlog)
{
	struct sockaddr_un sa = { 0 };
	socklen_t sl = sizeof(sa);
	struct stat st;

	if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		snprintf(w.bound, sizeof(w.bound), "%s", sa.sun_path);
	if (w.path) {
		w.calls++;
		w.path_there += lstat(w.path, &st) == 0;
		if (w.calls == w.sweep_at)
			unlink(w.bound);
		if (w.squat == SQUAT_SOCKET)
			w.squat_fd = bind_unix(w.path);
		else if (w.squat == SQUAT_FILE)
			w.squat_fd = open(w.path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	}
	return (int)syscall(SYS_listen, fd, backlog);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc < 0 ? -errno : 0;
}

/* The names in dir, other than . and .., joined by spaces. */
static void dir_names(const char *dir, char *out, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	out[0] = '\0';
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? " " : "",
				 e->d_name);
	closedir(d);
}

static int setup(void **state)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/cxldcd-usock-XXXXXX");
	assert_non_null(mkdtemp(dir));
	*state = dir;
	w = (typeof(w)){ .squat_fd = -1 };
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	if (w.squat_fd >= 0)
		close(w.squat_fd);
	w.path = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", (const char *)*state);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void test_the_path_appears_listening(void **state)
{
	char path[96], names[256];
	struct sockpolicy_owned own;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/host.sock", (const char *)*state);
	w.path = path;
	fd = usock_listen_own(path, 8, &own);
	assert_true(fd >= 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.path_there, 0); /* nobody could find it refusing */
	assert_int_equal(connect_unix(path), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_nlink, 1);
	dir_names(*state, names, sizeof(names));
	assert_string_equal(names, "host.sock"); /* no temporary name left */
	/* the recorded identity is the file at the path: release removes it */
	assert_true(own.valid);
	sockpolicy_release(path, &own);
	assert_int_equal(access(path, F_OK), -1);
	close(fd);
}

/* Another process's socket appears at the path meanwhile: it stays, and we say so. */
static void test_a_socket_that_came_first_is_kept(void **state)
{
	char path[96], names[256];
	struct sockpolicy_owned own;

	snprintf(path, sizeof(path), "%s/qmp.sock", (const char *)*state);
	w.path = path;
	w.squat = SQUAT_SOCKET;
	assert_int_equal(usock_listen_own(path, 8, &own), -EADDRINUSE);
	assert_true(w.squat_fd >= 0);
	assert_false(own.valid);
	assert_int_equal(connect_unix(path), 0); /* the other one's, still listening */
	dir_names(*state, names, sizeof(names));
	assert_string_equal(names, "qmp.sock");
}

static void test_a_file_that_came_first_is_kept(void **state)
{
	char path[96], names[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/fm.sock", (const char *)*state);
	w.path = path;
	w.squat = SQUAT_FILE;
	assert_int_equal(usock_listen_own(path, 8, NULL), -EEXIST);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	dir_names(*state, names, sizeof(names));
	assert_string_equal(names, "fm.sock");
}

/* A path with no room beside it for the temporary name is bound in place, as before. */
static void test_a_path_too_long_for_a_temporary_name_still_listens(void **state)
{
	struct sockaddr_un sa;
	char path[sizeof(sa.sun_path)];
	size_t dlen = strlen(*state);
	int fd;

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	memcpy(path, *state, dlen);
	path[dlen] = '/';
	w.path = path;
	fd = usock_listen_own(path, 8, NULL);
	assert_true(fd >= 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(connect_unix(path), 0);
	close(fd);
	unlink(path);
}

/* "DIR/.usock-PID-N": the N of the name usock_listen_own() listened at last. */
static unsigned temp_number(void)
{
	const char *p = strrchr(w.bound, '-');
	char pre[32];

	snprintf(pre, sizeof(pre), "/.usock-%ld-", (long)getpid());
	assert_non_null(strstr(w.bound, pre));
	assert_non_null(p);
	return (unsigned)strtoul(p + 1, NULL, 10);
}

/*
 * The temporary name is taken (a daemon of the same pid in another pid
 * namespace sharing the directory, or one killed before it removed it): it
 * was reported as the path being in use (-EADDRINUSE) and nothing listened.
 * The next name is used, and the file there is not ours to touch.
 */
static void test_a_taken_temporary_name_is_not_the_path_in_use(void **state)
{
	char path[96], squat[160], names[256], want[256];
	unsigned next;
	int fd;

	snprintf(path, sizeof(path), "%s/first.sock", (const char *)*state);
	fd = usock_listen_own(path, 8, NULL);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	next = temp_number() + 1;
	snprintf(squat, sizeof(squat), "%s/.usock-%ld-%u", (const char *)*state, (long)getpid(), next);
	fd = open(squat, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/host.sock", (const char *)*state);
	w.path = path;
	fd = usock_listen_own(path, 8, NULL);
	assert_true(fd >= 0);
	assert_int_equal(w.path_there, 0); /* still listening before the path appears */
	assert_int_equal(temp_number(), next + 1);
	assert_int_equal(connect_unix(path), 0);
	snprintf(want, sizeof(want), ".usock-%ld-%u host.sock", (long)getpid(), next);
	dir_names(*state, names, sizeof(names));
	if (strcmp(names, want))
		snprintf(want, sizeof(want), "host.sock .usock-%ld-%u", (long)getpid(), next);
	assert_string_equal(names, want); /* the other file kept, no name of ours left */
	close(fd);
}

/* Every temporary name it tries is taken: bound in place, as before. */
static void test_temporary_names_all_taken_still_listen(void **state)
{
	char path[96], squat[160];
	unsigned next;
	int fd;

	snprintf(path, sizeof(path), "%s/first.sock", (const char *)*state);
	fd = usock_listen_own(path, 8, NULL);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	next = temp_number() + 1;
	for (unsigned k = next; k < next + 64; k++) {
		snprintf(squat, sizeof(squat), "%s/.usock-%ld-%u", (const char *)*state,
			 (long)getpid(), k);
		fd = open(squat, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/host.sock", (const char *)*state);
	fd = usock_listen_own(path, 8, NULL);
	assert_true(fd >= 0);
	assert_string_equal(w.bound, path);
	assert_int_equal(connect_unix(path), 0);
	close(fd);
	for (unsigned k = next; k < next + 64; k++) {
		snprintf(squat, sizeof(squat), "%s/.usock-%ld-%u", (const char *)*state,
			 (long)getpid(), k);
		assert_int_equal(access(squat, F_OK), 0); /* not ours: kept */
	}
}

/* A socket file at dir/name that nobody listens on (its owner is gone), made age_sec ago. */
static void plant_stale(const char *dir, const char *name, long age_sec)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	time_t t = time(NULL) - age_sec;
	struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(utimensat(AT_FDCWD, sa.sun_path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* A pid no process has: a child that has exited and been reaped. */
static long dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return (long)pid;
}

/* The number of names in dir, other than . and .. */
static unsigned count_names(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* Something is at dir/name (not followed), or not. */
static bool there(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

/*
 * Temporary names left by daemons killed before they removed them: the
 * next listen in the directory removes the old ones nobody listens on,
 * whatever their PID (dead, or reused by a live process).  Kept: a live
 * daemon's (listening, whatever its age), a young one (its owner may be
 * between bind() and listen()), anything that is not a socket (a file, a
 * directory, a symlink, even to a stale socket) and any name not exactly
 * ".usock-PID-N".
 */
static void test_leftover_temporary_names_are_removed_live_ones_kept(void **state)
{
	const char *dir = *state;
	/* names near ours: each is [0] PID [1] */
	static const char *const near[][2] = {
		{ ".usock-", "-08" }, { ".usock-", "-9x" }, { ".usock-", "" }, { ".usock-", "-" },
		{ "x.usock-", "-9" }, { ".usock--", "-9" }, { ".usock-+", "-9" },
		{ ".usock-", "-9-9" }, { ".usock-", "-99999999999" },
	};
	const struct timespec old[2] = { { .tv_sec = 1 }, { .tv_sec = 1 } };
	long dead = dead_pid(), live = (long)getppid();
	char path[160], name[64], gone[4][64], kept[6][64];
	int fd, live_fd;

	snprintf(gone[0], sizeof(gone[0]), ".usock-%ld-0", dead);
	snprintf(gone[1], sizeof(gone[1]), ".usock-%ld-7", dead);
	snprintf(gone[2], sizeof(gone[2]), ".usock-%ld-3", live);   /* pid reused since */
	snprintf(gone[3], sizeof(gone[3]), ".usock-1-0");           /* a container's daemon */
	plant_stale(dir, gone[0], 3600);
	plant_stale(dir, gone[1], 31);
	plant_stale(dir, gone[2], 3600);
	plant_stale(dir, gone[3], 3600);

	snprintf(kept[0], sizeof(kept[0]), ".usock-%ld-1", dead);   /* may be before listen() */
	plant_stale(dir, kept[0], 0);
	snprintf(kept[1], sizeof(kept[1]), ".usock-%ld-2", live);   /* a live daemon's, old */
	snprintf(path, sizeof(path), "%s/%s", dir, kept[1]);
	live_fd = bind_unix(path);
	assert_true(live_fd >= 0);
	assert_int_equal(utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW), 0);
	snprintf(kept[2], sizeof(kept[2]), ".usock-%ld-4", dead);   /* a file */
	snprintf(path, sizeof(path), "%s/%s", dir, kept[2]);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(utimensat(AT_FDCWD, path, old, AT_SYMLINK_NOFOLLOW), 0);
	snprintf(kept[3], sizeof(kept[3]), ".usock-%ld-5", dead);   /* a directory */
	snprintf(path, sizeof(path), "%s/%s", dir, kept[3]);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(kept[4], sizeof(kept[4]), "target.sock");
	plant_stale(dir, kept[4], 3600);
	snprintf(kept[5], sizeof(kept[5]), ".usock-%ld-6", dead);   /* a symlink to a stale socket */
	snprintf(path, sizeof(path), "%s/%s", dir, kept[5]);
	assert_int_equal(symlink(kept[4], path), 0);           /* relative: beside it */
	for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
		snprintf(name, sizeof(name), "%s%ld%s", near[i][0], dead, near[i][1]);
		plant_stale(dir, name, 3600);
	}

	snprintf(path, sizeof(path), "%s/host.sock", dir);
	w.path = path;
	fd = usock_listen_own(path, 8, NULL);
	assert_true(fd >= 0);
	assert_int_equal(connect_unix(path), 0);

	for (size_t i = 0; i < 4; i++)
		assert_false(there(dir, gone[i]));
	for (size_t i = 0; i < 6; i++)
		assert_true(there(dir, kept[i]));
	for (size_t i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
		snprintf(name, sizeof(name), "%s%ld%s", near[i][0], dead, near[i][1]);
		assert_true(there(dir, name));
	}
	assert_true(there(dir, "host.sock"));
	assert_int_equal(count_names(dir), 6 + sizeof(near) / sizeof(near[0]) + 1);
	snprintf(path, sizeof(path), "%s/%s", dir, kept[1]);
	assert_int_equal(connect_unix(path), 0);                    /* still the live daemon's */
	close(live_fd);
	close(fd);
}

/*
 * Our temporary name goes before it is linked (another daemon's sweep took
 * it for a leftover while we were stopped before listen()): the next name
 * is used; the path was answered -ENOENT.
 */
static void test_a_temporary_name_removed_before_the_link_is_replaced(void **state)
{
	char path[96], names[256];
	int fd;

	snprintf(path, sizeof(path), "%s/host.sock", (const char *)*state);
	w.path = path;
	w.sweep_at = 1;
	fd = usock_listen_own(path, 8, NULL);
	assert_true(fd >= 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.path_there, 0);
	assert_int_equal(connect_unix(path), 0);
	dir_names(*state, names, sizeof(names));
	assert_string_equal(names, "host.sock");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_the_path_appears_listening, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_socket_that_came_first_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_file_that_came_first_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_path_too_long_for_a_temporary_name_still_listens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_taken_temporary_name_is_not_the_path_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temporary_names_all_taken_still_listen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftover_temporary_names_are_removed_live_ones_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_temporary_name_removed_before_the_link_is_replaced, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
