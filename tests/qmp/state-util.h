/* SPDX-License-Identifier: MIT */
/*
 * state-util.h - helpers of the --state integration tests
 * (test-durability*.c, test-hostlink-durability.c): the daemon arguments
 * (file backend fa of 64 MiB with TAG_A in the daemon's directory,
 * optionally fb with TAG_B, one -device, --state DIR/state and one socket
 * option) and what a restart is compared by, for device d0.
 */
#ifndef CXLDCD_TESTS_STATE_UTIL_H
#define CXLDCD_TESTS_STATE_UTIL_H

#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dev-util.h"
#include "dproc.h"

#define TAG_A "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define TAG_B "0e4a0b4c-1f2a-4d55-9a8e-31e0c8a1b2c3"

struct state_args {
	char obj_a[300], obj_b[300];
	const char *argv[16];
};

/*
 * Fill @a for daemon @p: fb of @b_size ("512M", ...) unless NULL, @device,
 * then @sock_opt @sock_arg (e.g. "--fm", p->fm_arg).
 */
static inline void state_args(struct state_args *a, const struct dproc *p, const char *b_size,
			      const char *device, const char *sock_opt, const char *sock_arg)
{
	int n = 0;

	snprintf(a->obj_a, sizeof(a->obj_a),
		 "memory-backend-file,id=fa,size=64M,share=on,mem-path=%s/a.mem,tag=" TAG_A, p->dir);
	a->argv[n++] = "-object";
	a->argv[n++] = a->obj_a;
	if (b_size) {
		snprintf(a->obj_b, sizeof(a->obj_b),
			 "memory-backend-file,id=fb,size=%s,share=on,mem-path=%s/b.mem,tag=" TAG_B,
			 b_size, p->dir);
		a->argv[n++] = "-object";
		a->argv[n++] = a->obj_b;
	}
	a->argv[n++] = "-device";
	a->argv[n++] = device;
	a->argv[n++] = "--state";
	a->argv[n++] = p->state;
	a->argv[n++] = sock_opt;
	a->argv[n++] = sock_arg;
	a->argv[n] = NULL;
}

/* quit: @p exits 0; @c is freed. */
static inline void state_quit(struct dproc *p, struct qmp_client *c)
{
	ok(qmp_client_cmd(c, "{\"execute\":\"quit\"}", TMO));
	assert_int_equal(dproc_wait_exit(p, TMO), 0);
	qmp_client_free(c);
}

/*
 * Connect to @p's QMP socket and wait until it answers normally: after a
 * restart QMP greets while the state is restored and refuses the rest
 * ("device is starting"), which a slow (sanitized) build makes long.  A
 * connection that ends at once is made again: right after a kill, the
 * killed daemon's snapshot child may hold the old listener for a moment.
 * NULL when no daemon answers within TMO; a failed assertion when one
 * never finishes its start.
 */
static inline struct qmp_client *state_connect(struct dproc *p)
{
	struct qmp_client *c = NULL;
	time_t t0 = time(NULL);

	while (!c && time(NULL) - t0 < TMO / 1000) {
		c = dproc_connect(p, TMO);
		if (!c)
			usleep(20000);
	}
	for (int i = 0; c && i < 3000; i++) {
		json_t *r = qmp_client_cmd(c, "{\"execute\":\"query-cxl-devices\"}", TMO);
		bool ready = r && json_object_get(r, "return");

		json_decref(r);
		if (ready)
			return c;
		usleep(10 * 1000);
	}
	if (c)
		fail_msg("the daemon did not finish its start: %s", dproc_log(p));
	return NULL;
}

/* Host 0's accepted extents (a copy of the device query's array). */
static inline json_t *host0_extents(struct qmp_client *c)
{
	json_t *q = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	json_t *x = json_deep_copy(json_object_get(json_array_get(json_object_get(ret_of(q), "hosts"), 0), "extents"));

	json_decref(q);
	return x;
}

/* Add hosts 0 and 1's DC logs (read, not cleared) to @all as hex strings "dclog0", "dclog1". */
static inline void add_dc_logs(struct qmp_client *c, json_t *all)
{
	for (int h = 0; h < 2; h++) {
		uint8_t in[1] = { CXLDCD_LOG_DC }, out[4096];
		char key[16], *hex;
		size_t n;

		assert_int_equal(qmp_cci(c, "d0", "mailbox", h, 0x0100, in, 1, out, &n), 0);
		hex = calloc(1, 2 * n + 1);
		for (size_t i = 0; i < n; i++)
			sprintf(hex + 2 * i, "%02x", out[i]);
		snprintf(key, sizeof(key), "dclog%d", h);
		json_object_set_new(all, key, json_string(hex));
		free(hex);
	}
}

/* Everything a restart must give back: the device query and each host's DC log (read, not cleared). */
static inline json_t *state_dump(struct qmp_client *c)
{
	json_t *q = expect_ok(qmp_client_cmd(c, "{\"execute\":\"query-cxl-dynamic-capacity\",\"arguments\":{\"path\":\"d0\"}}", TMO));
	json_t *all = json_pack("{s:O}", "query", ret_of(q));

	json_decref(q);
	add_dc_logs(c, all);
	return all;
}

/* @n bytes of DIR/@name at @off into @buf. */
static inline void state_file_read(const struct dproc *p, const char *name, uint64_t off,
				   char *buf, size_t n)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(pread(fd, buf, n, (off_t)off), (ssize_t)n);
	close(fd);
}

/* @text (no NUL) into DIR/@name at @off: what a trusted host wrote, or a clean stop wrote back. */
static inline void state_file_write(const struct dproc *p, const char *name, uint64_t off,
				    const char *text)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->dir, name);
	assert_true((fd = open(path, O_WRONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(pwrite(fd, text, strlen(text), (off_t)off), (ssize_t)strlen(text));
	close(fd);
}

#endif
