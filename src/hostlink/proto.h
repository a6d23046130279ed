/* SPDX-License-Identifier: MIT */
/*
 * proto.h - the host link wire protocol (docs/host-link.md): the 16-byte
 * link header, every message's native form and its codec, and the fd-aware
 * message I/O helpers shared by the daemon side (src/hostlink) and the host
 * library (src/host).
 *
 * Codecs only: no sockets state, no model.  Decoders take untrusted bytes
 * and return 0, -EMSGSIZE (payload size does not match the type's rule) or
 * -EPROTO (bad magic/version/length), never reading past the given length.
 */
#ifndef CXLDCD_HOSTLINK_PROTO_H
#define CXLDCD_HOSTLINK_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/wire.h"
#include "cxldcd/spec.h"

#define HL_MAGIC 0x4c485843u         /* "CXHL" */
#define HL_VERSION 1u
#define HL_HDR_SIZE 16u
#define HL_MAX_PAYLOAD 0x100040u     /* 1 MiB + 64 */
#define HL_MAX_IO 0x100000u          /* READ/WRITE data bytes */
#define HL_MAX_FDS_QUEUED 64u        /* unconsumed received fds */
#define HL_ERROR_TEXT_MAX 256u
#define HL_APP_MAX_SEGS 64u
#define HL_APP_MAX_ENTRIES 1024u

enum hl_type {
	HL_HELLO = 0x01,
	HL_HELLO_ACK = 0x02,
	HL_CCI_REQ = 0x03,
	HL_CCI_RSP = 0x04,
	HL_IRQ = 0x05,
	HL_MAP = 0x06,
	HL_UNMAP = 0x07,
	HL_READ_REQ = 0x08,
	HL_READ_RSP = 0x09,
	HL_WRITE_REQ = 0x0a,
	HL_WRITE_RSP = 0x0b,
	HL_DIAG = 0x0c,             /* device -> host: why the next CCI_RSP failed (negotiated) */
	HL_ERROR = 0x0f,
	HL_PAUSE = 0x10,            /* device -> host: stop writing a shared range (a move) */
	HL_MOVE_ACK = 0x11,         /* host -> device: paused, or remapped */
	HL_REMAP = 0x12,            /* device -> host: the range's new fd (SCM_RIGHTS), map it in place */
	HL_RAS_IRQ = 0x13,          /* device -> host: the RAS registers report an error (AER) */
	HL_RAS_READ_REQ = 0x14,     /* host -> device: read the RAS capability registers */
	HL_RAS_READ_RSP = 0x15,
	HL_RAS_WRITE_REQ = 0x16,    /* host -> device: write one RAS register (RW1C status, masks) */
	HL_RAS_WRITE_RSP = 0x17,
	HL_MOVE_END = 0x18,         /* device -> host: a move is over for a PAUSE's range (negotiated) */
	HL_APP_LIST_REQ = 0x20,
	HL_APP_LIST_RSP = 0x21,
	HL_APP_OPEN_REQ = 0x22,
	HL_APP_OPEN_RSP = 0x23,
	HL_APP_CLOSE_REQ = 0x24,
	HL_APP_CLOSE_RSP = 0x25,
	HL_APP_REVOKE = 0x26,       /* agent -> application: u64 group id, access revoked */
	HL_APP_REVOKE_RANGE = 0x27, /* agent -> application: part of a group revoked */
};

enum hl_status {
	HL_S_OK = 0,
	HL_S_UNKNOWN_HOST = 1,
	HL_S_HOST_CONNECTED = 2,
	HL_S_VERSION = 3,
	HL_S_FAULT = 4,
	HL_S_ACCES = 5,
	HL_S_INVAL = 6,
	HL_S_IO = 7,
	HL_S_NOENT = 8,
	HL_S_BUSY = 9,
	HL_S_TOOBIG = 10,
	HL_S_PROTO = 11,
	HL_S_NOMEM = 12,
	HL_S_NOMAP = 13,
	HL_S_STARTING = 14,         /* HELLO: the device is restoring its state; retry */
};

