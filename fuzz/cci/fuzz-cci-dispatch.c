/* SPDX-License-Identifier: MIT */
/*
 * fuzz-cci-dispatch.c - libFuzzer target: one live device with two hosts,
 * fed a stream of CCI messages through cci_handle_msg(); after every message
 * the model's invariants must hold (else abort()).
 *
 * Input: byte 0 picks the device: bit 0 the many-tags one (else the small
 * one), bit 1 static capacity and LSA host 1's alone, bit 2 no DC regions
 * (static capacity only, steps.h); then a sequence of steps (format and
 * devices in steps.c).
 */
#include "core/core.h"
#include "steps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cxldcd_dev *dev;
	uint64_t now = 1;

	if (size < 1)
		return 0;
	dev = fz_dev_new((data[0] & 1 ? FZ_DEV_MANY_TAGS : 0) |
			 (data[0] & 2 ? FZ_DEV_STATIC_HOST : 0) |
			 (data[0] & 4 ? FZ_DEV_STATIC_ONLY : 0));
	fz_run_steps(dev, data + 1, size - 1, &now);
	core_dev_free(dev);
	return 0;
}
