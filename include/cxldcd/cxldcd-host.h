/* SPDX-License-Identifier: MIT */
/*
 * cxldcd-host.h - libcxldcd-host: the host side of a cxldcd Dynamic
 * Capacity Device.  A struct cxldcd_host plays the operating system of one
 * host (one LD-ID) the way the Linux DCD driver (v10/v11 series) does:
 * bring-up (CEL, Get DC Configuration with the region checks, the DC event
 * interrupt policy, replay of already-accepted extents without an Add DC
 * Response), event handling (drain and clear the DC log, More chains with a
 * timeout and a cap, per-tag-group validation, accept policy, Add DC
 * Response), tag groups presented as one contiguous mapping in sequence
 * order, release handling (whole tag group, deferred while in use) and
 * forced release.  The device is untrusted: bad sizes, counts and records
 * are rejected with an error event, never a crash.
 *
 * The library never owns the event loop: poll cxldcd_host_get_fd() for
 * POLLIN and call cxldcd_host_process(), which never blocks.  The blocking
 * helpers are thin wrappers around that pair.  Called from an event
 * callback, their rounds drive the link and the timers alone: the
 * applications (cxldcd_app_*) are served by the outer round once the
 * callback returns.  Not thread-safe: one thread per struct cxldcd_host.
 *
 * A second part, cxldcd_app_*, is for applications in other processes: they
 * connect to the agent's application socket (cxldcd_host_serve_apps()) and
 * map a tag group contiguously themselves, like opening a DAX device by tag.
 *
 * Errors: 0 or -errno.  When a command reached the device and was answered,
 * the device's CXL return code comes back in a uint16_t *cxl_rc.
 * Protocol: docs/host-link.md.
 */
#ifndef CXLDCD_HOST_H
#define CXLDCD_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CXLDCD_EXPORT
#define CXLDCD_EXPORT __attribute__((visibility("default")))
#endif

#define CXLDCD_HOST_TAG_SIZE 16

struct cxldcd_host;
struct cxldcd_app;

/* syslog levels (LOG_ERR .. LOG_DEBUG); msg is borrowed for the call. */
typedef void cxldcd_log_fn(void *opaque, int level, const char *msg);

/* Ready-made accept policies (applied per tag group, in chain order). */
enum cxldcd_host_accept {
	CXLDCD_HOST_ACCEPT_ALL = 0,
	CXLDCD_HOST_ACCEPT_NONE = 1,
	CXLDCD_HOST_ACCEPT_TAGS = 2,   /* only tagged groups whose tag is in accept_tags */
	CXLDCD_HOST_ACCEPT_LIMIT = 3,  /* while the host's total stays <= accept_limit bytes */
};

enum cxldcd_host_state {
	CXLDCD_HOST_CONNECTING = 0,    /* HELLO sent */
	CXLDCD_HOST_BRINGUP = 1,       /* CEL, 4800h, 0103h, 4801h scan */
	CXLDCD_HOST_READY = 2,
	CXLDCD_HOST_FAILED = 3,        /* link lost or bring-up refused the device */
};

/* A tag group: the extents sharing one tag (an untagged extent is its own group). */
struct cxldcd_host_group_info {
	uint64_t id;                   /* host-unique, never reused */
	uint8_t tag[CXLDCD_HOST_TAG_SIZE];
	bool tagged;
	uint8_t region;
	uint64_t size;                 /* bytes the host holds (what the device lists for it) */
	uint32_t nr_extents;           /* extents the host holds: a forced release's part is gone */
	uint32_t open_count;           /* in this process and through the app socket */
	bool mapped;                   /* one contiguous mapping exists */
	bool release_pending;          /* the device asked; deferred until closed */
	bool revoked;                  /* a forced release took (part of) it away */
	bool replayed;                 /* found at bring-up, not added by an event */
};

