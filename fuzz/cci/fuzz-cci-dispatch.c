/* SPDX-License-Identifier: MIT */
/*
 * fuzz-cci-dispatch.c - libFuzzer target: one live device with two hosts,
 * fed a stream of CCI messages through cci_handle_msg(); after every message
 * the model's invariants must hold (else abort()).
 *
 * Input: byte 0 picks the device: bit 0 the many-tags one (else the small
 * one; steps.h); then a sequence of steps (format and devices in steps.c).
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
	dev = fz_dev_new(data[0] & 1);
	fz_run_steps(dev, data + 1, size - 1, &now);
	core_dev_free(dev);
	return 0;
}
