/* SPDX-License-Identifier: MIT */
/*
 * test-ras.c - the CXL RAS Capability Structure of each host (src/core/ras.c):
 * reset values, masks, status bits, First Error Pointer and Header Log of
 * recorded uncorrectable errors, write-1-to-clear, the ras_error observer,
 * and failures that change nothing.
 */
#include "common.h"

struct seen {
	int unc[4], cor[4];
};

static void on_ras(void *o, uint16_t host, bool uncorrectable)
{
	struct seen *s = o;

	if (uncorrectable)
		s->unc[host]++;
	else
		s->cor[host]++;
}

static const struct core_observer ras_ops = { .ras_error = on_ras };

static struct core_uncor_error uerr(uint8_t bit, uint32_t first)
{
	struct core_uncor_error e = { .bit = bit };

	for (uint32_t i = 0; i < CXLDCD_RAS_HEADER_DWORDS; i++)
		e.header[i] = first + i;
	return e;
}

static void unmask_all(struct tenv *e, uint16_t host)
{
	assert_int_equal(core_ras_write(e->dev, host, CXLDCD_RAS_UNC_MASK, 0, NULL), 0);
	assert_int_equal(core_ras_write(e->dev, host, CXLDCD_RAS_COR_MASK, 0, NULL), 0);
}

static uint32_t fep(const struct core_ras_regs *r)
{
	return r->cap_ctrl & CXLDCD_RAS_FEP_MASK;
}

static void test_ras_reset_values_mask_everything(void **state)
{
	struct tenv *e = *state;
	struct core_ras_regs r;

	core_ras_get(e->dev, 1, &r);
	assert_int_equal(r.unc_status, 0);
	assert_int_equal(r.unc_mask, 0x1cfff);
	assert_int_equal(r.unc_severity, 0x1cfff);
	assert_int_equal(r.cor_status, 0);
	assert_int_equal(r.cor_mask, 0x7f);
	assert_int_equal(r.cap_ctrl, 0x200);
	for (int i = 0; i < 16; i++)
		assert_int_equal(r.header_log[i], 0);
	core_ras_get(e->dev, 99, &r);   /* no such host: zeros */
	assert_int_equal(r.unc_mask, 0);
	assert_int_equal(r.cap_ctrl, 0);
}

static void test_ras_masked_errors_are_not_recorded(void **state)
{
	struct tenv *e = *state;
	struct core_uncor_error u = uerr(CXLDCD_RAS_UNC_INTERNAL, 1);
	struct core_ras_regs r;
	struct seen s = { 0 };

	core_observer_add(e->dev, &ras_ops, &s);
	assert_int_equal(core_ras_inject_uncor(e->dev, 0, &u, 1, &e->diag), 0);
	assert_int_equal(core_ras_inject_cor(e->dev, 0, CXLDCD_RAS_COR_PHYSICAL, &e->diag), 0);
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.unc_status, 0);
	assert_int_equal(r.cor_status, 0);
	assert_int_equal(fep(&r), 0);
	assert_int_equal(r.header_log[0], 0);
	assert_int_equal(s.unc[0] + s.cor[0], 0);
	/* only the unmasked one of two */
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_UNC_MASK,
					0x1cfff & ~(1u << CXLDCD_RAS_UNC_MEM_DATA_ECC), NULL), 0);
	struct core_uncor_error two[2] = { uerr(CXLDCD_RAS_UNC_INTERNAL, 1),
					   uerr(CXLDCD_RAS_UNC_MEM_DATA_ECC, 100) };
	assert_int_equal(core_ras_inject_uncor(e->dev, 0, two, 2, &e->diag), 0);
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.unc_status, 1u << 7);
	assert_int_equal(fep(&r), 7);
	assert_int_equal(r.header_log[0], 100);
	assert_int_equal(r.header_log[15], 115);
	assert_int_equal(s.unc[0], 1);
}