enum cxldcd_host_event_type {
	CXLDCD_HOST_EV_READY = 0,          /* bring-up finished */
	CXLDCD_HOST_EV_GROUP_ADDED,        /* accepted (Add DC Response succeeded) or replayed */
	CXLDCD_HOST_EV_GROUP_REJECTED,     /* validation or policy; text says why */
	CXLDCD_HOST_EV_RELEASE_DEFERRED,   /* release requested while the group is open */
	CXLDCD_HOST_EV_GROUP_RELEASED,     /* Release DC sent and answered */
	CXLDCD_HOST_EV_RANGE_RELEASED,     /* a range no group owns was released at once */
	CXLDCD_HOST_EV_FORCED_RELEASE,     /* Forced Capacity Release record */
	CXLDCD_HOST_EV_REVOKED,            /* UNMAP: the device took access away */
	CXLDCD_HOST_EV_CHAIN_TIMEOUT,      /* an Add More chain did not close in time */
	CXLDCD_HOST_EV_DEVICE_ERROR,       /* malformed/inconsistent device input, ignored */
	CXLDCD_HOST_EV_CMD_FAILED,         /* a command returned a CXL error; cxl_rc, opcode */
	CXLDCD_HOST_EV_REGION_UPDATED,     /* Region Configuration Updated record */
	CXLDCD_HOST_EV_FAILED,             /* fatal: link lost, protocol violation, bring-up */
	CXLDCD_HOST_EV_RAS_UNCORRECTABLE,  /* AER: uncorrectable CXL RAS error, read and cleared; ras */
	CXLDCD_HOST_EV_RAS_CORRECTABLE,    /* AER: correctable CXL RAS error, read and cleared; ras */
	/*
	 * A move's PAUSE (docs/host-link.md "Moves"): the group's pages in
	 * dpa/len turn read-only when the callback returns, until
	 * GROUP_RESUMED (or REVOKED); a write there meanwhile faults (SIGSEGV).
	 */
	CXLDCD_HOST_EV_GROUP_PAUSED,
	CXLDCD_HOST_EV_GROUP_RESUMED,      /* the move's REMAP: writable again, same address */
	/*
	 * An application's OPEN refused by the rules of
	 * cxldcd_host_serve_apps_access(): group is the one it asked for, text
	 * says who asked (pid, uid, gid) and what the group's owner, group and
	 * mode give it.
	 */
	CXLDCD_HOST_EV_ACCESS_DENIED,
	/*
	 * An application's grant of a group ended by the agent (group is the
	 * group, text says which application and why): it was sent REVOKE
	 * (cxldcd_app_*: its mappings of the group turn inaccessible) and must
	 * open the group again.  Why: the link to the device was lost (the
	 * group's files may not be the same after the next HELLO, and nothing
	 * counts the open any more), the agent stopped serving applications,
	 * or cxldcd_host_set_access() gave rules that no longer cover it.
	 */
	CXLDCD_HOST_EV_APP_REVOKED,
	/*
	 * cxldcd_host_set_access() gave the application socket's file the
	 * mode and group of the new rules (changed by them, or by someone
	 * since: a chmod or chgrp), closed the connections of users these no
	 * longer let connect, or found the file gone or replaced (left
	 * alone).  text says which; group is NULL.
	 */
	CXLDCD_HOST_EV_SOCKET_ACCESS,
};

/*
 * A CXL RAS error the library handled the way Linux's cxl_pci does on an
 * AER (docs/host.md): read the device's RAS Capability registers, report
 * them (the fields of Linux's cxl_aer_uncorrectable_error /
 * cxl_aer_correctable_error trace events), then write the status back
 * (write-1-to-clear).
 */
struct cxldcd_host_ras_error {
	uint32_t status;               /* the status bits that were set (and are now cleared) */
	uint32_t first_error;          /* uncorrectable: the First Error Pointer's bit as a mask */
	uint32_t header_log[16];       /* uncorrectable: the Header Log (of the first error) */
	uint64_t serial;               /* the device's serial number (Identify 0001h) */
};

struct cxldcd_host_event {
	enum cxldcd_host_event_type type;
	const struct cxldcd_host_group_info *group; /* borrowed; may be NULL */
	uint64_t dpa, len;             /* the range concerned, when there is one */
	uint16_t opcode;               /* CMD_FAILED */
	uint16_t cxl_rc;               /* CMD_FAILED */
	int err;                       /* -errno for FAILED / DEVICE_ERROR */
	const char *text;              /* borrowed; one line, no trailing newline */
	/* CMD_FAILED: the device's reason ("not-held"), when it
	 * gave one (docs/model.md "Why a request failed"); else NULL.  Borrowed. */
	const char *reason;
	const struct cxldcd_host_ras_error *ras; /* EV_RAS_*; borrowed; else NULL */
};

typedef void cxldcd_host_event_fn(void *opaque, const struct cxldcd_host_event *ev);
/* Return true to accept the group (called after the ready policy accepted it). */
typedef bool cxldcd_host_accept_fn(void *opaque, const struct cxldcd_host_group_info *g);
/* Milliseconds on a clock that never goes back (cxldcd_host_cfg.clock). */
typedef uint64_t cxldcd_host_clock_fn(void *opaque);

