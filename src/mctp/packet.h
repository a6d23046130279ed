/* SPDX-License-Identifier: MIT */
/*
 * packet.h - MCTP packets (DMTF DSP0236 §8): the 4-byte transport header,
 * reassembly of messages from packets and fragmentation of messages into
 * packets of the baseline transmission unit.
 *
 * Transport header (DSP0236 §8.1, Figure 4):
 *
 *   OFFSET BITS FIELD
 *   0      7:4  reserved
 *          3:0  Header Version (0001b)
 *   1      7:0  Destination Endpoint ID
 *   2      7:0  Source Endpoint ID
 *   3      7    SOM (Start Of Message)
 *          6    EOM (End Of Message)
 *          5:4  Packet Sequence Number (mod 4)
 *          3    TO (Tag Owner)
 *          2:0  Message Tag
 *   4      ...  packet payload; the first packet's starts with the message
 *               type byte (IC bit 7, type 6:0)
 *
 * Reassembly (DSP0236 §8.8, §8.9): a message is keyed by (source EID, tag,
 * TO); messages with different keys may interleave.  A packet is dropped
 * when its header version is not 1, its destination is neither this
 * endpoint's EID nor the null EID (nor broadcast), it is a middle or end
 * packet with no message in progress, its sequence number is not the next
 * one, a middle packet's payload differs in size from the first packet's
 * (all but the last packet carry one transmission unit), or the message
 * would exceed the configured maximum.  A new SOM for a key in progress
 * drops the partial message and starts again.
 */
#ifndef CXLDCD_MCTP_PACKET_H
#define CXLDCD_MCTP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCTP_HDR_SIZE 4u
#define MCTP_HDR_VERSION 0x1u
#define MCTP_HDR_VERSION_MASK 0x0fu
#define MCTP_HDR_SOM 0x80u
#define MCTP_HDR_EOM 0x40u
#define MCTP_HDR_SEQ_SHIFT 4
#define MCTP_HDR_SEQ_MASK 0x3u
#define MCTP_HDR_TO 0x08u
#define MCTP_HDR_TAG_MASK 0x07u
#define MCTP_BASELINE_MTU 64u           /* payload bytes per packet, DSP0236 §8.3 */

#define MCTP_RX_SLOTS 8u                /* messages reassembled at once */

struct mctp_hdr {
	uint8_t version;
	uint8_t dst;
	uint8_t src;
	bool som, eom, to;
	uint8_t seq;
	uint8_t tag;
};

/* Return: 0, or -EMSGSIZE when @len < 4. */
int mctp_dec_hdr(const uint8_t *p, size_t len, struct mctp_hdr *h);
void mctp_enc_hdr(const struct mctp_hdr *h, uint8_t out[MCTP_HDR_SIZE]);

/* One message being reassembled. */
struct mctp_rx_slot {
	bool busy;
	uint8_t src, tag;
	bool to;
	uint8_t next_seq;
	size_t unit;            /* the first packet's payload size */
	size_t len;
	uint8_t *buf;           /* max_msg bytes, owned by the reassembler */
};

struct mctp_reasm {
	size_t max_msg;         /* type byte included */
	struct mctp_rx_slot slot[MCTP_RX_SLOTS];
	uint64_t dropped;       /* packets dropped, for any reason */
};

/* A whole message: valid until the next mctp_reasm_packet() call. */
struct mctp_msg {
	uint8_t src, dst, tag;
	bool to;
	const uint8_t *data;    /* the type byte, then the body */
	size_t len;
};

/* @max_msg: largest message accepted (type byte included).  Return: 0 or -ENOMEM. */
int mctp_reasm_init(struct mctp_reasm *r, size_t max_msg);
void mctp_reasm_fini(struct mctp_reasm *r);

/*
 * mctp_reasm_packet() - take one packet addressed to @own_eid.
 * Return: true when it completed a message (in *out).
 */
bool mctp_reasm_packet(struct mctp_reasm *r, uint8_t own_eid, const uint8_t *pkt, size_t len,
		       struct mctp_msg *out);

typedef int mctp_pkt_fn(void *opaque, const uint8_t *pkt, size_t len);

/*
 * mctp_fragment() - send @msg (type byte first, @len >= 1 bytes) from @src to
 * @dst with @tag/@to as packets of at most @mtu payload bytes (@mtu >= 1),
 * sequence numbers from 0, each handed to @emit (its buffer borrowed for the
 * call).  Return: 0, -EINVAL for an empty message or mtu 0, or the first
 * non-zero value @emit returned.
 */
int mctp_fragment(uint8_t src, uint8_t dst, uint8_t tag, bool to, const uint8_t *msg,
		  size_t len, size_t mtu, mctp_pkt_fn *emit, void *opaque);

#endif /* CXLDCD_MCTP_PACKET_H */
