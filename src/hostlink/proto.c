/* SPDX-License-Identifier: MIT */
/*
 * proto.c - codecs of the host link protocol (docs/host-link.md) and the
 * fd-carrying socket I/O helpers.  Every layout below is the document's
 * table; tests/host/test-host-proto.c checks the bytes independently.
 */
#include "hostlink/proto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int hl_status_errno(uint32_t status)
{
	switch (status) {
	case HL_S_OK: return 0;
	case HL_S_UNKNOWN_HOST: return -ENOENT;
	case HL_S_HOST_CONNECTED: return -EBUSY;
	case HL_S_VERSION: return -EPROTONOSUPPORT;
	case HL_S_FAULT: return -EFAULT;
	case HL_S_ACCES: return -EACCES;
	case HL_S_INVAL: return -EINVAL;
	case HL_S_IO: return -EIO;
	case HL_S_NOENT: return -ENOENT;
	case HL_S_BUSY: return -EBUSY;
	case HL_S_TOOBIG: return -E2BIG;
	case HL_S_PROTO: return -EPROTO;
	case HL_S_NOMEM: return -ENOMEM;
	case HL_S_NOMAP: return -ENODEV;
	case HL_S_STARTING: return -EAGAIN;
	default: return -EPROTO;
	}
}

uint32_t hl_errno_status(int neg_errno)
{
	switch (neg_errno) {
	case 0: return HL_S_OK;
	case -EFAULT: return HL_S_FAULT;
	case -EACCES: return HL_S_ACCES;
	case -EINVAL: return HL_S_INVAL;
	case -ENOENT: return HL_S_NOENT;
	case -EBUSY: return HL_S_BUSY;
	case -E2BIG: return HL_S_TOOBIG;
	case -EPROTO: return HL_S_PROTO;
	case -ENOMEM: return HL_S_NOMEM;
	case -ENODEV: return HL_S_NOMAP;
	case -EAGAIN: return HL_S_STARTING;
	default: return HL_S_IO;
	}
}

const char *hl_type_name(uint8_t type)
{
	switch (type) {
	case HL_HELLO: return "hello";
	case HL_HELLO_ACK: return "hello-ack";
	case HL_CCI_REQ: return "cci-req";
	case HL_CCI_RSP: return "cci-rsp";
	case HL_IRQ: return "irq";
	case HL_MAP: return "map";
	case HL_UNMAP: return "unmap";
	case HL_READ_REQ: return "read-req";
	case HL_READ_RSP: return "read-rsp";
	case HL_WRITE_REQ: return "write-req";
	case HL_WRITE_RSP: return "write-rsp";
	case HL_DIAG: return "diag";
	case HL_PAUSE: return "pause";
	case HL_MOVE_ACK: return "move-ack";
	case HL_REMAP: return "remap";
	case HL_RAS_IRQ: return "ras-irq";
	case HL_RAS_READ_REQ: return "ras-read-req";
	case HL_RAS_READ_RSP: return "ras-read-rsp";
	case HL_RAS_WRITE_REQ: return "ras-write-req";
	case HL_RAS_WRITE_RSP: return "ras-write-rsp";
	case HL_MOVE_END: return "move-end";
	case HL_ERROR: return "error";
	case HL_APP_LIST_REQ: return "app-list-req";
	case HL_APP_LIST_RSP: return "app-list-rsp";
	case HL_APP_OPEN_REQ: return "app-open-req";
	case HL_APP_OPEN_RSP: return "app-open-rsp";
	case HL_APP_CLOSE_REQ: return "app-close-req";
	case HL_APP_CLOSE_RSP: return "app-close-rsp";
	case HL_APP_REVOKE: return "app-revoke";
	case HL_APP_REVOKE_RANGE: return "app-revoke-range";
	default: return "unknown";
	}
}

static int fixed_result(const struct wrd *r)
{
	return wrd_done(r) ? 0 : -EMSGSIZE;
}

