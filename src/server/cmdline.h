/* SPDX-License-Identifier: MIT */
/*
 * cmdline.h - the cxldcd command line, parsed into plain config structs.
 *
 * QEMU syntax where QEMU has one (-object, -device, -qmp), so a QEMU
 * command line's CXL part runs unchanged; our own options are --fm,
 * --host-socket, --state, --trace, --log-level, --log-file (and QEMU's
 * --daemonize, --pidfile).  Parsing validates every value (sizes
 * with K/M/G/T suffixes, booleans on/off/yes/no/true/false, UUID tags, ids,
 * ranges, cross references such as volatile-dc-memdev=ID) and creates
 * nothing: the daemon builds backends and devices from the result.  Errors
 * come back as one message naming the bad argument; the caller prints it
 * and exits with status 2.  No globals, no printing, no exit.
 *
 * --fm and --host-socket may be repeated and each names the device it
 * serves (",device=ID"; default: the first -device): the parser resolves
 * the id to the device's index, so the daemon never sees an unknown one.
 */
#ifndef CXLDCD_SERVER_CMDLINE_H
#define CXLDCD_SERVER_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sock.h"

#define CMDLINE_TRACE_CCI  (1u << 0)
#define CMDLINE_TRACE_QMP  (1u << 1)
#define CMDLINE_TRACE_HOST (1u << 2)

#define CMDLINE_ERR_MAX 512

/* One key=value property, as written (values of flags like "share" are "on"). */
struct cmdline_prop {
	char *key;
	char *value;
};

enum cmdline_obj_type {
	CMDLINE_OBJ_RAM = 1,   /* memory-backend-ram */
	CMDLINE_OBJ_MEMFD,     /* memory-backend-memfd */
	CMDLINE_OBJ_FILE,      /* memory-backend-file */
	CMDLINE_OBJ_TAGGED,    /* memory-backend-tagged (the RFC's type) */
};

/* -object: a memory backend.  Typed fields for what we check; props keeps all. */
struct cmdline_object {
	enum cmdline_obj_type type;
	char *id;
	uint64_t size;
	bool share;              /* QEMU defaults: memfd on, others off */
	bool has_tag;
	char tag[37];            /* canonical lower-case UUID text */
	uint8_t tag_bytes[16];
	char *mem_path;          /* memory-backend-file */
	bool hugetlb;            /* memory-backend-memfd */
	struct cmdline_prop *props;  /* every property but qom-type, in order */
	size_t nr_props;
};

/* Bits of cmdline_device.set: which properties were given. */
enum {
	CMDLINE_DEV_NUM_DC_REGIONS = 1u << 0,
	CMDLINE_DEV_VOLATILE_DC_MEMDEV = 1u << 1,
	CMDLINE_DEV_DC_REGIONS_TOTAL_SIZE = 1u << 2,
	CMDLINE_DEV_NUM_HOSTS = 1u << 3,
	CMDLINE_DEV_DC_BLOCK_SIZE = 1u << 4,
	CMDLINE_DEV_MAX_EXTENTS = 1u << 5,
	CMDLINE_DEV_MAX_TAGS = 1u << 6,
	CMDLINE_DEV_EVENT_LOG_DEPTH = 1u << 7,
	CMDLINE_DEV_MBOX_PAYLOAD_SIZE = 1u << 8,
	CMDLINE_DEV_SEQ_ONE_BASED = 1u << 9,
	CMDLINE_DEV_SANITIZE_ON_RELEASE = 1u << 10,
	CMDLINE_DEV_SHARABLE = 1u << 11,
	CMDLINE_DEV_PENDING_TIMEOUT_MS = 1u << 12,
	CMDLINE_DEV_SN = 1u << 13,
	CMDLINE_DEV_BUS = 1u << 14,
	CMDLINE_DEV_TRUSTED_HOSTS = 1u << 15,
	CMDLINE_DEV_LSA = 1u << 16,
	CMDLINE_DEV_VOLATILE_MEMDEV = 1u << 17,
	CMDLINE_DEV_PERSISTENT_MEMDEV = 1u << 18,
	CMDLINE_DEV_MEMDEV = 1u << 19,
	CMDLINE_DEV_STATIC_HOST = 1u << 20,
	CMDLINE_DEV_MAINT_AT_ONCE = 1u << 21,
};