struct cxldcd_host_cfg {
	const char *socket_path;       /* the device's host-link Unix socket, or: */
	const char *tcp_addr;          /* IPv4 address (slow path only, no mapping) */
	uint16_t tcp_port;
	uint16_t host_id;              /* LD-ID */
	bool no_mapping;               /* do not ask for direct mapping */
	enum cxldcd_host_accept accept;
	const uint8_t (*accept_tags)[CXLDCD_HOST_TAG_SIZE]; /* borrowed during new(); copied */
	uint32_t nr_accept_tags;
	uint64_t accept_limit;         /* bytes, ACCEPT_LIMIT */
	cxldcd_host_accept_fn *accept_fn; /* optional, after the ready policy */
	void *accept_opaque;
	uint32_t chain_timeout_ms;     /* 0 = 20000 (Linux v11) */
	/* 0 = 100 extents (Linux v11): longest Add chain; release chains go in pieces of it */
	uint32_t chain_cap;
	bool seq_one_based;            /* shared sequence 1..n (Linux v10) instead of 0..n-1 */
	uint32_t cmd_timeout_ms;       /* device answer deadline; 0 = 5000 */
	cxldcd_host_event_fn *event_fn; /* optional */
	void *event_opaque;
	cxldcd_log_fn *log_fn;         /* optional: silent by default */
	void *log_opaque;
	int log_level;                 /* max syslog level passed to log_fn */
	/*
	 * Leave the RAS masks as they are and ignore RAS_IRQ (the default:
	 * unmask every error at connect, and on each RAS_IRQ read, report and
	 * clear).  The register API below works either way.
	 */
	bool no_ras;
	/*
	 * How long the agent holds an application's OPEN of a group that a move
	 * has paused, waiting for the move's REMAP or MOVE_END; then the OPEN
	 * is refused BUSY.  0 = 30000 (docs/host-link.md "Moves").  Keep it
	 * below the 35 s cxldcd_app_open() waits for its answer.
	 */
	uint32_t move_wait_ms;
	/*
	 * The clock of the library's deadlines (device answers, More chains,
	 * OPENs held for a move); NULL: CLOCK_MONOTONIC.  For callers that
	 * drive time themselves (tests).  The blocking helpers' timeout_ms
	 * stays on CLOCK_MONOTONIC.
	 */
	cxldcd_host_clock_fn *clock;
	void *clock_opaque;
	/*
	 * Ask the device for a file per group (docs/host-link.md, HELLO flag
	 * bit 4): every fd it sends for non-sharable capacity then holds one
	 * group's capacity (one tag's, or one untagged extent's) and nothing
	 * of the host's other groups, so an application given a group's fds
	 * (cxldcd_host_serve_apps()) reaches that group alone.  Costs the
	 * device and this process one fd per group instead of one per backend.
	 * cxldcd_host_group_files_granted() says whether the device granted it.
	 */
	bool group_files;
};

/**
 * cxldcd_host_new() - connect to the device and start bring-up.
 * @cfg: borrowed for the call.
 * @out: caller frees with cxldcd_host_free().
 * Return: 0 (bring-up continues in cxldcd_host_process()); -EINVAL (bad
 * cfg); -ENOMEM; the -errno of socket/connect.
 *
 * The host's capacity arrives as fds the process keeps.  Every host of a
 * Unix host link runs as the daemon's user, so a dumpable process shows
 * them to all the other hosts (/proc/PID/fd): call
 * prctl(PR_SET_DUMPABLE, 0) first, as cxldcd-host does (an application
 * that opens groups with cxldcd_app_open() likewise).
 */
CXLDCD_EXPORT int cxldcd_host_new(const struct cxldcd_host_cfg *cfg, struct cxldcd_host **out);
/* Unmap every group, close the link and the app socket.  NULL is a no-op. */
CXLDCD_EXPORT void cxldcd_host_free(struct cxldcd_host *h);
/**
 * cxldcd_host_set_log_events() - whether events are also logged.
 * @on: true (the default): each event is logged too, as "NAME: text" at
 * LOG_INFO (LOG_WARNING for device-error and failed); false: events reach
 * cfg.event_fn only, and the log carries the library's other lines.
 */
CXLDCD_EXPORT void cxldcd_host_set_log_events(struct cxldcd_host *h, bool on);

/* One fd to poll for POLLIN (an epoll set of the library's fds and timers). */
CXLDCD_EXPORT int cxldcd_host_get_fd(const struct cxldcd_host *h);
/**
 * cxldcd_host_process() - handle whatever is ready, never waiting.
 * Return: number of messages handled (>= 0), or -errno once the host has
 * FAILED (-ECONNRESET link lost, -EPROTO violation, -ETIMEDOUT device silent,
 * -EOPNOTSUPP / -EINVAL bring-up refused the device, -EMFILE this process was
 * out of fds and a MAP's fd was dropped).
 */
CXLDCD_EXPORT int cxldcd_host_process(struct cxldcd_host *h);
CXLDCD_EXPORT enum cxldcd_host_state cxldcd_host_get_state(const struct cxldcd_host *h);
/* True when no command is queued or in flight and no More chain is staged. */
CXLDCD_EXPORT bool cxldcd_host_idle(const struct cxldcd_host *h);