/* status -> -errno (unknown values: -EPROTO) and back (unknown errno: HL_S_IO). */
int hl_status_errno(uint32_t status);
uint32_t hl_errno_status(int neg_errno);
/* "hello", "cci-req", ...; "unknown" for others. */
const char *hl_type_name(uint8_t type);

struct hl_hdr {
	uint8_t type;
	uint16_t flags;
	uint32_t seq;
	uint32_t len;               /* payload bytes */
};

/* Payload sizes (fixed parts) */
#define HL_HELLO_SIZE 8u
#define HL_HELLO_ACK_SIZE 0x28u
#define HL_IRQ_SIZE 8u
#define HL_MAP_SIZE 0x20u
#define HL_UNMAP_SIZE 0x18u
#define HL_IO_REQ_SIZE 0x10u
#define HL_IO_RSP_SIZE 8u
#define HL_ERROR_HDR 4u
#define HL_DIAG_HDR 0x30u
#define HL_DIAG_NAME_SIZE 32u        /* reason name, NUL-padded */
#define HL_DIAG_TEXT_MAX 192u
#define HL_APP_LIST_HDR 8u
#define HL_APP_ENTRY_SIZE 0x30u
#define HL_APP_OPEN_REQ_SIZE 0x18u
#define HL_APP_OPEN_REQ_FLAGS_SIZE 0x20u /* the form with flags (docs/host-link.md) */
#define HL_APP_OPEN_RSP_HDR 0x20u
#define HL_APP_SEG_SIZE 0x20u
#define HL_APP_CLOSE_REQ_SIZE 8u
#define HL_APP_CLOSE_RSP_SIZE 8u
#define HL_APP_REVOKE_SIZE 8u
#define HL_APP_REVOKE_RANGE_SIZE 0x18u
#define HL_PAUSE_SIZE 0x18u
#define HL_MOVE_ACK_SIZE 0x10u
#define HL_REMAP_SIZE 0x28u
#define HL_MOVE_END_SIZE 0x18u
#define HL_RAS_IRQ_SIZE 8u
#define HL_RAS_READ_RSP_SIZE 0x58u   /* CXLDCD_RAS_SIZE */
#define HL_RAS_WRITE_REQ_SIZE 8u
#define HL_RAS_WRITE_RSP_SIZE 8u
#define HL_MOVE_PAUSED 1u           /* hl_move_ack.phase */
#define HL_MOVE_REMAPPED 2u

#define HL_HELLO_F_MAP 0x1u
#define HL_HELLO_F_DIAG 0x2u        /* the host understands DIAG */
#define HL_HELLO_F_RAS 0x4u         /* the host understands RAS_IRQ */
#define HL_HELLO_F_MOVE_END 0x8u    /* the host understands MOVE_END */
#define HL_HELLO_F_GROUP_FILES 0x10u /* the host wants a file per group (non-sharable capacity) */
#define HL_ACK_F_MAP 0x1u
#define HL_ACK_F_DIAG 0x2u          /* the device sends DIAG before failed CCI responses */
#define HL_ACK_F_RAS 0x4u           /* the device sends RAS_IRQ */
#define HL_ACK_F_MOVE_END 0x8u      /* the device ends every PAUSE with a MOVE_END */
#define HL_ACK_F_GROUP_FILES 0x10u  /* every MAP fd of DC capacity holds one group's alone */
/* RAS_IRQ: the PCIe AER status bit the error would set (PCIe r6.0 §7.8.4) */
#define HL_AER_UNC_INTERNAL (1u << 22) /* Uncorrectable Internal Error */
#define HL_AER_COR_INTERNAL (1u << 14) /* Corrected Internal Error */
#define HL_MAP_F_WRITABLE 0x1u
/*
 * The host has a file per group (HELLO_ACK bit 4) but this range's group got
 * none (the daemon's fds ran short): the fd is the host's per-backend file,
 * shared with its other spilled groups.
 */
#define HL_MAP_F_SPILLED 0x2u
#define HL_UNMAP_RELEASED 1u
#define HL_UNMAP_REVOKED 2u

struct hl_hello {
	uint16_t version;
	uint16_t host_id;
	uint32_t flags;
};