static void test_ras_first_error_pointer_and_header_follow_the_oldest(void **state)
{
	struct tenv *e = *state;
	struct core_uncor_error a[3] = { uerr(CXLDCD_RAS_UNC_CACHE_ADDRESS_PARITY, 10),
					 uerr(CXLDCD_RAS_UNC_CACHE_DATA_PARITY, 20),
					 uerr(CXLDCD_RAS_UNC_INTERNAL, 30) };
	struct core_uncor_error later = uerr(CXLDCD_RAS_UNC_IDE_RX, 40);
	struct core_ras_regs r;
	struct seen s = { 0 };

	core_observer_add(e->dev, &ras_ops, &s);
	unmask_all(e, 1);
	assert_int_equal(core_ras_inject_uncor(e->dev, 1, a, 3, &e->diag), 0);
	core_ras_get(e->dev, 1, &r);
	assert_int_equal(r.unc_status, (1u << 1) | (1u << 0) | (1u << 14));
	assert_int_equal(fep(&r), 1);
	assert_int_equal(r.cap_ctrl & CXLDCD_RAS_MULTI_HEADER, CXLDCD_RAS_MULTI_HEADER);
	assert_int_equal(r.header_log[0], 10);
	/* a later error does not move the pointer while one is pending */
	assert_int_equal(core_ras_inject_uncor(e->dev, 1, &later, 1, &e->diag), 0);
	core_ras_get(e->dev, 1, &r);
	assert_int_equal(fep(&r), 1);
	assert_int_equal(r.header_log[0], 10);
	assert_int_equal(r.unc_status, 0x3u | (1u << 14) | (1u << 16));
	assert_int_equal(s.unc[1], 2);
	assert_int_equal(s.unc[0], 0);      /* other hosts untouched */
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.unc_status, 0);
	/* clearing exactly the FEP bit shows the next record */
	assert_int_equal(core_ras_write(e->dev, 1, CXLDCD_RAS_UNC_STATUS, 1u << 1, NULL), 0);
	core_ras_get(e->dev, 1, &r);
	assert_int_equal(fep(&r), 0);
	assert_int_equal(r.header_log[0], 20);
	assert_int_equal(r.header_log[15], 35);
	assert_int_equal(r.unc_status, 0x1u | (1u << 14) | (1u << 16));
	/* any other value drops every record whose bit is written */
	assert_int_equal(core_ras_write(e->dev, 1, CXLDCD_RAS_UNC_STATUS,
					(1u << 0) | (1u << 16), NULL), 0);
	core_ras_get(e->dev, 1, &r);
	assert_int_equal(r.unc_status, 1u << 14);
	assert_int_equal(fep(&r), 14);
	assert_int_equal(r.header_log[0], 30);
	/* the last one: the pointer points at no bit, the log keeps its bytes */
	assert_int_equal(core_ras_write(e->dev, 1, CXLDCD_RAS_UNC_STATUS, 1u << 14, NULL), 0);
	core_ras_get(e->dev, 1, &r);
	assert_int_equal(r.unc_status, 0);
	assert_int_equal(fep(&r), CXLDCD_RAS_FEP_NONE);
	assert_int_equal(r.header_log[0], 30);
	/* and a new error after that is the first again */
	assert_int_equal(core_ras_inject_uncor(e->dev, 1, &later, 1, &e->diag), 0);
	core_ras_get(e->dev, 1, &r);
	assert_int_equal(fep(&r), 16);
	assert_int_equal(r.header_log[0], 40);
}

static void test_ras_correctable_status_is_write_one_to_clear(void **state)
{
	struct tenv *e = *state;
	struct core_ras_regs r;
	struct seen s = { 0 };

	core_observer_add(e->dev, &ras_ops, &s);
	unmask_all(e, 0);
	assert_int_equal(core_ras_inject_cor(e->dev, 0, CXLDCD_RAS_COR_PHYSICAL, &e->diag), 0);
	assert_int_equal(core_ras_inject_cor(e->dev, 0, CXLDCD_RAS_COR_MEM_DATA_ECC, &e->diag), 0);
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.cor_status, 0x42);
	assert_int_equal(s.cor[0], 2);
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_COR_STATUS, 0xffffff02, NULL), 0);
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.cor_status, 0x40);
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_COR_STATUS, 0, NULL), 0);
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.cor_status, 0x40);
	/* masking it again stops new ones, the set bit stays */
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_COR_MASK, 0xffffffff, NULL), 0);
	assert_int_equal(core_ras_inject_cor(e->dev, 0, CXLDCD_RAS_COR_CRC_THRESHOLD, &e->diag), 0);
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.cor_status, 0x40);
	assert_int_equal(r.cor_mask, 0x7f);
	assert_int_equal(s.cor[0], 2);
}

static void test_ras_read_only_and_reserved_bits_ignore_writes(void **state)
{
	struct tenv *e = *state;
	struct core_uncor_error u = uerr(CXLDCD_RAS_UNC_POISON_RECEIVED, 7);
	struct core_ras_regs r;

	unmask_all(e, 0);
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_UNC_SEVERITY, 0xffffffff, NULL), 0);
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_UNC_MASK, 0xffff0000, NULL), 0);
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.unc_severity, 0x1cfff);
	assert_int_equal(r.unc_mask, 0x10000);
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_UNC_MASK, 0, NULL), 0);
	assert_int_equal(core_ras_inject_uncor(e->dev, 0, &u, 1, &e->diag), 0);
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_CAP_CTRL, 0, NULL), 0);
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_HEADER_LOG + 4, 0, NULL), 0);
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_UNC_STATUS, 1u << 12, NULL), 0);
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.cap_ctrl, 0x200 | 10);
	assert_int_equal(r.header_log[1], 8);
	assert_int_equal(r.unc_status, 1u << 10);
}

