/* SPDX-License-Identifier: MIT */
/*
 * messages.c - what the device sends over the link: read it (with the
 * file descriptors that come with MAP), frame it, and hand each message to
 * its handler (HELLO_ACK, CCI responses, I/O and RAS answers, MAP/UNMAP, a
 * move's PAUSE/REMAP/MOVE_END, RAS_IRQ, ERROR, DIAG).  Device messages are
 * untrusted: each is decoded by hostlink/proto (hl_dec_*) before use.
 * Calls the files before it (host-int.h gives the order); host.c calls
 * host_link_read() when the link is readable.
 */
#include "host/host-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cci/msg.h"
#include "hostlink/proto.h"

/* ------------------------------------------------------------ messages */

static void on_hello_ack(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_hello_ack a;

	if (h->state != CXLDCD_HOST_CONNECTING || hd->seq != 1) {
		host_fail(h, -EPROTO, "unexpected hello-ack");
		return;
	}
	if (hl_dec_hello_ack(p, hd->len, &a)) {
		host_fail(h, -EPROTO, "malformed hello-ack");
		return;
	}
	if (a.status) {
		host_fail(h, hl_status_errno(a.status), a.status == HL_S_STARTING
			  ? "device is starting" : "device refused hello");
		return;
	}
	if (a.mbox_payload_size < 256 || a.mbox_payload_size > (1u << 20) ||
	    (a.mbox_payload_size & (a.mbox_payload_size - 1))) {
		host_fail(h, -EPROTO, "device reports a bogus mailbox payload size");
		return;
	}
	h->mbox = a.mbox_payload_size;
	h->mapping = (a.flags & HL_ACK_F_MAP) && h->is_unix && !h->cfg.no_mapping;
	h->diag_on = a.flags & HL_ACK_F_DIAG;
	h->ras_dev = a.flags & HL_ACK_F_RAS;
	h->ras_on = h->ras_dev && !h->cfg.no_ras;
	h->move_end_on = h->mapping && (a.flags & HL_ACK_F_MOVE_END);
	h->group_files_on = h->mapping && h->cfg.group_files && (a.flags & HL_ACK_F_GROUP_FILES);
	h->group_files_acked = h->group_files_on;
	h->span_base = a.span_base;
	h->span_size = a.span_size;
	h->static_size = a.static_size;
	host_log(h, LOG_INFO, "host=%u connected mbox=%u mapping=%s%s", h->cfg.host_id, h->mbox,
		 h->mapping ? "on" : "off", h->group_files_on ? " group-files=on" : "");
	if (h->mapping && h->cfg.group_files && !h->group_files_on)
		host_log(h, LOG_WARNING, "host=%u: the device gives no file per group: the fds of a group reach the host's other groups on its backend",
			 h->cfg.host_id);
	h->state = CXLDCD_HOST_BRINGUP;
	ras_connect(h);
	bringup_start(h);
}

static void on_cci_rsp(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct cmd *c = h->inflight;
	struct cci_hdr ch;

	if (!c || c->kind != CMD_CCI || c->seq != hd->seq) {
		host_fail(h, -EPROTO, "cci response that matches no request");
		return;
	}
	if (cci_dec_hdr(p, hd->len, &ch) || ch.category != CCI_CAT_RESPONSE ||
	    ch.payload_len != hd->len - CXLDCD_CCI_HDR_SIZE || ch.opcode != c->opcode ||
	    ch.tag != h->cci_tag || ch.payload_len > h->mbox) {
		host_fail(h, -EPROTO, "malformed cci response");
		return;
	}
	if (ch.rc) {  /* a failure keeps its DIAG (if any) until the next failure */
		/*
		 * diag_in is this command's: on_diag() took it only for the
		 * command in flight, and nothing but this answer or a failure of
		 * the link ends that command.
		 */
		h->diag_valid = h->diag_in_valid && h->diag_in.cxl_rc == ch.rc;
		if (h->diag_valid)
			h->diag = h->diag_in;
	}
	h->diag_in_valid = false;
	link_complete(h, 0, ch.rc, p + CXLDCD_CCI_HDR_SIZE, ch.payload_len);
}