/* -device cxl-type3: values of properties not given are 0 (model defaults apply). */
struct cmdline_device {
	char *id;
	uint32_t num_dc_regions;        /* 0..8; 0: static capacity only */
	char *volatile_dc_memdev;       /* an -object id */
	uint64_t dc_regions_total_size;
	uint32_t num_hosts;             /* 1..CXLDCD_MAX_HOSTS (256) */
	uint64_t dc_block_size;         /* power of two >= 64 */
	uint32_t max_extents;
	uint32_t max_tags;
	uint32_t event_log_depth;       /* 1..65535 */
	uint32_t mbox_payload_size;     /* power of two, 256..1 MiB */
	bool seq_one_based;
	bool sanitize_on_release;
	bool sharable;
	uint32_t pending_timeout_ms;    /* 0: never */
	uint64_t sn;
	char *bus;                      /* COMPAT: accepted and ignored */
	bool trusted_hosts;             /* hosts get the whole backend fd (docs/memory.md) */
	char *lsa;                      /* an -object id: its size is the Label Storage Area's */
	char *volatile_memdev;          /* an -object id: static volatile capacity at DPA 0 */
	/* an -object id: static persistent capacity after the volatile one (QEMU's
	 * legacy memdev= is stored here too: it means persistent-memdev) */
	char *persistent_memdev;
	uint32_t static_host;           /* static-host=N: only host N reaches the static capacity */
	bool maint_at_once;             /* COMPAT (Linux): 0600h completes before its response */
	uint32_t set;                   /* CMDLINE_DEV_* */
	struct cmdline_prop *props;     /* every property but the driver, in order */
	size_t nr_props;
};

/* --host-socket max-fds=N: at most HOSTLINK_MAX_OUT_FDS_CAP, the default's cap */
#define CMDLINE_HOST_MAX_FDS 65536u

/*
 * --fm ADDR[,device=ID][,max-conns=N] / --mctp-cci (the same) /
 * --host-socket ADDR[,device=ID][,max-conns=N]
 * [,hello-timeout-ms=MS][,max-fds=N]: one listener and
 * the -device it serves.  A --host-socket ADDR may be a bare PATH (Unix);
 * its TCP addresses are IPv4 (empty host: 127.0.0.1).
 */
/* --host-socket host.N=USER[:GROUP]: only that local user (and group) may claim host N. */
struct cmdline_host_bind {
	uint16_t host;
	uid_t uid;
	gid_t gid;                      /* (gid_t)-1: any group */
};

struct cmdline_listener {
	struct sock_addr addr;
	char *device;                   /* device=ID as written; NULL: the first -device */
	size_t dev;                     /* index in cmdline_cfg.devices of the device served */
	char *arg;                      /* the option's value as written (messages) */
	uint32_t max_conns;             /* max-conns=; 0: default */
	uint32_t hello_timeout_ms;      /* --host-socket hello-timeout-ms=; 0: default */
	uint32_t max_fds;               /* --host-socket max-fds=; 0: default */
	unsigned eid;                   /* --mctp-serial eid=N, 0 if not given */
	struct cmdline_host_bind *binds; /* --host-socket host.N=, in order */
	size_t nr_binds;
	bool set_group;                 /* --host-socket group=: the socket is 0660 of @group */
	gid_t group;
	bool bound_only;                /* --host-socket bound-only=on: only host.N= ids may HELLO */
};

struct cmdline_chardev;

