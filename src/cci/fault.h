/* SPDX-License-Identifier: MIT */
/*
 * fault.h - fault injection on one CCI: the device lies to the host on the
 * wire so that hosts can be tested against a misbehaving device
 * (shared/docs/host-semantics.md "Untrusted device", style B.7).
 *
 * A fault rewrites the *response payload* of a successful command on the
 * context it is set on, after the handler encoded it and before it leaves.
 * The model is never touched: it stays correct, only what the host reads is
 * wrong.  Other CCIs of the same device are unaffected.  Faults are off by
 * default; the exact wire effect of each is in docs/conformance.md
 * ("Fault injection").
 *
 * What it is not: no request rewriting, no dropped or delayed messages (those
 * belong to the transport), no effect on return codes.
 */
#ifndef CXLDCD_CCI_FAULT_H
#define CXLDCD_CCI_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "cci/cci.h"

enum cci_fault {
	CCI_FAULT_UNCLOSED_CHAIN = 0,   /* "unclosed-chain" */
	CCI_FAULT_DUPLICATE_TAG,        /* "duplicate-tag" */
	CCI_FAULT_SEQUENCE_GAP,         /* "sequence-gap" */
	CCI_FAULT_BOGUS_EXTENT_LEN,     /* "bogus-extent-len" */
	CCI_FAULT_BOGUS_REGION,         /* "bogus-region" */
	CCI_FAULT_BOGUS_EVENT_COUNT,    /* "bogus-event-count" */
	CCI_FAULT_BOGUS_EXTENT_COUNT,   /* "bogus-extent-count" */
	CCI_FAULT_BOGUS_EXTENT_TOTAL,   /* "bogus-extent-total" */
	CCI_NR_FAULTS,
};

#define CCI_FAULT_BIT(f) (1u << (f))
#define CCI_FAULT_ALL (CCI_FAULT_BIT(CCI_NR_FAULTS) - 1u)

/*
 * A set of faults.  Fault f is on when bit CCI_FAULT_BIT(f) of mask is set;
 * remaining[f] then says for how long: 0 = until cleared, N = the next N
 * occurrences (what one occurrence is, per fault, is in docs/conformance.md).
 * A fault whose count runs out turns itself off.  remaining[] of a fault that
 * is off is ignored (and reads back as 0).
 */
struct cci_faults {
	uint32_t mask;
	uint32_t remaining[CCI_NR_FAULTS];
};

/**
 * cci_ctx_set_faults() - replace the fault set of a CCI.
 * @f: borrowed; NULL or an empty mask clears every fault.
 *
 * An Add Capacity chain already being rewritten keeps the faults it started
 * with that are still on; newly enabled chain faults start with the next
 * chain.  Return: 0, -EINVAL (NULL ctx, unknown bit in mask), -ENOMEM.
 */
int cci_ctx_set_faults(struct cci_ctx *ctx, const struct cci_faults *f);

/* The faults in effect now (counts as they stand).  out is written whole. */
void cci_ctx_get_faults(const struct cci_ctx *ctx, struct cci_faults *out);

/* Turn fault f on in the set with count (0 = until cleared).  Return 0 or -EINVAL. */
int cci_faults_add(struct cci_faults *set, enum cci_fault f, uint32_t count);

/**
 * cci_fault_parse() - fault of a name ("unclosed-chain", see cci_fault_name()).
 * Return: 0 (*out set), -EINVAL (NULL or unknown name).
 */
int cci_fault_parse(const char *name, enum cci_fault *out);

/* Name of a fault, or NULL when f >= CCI_NR_FAULTS.  Iterate 0..CCI_NR_FAULTS-1 to list them. */
const char *cci_fault_name(enum cci_fault f);

/*
 * cci_fault_apply() - the dispatcher's hook: rewrite the successful response
 * of opcode (payload out, out_len bytes; the request was in, in_len) as the
 * context's faults say.  The length never changes.  No-op without faults.
 */
void cci_fault_apply(struct cci_ctx *ctx, uint16_t opcode, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_len);

/* Free the fault state of a context (cci_ctx_free()). */
void cci_fault_fini(struct cci_ctx *ctx);

#endif /* CXLDCD_CCI_FAULT_H */