/* Blocking: process until READY (0), FAILED (-errno) or -ETIMEDOUT. */
CXLDCD_EXPORT int cxldcd_host_wait_ready(struct cxldcd_host *h, int timeout_ms);
/*
 * Blocking: poll once up to timeout_ms, then process (a failed context: no
 * wait, the process() alone).  Return as process().
 */
CXLDCD_EXPORT int cxldcd_host_run_once(struct cxldcd_host *h, int timeout_ms);

/* Device facts from HELLO_ACK / bring-up. */
struct cxldcd_host_dev_info {
	uint32_t mbox_payload_size;
	uint8_t nr_regions;
	uint64_t span_base, span_size;
	bool mapping;                  /* direct mapping granted */
	struct {
		uint64_t base, decode_len, len, block_size;
	} regions[8];
};
CXLDCD_EXPORT int cxldcd_host_get_dev_info(const struct cxldcd_host *h,
					   struct cxldcd_host_dev_info *out);
/**
 * cxldcd_host_group_files_granted() - whether the device granted a file per
 * group (cfg.group_files, HELLO_ACK).  A function rather than a field of
 * struct cxldcd_host_dev_info, which the caller allocates: a new field would
 * overrun the buffer of an application built against an older header.
 * Return: false before HELLO_ACK, or when not asked or not granted, or once
 * the device sent a group's fd that is not that group's alone (MAP flag
 * "spilled": it ran out of fds; logged at LOG_WARNING).
 */
CXLDCD_EXPORT bool cxldcd_host_group_files_granted(const struct cxldcd_host *h);

/**
 * cxldcd_host_list_groups() - the usable and release-pending tag groups.
 * Return: number of groups (may exceed cap; only cap are copied).
 */
CXLDCD_EXPORT uint32_t cxldcd_host_list_groups(const struct cxldcd_host *h,
					       struct cxldcd_host_group_info *out, uint32_t cap);
/**
 * cxldcd_host_group_open() - open a tag group by tag (NULL tag: by id) and
 * get its contiguous mapping.  Holds the group: a release request is
 * deferred until the last close.
 *
 * While a move has part of the group paused (docs/host-link.md "Moves";
 * its pages are read-only until the move's REMAP), the open waits, as the
 * agent holds an application's OPEN: it drives the link itself (as
 * cxldcd_host_run_once(), so events are delivered meanwhile) until the
 * REMAP has made the group writable again, for at most cfg.move_wait_ms on
 * cfg.clock.  It never hands out pages it knows to be read-only.
 *
 * A group already open when a PAUSE comes stays mapped at the same address:
 * CXLDCD_HOST_EV_GROUP_PAUSED is delivered first (stop the writers in the
 * callback), then the range is read-only, and a write there faults
 * (SIGSEGV) until CXLDCD_HOST_EV_GROUP_RESUMED (writable again, same pages
 * and data) or CXLDCD_HOST_EV_REVOKED (the move ended without a REMAP: the
 * range is inaccessible for good; close the group).
 *
 * A group a forced release took part of opens with what it still holds:
 * the mapping keeps its layout, the revoked pieces inaccessible (a read or
 * write there faults, SIGSEGV) and the rest at its offsets, so *size is
 * the mapping's length, more than the group's size (info.size, what the
 * host holds) by the revoked bytes.
 *
 * Return: 0; -ENOENT; -EBUSY (release pending, or a forced release took all
 * of it, or a move kept it paused for cfg.move_wait_ms: logged at
 * LOG_WARNING); -EAGAIN (paused, and called from a callback of
 * cxldcd_host_process(), which cannot wait); -ENODEV (not mapped: slow path
 * host, or a move ended without remapping part of it); the host's failure
 * (-ECONNRESET, ...) when the link failed during the wait.  addr and size
 * receive the mapping, owned by the library.
 */
CXLDCD_EXPORT int cxldcd_host_group_open(struct cxldcd_host *h,
					 const uint8_t tag[CXLDCD_HOST_TAG_SIZE], uint64_t id,
					 void **addr, uint64_t *size);
/* Drop one open; a deferred release then proceeds.  Return 0 or -ENOENT. */
CXLDCD_EXPORT int cxldcd_host_group_close(struct cxldcd_host *h, uint64_t id);
/**
 * cxldcd_host_group_release() - give a group back unsolicited (Release DC).
 * Return: 0 (queued); -ENOENT; -EBUSY while open.
 */
CXLDCD_EXPORT int cxldcd_host_group_release(struct cxldcd_host *h,
					    const uint8_t tag[CXLDCD_HOST_TAG_SIZE], uint64_t id);

/*
 * cxldcd_host_static_size() - bytes of the device's static capacity
 * (volatile-memdev, then persistent-memdev), DPA 0 up to it, which every host
 * of the device reaches (HELLO_ACK); 0: none, or not connected yet.
 */