static void test_ras_bad_input_changes_nothing(void **state)
{
	struct tenv *e = *state;
	struct core_uncor_error good = uerr(CXLDCD_RAS_UNC_INTERNAL, 1);
	struct core_uncor_error bad[2] = { uerr(CXLDCD_RAS_UNC_INTERNAL, 1), uerr(12, 2) };
	struct core_uncor_error many[CORE_RAS_QUEUE_MAX];
	struct core_ras_regs before, after;

	unmask_all(e, 0);
	assert_int_equal(core_ras_inject_uncor(e->dev, 0, &good, 1, &e->diag), 0);
	core_ras_get(e->dev, 0, &before);
	assert_int_equal(core_ras_inject_uncor(e->dev, 0, bad, 2, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(e->diag.index, 1);
	assert_int_equal(core_ras_inject_uncor(e->dev, 7, &good, 1, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(core_ras_inject_cor(e->dev, 0, 7, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(core_ras_write(e->dev, 0, 2, 0, &e->diag), CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_SIZE, 0, &e->diag),
			 CXLDCD_RC_INVALID_INPUT);
	assert_int_equal(core_ras_write(e->dev, 5, 0, 0, &e->diag), CXLDCD_RC_INVALID_INPUT);
	for (uint32_t i = 0; i < CORE_RAS_QUEUE_MAX; i++)
		many[i] = uerr(CXLDCD_RAS_UNC_MEM_DATA_ECC, i);
	assert_int_equal(core_ras_inject_uncor(e->dev, 0, many, CORE_RAS_QUEUE_MAX, &e->diag),
			 CXLDCD_RC_RESOURCES_EXHAUSTED);
	assert_non_null(strstr(e->diag.text, "room for 31 more"));
	core_ras_get(e->dev, 0, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(core_ras_inject_uncor(e->dev, 0, many, CORE_RAS_QUEUE_MAX - 1, &e->diag), 0);
	core_ras_get(e->dev, 0, &after);
	assert_int_equal(after.unc_status, (1u << 14) | (1u << 7));
}

static void test_ras_all_hosts_checks_every_host_first(void **state)
{
	struct tenv *e = *state;
	struct core_uncor_error many[CORE_RAS_QUEUE_MAX];
	struct core_ras_regs r0, r1;
	struct seen s = { 0 };

	core_observer_add(e->dev, &ras_ops, &s);
	unmask_all(e, 0);
	unmask_all(e, 1);
	for (uint32_t i = 0; i < CORE_RAS_QUEUE_MAX; i++)
		many[i] = uerr(CXLDCD_RAS_UNC_IDE_TX, i);
	assert_int_equal(core_ras_inject_uncor(e->dev, 1, many, CORE_RAS_QUEUE_MAX, &e->diag), 0);
	assert_int_equal(core_ras_inject_uncor(e->dev, CORE_RAS_ALL_HOSTS, many, 1, &e->diag),
			 CXLDCD_RC_RESOURCES_EXHAUSTED);
	core_ras_get(e->dev, 0, &r0);
	assert_int_equal(r0.unc_status, 0);     /* host 0 got nothing either */
	assert_int_equal(core_ras_write(e->dev, 1, CXLDCD_RAS_UNC_STATUS, 1u << 15, NULL), 0);
	assert_int_equal(core_ras_inject_uncor(e->dev, CORE_RAS_ALL_HOSTS, many, 1, &e->diag), 0);
	assert_int_equal(core_ras_inject_cor(e->dev, CORE_RAS_ALL_HOSTS, 0, &e->diag), 0);
	core_ras_get(e->dev, 0, &r0);
	core_ras_get(e->dev, 1, &r1);
	assert_int_equal(r0.unc_status, 1u << 15);
	assert_int_equal(r1.unc_status, 1u << 15);
	assert_int_equal(r0.cor_status, 1);
	assert_int_equal(r1.cor_status, 1);
	assert_int_equal(s.unc[0], 1);
	assert_int_equal(s.unc[1], 2);
	assert_int_equal(s.cor[0] + s.cor[1], 2);
}

static void test_ras_out_of_memory_changes_nothing(void **state)
{
	struct tenv *e = *state;
	struct core_uncor_error u = uerr(CXLDCD_RAS_UNC_INTERNAL, 1);
	struct core_ras_regs r;

	e->ta.fail_at = e->ta.nr_allocs + 1;
	assert_int_equal(core_ras_write(e->dev, 0, CXLDCD_RAS_UNC_MASK, 0, &e->diag),
			 CXLDCD_RC_INTERNAL_ERROR);
	e->ta.fail_at = 0;
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.unc_mask, 0x1cfff);
	unmask_all(e, 0);
	e->ta.fail_at = e->ta.nr_allocs + 1;    /* host 1's registers cannot be made */
	assert_int_equal(core_ras_inject_uncor(e->dev, CORE_RAS_ALL_HOSTS, &u, 1, &e->diag),
			 CXLDCD_RC_INTERNAL_ERROR);
	e->ta.fail_at = 0;
	core_ras_get(e->dev, 0, &r);
	assert_int_equal(r.unc_status, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ras_reset_values_mask_everything),
		T(test_ras_masked_errors_are_not_recorded),
		T(test_ras_first_error_pointer_and_header_follow_the_oldest),
		T(test_ras_correctable_status_is_write_one_to_clear),
		T(test_ras_read_only_and_reserved_bits_ignore_writes),
		T(test_ras_bad_input_changes_nothing),
		T(test_ras_all_hosts_checks_every_host_first),
		T(test_ras_out_of_memory_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
