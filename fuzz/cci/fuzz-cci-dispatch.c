/* SPDX-License-Identifier: MIT */
/*
 * fuzz-cci-dispatch.c - libFuzzer target: one live device with two hosts,
 * fed a stream of CCI messages through cci_handle_msg(); after every message
 * the model's invariants must hold (else abort()).
 *
 * Input: a sequence of steps (format and device in steps.c).
 */
#include "core/core.h"
#include "steps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cxldcd_dev *dev = fz_dev_new();
	uint64_t now = 1;

	fz_run_steps(dev, data, size, &now);
	core_dev_free(dev);
	return 0;
}