struct hl_hello_ack {
	uint16_t status;
	uint16_t version;
	uint32_t flags;
	uint32_t mbox_payload_size;
	uint8_t nr_regions;
	uint16_t nr_hosts;
	uint64_t span_base;
	uint64_t span_size;
	uint64_t static_size;       /* static capacity, DPA 0 up to it; every host's (0: none) */
};

struct hl_irq {
	uint32_t status;
	uint8_t log;
	uint8_t msgnum;
};

struct hl_map {
	uint64_t dpa, len, offset;
	uint32_t flags;
};

struct hl_unmap {
	uint64_t dpa, len;
	uint32_t reason;
};

/* PAUSE: the device moves the sharers of [dpa, dpa+len) to a fresh grant (move id). */
struct hl_pause {
	uint64_t dpa, len, id;
};

struct hl_move_ack {
	uint64_t id;
	uint32_t phase;             /* HL_MOVE_PAUSED or HL_MOVE_REMAPPED */
};

/* REMAP: a MAP that replaces the fd of a range already mapped, in place. */
struct hl_remap {
	struct hl_map map;
	uint64_t id;
};

/*
 * MOVE_END: move id is over for the range of a PAUSE it sent (the same
 * payload): whatever of it no REMAP replaced has no grant to go to.
 */
struct hl_move_end {
	uint64_t dpa, len, id;
};

/* RAS_IRQ: exactly one of the two is set (its one defined bit). */
struct hl_ras_irq {
	uint32_t uncor_status;      /* 0 or HL_AER_UNC_INTERNAL */
	uint32_t cor_status;        /* 0 or HL_AER_COR_INTERNAL */
};

/* RAS_READ_RSP: the CXL RAS Capability Structure (CXL r3.2 §8.2.4.17). */
struct hl_ras_regs {
	uint32_t unc_status, unc_mask, unc_severity;
	uint32_t cor_status, cor_mask;
	uint32_t cap_ctrl;
	uint32_t header_log[CXLDCD_RAS_HEADER_DWORDS];
};

/* RAS_WRITE_REQ: a 32-bit write at offset (CXLDCD_RAS_*) in the structure. */
struct hl_ras_write {
	uint32_t offset;
	uint32_t value;
};

struct hl_io_req {
	uint64_t dpa;
	uint32_t len;
	const uint8_t *data;        /* WRITE_REQ: borrowed view of len bytes */
};

struct hl_io_rsp {
	uint32_t status;
	uint32_t len;
	const uint8_t *data;        /* READ_RSP: borrowed view */
};

/* DIAG: the model's verdict on the CCI request whose response follows. */
struct hl_diag {
	uint16_t opcode;
	uint16_t rc;                /* CXL return code, != 0 */
	uint16_t reason;            /* enum core_reason value */
	int32_t index;              /* failing list index, -1 none */
	char name[HL_DIAG_NAME_SIZE]; /* "not-held": NUL-terminated */
	const uint8_t *text;        /* borrowed view of text_len bytes, not NUL-terminated */
	size_t text_len;
};

struct hl_app_entry {
	uint8_t tag[CXLDCD_TAG_SIZE];
	uint64_t size;
	uint64_t id;
	uint32_t nr_extents;
	uint32_t flags;             /* HL_APP_F_* */
	uint32_t open_count;
};

#define HL_APP_F_TAGGED 0x1u
#define HL_APP_F_RELEASE_PENDING 0x2u
#define HL_APP_F_MAPPED 0x4u
#define HL_APP_F_REVOKED 0x8u

struct hl_app_open_req {
	uint8_t tag[CXLDCD_TAG_SIZE];
	uint64_t id;
	uint32_t flags;             /* HL_APP_OPEN_F_* */
	bool with_flags;            /* the 0x20-byte form (always when flags != 0) */
};

/* OPEN_REQ flags: read-only, the agent hands O_RDONLY fds and no writable segment. */
#define HL_APP_OPEN_F_READ_ONLY 0x1u

struct hl_app_seg {
	uint64_t group_offset, len, file_offset;
	uint32_t flags;
};