/*
 * Link header:
 *   OFFSET SIZE FIELD
 *   0x00   4    magic 0x4c485843
 *   0x04   1    version
 *   0x05   1    type
 *   0x06   2    flags (reserved)
 *   0x08   4    sequence
 *   0x0C   4    payload length
 */
int hl_dec_hdr(const uint8_t *p, size_t len, struct hl_hdr *h)
{
	struct wrd r;

	if (len < HL_HDR_SIZE)
		return -EAGAIN;
	wrd_init(&r, p, HL_HDR_SIZE);
	if (wrd_u32le(&r) != HL_MAGIC || wrd_u8(&r) != HL_VERSION)
		return -EPROTO;
	h->type = wrd_u8(&r);
	h->flags = wrd_u16le(&r);
	h->seq = wrd_u32le(&r);
	h->len = wrd_u32le(&r);
	return h->len > HL_MAX_PAYLOAD ? -EMSGSIZE : 0;
}

int hl_enc_hdr(struct wwr *w, const struct hl_hdr *h)
{
	wwr_u32le(w, HL_MAGIC);
	wwr_u8(w, HL_VERSION);
	wwr_u8(w, h->type);
	wwr_u16le(w, h->flags);
	wwr_u32le(w, h->seq);
	wwr_u32le(w, h->len);
	return w->bad ? -ENOBUFS : 0;
}

void hl_msg_begin(struct wwr *w, uint8_t type, uint32_t seq)
{
	struct hl_hdr h = { .type = type, .seq = seq };

	hl_enc_hdr(w, &h);
}

int hl_msg_end(struct wwr *w)
{
	size_t plen;

	if (w->bad || w->off < HL_HDR_SIZE)
		return -ENOBUFS;
	plen = w->off - HL_HDR_SIZE;
	if (plen > HL_MAX_PAYLOAD)
		return -ENOBUFS;
	put_le32(w->p + 12, (uint32_t)plen);
	return 0;
}

