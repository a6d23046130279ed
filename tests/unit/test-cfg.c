/* SPDX-License-Identifier: MIT */
/* test-cfg.c - configuration defaults, validation messages and auto placement. */
#include <errno.h>
#include <string.h>

#include "helpers.h"

static void expect_bad(const struct cxldcd_dev_cfg *c, const char *needle)
{
	struct cxldcd_diag d = { 0 };
	struct cxldcd_dev *dev = (struct cxldcd_dev *)1;

	assert_int_equal(core_cfg_validate(c, NULL, &d), -EINVAL);
	if (!strstr(d.text, needle))
		fail_msg("diag '%s' does not name '%s'", d.text, needle);
	assert_int_equal(core_dev_new(c, &dev, NULL), -EINVAL);
	assert_null(dev);
}

static void test_cfg_default_is_valid_and_auto_places_regions(void **state)
{
	struct cxldcd_dev_cfg c, r;

	(void)state;
	core_cfg_default(&c);
	c.static_capacity = 100 * MiB;
	assert_int_equal(core_cfg_validate(&c, &r, NULL), 0);
	assert_true(r.regions[0].base == 256 * MiB);
	assert_true(r.regions[1].base == 256 * MiB + 4 * GiB);
	c.regions[0].decode_len = 0;
	c.regions[0].len = 258 * MiB;
	assert_int_equal(core_cfg_validate(&c, &c, NULL), 0);
	assert_true(c.regions[0].decode_len == 512 * MiB);
	assert_true(c.regions[1].base == 768 * MiB);
}

static void test_cfg_names_each_bad_field(void **state)
{
	struct cxldcd_dev_cfg c;

	(void)state;
#define BAD(stmt, needle)                \
	do {                             \
		core_cfg_default(&c);    \
		stmt;                    \
		expect_bad(&c, needle);  \
	} while (0)
	BAD(c.nr_regions = 0, "at least one memdev property must be set");
	BAD(c.nr_regions = 9, "nr_regions");
	BAD(c.regions[1].block_size = 3 * MiB, "regions[1].block_size");
	BAD(c.regions[0].block_size = 32, "regions[0].block_size");
	BAD(c.regions[0].block_size = 4 * MiB, "not in supported_block_mask");
	BAD(c.regions[0].supported_block_mask |= 1, "supported_block_mask");
	BAD(c.regions[0].supported_block_mask |= 1ull << 60, "supported_block_mask");
	BAD(c.regions[0].len = 3 * MiB, "regions[0].len");
	BAD(c.regions[0].len = 0, "regions[0].len");
	BAD(c.regions[0].decode_len = 2 * GiB, "regions[0].decode_len");
	BAD(c.regions[0].decode_len = 4 * GiB + MiB, "regions[0].decode_len");
	BAD(c.regions[1].base = 4 * GiB + 128 * MiB, "regions[1].base");
	BAD(c.regions[1].base = 2 * GiB, "regions[1].base");
	BAD((c.static_capacity = 1 * GiB, c.regions[0].base = 256 * MiB), "regions[0].base");
	BAD((c.static_capacity = 256 * MiB, c.persistent_capacity = 512 * MiB), "persistent_capacity");
	BAD((c.static_host_only = true, c.static_host = 2), "static_host=2 not below nr_hosts=2");
	BAD(c.nr_hosts = 0, "nr_hosts");
	BAD(c.nr_hosts = 257, "nr_hosts");
	BAD(c.max_extents = 0, "max_extents");
	BAD(c.evlog_depth = 0, "evlog_depth");
	BAD(c.mbox_payload_size = 128, "mbox_payload_size");
	BAD(c.mbox_payload_size = 3000, "mbox_payload_size");
	BAD(c.mbox_payload_size = 2u << 20, "mbox_payload_size");
}

/* QEMU's cxl-type3 with static capacity only: no DC region at all. */
static void test_cfg_static_only_has_no_region(void **state)
{
	struct cxldcd_dev_cfg c, r;
	struct core_region_info ri;
	struct cxldcd_dev *dev = NULL;

	(void)state;
	core_cfg_default(&c);
	c.nr_regions = 0;
	c.static_capacity = 512 * MiB;
	c.persistent_capacity = 256 * MiB;
	assert_int_equal(core_cfg_validate(&c, &r, NULL), 0);
	assert_int_equal(r.nr_regions, 0);
	for (unsigned i = 0; i < CXLDCD_MAX_REGIONS; i++)
		assert_true(r.regions[i].len == 0 && r.regions[i].base == 0);
	assert_int_equal(core_dev_new(&c, &dev, NULL), 0);
	assert_int_equal(core_region_count(dev), 0);
	assert_int_not_equal(core_region_get(dev, 0, &ri), 0);
	assert_true(core_dev_cfg(dev)->static_capacity == 512 * MiB);
	core_dev_free(dev);
}

static void test_cfg_device_reports_regions(void **state)
{
	struct cxldcd_dev_cfg c;
	struct cxldcd_dev *dev;
	struct core_region_info ri;

	(void)state;
	core_cfg_default(&c);
	c.regions[0].supported_block_mask = 0;
	assert_int_equal(core_dev_new(&c, &dev, NULL), 0);
	assert_int_equal(core_region_count(dev), 2);
	assert_int_equal(core_region_get(dev, 0, &ri), 0);
	assert_true(ri.supported_block_mask == 2 * MiB);
	assert_int_equal(core_region_get(dev, 2, &ri), -EINVAL);
	assert_int_equal(core_region_of(dev, 4 * GiB, 2 * MiB), 1);
	assert_int_equal(core_region_of(dev, 4 * GiB - MiB, 2 * MiB), -1);
	assert_int_equal(core_region_of(dev, UINT64_MAX - 1, 2 * MiB), -1);
	assert_true(core_dev_cfg(dev)->regions[1].base == 4 * GiB);
	core_dev_free(dev);
	core_dev_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg_default_is_valid_and_auto_places_regions),
		cmocka_unit_test(test_cfg_names_each_bad_field),
		cmocka_unit_test(test_cfg_device_reports_regions),
		cmocka_unit_test(test_cfg_static_only_has_no_region),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
