/* SPDX-License-Identifier: MIT */
/*
 * cmdline-int.h - helpers shared by the cmdline*.c files: option values and
 * KEY=VALUE lists (cmdline-value.c), listeners (cmdline-listen.c), -qmp
 * (cmdline-sock.c), QEMU's options (cmdline-qemu.c), -object and -device
 * properties (cmdline-objdev.c).  Not an API.
 */
#ifndef CXLDCD_SERVER_CMDLINE_INT_H
#define CXLDCD_SERVER_CMDLINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "cmdline.h"

struct cmdline_kv {
	struct cmdline_prop *p;
	size_t n;
};

/* Parsing context: the option being parsed, for messages. */
struct cmdline_ctx {
	struct cmdline_cfg *cfg;
	char *err;
	size_t errlen;
	const char *opt;     /* "-object" */
	const char *arg;     /* its value as written */
};

int cmdline_fail(struct cmdline_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cmdline_oom(struct cmdline_ctx *c);
void cmdline_kv_free(struct cmdline_kv *kv);
int cmdline_kv_add(struct cmdline_kv *kv, const char *key, size_t klen, const char *val,
		   size_t vlen);
const char *cmdline_kv_get(const struct cmdline_kv *kv, const char *key);
int cmdline_split_kv(struct cmdline_ctx *c, const char *s, const char *implied,
		     struct cmdline_kv *kv);
int cmdline_parse_u64(const char *s, uint64_t *out);
bool cmdline_id_ok(const char *id);
int cmdline_ignore(struct cmdline_ctx *c, const char *why);

/*
 * cmdline-sock.c: -qmp, and QEMU's socket chardev options (of -qmp and of a
 * -chardev socket a -mon mode=control uses).
 */
struct cmdline_sockopts {
	bool server, wait;
	int ipv4, ipv6;         /* -1: not given, else 0/1 */
	uint16_t to;            /* to=PORT; 0: not given */
};
int cmdline_opt_qmp(struct cmdline_ctx *c, const char *arg);
int cmdline_add_qmp(struct cmdline_ctx *c, const struct sock_addr *a, uint32_t max_conns);
void cmdline_sockopts_init(struct cmdline_sockopts *o);
/* One option: 0 taken (or ignored, noted), 1 not a socket option, or -EINVAL/-ENOMEM. */
int cmdline_sockopt(struct cmdline_ctx *c, struct cmdline_sockopts *o, const char *key,
		    const char *v);
/*
 * Check @o as a whole and set @a's family and port range: 0, 1 when @o is
 * not server mode (the caller's message), or -EINVAL/-ENOMEM.
 */
int cmdline_sockopts_apply(struct cmdline_ctx *c, const struct cmdline_sockopts *o,
			   struct sock_addr *a);
/* Note KEY=VALUE of the option being parsed as ignored, with @why (static). */
int cmdline_ignore_prop(struct cmdline_ctx *c, const char *key, const char *value,
			const char *why);

/* Why an option is ignored (cfg->ignored_why), for the log line. */
#define CMDLINE_WHY_MACHINE "a standalone device has no machine or CXL topology"
#define CMDLINE_WHY_GUEST "an option of QEMU's guest: cxldcd is a device, not a virtual machine"

/* cmdline-qemu.c: QEMU's options for the guest, -chardev and -mon */
int cmdline_qemu_option(struct cmdline_ctx *c, int argc, char *const argv[], int *i);
int cmdline_qemu_program(struct cmdline_ctx *c, const char *arg);
const char *cmdline_qemu_device_why(const char *drv);
int cmdline_qemu_finish(struct cmdline_ctx *c);
void cmdline_qemu_fini(struct cmdline_cfg *cfg);

/*
 * cmdline-listen.c: --fm, --mctp-cci, --host-socket, --mctp-serial.  A
 * listener pushed is taken over by the array, also on error.
 */
int cmdline_opt_fm(struct cmdline_ctx *c, const char *arg);
int cmdline_opt_mctp_cci(struct cmdline_ctx *c, const char *arg);
int cmdline_opt_host_socket(struct cmdline_ctx *c, const char *arg);
int cmdline_opt_mctp_serial(struct cmdline_ctx *c, const char *arg);
void cmdline_listener_free(struct cmdline_listener *l);
int cmdline_listener_push(struct cmdline_ctx *c, struct cmdline_listener *l,
			  struct cmdline_listener **arr, size_t *nr);
/* Resolve every listener's device= and check the host.N= bindings. */
int cmdline_check_listeners(struct cmdline_ctx *c);

/* cmdline-objdev.c */
int cmdline_opt_object(struct cmdline_ctx *c, const char *arg);
int cmdline_opt_device(struct cmdline_ctx *c, const char *arg);
void cmdline_device_free(struct cmdline_device *d);

#endif