/* HELLO: 0x00 version(2) 0x02 host id(2) 0x04 flags(4) */
int hl_enc_hello(struct wwr *w, const struct hl_hello *m)
{
	wwr_u16le(w, m->version);
	wwr_u16le(w, m->host_id);
	wwr_u32le(w, m->flags);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_hello(const uint8_t *p, size_t len, struct hl_hello *m)
{
	struct wrd r;

	wrd_init(&r, p, len);
	m->version = wrd_u16le(&r);
	m->host_id = wrd_u16le(&r);
	m->flags = wrd_u32le(&r);
	return fixed_result(&r);
}

/*
 * HELLO_ACK: 0x00 status(2) 0x02 version(2) 0x04 flags(4) 0x08 mailbox
 * payload size(4) 0x0C nr regions(1) 0x0D rsvd(1) 0x0E nr hosts(2) 0x10 span
 * base(8) 0x18 span size(8) 0x20 static capacity size(8; was reserved, so a
 * device that predates it says 0: none)
 */
int hl_enc_hello_ack(struct wwr *w, const struct hl_hello_ack *m)
{
	wwr_u16le(w, m->status);
	wwr_u16le(w, m->version);
	wwr_u32le(w, m->flags);
	wwr_u32le(w, m->mbox_payload_size);
	wwr_u8(w, m->nr_regions);
	wwr_zero(w, 1);
	wwr_u16le(w, m->nr_hosts);
	wwr_u64le(w, m->span_base);
	wwr_u64le(w, m->span_size);
	wwr_u64le(w, m->static_size);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_hello_ack(const uint8_t *p, size_t len, struct hl_hello_ack *m)
{
	struct wrd r;

	wrd_init(&r, p, len);
	m->status = wrd_u16le(&r);
	m->version = wrd_u16le(&r);
	m->flags = wrd_u32le(&r);
	m->mbox_payload_size = wrd_u32le(&r);
	m->nr_regions = wrd_u8(&r);
	wrd_skip(&r, 1);
	m->nr_hosts = wrd_u16le(&r);
	m->span_base = wrd_u64le(&r);
	m->span_size = wrd_u64le(&r);
	m->static_size = wrd_u64le(&r);
	return fixed_result(&r);
}

/* IRQ: 0x00 event status(4) 0x04 log(1) 0x05 message number(1) 0x06 rsvd(2) */
int hl_enc_irq(struct wwr *w, const struct hl_irq *m)
{
	wwr_u32le(w, m->status);
	wwr_u8(w, m->log);
	wwr_u8(w, m->msgnum);
	wwr_zero(w, 2);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_irq(const uint8_t *p, size_t len, struct hl_irq *m)
{
	struct wrd r;

	wrd_init(&r, p, len);
	m->status = wrd_u32le(&r);
	m->log = wrd_u8(&r);
	m->msgnum = wrd_u8(&r);
	wrd_skip(&r, 2);
	return fixed_result(&r);
}

/* MAP: 0x00 dpa(8) 0x08 len(8) 0x10 file offset(8) 0x18 flags(4) 0x1C rsvd(4) */
int hl_enc_map(struct wwr *w, const struct hl_map *m)
{
	wwr_u64le(w, m->dpa);
	wwr_u64le(w, m->len);
	wwr_u64le(w, m->offset);
	wwr_u32le(w, m->flags);
	wwr_zero(w, 4);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_map(const uint8_t *p, size_t len, struct hl_map *m)
{
	struct wrd r;
	uint64_t end;
	int err;

	wrd_init(&r, p, len);
	m->dpa = wrd_u64le(&r);
	m->len = wrd_u64le(&r);
	m->offset = wrd_u64le(&r);
	m->flags = wrd_u32le(&r);
	wrd_skip(&r, 4);
	err = fixed_result(&r);
	if (err)
		return err;
	if (!m->len || __builtin_add_overflow(m->dpa, m->len, &end) ||
	    __builtin_add_overflow(m->offset, m->len, &end))
		return -EINVAL;
	return 0;
}

/*
 * PAUSE and MOVE_END (the same layout: a MOVE_END echoes the PAUSE it ends):
 *   OFFSET SIZE FIELD
 *   0x00   8    DPA
 *   0x08   8    length (> 0, DPA + length does not wrap)
 *   0x10   8    move id (never 0)
 */
static int enc_move_range(struct wwr *w, uint64_t dpa, uint64_t len, uint64_t id)
{
	wwr_u64le(w, dpa);
	wwr_u64le(w, len);
	wwr_u64le(w, id);
	return w->bad ? -ENOBUFS : 0;
}

static int dec_move_range(const uint8_t *p, size_t len, uint64_t *dpa, uint64_t *rlen,
			  uint64_t *id)
{
	struct wrd r;
	uint64_t end;
	int err;

	wrd_init(&r, p, len);
	*dpa = wrd_u64le(&r);
	*rlen = wrd_u64le(&r);
	*id = wrd_u64le(&r);
	err = fixed_result(&r);
	if (err)
		return err;
	if (!*rlen || !*id || __builtin_add_overflow(*dpa, *rlen, &end))
		return -EINVAL;
	return 0;
}

int hl_enc_pause(struct wwr *w, const struct hl_pause *m)
{
	return enc_move_range(w, m->dpa, m->len, m->id);
}

int hl_dec_pause(const uint8_t *p, size_t len, struct hl_pause *m)
{
	return dec_move_range(p, len, &m->dpa, &m->len, &m->id);
}

int hl_enc_move_end(struct wwr *w, const struct hl_move_end *m)
{
	return enc_move_range(w, m->dpa, m->len, m->id);
}

int hl_dec_move_end(const uint8_t *p, size_t len, struct hl_move_end *m)
{
	return dec_move_range(p, len, &m->dpa, &m->len, &m->id);
}

/* MOVE_ACK: 0x00 move id(8) 0x08 phase(4) 0x0c rsvd(4) */
int hl_enc_move_ack(struct wwr *w, const struct hl_move_ack *m)
{
	wwr_u64le(w, m->id);
	wwr_u32le(w, m->phase);
	wwr_zero(w, 4);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_move_ack(const uint8_t *p, size_t len, struct hl_move_ack *m)
{
	struct wrd r;
	int err;

	wrd_init(&r, p, len);
	m->id = wrd_u64le(&r);
	m->phase = wrd_u32le(&r);
	wrd_skip(&r, 4);
	err = fixed_result(&r);
	if (err)
		return err;
	if (!m->id || (m->phase != HL_MOVE_PAUSED && m->phase != HL_MOVE_REMAPPED))
		return -EINVAL;
	return 0;
}

/* REMAP: 0x00 a MAP payload (0x20) 0x20 move id(8) */
int hl_enc_remap(struct wwr *w, const struct hl_remap *m)
{
	hl_enc_map(w, &m->map);
	wwr_u64le(w, m->id);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_remap(const uint8_t *p, size_t len, struct hl_remap *m)
{
	struct wrd r;
	int err;

	if (len != HL_REMAP_SIZE)
		return -EMSGSIZE;
	err = hl_dec_map(p, HL_MAP_SIZE, &m->map);
	if (err)
		return err;
	wrd_init(&r, p + HL_MAP_SIZE, len - HL_MAP_SIZE);
	m->id = wrd_u64le(&r);
	err = fixed_result(&r);
	return err ? err : m->id ? 0 : -EINVAL;
}

/* UNMAP: 0x00 dpa(8) 0x08 len(8) 0x10 reason(4) 0x14 rsvd(4) */
int hl_enc_unmap(struct wwr *w, const struct hl_unmap *m)
{
	wwr_u64le(w, m->dpa);
	wwr_u64le(w, m->len);
	wwr_u32le(w, m->reason);
	wwr_zero(w, 4);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_unmap(const uint8_t *p, size_t len, struct hl_unmap *m)
{
	struct wrd r;
	uint64_t end;
	int err;

	wrd_init(&r, p, len);
	m->dpa = wrd_u64le(&r);
	m->len = wrd_u64le(&r);
	m->reason = wrd_u32le(&r);
	wrd_skip(&r, 4);
	err = fixed_result(&r);
	if (err)
		return err;
	if (!m->len || __builtin_add_overflow(m->dpa, m->len, &end))
		return -EINVAL;
	return 0;
}

/* READ_REQ / WRITE_REQ: 0x00 dpa(8) 0x08 len(4) 0x0C rsvd(4) [0x10 data(len)] */
int hl_enc_io_req(struct wwr *w, const struct hl_io_req *m)
{
	wwr_u64le(w, m->dpa);
	wwr_u32le(w, m->len);
	wwr_zero(w, 4);
	if (m->data)
		wwr_bytes(w, m->data, m->len);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_io_req(const uint8_t *p, size_t len, bool with_data, struct hl_io_req *m)
{
	struct wrd r;

	wrd_init(&r, p, len);
	m->dpa = wrd_u64le(&r);
	m->len = wrd_u32le(&r);
	wrd_skip(&r, 4);
	m->data = NULL;
	if (r.bad)
		return -EMSGSIZE;
	if (!with_data)
		return fixed_result(&r);
	if (wrd_left(&r) != m->len)
		return -EMSGSIZE;
	m->data = wrd_ptr(&r, m->len);
	return fixed_result(&r);
}

/* READ_RSP / WRITE_RSP: 0x00 status(4) 0x04 len(4) [0x08 data(len)] */
int hl_enc_io_rsp(struct wwr *w, const struct hl_io_rsp *m)
{
	wwr_u32le(w, m->status);
	wwr_u32le(w, m->data ? m->len : 0);
	if (m->data)
		wwr_bytes(w, m->data, m->len);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_io_rsp(const uint8_t *p, size_t len, struct hl_io_rsp *m)
{
	struct wrd r;

	wrd_init(&r, p, len);
	m->status = wrd_u32le(&r);
	m->len = wrd_u32le(&r);
	if (r.bad || wrd_left(&r) != m->len)
		return -EMSGSIZE;
	m->data = m->len ? wrd_ptr(&r, m->len) : NULL;
	return fixed_result(&r);
}

/* ERROR: 0x00 status(4) 0x04 text(n <= 256) */
int hl_enc_error(struct wwr *w, uint32_t status, const char *text)
{
	size_t n = text ? strnlen(text, HL_ERROR_TEXT_MAX) : 0;

	wwr_u32le(w, status);
	wwr_bytes(w, text, n);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_error(const uint8_t *p, size_t len, uint32_t *status, const uint8_t **text,
		 size_t *text_len)
{
	struct wrd r;

	wrd_init(&r, p, len);
	*status = wrd_u32le(&r);
	if (r.bad || wrd_left(&r) > HL_ERROR_TEXT_MAX)
		return -EMSGSIZE;
	*text_len = wrd_left(&r);
	*text = *text_len ? wrd_ptr(&r, *text_len) : NULL;
	return 0;
}

/*
 * DIAG: 0x00 opcode(2) 0x02 rc(2) 0x04 reason(2) 0x06 rsvd(2) 0x08 index(4,
 * 0xffffffff none) 0x0C rsvd(4) 0x10 name(32, NUL-padded) 0x30 text(n <= 192).
 */
int hl_enc_diag(struct wwr *w, const struct hl_diag *m)
{
	char name[HL_DIAG_NAME_SIZE] = { 0 };
	size_t n = m->text ? m->text_len : 0;

	memcpy(name, m->name, strnlen(m->name, sizeof(name) - 1));
	wwr_u16le(w, m->opcode);
	wwr_u16le(w, m->rc);
	wwr_u16le(w, m->reason);
	wwr_u16le(w, 0);
	wwr_u32le(w, (uint32_t)m->index);
	wwr_u32le(w, 0);
	wwr_bytes(w, name, sizeof(name));
	wwr_bytes(w, m->text, n < HL_DIAG_TEXT_MAX ? n : HL_DIAG_TEXT_MAX);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_diag(const uint8_t *p, size_t len, struct hl_diag *m)
{
	struct wrd r;
	const uint8_t *name;
	size_t i;

	if (len < HL_DIAG_HDR || len > HL_DIAG_HDR + HL_DIAG_TEXT_MAX)
		return -EMSGSIZE;
	wrd_init(&r, p, len);
	m->opcode = wrd_u16le(&r);
	m->rc = wrd_u16le(&r);
	m->reason = wrd_u16le(&r);
	wrd_u16le(&r);
	m->index = (int32_t)wrd_u32le(&r);
	wrd_u32le(&r);
	name = wrd_ptr(&r, HL_DIAG_NAME_SIZE);
	if (r.bad)
		return -EMSGSIZE;
	for (i = 0; i < HL_DIAG_NAME_SIZE && name[i]; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-'))
			return -EPROTO;
	if (!m->rc || !i || i == HL_DIAG_NAME_SIZE)
		return -EPROTO;
	memcpy(m->name, name, i + 1);
	m->text_len = wrd_left(&r);
	m->text = m->text_len ? wrd_ptr(&r, m->text_len) : NULL;
	return 0;
}

/*
 * LIST entry: 0x00 tag(16) 0x10 size(8) 0x18 id(8) 0x20 nr extents(4)
 * 0x24 flags(4) 0x28 open count(4) 0x2C rsvd(4).  LIST_RSP: 0x00 count(4)
 * 0x04 rsvd(4) 0x08 entries.
 */
int hl_enc_app_entry(struct wwr *w, const struct hl_app_entry *e)
{
	wwr_bytes(w, e->tag, CXLDCD_TAG_SIZE);
	wwr_u64le(w, e->size);
	wwr_u64le(w, e->id);
	wwr_u32le(w, e->nr_extents);
	wwr_u32le(w, e->flags);
	wwr_u32le(w, e->open_count);
	wwr_zero(w, 4);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_app_list(const uint8_t *p, size_t len, struct hl_app_entry *e, uint32_t cap,
		    uint32_t *n)
{
	struct wrd r;
	size_t need;

	wrd_init(&r, p, len);
	*n = wrd_u32le(&r);
	wrd_skip(&r, 4);
	if (r.bad || *n > HL_APP_MAX_ENTRIES ||
	    size_muladd_overflow(HL_APP_LIST_HDR, *n, HL_APP_ENTRY_SIZE, &need) || need != len)
		return -EMSGSIZE;
	if (*n > cap)
		return -ENOBUFS;
	for (uint32_t i = 0; i < *n; i++) {
		wrd_bytes(&r, e[i].tag, CXLDCD_TAG_SIZE);
		e[i].size = wrd_u64le(&r);
		e[i].id = wrd_u64le(&r);
		e[i].nr_extents = wrd_u32le(&r);
		e[i].flags = wrd_u32le(&r);
		e[i].open_count = wrd_u32le(&r);
		wrd_skip(&r, 4);
	}
	return fixed_result(&r);
}

/*
 * OPEN_REQ: 0x00 tag(16) 0x10 id(8), and when flags are given 0x18
 * flags(4) 0x1C rsvd(4).  Without flags the 0x18-byte form, which every
 * agent takes; an agent from before the flags refuses the longer form.
 */
int hl_enc_app_open_req(struct wwr *w, const struct hl_app_open_req *m)
{
	wwr_bytes(w, m->tag, CXLDCD_TAG_SIZE);
	wwr_u64le(w, m->id);
	if (m->flags || m->with_flags) {
		wwr_u32le(w, m->flags);
		wwr_zero(w, 4);
	}
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_app_open_req(const uint8_t *p, size_t len, struct hl_app_open_req *m)
{
	struct wrd r;

	wrd_init(&r, p, len);
	wrd_bytes(&r, m->tag, CXLDCD_TAG_SIZE);
	m->id = wrd_u64le(&r);
	m->flags = 0;
	m->with_flags = len == HL_APP_OPEN_REQ_FLAGS_SIZE;
	if (m->with_flags) {
		m->flags = wrd_u32le(&r);
		if (wrd_u32le(&r))
			return -EINVAL; /* reserved */
	}
	return fixed_result(&r);
}

/*
 * OPEN_RSP: 0x00 status(4) 0x04 nr segs(4) 0x08 size(8) 0x10 id(8) 0x18
 * rsvd(8), then segments: 0x00 group offset(8) 0x08 len(8) 0x10 file
 * offset(8) 0x18 flags(4) 0x1C rsvd(4).
 */
int hl_enc_app_open_rsp(struct wwr *w, const struct hl_app_open_rsp *m, const struct hl_app_seg *s)
{
	wwr_u32le(w, m->status);
	wwr_u32le(w, m->nr_segs);
	wwr_u64le(w, m->size);
	wwr_u64le(w, m->id);
	wwr_u32le(w, m->reason);
	wwr_zero(w, 4);
	for (uint32_t i = 0; i < m->nr_segs; i++) {
		wwr_u64le(w, s[i].group_offset);
		wwr_u64le(w, s[i].len);
		wwr_u64le(w, s[i].file_offset);
		wwr_u32le(w, s[i].flags);
		wwr_zero(w, 4);
	}
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_app_open_rsp(const uint8_t *p, size_t len, struct hl_app_open_rsp *m,
			struct hl_app_seg *s, uint32_t cap)
{
	struct wrd r;
	uint64_t at = 0, end;
	size_t need;

	wrd_init(&r, p, len);
	m->status = wrd_u32le(&r);
	m->nr_segs = wrd_u32le(&r);
	m->size = wrd_u64le(&r);
	m->id = wrd_u64le(&r);
	m->reason = wrd_u32le(&r);
	wrd_skip(&r, 4);
	if (r.bad || m->nr_segs > HL_APP_MAX_SEGS ||
	    size_muladd_overflow(HL_APP_OPEN_RSP_HDR, m->nr_segs, HL_APP_SEG_SIZE, &need) ||
	    need != len)
		return -EMSGSIZE;
	if (m->nr_segs > cap)
		return -ENOBUFS;
	for (uint32_t i = 0; i < m->nr_segs; i++) {
		s[i].group_offset = wrd_u64le(&r);
		s[i].len = wrd_u64le(&r);
		s[i].file_offset = wrd_u64le(&r);
		s[i].flags = wrd_u32le(&r);
		wrd_skip(&r, 4);
		if (s[i].group_offset < at || !s[i].len ||
		    __builtin_add_overflow(s[i].group_offset, s[i].len, &at) ||
		    __builtin_add_overflow(s[i].file_offset, s[i].len, &end))
			return -EINVAL;
	}
	if (m->status == HL_S_OK && at > m->size)
		return -EINVAL;
	return fixed_result(&r);
}

/* REVOKE_RANGE: 0x00 group id(8) 0x08 offset in the group(8) 0x10 length(8) */
int hl_enc_app_revoke_range(struct wwr *w, const struct hl_app_revoke_range *m)
{
	wwr_u64le(w, m->id);
	wwr_u64le(w, m->offset);
	wwr_u64le(w, m->len);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_app_revoke_range(const uint8_t *p, size_t len, struct hl_app_revoke_range *m)
{
	struct wrd r;
	uint64_t end;
	int rc;

	wrd_init(&r, p, len);
	m->id = wrd_u64le(&r);
	m->offset = wrd_u64le(&r);
	m->len = wrd_u64le(&r);
	rc = fixed_result(&r);
	if (!rc && (!m->len || __builtin_add_overflow(m->offset, m->len, &end)))
		rc = -EINVAL;
	return rc;
}

int hl_enc_u64_msg(struct wwr *w, uint64_t v)
{
	wwr_u64le(w, v);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_u64_msg(const uint8_t *p, size_t len, uint64_t *v)
{
	struct wrd r;

	wrd_init(&r, p, len);
	*v = wrd_u64le(&r);
	return fixed_result(&r);
}

/*
 * RAS_IRQ (CXL RAS error, the AER message), 8 bytes:
 *   OFFSET SIZE FIELD
 *   0x00   4    AER Uncorrectable Error Status: 0 or bit 22 (Uncorrectable Internal Error)
 *   0x04   4    AER Correctable Error Status: 0 or bit 14 (Corrected Internal Error)
 */
int hl_enc_ras_irq(struct wwr *w, const struct hl_ras_irq *m)
{
	wwr_u32le(w, m->uncor_status);
	wwr_u32le(w, m->cor_status);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_ras_irq(const uint8_t *p, size_t len, struct hl_ras_irq *m)
{
	struct wrd r;

	wrd_init(&r, p, len);
	m->uncor_status = wrd_u32le(&r);
	m->cor_status = wrd_u32le(&r);
	if (!wrd_done(&r))
		return -EMSGSIZE;
	if ((m->uncor_status != 0) == (m->cor_status != 0) ||
	    (m->uncor_status & ~HL_AER_UNC_INTERNAL) || (m->cor_status & ~HL_AER_COR_INTERNAL))
		return -EPROTO;
	return 0;
}

/*
 * RAS_READ_RSP, 0x58 bytes: the CXL RAS Capability Structure, CXL r3.2
 * §8.2.4.17 (register order and offsets of the structure):
 *   OFFSET SIZE FIELD
 *   0x00   4    Uncorrectable Error Status
 *   0x04   4    Uncorrectable Error Mask
 *   0x08   4    Uncorrectable Error Severity
 *   0x0C   4    Correctable Error Status
 *   0x10   4    Correctable Error Mask
 *   0x14   4    Error Capability and Control (bits 5:0 First Error Pointer)
 *   0x18   64   Header Log (16 DWORDs)
 */
int hl_enc_ras_regs(struct wwr *w, const struct hl_ras_regs *m)
{
	wwr_u32le(w, m->unc_status);
	wwr_u32le(w, m->unc_mask);
	wwr_u32le(w, m->unc_severity);
	wwr_u32le(w, m->cor_status);
	wwr_u32le(w, m->cor_mask);
	wwr_u32le(w, m->cap_ctrl);
	for (uint32_t i = 0; i < CXLDCD_RAS_HEADER_DWORDS; i++)
		wwr_u32le(w, m->header_log[i]);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_ras_regs(const uint8_t *p, size_t len, struct hl_ras_regs *m)
{
	struct wrd r;

	wrd_init(&r, p, len);
	m->unc_status = wrd_u32le(&r);
	m->unc_mask = wrd_u32le(&r);
	m->unc_severity = wrd_u32le(&r);
	m->cor_status = wrd_u32le(&r);
	m->cor_mask = wrd_u32le(&r);
	m->cap_ctrl = wrd_u32le(&r);
	for (uint32_t i = 0; i < CXLDCD_RAS_HEADER_DWORDS; i++)
		m->header_log[i] = wrd_u32le(&r);
	return fixed_result(&r);
}

/*
 * RAS_WRITE_REQ, 8 bytes:
 *   OFFSET SIZE FIELD
 *   0x00   4    register offset in the RAS Capability Structure
 *   0x04   4    value
 */
int hl_enc_ras_write(struct wwr *w, const struct hl_ras_write *m)
{
	wwr_u32le(w, m->offset);
	wwr_u32le(w, m->value);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_ras_write(const uint8_t *p, size_t len, struct hl_ras_write *m)
{
	struct wrd r;

	wrd_init(&r, p, len);
	m->offset = wrd_u32le(&r);
	m->value = wrd_u32le(&r);
	return fixed_result(&r);
}

int hl_enc_status_msg(struct wwr *w, uint32_t status)
{
	wwr_u32le(w, status);
	wwr_zero(w, 4);
	return w->bad ? -ENOBUFS : 0;
}

int hl_dec_status_msg(const uint8_t *p, size_t len, uint32_t *status)
{
	struct wrd r;

	wrd_init(&r, p, len);
	*status = wrd_u32le(&r);
	wrd_skip(&r, 4);
	return fixed_result(&r);
}

/* ------------------------------------------------------------- fd I/O */

ssize_t hl_recv(int sock, uint8_t *buf, size_t len, int *fds, unsigned *nr_fds, unsigned cap)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 64)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	bool overflow = false;
	size_t got = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		got += nfd;
		for (size_t i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fds && *nr_fds < cap) {
				fds[(*nr_fds)++] = fd;
			} else {
				close(fd);
				overflow = true;
			}
		}
	}
	if (overflow)
		return -EPROTO;
	/*
	 * Fewer fds than the room for them, and truncated: the kernel could not
	 * install the rest here (this process is out of fds), and dropped them.
	 */
	if (msg.msg_flags & MSG_CTRUNC)
		return fds && got < 64 ? -EMFILE : -EPROTO;
	return n;
}

ssize_t hl_send(int sock, const uint8_t *buf, size_t len, const int *fds, unsigned n)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * HL_APP_MAX_SEGS)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r;

	if (n > HL_APP_MAX_SEGS)
		return -EINVAL;
	if (n) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	do
		r = sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return r;
}