/*
 * OPEN_RSP reason (at 0x18) of a refusal (status 5, access denied): the
 * rules do not give the group, or the group has no file of its own and its
 * file reaches groups the rules do not give (0: not said, an older agent).
 */
#define HL_APP_DENIED_RULES 1u
#define HL_APP_DENIED_SHARED_FILE 2u

struct hl_app_open_rsp {
	uint32_t status;
	uint32_t nr_segs;
	uint64_t size;
	uint64_t id;
	uint32_t reason;            /* HL_APP_DENIED_* when status is HL_S_ACCES */
};

/* REVOKE_RANGE: [offset, offset+len) of group id's mapping is revoked. */
struct hl_app_revoke_range {
	uint64_t id, offset, len;
};

/* ------------------------------------------------------------------ header */

/*
 * hl_dec_hdr() - decode a link header from the first bytes of p.
 * Return: 0; -EAGAIN when fewer than 16 bytes; -EPROTO on bad magic or
 * version; -EMSGSIZE when the payload length exceeds HL_MAX_PAYLOAD.
 */
int hl_dec_hdr(const uint8_t *p, size_t len, struct hl_hdr *h);
int hl_enc_hdr(struct wwr *w, const struct hl_hdr *h);

/* ---------------------------------------------------------------- payloads */

int hl_enc_hello(struct wwr *w, const struct hl_hello *m);
int hl_dec_hello(const uint8_t *p, size_t len, struct hl_hello *m);
int hl_enc_hello_ack(struct wwr *w, const struct hl_hello_ack *m);
int hl_dec_hello_ack(const uint8_t *p, size_t len, struct hl_hello_ack *m);
int hl_enc_irq(struct wwr *w, const struct hl_irq *m);
int hl_dec_irq(const uint8_t *p, size_t len, struct hl_irq *m);
int hl_enc_map(struct wwr *w, const struct hl_map *m);
/* Also rejects len 0 and dpa+len / offset+len overflow (-EINVAL). */
int hl_dec_map(const uint8_t *p, size_t len, struct hl_map *m);
int hl_enc_unmap(struct wwr *w, const struct hl_unmap *m);
int hl_dec_unmap(const uint8_t *p, size_t len, struct hl_unmap *m);
int hl_enc_pause(struct wwr *w, const struct hl_pause *m);
int hl_dec_pause(const uint8_t *p, size_t len, struct hl_pause *m);
int hl_enc_move_ack(struct wwr *w, const struct hl_move_ack *m);
int hl_dec_move_ack(const uint8_t *p, size_t len, struct hl_move_ack *m);
int hl_enc_remap(struct wwr *w, const struct hl_remap *m);
int hl_dec_remap(const uint8_t *p, size_t len, struct hl_remap *m);
int hl_enc_move_end(struct wwr *w, const struct hl_move_end *m);
int hl_dec_move_end(const uint8_t *p, size_t len, struct hl_move_end *m);
/* READ_REQ (data NULL) and WRITE_REQ (len bytes of data follow). */
int hl_enc_io_req(struct wwr *w, const struct hl_io_req *m);
int hl_dec_io_req(const uint8_t *p, size_t len, bool with_data, struct hl_io_req *m);
/* READ_RSP (len bytes of data follow) and WRITE_RSP (len must be 0). */
int hl_enc_io_rsp(struct wwr *w, const struct hl_io_rsp *m);
int hl_dec_io_rsp(const uint8_t *p, size_t len, struct hl_io_rsp *m);
int hl_enc_error(struct wwr *w, uint32_t status, const char *text);
/* text: borrowed view of *text_len bytes (not NUL-terminated). */
int hl_dec_error(const uint8_t *p, size_t len, uint32_t *status, const uint8_t **text,
		 size_t *text_len);
/* name longer than 31 bytes or text longer than HL_DIAG_TEXT_MAX: cut. */
int hl_enc_diag(struct wwr *w, const struct hl_diag *m);
/* -EMSGSIZE: shorter than 0x30 or text above HL_DIAG_TEXT_MAX; -EPROTO: rc 0,
 * or a name that is empty, not NUL-terminated or not [a-z0-9-]. */
