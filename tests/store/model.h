/* SPDX-License-Identifier: MIT */
/*
 * model.h - building device models for the store tests and store-demo:
 * prescriptive adds in chunks the DC log can hold, host acceptance, log
 * draining, and the tag text form the snapshot uses.  Returns CXL rcs or
 * -errno; the callers assert.
 */
#ifndef CXLDCD_TEST_STORE_MODEL_H
#define CXLDCD_TEST_STORE_MODEL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static inline void model_tag(uint8_t tag[CXLDCD_TAG_SIZE], uint32_t v)
{
	memset(tag, 0, CXLDCD_TAG_SIZE);
	if (v) {
		tag[0] = 0xab;
		tag[12] = (uint8_t)(v >> 24);
		tag[13] = (uint8_t)(v >> 16);
		tag[14] = (uint8_t)(v >> 8);
		tag[15] = (uint8_t)v;
	}
}

/* The snapshot's text form of a tag ("" for no tag), written independently of it. */
static inline void model_tag_text(const uint8_t tag[CXLDCD_TAG_SIZE], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	int any = 0;

	for (unsigned i = 0; i < CXLDCD_TAG_SIZE; i++) {
		any |= tag[i];
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[tag[i] >> 4];
		out[o++] = hex[tag[i] & 15];
	}
	out[any ? o : 0] = '\0';
}

static inline int model_sharable(const struct cxldcd_dev *dev, uint64_t dpa, uint64_t len)
{
	struct core_region_info r;
	int idx = core_region_of(dev, dpa, len);

	return idx >= 0 && core_region_get(dev, (uint8_t)idx, &r) == 0 && r.sharable;
}

/* Remove every record of one log of owner. */
static inline int model_drain(struct cxldcd_dev *dev, uint16_t owner, uint8_t log)
{
	uint32_t depth = core_dev_cfg(dev)->evlog_depth, n;
	struct cxldcd_event *ev = calloc(depth, sizeof(*ev));
	uint16_t *hd = calloc(depth, sizeof(*hd));
	int ret = -1;

	if (ev && hd && core_evlog_get(dev, owner, log, depth, ev, &n, NULL) == CXLDCD_RC_SUCCESS) {
		for (uint32_t i = 0; i < n; i++)
			hd[i] = ev[i].handle;
		ret = n ? (int)core_evlog_clear(dev, owner, log, false, hd, n, NULL) : 0;
	}
	free(ev);
	free(hd);
	return ret;
}

/*
 * Offer n extents of len bytes to host, every stride bytes from dpa, each
 * with tag (tagv << 16 | chunk number) or none when tagv is 0, in chunks of at most chunk extents (the DC log
 * must hold a chunk).  accept: answer each chunk with all of it, then drain
 * the host's DC log.  Return 0 or the first failing rc.
 */
static inline int model_add(struct cxldcd_dev *dev, uint16_t host, uint64_t dpa, uint64_t len,
			    uint64_t stride, uint32_t n, uint32_t tagv, uint32_t chunk, int accept)
{
	struct cxldcd_extent *x = calloc(chunk, sizeof(*x));
	struct cxldcd_range *r = calloc(chunk, sizeof(*r));
	struct cxldcd_diag diag;
	int ret = 0;

	if (!x || !r)
		ret = -1;
	for (uint32_t done = 0; done < n && !ret; done += chunk) {
		uint32_t k = n - done < chunk ? n - done : chunk;
		struct core_add_req req = { .host = host, .policy = CXLDCD_ADD_PRESCRIPTIVE,
					    .nr_extents = k, .extents = x };

		for (uint32_t i = 0; i < k; i++) {
			x[i] = (struct cxldcd_extent){ .dpa = dpa + (done + i) * stride, .len = len };
			model_tag(x[i].tag, tagv ? tagv << 16 | done / chunk : 0);
			/* in a sharable region, the extents of a tag in one add
			 * carry sequences 0..k-1 (or 1..k); elsewhere 0 */
			if (tagv && model_sharable(dev, x[i].dpa, len))
				x[i].shared_seq = (uint16_t)(i + core_dev_cfg(dev)->seq_one_based);
			r[i] = (struct cxldcd_range){ x[i].dpa, x[i].len };
		}
		ret = (int)core_add(dev, &req, NULL, &diag);
		if (!ret && accept)
			ret = (int)core_add_response(dev, host, r, k, false, &diag);
		if (!ret && accept)
			ret = model_drain(dev, host, CXLDCD_LOG_DC);
		if (ret)
			fprintf(stderr, "model_add: rc=%d %s\n", ret, diag.text);
	}
	free(x);
	free(r);
	return ret;
}

#endif
