/* SPDX-License-Identifier: MIT */
/*
 * hello-host.c - the smallest useful libcxldcd-host application: play host
 * HOST_ID of a cxldcd device, accept the first capacity the fabric manager
 * offers, map it, write a pattern through the mapping, read it back, give
 * the capacity back, and exit.
 *
 *   cc hello-host.c $(pkg-config --cflags --libs libcxldcd-host) -o hello-host
 *   ./hello-host [HOST-LINK-SOCKET [HOST-ID]]
 *
 * The socket defaults to the daemon's default host link,
 * $XDG_RUNTIME_DIR/cxldcd/host.sock (/tmp/cxldcd-$UID/host.sock without
 * XDG_RUNTIME_DIR).  Offer it capacity with, for example,
 *   cxldcd-ctl add --device cxl-dcd0 --host 0 --size 2M
 * Exit status 0 when the data read back is what was written.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cxldcd/cxldcd-host.h>

#define WAIT_MS 20000

/* The id of the first group the library accepted (0: none yet). */
static uint64_t added;

/*
 * Each event as one line in the shape cxldcd-host prints and the library
 * logs: NAME, tag= (the group's tag, "-" for none) and the text, so the same
 * grep finds it in either ("grep 'tag=-'", "grep tag=UUID", "grep ^group-").
 */
static void on_event(void *opaque, const struct cxldcd_host_event *ev)
{
	char tag[37];

	(void)opaque;
	cxldcd_host_group_tag_format(ev->group, tag);
	printf("%s tag=%s %s\n", cxldcd_host_event_name(ev->type), tag, ev->text ? ev->text : "");
	if (ev->type == CXLDCD_HOST_EV_GROUP_ADDED && ev->group && !added)
		added = ev->group->id;
}

/* Process the link until @done is true; -errno on failure or after WAIT_MS. */
static int run_until(struct cxldcd_host *h, const uint64_t *done)
{
	for (int waited = 0; !*done; waited += 100) {
		int rc = cxldcd_host_run_once(h, 100);

		if (rc < 0)
			return rc;
		if (waited >= WAIT_MS)
			return -ETIMEDOUT;
	}
	return 0;
}

/*
 * The default directory may sit in /tmp, where another user could make it
 * first with a socket of their own: that user would be our device.  Trust it
 * only when it is ours, with no group or other access (as cxldcd does).
 */
static int private_dir_of(const char *sock)
{
	char dir[256];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", sock);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
	       !(st.st_mode & 077);
}

int main(int argc, char **argv)
{
	struct cxldcd_host_cfg cfg = { .accept = CXLDCD_HOST_ACCEPT_ALL, .event_fn = on_event };
	struct cxldcd_host *h;
	char path[256];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	uint64_t size, bad = 0;
	uint8_t *mem;
	void *addr;
	int rc;

	/* Other hosts run as our user: keep them out of our fds (/proc/PID/fd). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (argc > 1)
		snprintf(path, sizeof(path), "%s", argv[1]);
	else if (xdg && xdg[0] == '/')
		snprintf(path, sizeof(path), "%s/cxldcd/host.sock", xdg);
	else
		snprintf(path, sizeof(path), "/tmp/cxldcd-%u/host.sock", (unsigned)getuid());
	if (argc <= 1 && !private_dir_of(path)) {
		fprintf(stderr, "hello-host: the directory of %s is not ours alone\n", path);
		return 1;
	}
	cfg.socket_path = path;
	cfg.host_id = argc > 2 ? (uint16_t)atoi(argv[2]) : 0;

	rc = cxldcd_host_new(&cfg, &h);
	if (rc) {
		fprintf(stderr, "hello-host: cannot connect to %s: %s\n", path, strerror(-rc));
		return 1;
	}
	rc = cxldcd_host_wait_ready(h, WAIT_MS);
	if (!rc) {
		printf("hello-host: host %u ready on %s, waiting for capacity\n", cfg.host_id, path);
		fflush(stdout);
		rc = run_until(h, &added);
	}
	if (!rc)
		rc = cxldcd_host_group_open(h, NULL, added, &addr, &size);
	if (rc) {
		fprintf(stderr, "hello-host: %s\n", strerror(-rc));
		cxldcd_host_free(h);
		return 1;
	}
	/* The group is one contiguous mapping: write it, read it back. */
	mem = addr;
	for (uint64_t i = 0; i < size; i++)
		mem[i] = (uint8_t)(i * 7 + 1);
	for (uint64_t i = 0; i < size; i++)
		bad += mem[i] != (uint8_t)(i * 7 + 1);
	printf("hello-host: group %llu: %llu bytes written and read back, %llu wrong\n",
	       (unsigned long long)added, (unsigned long long)size, (unsigned long long)bad);
	cxldcd_host_group_close(h, added);
	/* Give it back (Release DC) and wait for the device's answer. */
	rc = cxldcd_host_group_release(h, NULL, added);
	for (int i = 0; !rc && !cxldcd_host_idle(h) && i < WAIT_MS / 100; i++)
		rc = cxldcd_host_run_once(h, 100) < 0 ? -EIO : 0;
	cxldcd_host_free(h);
	return bad || rc ? 1 : 0;
}
