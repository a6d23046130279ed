/* SPDX-License-Identifier: MIT */
/*
 * state-args.h - the daemon arguments of the --state integration tests
 * (test-durability*.c, test-hostlink-durability.c): file backend fa (64 MiB,
 * TAG_A) in the daemon's directory, optionally fb (TAG_B), one -device,
 * --state DIR/state and one socket option (--fm or --host-socket).
 */
#ifndef CXLDCD_TESTS_STATE_ARGS_H
#define CXLDCD_TESTS_STATE_ARGS_H

#include <stdio.h>

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

#endif