CXLDCD_EXPORT uint64_t cxldcd_host_static_size(const struct cxldcd_host *h);
/**
 * cxldcd_host_static_map() - the device's static capacity (DPA 0 up to
 * cxldcd_host_static_size()) as one mapping: DPA d is at *addr + d.  Made on the
 * first call from the MAPs the device sent at connect, owned by the library
 * until cxldcd_host_free().  Slow-path hosts use cxldcd_host_read()/write()
 * at those DPAs instead.
 * Return: 0; -EAGAIN (not connected); -ENOENT (no static capacity); -ENODEV
 * (no direct mapping, or the device sent no MAP of it); -ENOMEM.
 */
CXLDCD_EXPORT int cxldcd_host_static_map(struct cxldcd_host *h, void **addr, uint64_t *size);

/* Slow path by DPA (mapping off, TCP hosts).  done is called from process(). */
typedef void cxldcd_host_io_fn(void *opaque, int err);
/* buf is borrowed until done runs.  Return 0 (queued), -EINVAL, -ENOMEM. */
CXLDCD_EXPORT int cxldcd_host_read_async(struct cxldcd_host *h, uint64_t dpa, void *buf,
					 uint32_t len, cxldcd_host_io_fn *done, void *opaque);
CXLDCD_EXPORT int cxldcd_host_write_async(struct cxldcd_host *h, uint64_t dpa, const void *buf,
					  uint32_t len, cxldcd_host_io_fn *done, void *opaque);
/* Blocking wrappers: 0, -EFAULT (not accepted), -EACCES, -EIO, -ETIMEDOUT, ... */
CXLDCD_EXPORT int cxldcd_host_read(struct cxldcd_host *h, uint64_t dpa, void *buf, uint32_t len,
				   int timeout_ms);
CXLDCD_EXPORT int cxldcd_host_write(struct cxldcd_host *h, uint64_t dpa, const void *buf,
				    uint32_t len, int timeout_ms);

/**
 * cxldcd_host_serve_apps() - listen on a Unix socket (0600) for applications
 * (cxldcd_app_*).  When the link fails, the call of the user's that meets
 * the failure sends every application holding a group REVOKE
 * (CXLDCD_HOST_EV_APP_REVOKED), then closes every application's connection
 * and the socket, its file removed, before it returns: a round of
 * cxldcd_host_process() (or of a blocking helper), at its end, or a call
 * that writes on the link (cxldcd_host_group_release(),
 * cxldcd_host_group_close(), cxldcd_host_set_access(), the slow path's and
 * the RAS registers' calls).  No later call is needed: a failed context
 * serves nothing, whether or not it is freed or processed again, and a new
 * context may serve the same path at once.  Called from an event callback
 * inside a round, such a call leaves it to that round's end (the round may
 * be serving the very applications it would free).  The context's fd turns
 * readable once after a failure met outside a round, so that an owner
 * polling it hears of it from cxldcd_host_process(), and is idle after.
 * Return 0 or -errno (-ENOTCONN: the context failed).
 */
CXLDCD_EXPORT int cxldcd_host_serve_apps(struct cxldcd_host *h, const char *path);

/*
 * Who may open which group through the application socket, in the manner
 * of a dax device's owner, group and mode (docs/host.md, "Who may open
 * which group").  An opaque set of rules built once (names resolved then)
 * and handed to cxldcd_host_serve_apps_access(), which copies it.
 */
struct cxldcd_host_access;

/**
 * cxldcd_host_access_new() - an empty set: the socket 0600 of the process's
 * group, every group owned by the process's effective uid and gid, mode
 * 0600 (what cxldcd_host_serve_apps() does).
 * @out: caller frees with cxldcd_host_access_free().
 * Return: 0 or -ENOMEM.
 */
CXLDCD_EXPORT int cxldcd_host_access_new(struct cxldcd_host_access **out);
/* NULL is a no-op. */
CXLDCD_EXPORT void cxldcd_host_access_free(struct cxldcd_host_access *acc);
/**
 * cxldcd_host_access_add_rule() - add a rule, as cxldcd-host --group-access:
 * "tag=UUID|untagged|all[,owner=USER][,group=GROUP][,mode=OCTAL]", or
 * "socket[,mode=OCTAL][,group=GROUP]": the application socket's mode and
 * group, as cxldcd_host_access_set_socket() (-EEXIST when the set has them
 * already, from either) (USER and
 * GROUP a name or a number; owner and group default to the process's
 * effective uid and gid, mode to 0600).  tag=UUID is that tag's group,
 * untagged every untagged group, all every group no other rule names.
 * Read (4) lets a peer list the group and open it read-only; read and
 * write (6) open it writable; write alone gives nothing.
 * @rule: borrowed.  @err: receives why a rule was refused (NUL-terminated;
 * may be NULL).
 * Return: 0; -EINVAL (malformed: unknown or repeated key, bad mode or
 * tag, too many rules); -EEXIST (a rule for that tag is there already);
 * -ENOENT (no such user or group); -ENOMEM.  The set is unchanged on error.
 */
