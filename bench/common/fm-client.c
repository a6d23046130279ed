/* SPDX-License-Identifier: MIT */
/* fm-client.c - the benchmarks' FM-API client (fm-client.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "cci/msg.h"
#include "fm-client.h"

int fm_client_send(struct fm_client *c, uint16_t opcode, const uint8_t *payload, size_t len)
{
	uint8_t msg[FM_BUF];
	struct cci_hdr hd = { .category = CCI_CAT_REQUEST, .tag = (uint8_t)(c->tag + 1),
			      .opcode = opcode, .payload_len = (uint32_t)len };
	size_t off = 0;

	if (len > FM_MBOX_BYTES || cci_enc_hdr(&hd, msg, sizeof(msg)))
		return -EMSGSIZE;
	c->tag = hd.tag;
	memcpy(msg + CXLDCD_CCI_HDR_SIZE, payload, len);
	while (off < CXLDCD_CCI_HDR_SIZE + len) {
		ssize_t k = send(c->fd, msg + off, CXLDCD_CCI_HDR_SIZE + len - off, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EPIPE;
		off += (size_t)k;
	}
	c->sent++;
	return 0;
}

int fm_client_read(struct fm_client *c)
{
	ssize_t k = recv(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen, MSG_DONTWAIT);

	if (k == 0)
		return -ECONNRESET;
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	c->rlen += (size_t)k;
	while (c->rlen >= CXLDCD_CCI_HDR_SIZE) {
		struct cci_hdr hd;
		size_t total;

		cci_dec_hdr(c->rbuf, c->rlen, &hd);
		total = CXLDCD_CCI_HDR_SIZE + hd.payload_len;
		if (total > sizeof(c->rbuf))
			return -EMSGSIZE;
		if (c->rlen < total)
			break;
		memcpy(c->out, c->rbuf + CXLDCD_CCI_HDR_SIZE, hd.payload_len);
		c->out_len = hd.payload_len;
		memmove(c->rbuf, c->rbuf + total, c->rlen - total);
		c->rlen -= total;
		c->done++;
		if (c->on_rsp)
			c->on_rsp(c->opaque, hd.opcode, hd.rc);
		if (hd.rc && !c->rc)
			c->rc = hd.rc;
	}
	return 0;
}
