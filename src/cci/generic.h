/* SPDX-License-Identifier: MIT */
/*
 * generic.h - native forms of the generic component commands cxldcd
 * implements: Identify (0001h), Get/Set Response Message Limit (0003h,
 * 0004h), Get Supported Logs (0400h), Get Log (0401h) and the Command
 * Effects Log.  Codecs in codec-generic.c.
 */
#ifndef CXLDCD_CCI_GENERIC_H
#define CXLDCD_CCI_GENERIC_H

#include <stdbool.h>
#include <stdint.h>

#include "cci/codec.h"

#define CCI_IDENTIFY_OUT_SIZE 0x12u
#define CCI_RSP_LIMIT_SIZE 1u
#define CCI_RSP_LIMIT_MIN 8u    /* 2^8 = 256 bytes */
#define CCI_RSP_LIMIT_MAX 20u   /* 2^20 = 1 MiB */
#define CCI_SUPPORTED_LOGS_HDR 8u
#define CCI_LOG_ENTRY_SIZE 0x14u
#define CCI_GET_LOG_IN_SIZE 0x18u
#define CCI_LOGS_SUB_LIST_IN_SIZE 2u
#define CCI_LOGS_SUB_LIST_HDR 8u
#define CCI_CEL_ENTRY_SIZE 4u
#define CCI_COMPONENT_TYPE3 0x03u

/* Command Effects (CEL entry bits), CXL r3.2 Table 8-87 */
#define CCI_EFF_CONFIG_CHANGE_COLD_RESET (1u << 0)
#define CCI_EFF_IMMEDIATE_CONFIG_CHANGE (1u << 1)
#define CCI_EFF_IMMEDIATE_DATA_CHANGE (1u << 2)
#define CCI_EFF_IMMEDIATE_POLICY_CHANGE (1u << 3)
#define CCI_EFF_IMMEDIATE_LOG_CHANGE (1u << 4)
#define CCI_EFF_SECURITY_STATE_CHANGE (1u << 5)
#define CCI_EFF_BACKGROUND_OP (1u << 6)
#define CCI_EFF_SECONDARY_MBOX (1u << 7)
#define CCI_EFF_ABORT_BG_SUPPORTED (1u << 8)
#define CCI_EFF_CEL_11_10_VALID (1u << 9)
#define CCI_EFF_CONFIG_CHANGE_CONV_RESET (1u << 10)
#define CCI_EFF_CONFIG_CHANGE_CXL_RESET (1u << 11)

/* CEL Log Identifier 0da9c0b5-bf41-4b78-8f79-96b1623b3f17 (CXL r3.2 Table 8-83), bytes as written */
extern const uint8_t cci_cel_uuid[16];

struct cci_identify {
	uint16_t vendor_id;
	uint16_t device_id;
	uint16_t subsys_vendor_id;
	uint16_t subsys_id;
	uint64_t serial;
	uint8_t max_msg_size_log2;
	uint8_t component_type;
};

struct cci_log_entry {
	uint8_t uuid[16];
	uint32_t size;
};

struct cci_get_log_in {
	uint8_t uuid[16];
	uint32_t offset;
	uint32_t length;
};

struct cci_cel_entry {
	uint16_t opcode;
	uint16_t effects;
};

int cci_enc_identify_out(struct wwr *w, const struct cci_identify *id);
int cci_dec_identify_out(const uint8_t *p, size_t len, struct cci_identify *id);

/* 0003h output, 0004h input and output: one byte, 2^n bytes. */
int cci_enc_rsp_limit(struct wwr *w, uint8_t limit_log2);
int cci_dec_rsp_limit(const uint8_t *p, size_t len, uint8_t *limit_log2);

int cci_enc_supported_logs_out(struct wwr *w, const struct cci_log_entry *e, uint16_t n);
/* Copies up to cap entries; *n = entries on the wire. */
int cci_dec_supported_logs_out(const uint8_t *p, size_t len, struct cci_log_entry *e, uint16_t cap,
			       uint16_t *n);

/* 0405h: Maximum Number of Supported Log Entries, Start Log Entry Index. */
struct cci_logs_sub_list_in {
	uint8_t max_entries;
	uint8_t start_index;
};

int cci_enc_logs_sub_list_in(struct wwr *w, const struct cci_logs_sub_list_in *in);
int cci_dec_logs_sub_list_in(const uint8_t *p, size_t len, struct cci_logs_sub_list_in *in);
/* n entries of a list of total, the first of which is entry start. */
int cci_enc_logs_sub_list_out(struct wwr *w, const struct cci_log_entry *e, uint8_t n,
			      uint16_t total, uint8_t start);

int cci_enc_get_log_in(struct wwr *w, const struct cci_get_log_in *in);
int cci_dec_get_log_in(const uint8_t *p, size_t len, struct cci_get_log_in *in);

int cci_enc_cel_entry(struct wwr *w, const struct cci_cel_entry *e);
void cci_dec_cel_entry(struct wrd *r, struct cci_cel_entry *e);

#endif /* CXLDCD_CCI_GENERIC_H */