CXLDCD_EXPORT int cxldcd_host_access_add_rule(struct cxldcd_host_access *acc, const char *rule,
					      char *err, size_t err_size);
/**
 * cxldcd_host_access_set_socket() - the application socket's mode and group.
 * @mode: the socket file's permission bits, read and write only (<= 0666),
 * owner read and write included (0600); connecting takes write permission.
 * @group: name or number, given to the socket file (the process must be in
 * it, or root); NULL: the group the file got when it was made (the
 * process's, or its directory's when that is setgid).  A later call
 * replaces both.
 * Return: 0; -EINVAL; -ENOENT (no such group).  Unchanged on error.
 */
CXLDCD_EXPORT int cxldcd_host_access_set_socket(struct cxldcd_host_access *acc, uint32_t mode,
						const char *group, char *err, size_t err_size);
/**
 * cxldcd_host_access_load() - add the rules of @text, one per line in the
 * form of cxldcd_host_access_add_rule(); blank lines and lines whose first
 * non-blank character is '#' are skipped, blanks around a rule ignored.
 * All or nothing: the set changes only when every rule is good.
 * @text: borrowed, @len bytes (no NUL needed; at most 1 MiB).  @err: why
 * not, with the line number ("line 3: 'tag=all,mode=0750': mode ...").
 * Return: 0, or what cxldcd_host_access_add_rule() returns for the first
 * bad line (-EINVAL also for a NUL byte or a text too long).
 */
CXLDCD_EXPORT int cxldcd_host_access_load(struct cxldcd_host_access *acc, const char *text,
					  size_t len, char *err, size_t err_size);
/**
 * cxldcd_host_serve_apps_access() - cxldcd_host_serve_apps() with @acc's
 * socket mode and group and its rules, checked against each application's
 * kernel credentials at its connect() (SO_PEERCRED, SO_PEERGROUPS): LIST
 * shows the groups it may read, an OPEN the group's mode does not allow is
 * refused (-EACCES to the application, CXLDCD_HOST_EV_ACCESS_DENIED here),
 * and a read-only open gets O_RDONLY fds.  Root may do everything.
 * @acc: borrowed (copied); NULL: the defaults.
 * Return: 0 or -errno (-EPERM: the socket could not be given that group).
 */
CXLDCD_EXPORT int cxldcd_host_serve_apps_access(struct cxldcd_host *h, const char *path,
						const struct cxldcd_host_access *acc);
/**
 * cxldcd_host_set_access() - replace the rules of a serving agent
 * (cxldcd-host does at SIGHUP).  Every later LIST and OPEN is checked
 * against @acc's rules.  The socket file gets @acc's mode and group again
 * (cxldcd_host_access_set_socket() or a "socket" rule; none: 0600 and the
 * group it got when it was made), whoever changed them since, and the
 * connections of users these no longer let connect are closed, each of
 * their opens revoked as below (CXLDCD_HOST_EV_SOCKET_ACCESS says so; a
 * socket file removed or replaced is left alone, said the same way).  An open already granted that @acc's rules would refuse now
 * (read, or read and write for a writable one; every group for a file that
 * reaches more than its group) is revoked: the application is sent REVOKE
 * for that group (all its opens of it), CXLDCD_HOST_EV_APP_REVOKED is
 * delivered, and the opens no longer hold the group (a deferred release
 * proceeds; the application's CLOSE of it is still answered).  As for a
 * file whose mode changes, this is the agent's word: an application that
 * ignores REVOKE keeps the fds it was given until the group is released.
 * @acc: borrowed (copied); NULL: the defaults.
 * Return: the number of opens revoked (>= 0); -EINVAL (not serving
 * applications); -ENOMEM, -EPERM (the socket file cannot be given that
 * group: the process is not in it), -errno of the chmod (the rules in
 * force and the socket file are unchanged).
 */
CXLDCD_EXPORT int cxldcd_host_set_access(struct cxldcd_host *h,
					 const struct cxldcd_host_access *acc);

struct cxldcd_host_stats {
	uint64_t msgs_in, cmds_sent, irqs, maps, unmaps;
	uint64_t groups_added, groups_rejected, groups_released;
	uint64_t device_errors, chain_timeouts, cmd_failures;
	uint64_t dead_group_answers;   /* empty Add DC Responses after Invalid PA (Dead groups) */
	uint64_t pauses, remaps;       /* a shared range moved to a fresh grant (host-link.md "Moves") */
	uint64_t move_ends;            /* MOVE_ENDs: a move over for a range it paused */
};
CXLDCD_EXPORT void cxldcd_host_get_stats(const struct cxldcd_host *h,
					 struct cxldcd_host_stats *out);

