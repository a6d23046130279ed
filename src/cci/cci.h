/* SPDX-License-Identifier: MIT */
/*
 * cci.h - the firmware face of cxldcd: one Component Command Interface per
 * host mailbox and one for the fabric manager, each a struct cci_ctx over a
 * shared device model.
 *
 * A context holds transport state only (the Response Message Limit and which
 * opcode a More chain is in); every device state lives in src/core.  Input
 * and output buffers are borrowed for the call and must not overlap.
 */
#ifndef CXLDCD_CCI_H
#define CXLDCD_CCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cxldcd/spec.h"

struct cxldcd_dev;

enum cci_kind {
	CCI_MAILBOX,    /* a host's memory-device mailbox: generic, events, logs, 40xxh, 48xxh */
	CCI_FM,         /* the fabric manager's FM-API CCI: generic, events, logs, 56xxh */
	CCI_MCTP,       /* the Type 3 device's MCTP-based CCI (message type 08h): generic,
			 * events, logs and the memory-device commands allowed on MCTP */
};

struct cci_ctx;

/**
 * cci_ctx_new() - create a CCI instance.
 * @dev: the device; borrowed, must outlive the context.
 * @kind: which CCI.
 * @host: the LD-ID whose mailbox this is (CCI_MAILBOX); ignored for CCI_FM
 *        and CCI_MCTP, whose event logs are the FM's (CORE_OWNER_FM).
 * @out: receives the context; caller frees with cci_ctx_free().
 *
 * Return: 0, -EINVAL (bad kind or host), -ENOMEM.
 */
int cci_ctx_new(struct cxldcd_dev *dev, enum cci_kind kind, uint16_t host, struct cci_ctx **out);

/* Free a context (NULL is a no-op).  A half-received More chain is discarded. */
void cci_ctx_free(struct cci_ctx *ctx);

/**
 * cci_execute() - run one command (payload level).
 * @in, @in_len: the request payload.
 * @out, @out_cap: room for the response payload; clamped further to
 *                 cci_ctx_max_payload().
 * @out_len: receives the response payload length (0 on any error).
 *
 * Return: the CXL return code of the command.
 */
enum cxldcd_rc cci_execute(struct cci_ctx *ctx, uint16_t opcode, const uint8_t *in, size_t in_len,
			   uint8_t *out, size_t out_cap, size_t *out_len);

/**
 * cci_handle_msg() - run one whole CCI message (12-byte header + payload)
 * and build the whole response message.  Every request gets a well-formed
 * response: Invalid Payload Length when the header's length disagrees with
 * the bytes received, Unsupported for an unknown opcode, Unsupported Mailbox
 * or CCI for an opcode this CCI does not serve, and so on.
 *
 * Return: 0 (response in rsp, *rsp_len bytes); -ENOBUFS if rsp_cap < 12;
 * -EPROTO (no response) for an empty message or a category other than
 * Request; -EINVAL for NULL or overlapping buffers.
 */
int cci_handle_msg(struct cci_ctx *ctx, const uint8_t *req, size_t len, uint8_t *rsp, size_t rsp_cap,
		   size_t *rsp_len);

/* Max response payload: min(device mailbox payload size, Response Message Limit). */
size_t cci_ctx_max_payload(const struct cci_ctx *ctx);

/*
 * True while a 4802h/4803h More chain is open on this CCI: the next command
 * of another opcode, or freeing the context, discards the host's staging (a
 * change of model state even when that command only reads).
 */
bool cci_ctx_chain_open(const struct cci_ctx *ctx);

/*
 * The device model's verdict on the last command run on ctx (cci_execute()
 * or cci_handle_msg()): rc, reason and text when the model refused it.
 * Reason CORE_REASON_NONE when the model accepted it or was never asked (a
 * size, opcode or payload error of the firmware itself, or a read).
 */
struct cxldcd_diag;
const struct cxldcd_diag *cci_ctx_diag(const struct cci_ctx *ctx);

/*
 * True when the command table lists no Command Effect for opcode (CEL
 * effects "none") and does not mark it as changing state anyway (0004h,
 * 0005h): a read, which never changes the device; false for every other
 * command and for opcodes cxldcd does not implement.  The daemon journals a
 * successful request unless this is true.
 */
bool cci_opcode_is_read(uint16_t opcode);

/* True when the command table says opcode may zero a host's capacity (Sanitize, Secure Erase, Media Operations). */
bool cci_opcode_erases(uint16_t opcode);

/* Spec-style command name of an opcode cxldcd implements ("Get Event Records"), or NULL. */
const char *cci_opcode_name(uint16_t opcode);

#endif /* CXLDCD_CCI_H */