int hl_dec_diag(const uint8_t *p, size_t len, struct hl_diag *m);

int hl_enc_ras_irq(struct wwr *w, const struct hl_ras_irq *m);
/* -EPROTO: both or neither set, or a bit other than the defined one. */
int hl_dec_ras_irq(const uint8_t *p, size_t len, struct hl_ras_irq *m);
int hl_enc_ras_regs(struct wwr *w, const struct hl_ras_regs *m);
int hl_dec_ras_regs(const uint8_t *p, size_t len, struct hl_ras_regs *m);
int hl_enc_ras_write(struct wwr *w, const struct hl_ras_write *m);
int hl_dec_ras_write(const uint8_t *p, size_t len, struct hl_ras_write *m);
/* RAS_WRITE_RSP is a status message (hl_enc_status_msg / hl_dec_status_msg). */

int hl_enc_app_entry(struct wwr *w, const struct hl_app_entry *e);
/* LIST_RSP: copies up to cap entries; *n = entries on the wire (-ENOBUFS when > cap). */
int hl_dec_app_list(const uint8_t *p, size_t len, struct hl_app_entry *e, uint32_t cap,
		    uint32_t *n);
int hl_enc_app_open_req(struct wwr *w, const struct hl_app_open_req *m);
int hl_dec_app_open_req(const uint8_t *p, size_t len, struct hl_app_open_req *m);
int hl_enc_app_open_rsp(struct wwr *w, const struct hl_app_open_rsp *m, const struct hl_app_seg *s);
/*
 * Copies up to cap segments (-ENOBUFS when more); checks they are in order,
 * do not overlap and lie inside [0, size) (a gap is a piece of the group a
 * forced release took: it stays inaccessible).
 */
int hl_dec_app_open_rsp(const uint8_t *p, size_t len, struct hl_app_open_rsp *m,
			struct hl_app_seg *s, uint32_t cap);
int hl_enc_app_revoke_range(struct wwr *w, const struct hl_app_revoke_range *m);
/* -EINVAL: length 0, or offset + length wraps. */
int hl_dec_app_revoke_range(const uint8_t *p, size_t len, struct hl_app_revoke_range *m);
int hl_enc_u64_msg(struct wwr *w, uint64_t v);          /* CLOSE_REQ */
int hl_dec_u64_msg(const uint8_t *p, size_t len, uint64_t *v);
int hl_enc_status_msg(struct wwr *w, uint32_t status);  /* CLOSE_RSP, RAS_WRITE_RSP */
int hl_dec_status_msg(const uint8_t *p, size_t len, uint32_t *status);

/* ------------------------------------------------------------- messages */

/*
 * A whole message being built: hl_msg_begin() writes a header with length
 * 0 into w, the caller appends the payload, hl_msg_end() patches the length.
 * Return of hl_msg_end(): 0, or -ENOBUFS when w overflowed or the payload is
 * longer than HL_MAX_PAYLOAD.
 */
void hl_msg_begin(struct wwr *w, uint8_t type, uint32_t seq);
int hl_msg_end(struct wwr *w);

/* ------------------------------------------------------------- fd I/O */

/*
 * hl_recv() - non-blocking recvmsg() into buf, appending received fds
 * (close-on-exec) to fds[*nr_fds..cap).  Fds beyond cap are closed and
 * reported as -EPROTO (after the data is kept).  Return: bytes read (> 0),
 * 0 on end of stream, -EAGAIN, or -errno.
 */
ssize_t hl_recv(int sock, uint8_t *buf, size_t len, int *fds, unsigned *nr_fds, unsigned cap);
/*
 * hl_send() - non-blocking sendmsg(MSG_NOSIGNAL) of len bytes, with fds (n
 * of them, may be 0) attached to the first byte.  Return: bytes sent (>= 0),
 * -EAGAIN, or -errno.
 */
ssize_t hl_send(int sock, const uint8_t *buf, size_t len, const int *fds, unsigned n);

#endif /* CXLDCD_HOSTLINK_PROTO_H */