/* The device's verdict on a failed CCI command (docs/host-link.md, DIAG). */
struct cxldcd_host_diag {
	uint16_t opcode;
	uint16_t cxl_rc;
	uint16_t reason_code;          /* the device's reason number */
	int32_t index;                 /* failing extent list index, -1: none */
	char reason[32];               /* kebab-case name: "not-held", "still-pending", ... */
	char text[193];                /* the device's sentence */
};
/**
 * cxldcd_host_last_diag() - why the most recent failed CCI command failed.
 * Kept until the next command fails.
 * Return: 0; -ENOENT when no command failed yet, the last failure came without
 * a reason, or the device does not send reasons (it predates DIAG).
 */
CXLDCD_EXPORT int cxldcd_host_last_diag(const struct cxldcd_host *h, struct cxldcd_host_diag *out);

/*
 * The CXL RAS Capability Structure of the host's device (CXL r3.2
 * §8.2.4.17; offsets CXLDCD_RAS_* of cxldcd/spec.h).
 */
struct cxldcd_host_ras_regs {
	uint32_t unc_status, unc_mask, unc_severity;
	uint32_t cor_status, cor_mask;
	uint32_t cap_ctrl;             /* bits 5:0 First Error Pointer */
	uint32_t header_log[16];
};
/*
 * Asynchronous forms: queued with the CCI commands, @done runs from
 * process() (err 0, -EINVAL for an offset the device refused, -ECONNRESET
 * when the link went first); @out is borrowed until then.  Return: 0
 * (queued); -EAGAIN before HELLO_ACK; -EOPNOTSUPP when the device has no
 * RAS messages (it predates them); -EINVAL; -ENOMEM; the failure.
 */
CXLDCD_EXPORT int cxldcd_host_ras_read_async(struct cxldcd_host *h,
					     struct cxldcd_host_ras_regs *out,
					     cxldcd_host_io_fn *done, void *opaque);
CXLDCD_EXPORT int cxldcd_host_ras_write_async(struct cxldcd_host *h, uint32_t offset,
					      uint32_t value, cxldcd_host_io_fn *done,
					      void *opaque);
/**
 * cxldcd_host_ras_read() - read the RAS registers (blocking, bounded by
 * cfg.cmd_timeout_ms).  Return: 0; -EAGAIN before HELLO_ACK; -errno when the
 * link failed.
 */
CXLDCD_EXPORT int cxldcd_host_ras_read(struct cxldcd_host *h, struct cxldcd_host_ras_regs *out);
/**
 * cxldcd_host_ras_write() - write one 32-bit RAS register at @offset
 * (status registers: write 1 to clear; masks and severity: set).  Blocking,
 * as cxldcd_host_ras_read().  Return: 0; -EINVAL (the device refused the
 * offset); -EAGAIN; -errno.
 */
CXLDCD_EXPORT int cxldcd_host_ras_write(struct cxldcd_host *h, uint32_t offset, uint32_t value);
/*
 * Names of the status bits set in @status, Linux's trace event words joined
 * by " | " ("Cache Data Parity Error | Component Specific Error"), into @out
 * (always NUL-terminated).  Return: the length written.
 */
CXLDCD_EXPORT size_t cxldcd_ras_format(bool uncorrectable, uint32_t status, char *out,
				       size_t size);

/* Parse / format a tag UUID ("5be13bce-ae34-4a77-b6c3-16df975fcf1a"). */
CXLDCD_EXPORT int cxldcd_tag_parse(const char *s, uint8_t tag[CXLDCD_HOST_TAG_SIZE]);
CXLDCD_EXPORT void cxldcd_tag_format(const uint8_t tag[CXLDCD_HOST_TAG_SIZE], char out[37]);
/*
 * cxldcd_host_group_tag_format() - @g's tag as cxldcd-host prints it after
 * "tag=", in its event lines and in 'list': the UUID in lower case, or "-"
 * for no tag (an untagged group, or @g NULL: an event about no group).
 */
CXLDCD_EXPORT void cxldcd_host_group_tag_format(const struct cxldcd_host_group_info *g,
						char out[37]);
CXLDCD_EXPORT const char *cxldcd_host_event_name(enum cxldcd_host_event_type t);

/* ------------------------------------------------ applications (other processes) */

/* A group mapped in the application's address space. */
struct cxldcd_app_map {
	void *addr;
	uint64_t size;
	uint64_t id;
};

/*
 * Blocking; timeout per exchange 5 s (an open: 35 s, as the agent holds it
 * while a move has the group paused).  Caller frees with cxldcd_app_free().
 */
