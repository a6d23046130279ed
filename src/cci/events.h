/* SPDX-License-Identifier: MIT */
/*
 * events.h - native forms of the Events command set (01h): Get Event Records
 * (0100h), Clear Event Records (0101h), Get/Set Event Interrupt Policy
 * (0102h/0103h), and the 0x80-byte event record.  Codecs in codec-events.c.
 */
#ifndef CXLDCD_CCI_EVENTS_H
#define CXLDCD_CCI_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "cci/codec.h"
#include "cxldcd/types.h"

#define CCI_GET_EVENTS_HDR 0x20u
#define CCI_CLEAR_EVENTS_HDR 6u
#define CCI_EVF_OVERFLOW 0x01u       /* Get Event Records flags bit 0 */
#define CCI_EVF_MORE_RECORDS 0x02u   /* bit 1 */
#define CCI_CLEAR_ALL 0x01u          /* Clear Event Flags bit 0 */
#define CCI_IRQ_POLICY_SIZE 5u
#define CCI_IRQ_POLICY_MIN 4u

struct cci_get_events_out {
	uint8_t flags;              /* CCI_EVF_* */
	uint16_t overflow_count;
	uint64_t first_overflow_ns;
	uint64_t last_overflow_ns;
	uint16_t nr_records;
};

struct cci_clear_events_in {
	uint8_t log;
	bool clear_all;
	uint8_t nr_handles;
	uint16_t handles[255];
};

struct cci_irq_policy {
	uint8_t n;                  /* 4 or 5 bytes on the wire */
	uint8_t mode[CXLDCD_NR_LOGS];
};

/* True when uuid is the Dynamic Capacity Event Record UUID. */
bool cci_event_is_dc(const uint8_t uuid[16]);

/* One 0x80-byte record: common header (Table 8-55) + DC record (Table 8-62) or data[]. */
int cci_enc_event(struct wwr *w, const struct cxldcd_event *ev);
void cci_dec_event(struct wrd *r, struct cxldcd_event *ev);

int cci_enc_get_events_in(struct wwr *w, uint8_t log);
int cci_dec_get_events_in(const uint8_t *p, size_t len, uint8_t *log);

/* Header only; the caller appends nr_records records with cci_enc_event(). */
int cci_enc_get_events_out_hdr(struct wwr *w, const struct cci_get_events_out *h);
/* Whole output; copies the records into ev[] (-ENOBUFS when more than cap). */
int cci_dec_get_events_out(const uint8_t *p, size_t len, struct cci_get_events_out *h,
			   struct cxldcd_event *ev, uint16_t cap);

int cci_enc_clear_events_in(struct wwr *w, const struct cci_clear_events_in *in);
int cci_dec_clear_events_in(const uint8_t *p, size_t len, struct cci_clear_events_in *in);

int cci_enc_irq_policy(struct wwr *w, const struct cci_irq_policy *pol);
/* Accepts 4 or 5 bytes (Set) ; pol->n says which. */
int cci_dec_irq_policy(const uint8_t *p, size_t len, struct cci_irq_policy *pol);

#endif /* CXLDCD_CCI_EVENTS_H */