/* DIAG: the reason for the CCI_RSP that follows (same sequence number). */
static void on_diag(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct cmd *c = h->inflight;
	struct hl_diag m;

	if (!h->diag_on || !c || c->kind != CMD_CCI || c->seq != hd->seq ||
	    hl_dec_diag(p, hd->len, &m) || m.opcode != c->opcode) {
		host_fail(h, -EPROTO, "unexpected or malformed diag");
		return;
	}
	h->diag_in = (struct cxldcd_host_diag){ .opcode = m.opcode, .cxl_rc = m.rc,
						 .reason_code = m.reason, .index = m.index };
	snprintf(h->diag_in.reason, sizeof(h->diag_in.reason), "%s", m.name);
	if (m.text_len)
		memcpy(h->diag_in.text, m.text, m.text_len);  /* <= HL_DIAG_TEXT_MAX: fits */
	h->diag_in.text[m.text_len] = '\0';
	h->diag_in_valid = true;
}

static void on_io_rsp(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct cmd *c = h->inflight;
	struct hl_io_rsp r;
	bool rd = hd->type == HL_READ_RSP;
	uint32_t want;

	if (!c || c->seq != hd->seq || c->kind != (rd ? CMD_READ : CMD_WRITE) ||
	    hl_dec_io_rsp(p, hd->len, &r)) {
		host_fail(h, -EPROTO, "unexpected or malformed slow-path response");
		return;
	}
	want = rd && r.status == HL_S_OK ? c->k.u.io.len : 0;
	if (r.len != want) {
		host_fail(h, -EPROTO, "slow-path response length does not match the request");
		return;
	}
	link_complete(h, hl_status_errno(r.status), 0, r.data, r.len);
}

/* What the file of a MAP or REMAP with these flags holds besides its range. */
static enum seg_file seg_file_of(const struct cxldcd_host *h, uint32_t map_flags)
{
	if (!h->group_files_acked)
		return SEG_HOST_FILE;
	return map_flags & HL_MAP_F_SPILLED ? SEG_SPILLED : SEG_OWN_FILE;
}

static void on_map(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_map m;
	int fd;

	if (!h->nr_fds) {
		host_fail(h, -EPROTO, "map without a file descriptor");
		return;
	}
	fd = h->fds[0];
	memmove(h->fds, h->fds + 1, (h->nr_fds - 1) * sizeof(int));
	h->nr_fds--;
	h->st.maps++;
	if (!h->mapping || hl_dec_map(p, hd->len, &m)) {
		close(fd);
		host_fail(h, -EPROTO, h->mapping ? "malformed map" : "map while mapping is off");
		return;
	}
	if ((m.flags & HL_MAP_F_SPILLED) && h->group_files_on) {
		h->group_files_on = false;   /* the device ran out of fds for a file per group */
		host_log(h, LOG_WARNING, "host=%u dpa=0x%llx: the device has no fd left for a file "
			 "per group: this group and others share a file, each reaching the others",
			 h->cfg.host_id, (unsigned long long)m.dpa);
	}
	if (segments_add(h, m.dpa, m.len, m.offset, fd, m.flags & HL_MAP_F_WRITABLE,
			 seg_file_of(h, m.flags)))
		close(fd);
}

static void on_unmap(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_unmap m;

	if (hl_dec_unmap(p, hd->len, &m)) {
		host_fail(h, -EPROTO, "malformed unmap");
		return;
	}
	h->st.unmaps++;
	if (m.reason == HL_UNMAP_REVOKED)
		release_unmapped(h, m.dpa, m.len);
	else
		groups_unmap_range(h, m.dpa, m.len, false, NULL);
	segments_drop(h, m.dpa, m.len);
}

/* Answer a move's PAUSE or REMAP (docs/host-link.md "Moves"). */
static void send_move_ack(struct cxldcd_host *h, uint64_t id, uint32_t phase)
{
	const struct hl_move_ack a = { .id = id, .phase = phase };
	uint8_t *p = link_reserve(h, HL_HDR_SIZE + HL_MOVE_ACK_SIZE);
	struct wwr w;

	if (!p) {
		host_fail(h, -ENOMEM, "out of memory");
		return;
	}
	wwr_init(&w, p, HL_HDR_SIZE + HL_MOVE_ACK_SIZE);
	hl_msg_begin(&w, HL_MOVE_ACK, 0);
	hl_enc_move_ack(&w, &a);
	if (hl_msg_end(&w))
		return;
	h->olen += w.off;   /* sent at the end of the round, with the other answers it reads */
}

/* PAUSE: stop writing the range (read-only), then say so. */
static void on_pause(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_pause m;

	if (!h->mapping || hl_dec_pause(p, hd->len, &m)) {
		host_fail(h, -EPROTO, h->mapping ? "malformed pause" : "pause while mapping is off");
		return;
	}
	h->st.pauses++;
	groups_pause_range(h, m.dpa, m.len, m.id);
	send_move_ack(h, m.id, HL_MOVE_PAUSED);
}

