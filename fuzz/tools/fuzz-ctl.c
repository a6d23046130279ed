/* SPDX-License-Identifier: MIT */
/*
 * fuzz-ctl.c - libFuzzer target for cxldcd-ctl (tools/cxldcd-ctl): its
 * arguments, global and per command, and what it reads from the daemon
 * (the greeting, replies, events), through its own main() (fz-ctl-main.c)
 * and its own QMP connection code (qmp-conn.c).
 *
 * The daemon is the input: connect() is wrapped (-Wl,--wrap=connect,
 * fuzz/tools/meson.build) to hand the tool one end of a socket pair whose
 * other end already holds the input's bytes and is shut for writing, so
 * every read ends (EOF: "connection closed") and nothing waits.
 * getaddrinfo() is wrapped to numeric hosts and ports only (no name
 * lookups); XDG_RUNTIME_DIR is a scratch directory (the default socket's);
 * stdin and stdout are /dev/null.
 *
 * Checked: the exit status is 0, 1 or 2 (docs/ctl.md); no crash, no
 * sanitizer report, no leak, no fd left open.
 *
 * Input: byte 0: bits 5:0 the number of arguments after argv[0] (each
 * NUL-terminated; fewer when the input ends), bit 6: connect() refused
 * (ECONNREFUSED); the rest is what the daemon sends.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../fuzz-input.h"
#include "../fuzz-scratch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int ctl_main(int argc, char **argv);
void fz_ctl_map_reset(void);
void fz_ctl_misc_reset(void);

#define MAX_ARGS 64

int __real_connect(int fd, const struct sockaddr *sa, socklen_t len);
int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len);
int __real_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);
int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res);

static const uint8_t *peer_data;    /* the daemon's bytes; NULL: refused, or given already */
static size_t peer_len;
static int peer_fd = -1;            /* our end of the pair, open until the run ends */

int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	int sv[2];

	(void)sa;
	(void)len;
	if (!peer_data || peer_fd >= 0) {
		errno = ECONNREFUSED;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	/* far below the socket buffer: the write takes it all */
	if (peer_len && write(sv[1], peer_data, peer_len) != (ssize_t)peer_len)
		abort();
	shutdown(sv[1], SHUT_WR);
	if (dup2(sv[0], fd) < 0)
		abort();
	close(sv[0]);
	peer_fd = sv[1];
	return 0;
}

int __wrap_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	struct addrinfo h = hints ? *hints : (struct addrinfo){ 0 };

	h.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
	return __real_getaddrinfo(node, service, &h, res);
}

static char rundir[64];

/* The runtime directory (removed at exit with the default socket directory the tool made in it). */
static void init_once(void)
{
	if (!fz_scratch_at_exit(rundir, sizeof(rundir), "ctl"))
		return;
	setenv("XDG_RUNTIME_DIR", rundir, 1);
	unsetenv("CXLDCD_QMP");
	fz_quiet_stdio();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *buf;
	size_t off;
	int argc, rc, fds_before;

	if (size < 1)
		return 0;
	init_once();
	buf = fz_argv(data, size, "cxldcd-ctl", argv, MAX_ARGS, &argc, &off);
	peer_data = data[0] & 64 ? NULL : data + off;
	peer_len = size - off;
	fds_before = nr_open_fds();
	fz_ctl_map_reset();
	fz_ctl_misc_reset();
	optind = 0;
	rc = ctl_main(argc, argv);
	if (peer_fd >= 0)
		close(peer_fd);
	peer_fd = -1;
	if (rc < 0 || rc > 2) {
		fprintf(stderr, "fuzz-ctl: exit status %d\n", rc);
		abort();
	}
	if (nr_open_fds() != fds_before) {
		fprintf(stderr, "fuzz-ctl: file descriptor leaked\n");
		abort();
	}
	free(buf);
	return 0;
}
