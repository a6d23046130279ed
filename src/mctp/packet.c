/* SPDX-License-Identifier: MIT */
/*
 * packet.c - DSP0236 transport header codec, reassembly and fragmentation
 * (packet.h).  The reassembler allocates its slots once, at init; nothing
 * a peer sends makes it allocate.
 */
#include "mctp/packet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mctp/mctp.h"

int mctp_dec_hdr(const uint8_t *p, size_t len, struct mctp_hdr *h)
{
	if (len < MCTP_HDR_SIZE)
		return -EMSGSIZE;
	h->version = p[0] & MCTP_HDR_VERSION_MASK;
	h->dst = p[1];
	h->src = p[2];
	h->som = (p[3] & MCTP_HDR_SOM) != 0;
	h->eom = (p[3] & MCTP_HDR_EOM) != 0;
	h->seq = (p[3] >> MCTP_HDR_SEQ_SHIFT) & MCTP_HDR_SEQ_MASK;
	h->to = (p[3] & MCTP_HDR_TO) != 0;
	h->tag = p[3] & MCTP_HDR_TAG_MASK;
	return 0;
}

void mctp_enc_hdr(const struct mctp_hdr *h, uint8_t out[MCTP_HDR_SIZE])
{
	out[0] = h->version & MCTP_HDR_VERSION_MASK;
	out[1] = h->dst;
	out[2] = h->src;
	out[3] = (uint8_t)((h->som ? MCTP_HDR_SOM : 0) | (h->eom ? MCTP_HDR_EOM : 0) |
			   ((h->seq & MCTP_HDR_SEQ_MASK) << MCTP_HDR_SEQ_SHIFT) |
			   (h->to ? MCTP_HDR_TO : 0) | (h->tag & MCTP_HDR_TAG_MASK));
}

int mctp_reasm_init(struct mctp_reasm *r, size_t max_msg)
{
	memset(r, 0, sizeof(*r));
	r->max_msg = max_msg;
	for (unsigned i = 0; i < MCTP_RX_SLOTS; i++) {
		r->slot[i].buf = malloc(max_msg ? max_msg : 1);
		if (!r->slot[i].buf) {
			mctp_reasm_fini(r);
			return -ENOMEM;
		}
	}
	return 0;
}

void mctp_reasm_fini(struct mctp_reasm *r)
{
	for (unsigned i = 0; i < MCTP_RX_SLOTS; i++) {
		free(r->slot[i].buf);
		r->slot[i].buf = NULL;
	}
}

static struct mctp_rx_slot *find(struct mctp_reasm *r, const struct mctp_hdr *h)
{
	for (unsigned i = 0; i < MCTP_RX_SLOTS; i++) {
		struct mctp_rx_slot *s = &r->slot[i];

		if (s->busy && s->src == h->src && s->tag == h->tag && s->to == h->to)
			return s;
	}
	return NULL;
}

/* A free slot, or the busy one this SOM restarts; NULL when all are busy. */
static struct mctp_rx_slot *start(struct mctp_reasm *r, const struct mctp_hdr *h)
{
	struct mctp_rx_slot *s = find(r, h);

	for (unsigned i = 0; !s && i < MCTP_RX_SLOTS; i++)
		if (!r->slot[i].busy)
			s = &r->slot[i];
	if (!s)
		return NULL;
	s->busy = true;
	s->src = h->src;
	s->tag = h->tag;
	s->to = h->to;
	s->next_seq = h->seq;
	s->unit = 0;
	s->len = 0;
	return s;
}

static bool drop(struct mctp_reasm *r, struct mctp_rx_slot *s)
{
	if (s)
		s->busy = false;
	r->dropped++;
	return false;
}

bool mctp_reasm_packet(struct mctp_reasm *r, uint8_t own_eid, const uint8_t *pkt, size_t len,
		       struct mctp_msg *out)
{
	struct mctp_hdr h;
	struct mctp_rx_slot *s;
	size_t n;

	if (mctp_dec_hdr(pkt, len, &h) || h.version != MCTP_HDR_VERSION ||
	    (h.dst != own_eid && h.dst != MCTP_EID_NULL && h.dst != MCTP_EID_BROADCAST))
		return drop(r, NULL);
	n = len - MCTP_HDR_SIZE;
	s = h.som ? start(r, &h) : find(r, &h);
	if (!s || (h.som && !n))
		return drop(r, s);
	if (h.seq != s->next_seq || n > r->max_msg - s->len)
		return drop(r, s);
	if (h.som)
		s->unit = n;
	else if (!h.eom && n != s->unit)
		return drop(r, s);      /* a middle packet carries one whole unit */
	else if (h.eom && (!n || n > s->unit))
		return drop(r, s);
	memcpy(s->buf + s->len, pkt + MCTP_HDR_SIZE, n);
	s->len += n;
	s->next_seq = (uint8_t)((s->next_seq + 1) & MCTP_HDR_SEQ_MASK);
	if (!h.eom)
		return false;
	s->busy = false;
	*out = (struct mctp_msg){
		.src = h.src, .dst = h.dst, .tag = h.tag, .to = h.to, .data = s->buf, .len = s->len,
	};
	return true;
}

int mctp_fragment(uint8_t src, uint8_t dst, uint8_t tag, bool to, const uint8_t *msg,
		  size_t len, size_t mtu, mctp_pkt_fn *emit, void *opaque)
{
	uint8_t pkt[MCTP_HDR_SIZE + 255];
	struct mctp_hdr h = { .version = MCTP_HDR_VERSION, .dst = dst, .src = src, .to = to,
			      .tag = tag };
	size_t off = 0;
	int rc;

	if (!len || !mtu || mtu > sizeof(pkt) - MCTP_HDR_SIZE)
		return -EINVAL;
	for (uint8_t seq = 0; off < len; seq = (uint8_t)((seq + 1) & MCTP_HDR_SEQ_MASK)) {
		size_t n = len - off < mtu ? len - off : mtu;

		h.som = off == 0;
		h.eom = off + n == len;
		h.seq = seq;
		mctp_enc_hdr(&h, pkt);
		memcpy(pkt + MCTP_HDR_SIZE, msg + off, n);
		rc = emit(opaque, pkt, MCTP_HDR_SIZE + n);
		if (rc)
			return rc;
		off += n;
	}
	return 0;
}