/* REMAP: the range's new fd replaces the old one in place, writable again. */
static void on_remap(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_remap m;
	int fd;

	if (!h->nr_fds) {
		host_fail(h, -EPROTO, "remap without a file descriptor");
		return;
	}
	fd = h->fds[0];
	memmove(h->fds, h->fds + 1, (h->nr_fds - 1) * sizeof(int));
	h->nr_fds--;
	if (!h->mapping || hl_dec_remap(p, hd->len, &m)) {
		close(fd);
		host_fail(h, -EPROTO, h->mapping ? "malformed remap" : "remap while mapping is off");
		return;
	}
	h->st.remaps++;
	if (segments_add(h, m.map.dpa, m.map.len, m.map.offset, fd, m.map.flags & HL_MAP_F_WRITABLE,
			 seg_file_of(h, m.map.flags))) {
		close(fd);
		/* nothing of the range stays paused: unusable, as a range never mapped */
		segments_drop(h, m.map.dpa, m.map.len);
	}
	groups_remap_range(h, m.map.dpa, m.map.len);
	/* the applications hear REVOKE before the device may punch the old grant */
	apps_announce(h);
	send_move_ack(h, m.id, HL_MOVE_REMAPPED);
}

/*
 * MOVE_END: the move is over for the range of one of its PAUSEs.  What of it
 * is still paused (no REMAP came for it) is of the retired grant: it goes.
 * The OPENs that waited for the move are answered in this round
 * (apps_resume()).
 */
static void on_move_end(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_move_end m;

	if (!h->move_end_on || hl_dec_move_end(p, hd->len, &m)) {
		host_fail(h, -EPROTO, "unexpected or malformed move-end");
		return;
	}
	h->st.move_ends++;
	if (groups_end_move(h, m.dpa, m.len, m.id)) {
		host_log(h, LOG_WARNING, "move %llu ended without a remap of dpa=0x%llx len=0x%llx: unmapped",
			 (unsigned long long)m.id, (unsigned long long)m.dpa,
			 (unsigned long long)m.len);
	}
}

/*
 * ERROR with status OK is the device's goodbye: it closes the link cleanly
 * (the daemon is stopping; docs/host-link.md).  Anything else is a protocol
 * error the device saw.
 */
/* RAS_READ_RSP / RAS_WRITE_RSP: the answer to the RAS command in flight. */
static void on_ras_rsp(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct cmd *c = h->inflight;
	bool rd = hd->type == HL_RAS_READ_RSP;
	uint32_t status = HL_S_OK;

	if (!c || c->seq != hd->seq || c->kind != (rd ? CMD_RAS_READ : CMD_RAS_WRITE) ||
	    (rd ? hd->len != HL_RAS_READ_RSP_SIZE : hl_dec_status_msg(p, hd->len, &status) != 0)) {
		host_fail(h, -EPROTO, "unexpected or malformed ras response");
		return;
	}
	link_complete(h, hl_status_errno(status), 0, p, rd ? hd->len : 0);
}

static void on_ras_irq(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_ras_irq m;

	if (!h->ras_dev || hl_dec_ras_irq(p, hd->len, &m)) {
		host_fail(h, -EPROTO, "unexpected or malformed ras irq");
		return;
	}
	h->st.irqs++;
	if (h->ras_on)      /* cfg.no_ras: the application handles the registers itself */
		ras_irq(h, m.uncor_status != 0);
}

static void on_error(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	const uint8_t *text;
	uint32_t status;
	size_t len;
	char why[HL_ERROR_TEXT_MAX + 1];

	if (hd->len >= HL_ERROR_HDR && !p[0] && !p[1] && !p[2] && !p[3]) {
		host_fail(h, -ESHUTDOWN, "device closed the link cleanly");
		return;
	}
	/* The answer to HELLO while the device restores its state: try again later. */
	if (h->state == CXLDCD_HOST_CONNECTING && !hl_dec_error(p, hd->len, &status, &text, &len) &&
	    status == HL_S_STARTING) {
		snprintf(why, sizeof(why), "%.*s", (int)len, (const char *)text);
		host_fail(h, -EAGAIN, len ? why : "device is starting");
		return;
	}
	host_fail(h, -EPROTO, "device reported a protocol error");
}

