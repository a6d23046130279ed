/* SPDX-License-Identifier: MIT */
/*
 * test-cci-static-only.c - a device with static capacity only (QEMU's
 * cxl-type3 without num-dc-regions): the DC commands (48xxh, 56xxh) answer
 * Unsupported and are out of every CEL, as QEMU registers them only with DC
 * regions; the memory-device commands serve the static capacity.
 */
#include "fixture.h"

#define LSA_SIZE 0x400

/* 512 MiB volatile + 256 MiB persistent, no DC region, 2 hosts. */
static int setup_static_only(void **state)
{
	struct cxldcd_dev_cfg cfg;

	fx_cfg(&cfg);
	cfg.nr_regions = 0;
	cfg.static_capacity = 768 * MIB;
	cfg.persistent_capacity = 256 * MIB;
	cfg.lsa_size = LSA_SIZE;
	return setup_cfg(state, &cfg);
}

static const uint16_t dc_ops[] = { 0x4800, 0x4801, 0x4802, 0x4803 };
static const uint16_t fm_ops[] = { 0x5600, 0x5601, 0x5602, 0x5603, 0x5604,
				   0x5605, 0x5606, 0x5607, 0x5608 };

/* The CEL of ctx, read with 0400h then 0401h: *n entries into cel (opcode, effect). */
static void read_cel(struct fx *f, struct cci_ctx *ctx, uint8_t *cel, size_t cap, size_t *n)
{
	uint8_t in[24] = { 0 };
	uint32_t size;

	assert_int_equal(msg(f, ctx, 0x0400, NULL, 0), 0);
	assert_int_equal(r16(f->out, 0), 1);
	assert_memory_equal(f->out + 8, CEL_UUID, 16);
	size = r32(f->out, 24);
	assert_true(size % 4 == 0 && size <= cap);
	memcpy(in, CEL_UUID, 16);
	g32(in, 16, 0);
	g32(in, 20, size);
	assert_int_equal(msg(f, ctx, 0x0401, in, sizeof(in)), 0);
	assert_int_equal(f->out_len, size);
	memcpy(cel, f->out, size);
	*n = size / 4;
}

static bool cel_has(const uint8_t *cel, size_t n, uint16_t op)
{
	for (size_t i = 0; i < n; i++)
		if (r16(cel, i * 4) == op)
			return true;
	return false;
}

static void test_dc_commands_unsupported(void **state)
{
	struct fx *f = *state;
	uint8_t in[64] = { 0 };

	for (size_t i = 0; i < sizeof(dc_ops) / sizeof(dc_ops[0]); i++) {
		assert_int_equal(msg(f, f->mb[0], dc_ops[i], in, 8), 0x0003);
		assert_int_equal(msg(f, f->mb[1], dc_ops[i], NULL, 0), 0x0003);
	}
	for (size_t i = 0; i < sizeof(fm_ops) / sizeof(fm_ops[0]); i++)
		assert_int_equal(msg(f, f->fm, fm_ops[i], in, sizeof(in)), 0x0003);
	assert_int_equal(core_region_count(f->dev), 0);
}

static void test_cel_without_dc(void **state)
{
	struct fx *f = *state;
	uint8_t cel[1024];
	size_t n;

	read_cel(f, f->mb[0], cel, sizeof(cel), &n);
	assert_true(cel_has(cel, n, 0x4000));   /* Identify Memory Device */
	assert_true(cel_has(cel, n, 0x4100));   /* Get Partition Info */
	assert_true(cel_has(cel, n, 0x4301));   /* Inject Poison */
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(r16(cel, i * 4) >> 8, 0x48);
	read_cel(f, f->fm, cel, sizeof(cel), &n);
	assert_true(cel_has(cel, n, 0x0001));
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(r16(cel, i * 4) >> 8, 0x56);
}

/* The same device with one DC region lists both sets: the flag, not the CCI, removed them. */
static void test_cel_with_dc(void **state)
{
	struct fx *f = *state;
	uint8_t cel[1024];
	size_t n;

	read_cel(f, f->mb[0], cel, sizeof(cel), &n);
	for (size_t i = 0; i < sizeof(dc_ops) / sizeof(dc_ops[0]); i++)
		assert_true(cel_has(cel, n, dc_ops[i]));
	read_cel(f, f->fm, cel, sizeof(cel), &n);
	for (size_t i = 0; i < sizeof(fm_ops) / sizeof(fm_ops[0]); i++)
		assert_true(cel_has(cel, n, fm_ops[i]));
	assert_int_equal(msg(f, f->fm, 0x5600, NULL, 0), 0);
}

static void test_memdev_serves_static(void **state)
{
	struct fx *f = *state;
	uint8_t pi[0x20] = { 0 }, dpa[8] = { 0 }, get[8], set[8 + 4], lst[16] = { 0 };

	assert_int_equal(msg(f, f->mb[0], 0x4000, NULL, 0), 0);
	assert_int_equal(r64(f->out, 0x10), 3);         /* Total Capacity, 256 MiB units */
	assert_int_equal(r64(f->out, 0x18), 2);         /* Volatile Only */
	assert_int_equal(r64(f->out, 0x20), 1);         /* Persistent Only */
	assert_int_equal(r32(f->out, 0x38), LSA_SIZE);
	g64(pi, 0x00, 2);
	g64(pi, 0x08, 1);
	assert_int_equal(msg(f, f->mb[1], 0x4100, NULL, 0), 0);
	expect_rsp(f, pi, sizeof(pi));
	/* poison in the persistent part, listed back */
	g64(dpa, 0, 512 * MIB + 0x1000);
	assert_int_equal(msg(f, f->mb[0], 0x4301, dpa, 8), 0);
	assert_int_equal(core_poison_count(f->dev), 1);
	g64(lst, 0, 0);
	g64(lst, 8, (768 * MIB) / 64);
	assert_int_equal(msg(f, f->mb[0], 0x4300, lst, sizeof(lst)), 0);
	assert_int_equal(r16(f->out, 0x0a), 1);         /* Media Error Record Count */
	assert_int_equal(r64(f->out, 0x20) & ~0x7ull, 512 * MIB + 0x1000);
	/* past the static capacity: Invalid Physical Address */
	g64(dpa, 0, 768 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4301, dpa, 8), 0x0f);
	assert_int_equal(core_poison_count(f->dev), 1);
	/* LSA */
	g32(set, 0, 0x10);
	g32(set, 4, 0);
	memcpy(set + 8, "lbl!", 4);
	assert_int_equal(msg(f, f->mb[0], 0x4103, set, sizeof(set)), 0);
	g32(get, 0, 0x10);
	g32(get, 4, 4);
	assert_int_equal(msg(f, f->mb[1], 0x4102, get, 8), 0);
	expect_rsp(f, (const uint8_t *)"lbl!", 4);
	/* events: the informational log answers (empty) */
	assert_int_equal(msg(f, f->mb[0], 0x0100, (uint8_t[1]){ 0 }, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dc_commands_unsupported, setup_static_only,
						teardown),
		cmocka_unit_test_setup_teardown(test_cel_without_dc, setup_static_only, teardown),
		cmocka_unit_test_setup_teardown(test_cel_with_dc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memdev_serves_static, setup_static_only,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