CXLDCD_EXPORT int cxldcd_app_connect(const char *path, struct cxldcd_app **out);
CXLDCD_EXPORT void cxldcd_app_free(struct cxldcd_app *app);
/* Return: number of groups (may exceed cap) or -errno. */
CXLDCD_EXPORT int cxldcd_app_list(struct cxldcd_app *app, struct cxldcd_host_group_info *out,
				  uint32_t cap);
/**
 * cxldcd_app_open() - open a group by tag (NULL: by id) and map it
 * contiguously in this process, with the layout cxldcd_host_group_open()
 * gives: after a forced release of part of the group, out->size is the
 * mapping's length and the revoked pieces are inaccessible.
 * Return: 0, -ENOENT, -EBUSY, -ENODEV, -E2BIG, -EACCES (the agent's rules,
 * cxldcd_host_serve_apps_access(), do not let this process's user open the
 * group writable: cxldcd_app_open_flags() opens it read-only; or the group
 * has no file of its own and its file reaches groups the rules do not give
 * this user: cxldcd_app_open_denied() says which).
 *
 * The fds behind the mapping are the agent's.  Unless the device gave the
 * agent a file per group (cxldcd_host_group_files_granted()) and had an fd
 * for this group's, those of capacity that is not sharable reach every group
 * the host holds on that memory; the agent then hands them only to a user
 * its rules give every group (docs/host.md, "Applications of one host and
 * their groups").
 */
CXLDCD_EXPORT int cxldcd_app_open(struct cxldcd_app *app, const uint8_t tag[CXLDCD_HOST_TAG_SIZE],
				  uint64_t id, struct cxldcd_app_map *out);
/* cxldcd_app_open_flags() flags */
#define CXLDCD_APP_OPEN_READ_ONLY 0x1u   /* map read-only: the agent hands O_RDONLY fds */
/**
 * cxldcd_app_open_flags() - cxldcd_app_open() with @flags.  With
 * CXLDCD_APP_OPEN_READ_ONLY the mapping is PROT_READ and its fds are
 * O_RDONLY, so neither a write nor mprotect(PROT_WRITE) gets through; a
 * group the application may only read opens this way alone.  An agent from
 * before flags drops the connection (-ECONNRESET).
 * Return: as cxldcd_app_open(); -EACCES (the agent's rules do not let this
 * process's user open the group so); -EINVAL (unknown flags).
 */
CXLDCD_EXPORT int cxldcd_app_open_flags(struct cxldcd_app *app,
					const uint8_t tag[CXLDCD_HOST_TAG_SIZE], uint64_t id,
					uint32_t flags, struct cxldcd_app_map *out);
/* cxldcd_app_open_denied() values */
#define CXLDCD_APP_DENIED_RULES 1u       /* the rules do not give this user the group so */
#define CXLDCD_APP_DENIED_SHARED_FILE 2u /* the group has no file of its own (spilled, or the
					  * host has no file per group) and that file reaches
					  * groups the rules do not give this user so */
/**
 * cxldcd_app_open_denied() - why the agent refused the last open of @app
 * with -EACCES: CXLDCD_APP_DENIED_*; 0 when the last open was not refused
 * so, or the agent did not say (an agent from before).  The agent's
 * access-denied event says more.
 */
CXLDCD_EXPORT uint32_t cxldcd_app_open_denied(const struct cxldcd_app *app);
/* Unmap and tell the agent.  Return 0 or -errno. */
CXLDCD_EXPORT int cxldcd_app_close(struct cxldcd_app *app, struct cxldcd_app_map *map);
/*
 * Cooperative revocation: after a forced release the agent tells every
 * application that opened the group which part of it was taken
 * (REVOKE_RANGE), and after a move's REMAP that its mapping is stale
 * (REVOKE: the whole group).  Poll cxldcd_app_get_fd() for POLLIN and call
 * cxldcd_app_process() (never blocks): that part of each of this
 * application's mappings of the group (or all of it) is replaced by
 * PROT_NONE pages at once, so any access there faults (SIGSEGV); the rest
 * stays mapped, its data intact.  Revocations that arrive during another
 * cxldcd_app_* call are applied there too.  Close the map as usual.
 * Return: number of mappings revoked in whole or in part (>= 0), or -errno
 * (-ECONNRESET: the agent went away; -EPROTO: a malformed message).  The
 * device's own revocation (docs/memory.md) is the hard guarantee; this is
 * the cooperative layer on top.
 */
CXLDCD_EXPORT int cxldcd_app_get_fd(const struct cxldcd_app *app);
CXLDCD_EXPORT int cxldcd_app_process(struct cxldcd_app *app);

#ifdef __cplusplus
}
#endif

#endif /* CXLDCD_HOST_H */