struct cmdline_cfg {
	struct cmdline_object *objects;
	size_t nr_objects;
	struct cmdline_device *devices;
	size_t nr_devices;
	struct sock_addr *qmp;          /* -qmp, in order */
	uint32_t *qmp_max_conns;        /* -qmp max-conns=, one per qmp; 0: default */
	size_t nr_qmp;
	struct cmdline_listener *fm;    /* --fm, in order */
	size_t nr_fm;
	struct cmdline_listener *mctp_cci; /* --mctp-cci, in order */
	size_t nr_mctp_cci;
	struct cmdline_listener *host;  /* --host-socket, in order */
	size_t nr_host;
	struct cmdline_listener *mctp_serial; /* --mctp-serial pty: addr unused */
	size_t nr_mctp_serial;
	char *state_dir;                /* --state, NULL if none */
	unsigned trace;                 /* CMDLINE_TRACE_* */
	bool no_fm, no_host;            /* --fm none, --host-socket none: no default listeners */
	bool no_mctp_cci;               /* --mctp-cci none */
	char *pidfile;                  /* --pidfile, NULL if none */
	char *log_file;                 /* --log-file, NULL: stderr */
	int log_level;                  /* --log-level as a syslog LOG_* value */
	bool has_log_level;
	bool daemonize;                 /* --daemonize */
	bool help, version;
	bool defaults;                  /* no arguments: default device and sockets */
	/*
	 * COMPAT: QEMU options that describe the machine and its CXL topology
	 * (-M/-machine, -device pxb-cxl, cxl-rp, cxl-upstream, ...) or the guest
	 * (-m, -smp, -drive, -device e1000, ...): accepted and ignored, each
	 * kept as written ("-device pxb-cxl,...") for the log, with why
	 * (ignored_why[i], a static string).
	 */
	char **ignored;
	const char **ignored_why;
	size_t nr_ignored;
	/* -chardev and -mon (cmdline-qemu.c): a -mon mode=control is a -qmp */
	struct cmdline_chardev *chardevs;
	size_t nr_chardevs;
	char **mons;
	size_t nr_mons;
	bool uses_runtime_dir;          /* some default path lives in runtime_dir */
	char *runtime_dir;
};

/**
 * cmdline_parse() - parse argv[1..argc-1] into @cfg.
 * @runtime_dir: borrowed; where default sockets go (cmdline_runtime_dir())
 * @cfg: zeroed by the call; caller frees with cmdline_fini() (also on error)
 * @err: receives one message naming the bad argument
 * With no arguments at all, the default device is configured: a 8 GiB
 * memfd backend "dc-mem0", cxl-type3 "cxl-dcd0" with 2 DC regions and
 * 2 hosts, QMP, FM and host-link sockets in @runtime_dir.  Without -qmp,
 * a QMP socket in @runtime_dir is configured; without any --fm (resp.
 * --host-socket) every -device gets one in @runtime_dir: fm.sock and
 * host.sock for the first, fm-ID.sock and host-ID.sock for the others;
 * without --fm and --mctp-cci, also mctp.sock (mctp-ID.sock) next to them.
 * Return: 0 or -EINVAL (bad argument) or -ENOMEM.
 */
int cmdline_parse(int argc, char *const argv[], const char *runtime_dir,
		  struct cmdline_cfg *cfg, char *err, size_t errlen);

void cmdline_fini(struct cmdline_cfg *cfg);

/**
 * cmdline_runtime_dir() - $XDG_RUNTIME_DIR/cxldcd, else /tmp/cxldcd-$UID
 * (rundir_path() of src/common, shared with cxldcd-ctl and cxldcd-host).
 * Creates nothing.
 */
void cmdline_runtime_dir(char *buf, size_t len);

/** cmdline_usage() - the --help text. */
const char *cmdline_usage(void);

/** cmdline_parse_size() - "4G", "512M", "1048576", "0x1000": Return 0 or -EINVAL. */
int cmdline_parse_size(const char *s, uint64_t *out);
/** cmdline_parse_bool() - on/off/yes/no/true/false: Return 0 or -EINVAL. */
int cmdline_parse_bool(const char *s, bool *out);

/**
 * cmdline_parse_object() - parse one memory backend (-object's KEY=VALUE or
 * JSON form; QMP object-add passes its arguments as JSON) and append it to
 * @cfg->objects (free with cmdline_fini()).  Messages carry no option prefix.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int cmdline_parse_object(const char *arg, struct cmdline_cfg *cfg, char *err, size_t errlen);

/**
 * cmdline_object_used() - whether a -device names @o (volatile-dc-memdev,
 * volatile-memdev, persistent-memdev/memdev or lsa).  An unused backend
 * without a tag serves nothing (a pasted QEMU line's guest memory).
 */
bool cmdline_object_used(const struct cmdline_cfg *cfg, const struct cmdline_object *o);

/** cmdline_object_prop() - value of @key for @o, or NULL. */
const char *cmdline_object_prop(const struct cmdline_object *o, const char *key);

#endif
