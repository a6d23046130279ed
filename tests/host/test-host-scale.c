/* SPDX-License-Identifier: MIT */
/*
 * test-host-scale.c - libcxldcd-host with many groups and mapped extents,
 * against the real device model, memory and hostlink server in one process:
 * every MAP brings an fd, but the host keeps one per backend file; a group
 * of many extents maps contiguously (adjacent pieces merged) and reads back
 * through the device; releasing everything closes the shared fd.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hx.h"

#define NR_SINGLE 100u   /* untagged extents: one group each */
#define NR_TAGGED 20u    /* one tagged group */

/* Add n adjacent 2 MiB extents from dpa in one chain; tag NULL: untagged. */
static void add_run(struct hx *x, uint64_t dpa, uint32_t n, const char *tag)
{
	struct cxldcd_extent e[NR_SINGLE];
	unsigned have = hx_count(x, CXLDCD_HOST_EV_GROUP_ADDED);
	unsigned want = tag ? 1 : n;

	for (uint32_t i = 0; i < n; i++)
		e[i] = hx_ext(dpa + i * 2 * MiB, 2 * MiB, tag, (uint16_t)(tag ? i : 0));
	assert_int_equal(hx_add(x, 0, e, n), CXLDCD_RC_SUCCESS);
	for (int tries = 0; tries < 100 && hx_count(x, CXLDCD_HOST_EV_GROUP_ADDED) < have + want;
	     tries++)
		hx_pump_for(x, CXLDCD_HOST_EV_GROUP_ADDED, hx_count(x, CXLDCD_HOST_EV_GROUP_ADDED),
			    100);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_ADDED), have + want);
	hx_pump(x, 100);
}

static void test_mapped_extents_share_one_fd_per_backend_file(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info *g = calloc(NR_SINGLE + 1, sizeof(*g));
	unsigned before;
	uint32_t n;

	assert_non_null(g);
	x->hcfg.group_files = false;
	hx_host_start(x);
	before = hx_open_fds();
	add_run(x, x->base[1], NR_SINGLE, NULL); /* region 1: not sharable, untagged allowed */
	n = cxldcd_host_list_groups(x->h, g, NR_SINGLE + 1);
	assert_int_equal(n, NR_SINGLE);
	for (uint32_t i = 0; i < n; i++)
		assert_true(g[i].mapped);
	/* 100 MAPs, 100 fds received: one kept (one memory backend per region) */
	assert_true(hx_open_fds() <= before + 2);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_DEVICE_ERROR), 0);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(cxldcd_host_group_release(x->h, NULL, g[i].id), 0);
	for (int tries = 0; tries < 100 && cxldcd_host_list_groups(x->h, NULL, 0); tries++)
		hx_pump(x, 50);
	hx_pump(x, 100);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	assert_int_equal(hx_count(x, CXLDCD_HOST_EV_GROUP_RELEASED), NR_SINGLE);
	assert_int_equal(core_extent_count(x->dev, 0), 0);
	/* the last segment of the file gone: its fd is closed */
	assert_true(hx_open_fds() <= before);
	free(g);
}

/*
 * What a file per group costs (cfg.group_files): each untagged extent is a
 * group, so 100 of them are 100 files - 100 views in the device (one fd
 * each) and 100 fds kept by the host - and a tagged group of 20 extents is
 * one more; releasing them closes every one.  (Without it: one view and
 * one fd for all of them, the test above.)
 */
static void test_a_file_per_group_costs_one_fd_per_group(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info *g = calloc(NR_SINGLE + 2, sizeof(*g));
	struct cxldcd_extent e[NR_TAGGED];
	struct mem_dev_stats ms;
	unsigned before;
	uint32_t n;

	assert_non_null(g);
	x->hcfg.group_files = true;
	hx_host_start(x);
	before = hx_open_fds();
	add_run(x, x->base[1], NR_SINGLE, NULL);
	/* a tagged group of region 1 (not sharable: no sequence numbers) */
	for (uint32_t i = 0; i < NR_TAGGED; i++)
		e[i] = hx_ext(x->base[1] + (2 * NR_SINGLE + 2 * i) * MiB, 2 * MiB, TAG_A, 0);
	hx_add_group(x, e, NR_TAGGED);
	n = cxldcd_host_list_groups(x->h, g, NR_SINGLE + 2);
	assert_int_equal(n, NR_SINGLE + 1);
	mem_dev_stats_get(x->md, &ms);
	assert_int_equal(ms.nr_stores, NR_SINGLE + 1);
	/* this process is the device too: its views and the host's fds of them */
	assert_true(hx_open_fds() >= before + 2 * (NR_SINGLE + 1));
	assert_true(hx_open_fds() <= before + 2 * (NR_SINGLE + 1) + 2);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(cxldcd_host_group_release(x->h, NULL, g[i].id), 0);
	for (int tries = 0; tries < 100 && cxldcd_host_list_groups(x->h, NULL, 0); tries++)
		hx_pump(x, 50);
	hx_pump(x, 100);
	assert_int_equal(cxldcd_host_list_groups(x->h, NULL, 0), 0);
	mem_dev_stats_get(x->md, &ms);
	assert_int_equal(ms.nr_stores, 0);
	assert_true(hx_open_fds() <= before);
	free(g);
}

static void test_many_extent_group_maps_contiguously_through_shared_fds(void **state)
{
	struct hx *x = *state;
	struct cxldcd_host_group_info g;
	char err[256];
	uint8_t tag[16], buf[16];
	uint64_t size;
	void *addr;

	hx_host_start(x);
	add_run(x, x->base[0] + 64 * MiB, NR_TAGGED, TAG_B);
	assert_int_equal(cxldcd_host_list_groups(x->h, &g, 1), 1);
	assert_int_equal(g.nr_extents, NR_TAGGED);
	assert_true(g.mapped);
	assert_int_equal(cxldcd_tag_parse(TAG_B, tag), 0);
	assert_int_equal(cxldcd_host_group_open(x->h, tag, 0, &addr, &size), 0);
	assert_int_equal(size, NR_TAGGED * 2 * MiB);
	for (uint32_t i = 0; i < NR_TAGGED; i++)
		memset((uint8_t *)addr + i * 2 * MiB + MiB, (int)(0x40 + i), sizeof(buf));
	for (uint32_t i = 0; i < NR_TAGGED; i++) {
		assert_int_equal(mem_read(x->md, 0, x->base[0] + 64 * MiB + i * 2 * MiB + MiB, buf,
					  sizeof(buf), err, sizeof(err)), 0);
		assert_int_equal(buf[0], 0x40 + i);
		assert_int_equal(buf[sizeof(buf) - 1], 0x40 + i);
	}
	assert_int_equal(cxldcd_host_group_close(x->h, g.id), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_file_per_group_costs_one_fd_per_group,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_mapped_extents_share_one_fd_per_backend_file,
						hx_setup, hx_teardown),
		cmocka_unit_test_setup_teardown(test_many_extent_group_maps_contiguously_through_shared_fds,
						hx_setup, hx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