static void on_message(struct cxldcd_host *h, const struct hl_hdr *hd, const uint8_t *p)
{
	struct hl_irq irq;

	h->st.msgs_in++;
	h->handled++;
	if (h->state == CXLDCD_HOST_CONNECTING && hd->type != HL_HELLO_ACK &&
	    hd->type != HL_ERROR) {
		host_fail(h, -EPROTO, "message before hello-ack");
		return;
	}
	switch (hd->type) {
	case HL_HELLO_ACK:
		on_hello_ack(h, hd, p);
		break;
	case HL_CCI_RSP:
		on_cci_rsp(h, hd, p);
		break;
	case HL_READ_RSP:
	case HL_WRITE_RSP:
		on_io_rsp(h, hd, p);
		break;
	case HL_DIAG:
		on_diag(h, hd, p);
		break;
	case HL_IRQ:
		if (hl_dec_irq(p, hd->len, &irq)) {
			host_fail(h, -EPROTO, "malformed irq");
			break;
		}
		h->st.irqs++;
		if (irq.status & (1u << CXLDCD_LOG_DC))
			events_irq(h);
		break;
	case HL_MAP:
		on_map(h, hd, p);
		break;
	case HL_UNMAP:
		on_unmap(h, hd, p);
		break;
	case HL_PAUSE:
		on_pause(h, hd, p);
		break;
	case HL_REMAP:
		on_remap(h, hd, p);
		break;
	case HL_MOVE_END:
		on_move_end(h, hd, p);
		break;
	case HL_RAS_IRQ:
		on_ras_irq(h, hd, p);
		break;
	case HL_RAS_READ_RSP:
	case HL_RAS_WRITE_RSP:
		on_ras_rsp(h, hd, p);
		break;
	case HL_ERROR:
		on_error(h, hd, p);
		break;
	default:
		host_fail(h, -EPROTO, "unexpected message type from the device");
		break;
	}
}

static void parse_input(struct cxldcd_host *h)
{
	size_t off = 0;

	while (h->state != CXLDCD_HOST_FAILED) {
		struct hl_hdr hd;
		int rc = hl_dec_hdr(h->rbuf + off, h->rlen - off, &hd);
		size_t need;

		if (rc == -EAGAIN)
			break;
		if (rc) {
			host_fail(h, -EPROTO, "bad link header from the device");
			return;
		}
		need = HL_HDR_SIZE + (size_t)hd.len;
		if (h->rlen - off < need) {
			if (need > h->rcap) {
				uint8_t *nb;

				memmove(h->rbuf, h->rbuf + off, h->rlen - off);
				h->rlen -= off;
				off = 0;
				nb = realloc(h->rbuf, need);
				if (!nb) {
					host_fail(h, -ENOMEM, "out of memory");
					return;
				}
				h->rbuf = nb;
				h->rcap = need;
			}
			break;
		}
		on_message(h, &hd, h->rbuf + off + HL_HDR_SIZE);
		off += need;
	}
	if (off && h->state != CXLDCD_HOST_FAILED) {
		memmove(h->rbuf, h->rbuf + off, h->rlen - off);
		h->rlen -= off;
	}
}

/* Read the link, 16 reads at most; return true when it may hold more (the reads ran out). */
bool host_link_read(struct cxldcd_host *h)
{
	for (int round = 0; round < 16 && h->sock >= 0; round++) {
		ssize_t n = hl_recv(h->sock, h->rbuf + h->rlen, h->rcap - h->rlen, h->fds, &h->nr_fds,
				    HL_MAX_FDS_QUEUED);

		if (n == -EAGAIN)
			return false;
		if (n == 0) {
			host_fail(h, -ECONNRESET, "device link lost: closed without a goodbye");
			return false;
		}
		if (n == -EMFILE) {   /* the fd of a MAP was dropped: its range cannot be mapped */
			host_fail(h, -EMFILE, "out of file descriptors: the device's fds were "
				  "dropped (raise RLIMIT_NOFILE)");
			return false;
		}
		if (n < 0) {
			host_fail(h, n == -EPROTO ? -EPROTO : -ECONNRESET,
				  n == -EPROTO ? "too many file descriptors from the device"
					       : "device link read failed");
			return false;
		}
		if (!h->is_unix && h->nr_fds) {
			host_fail(h, -EPROTO, "file descriptors on a tcp link");
			return false;
		}
		h->rlen += (size_t)n;
		parse_input(h);
	}
	return h->sock >= 0;
}
