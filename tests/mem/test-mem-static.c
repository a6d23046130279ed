/* SPDX-License-Identifier: MIT */
/*
 * test-mem-static.c - static capacity of a mem_dev (QEMU's volatile-memdev at
 * DPA 0, persistent-memdev after it; docs/memory.md "Static capacity"):
 * every host reaches it through the slow path, its window and MAP segments;
 * untrusted hosts get a store, never the backend; a file backend gets the
 * bytes back at a clean stop (and a new mem_dev finds them); layout and
 * lifetime errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem/mem.h"

#define MiB (1024ull * 1024)
#define VSZ (8 * MiB)         /* volatile-memdev */
#define PSZ (4 * MiB)         /* persistent-memdev, at DPA VSZ */
#define R0 0x10000000ull      /* region 0 base */

struct fx {
	struct mem_registry *reg;
	struct mem_dev *md;
	struct mem_layout layout;
	char dir[64];
	char path[96];
	char err[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mem_registry_new(&f->reg), 0);
	f->layout = (struct mem_layout){ .nr_hosts = 3, .nr_regions = 1 };
	f->layout.regions[0] = (struct mem_region_layout){ .base = R0, .decode_len = 256 * MiB,
							  .len = 32 * MiB };
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-static-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/pmem", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	mem_dev_free(f->md);
	mem_registry_free(f->reg);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void add(struct fx *f, const char *type, const char *id, uint64_t size, const char *path)
{
	struct mem_backend_props p = { .type = type, .id = id, .size = size, .mem_path = path };

	assert_int_equal(mem_registry_add(f->reg, &p, NULL, f->err, sizeof(f->err)), 0);
}

/* vmem (ram) + pmem (a file) + a tag-backed DC region. */
static void dev(struct fx *f, bool trusted)
{
	struct mem_dev_cfg cfg = { .mode = MEM_DEV_TAGGED, .direct_map = true, .trusted = trusted,
				   .volatile_memdev = "vmem", .persistent_memdev = "pmem" };

	assert_int_equal(mem_dev_new_layout(&f->layout, f->reg, &cfg, &f->md, f->err,
					    sizeof(f->err)), 0);
}

static void backends(struct fx *f)
{
	add(f, MEM_TYPE_RAM, "vmem", VSZ, NULL);
	add(f, MEM_TYPE_FILE, "pmem", PSZ, f->path);
}

/* Every host reads and writes all of it: one copy, seen by all paths. */
static void test_every_host_reaches_static_capacity(void **state)
{
	struct fx *f = *state;
	uint8_t buf[16] = { 0 };
	void *w0, *w2;
	uint64_t size;

	backends(f);
	dev(f, false);
	assert_int_equal(mem_dev_static_size(f->md), VSZ + PSZ);
	/* host 0 writes across the volatile / persistent boundary */
	assert_int_equal(mem_write(f->md, 0, VSZ - 4, "ABCDEFGH", 8, f->err, sizeof(f->err)), 0);
	assert_int_equal(mem_read(f->md, 1, VSZ - 4, buf, 8, f->err, sizeof(f->err)), 0);
	assert_memory_equal(buf, "ABCDEFGH", 8);
	/* the windows show the same bytes, at DPA d = base + d */
	assert_int_equal(mem_dev_static_window(f->md, 2, &w2, &size), 0);
	assert_int_equal(size, VSZ + PSZ);
	assert_memory_equal((uint8_t *)w2 + VSZ - 4, "ABCDEFGH", 8);
	assert_int_equal(mem_dev_static_window(f->md, 0, &w0, &size), 0);
	memcpy((uint8_t *)w0 + 100, "win", 3);
	assert_int_equal(mem_read(f->md, 2, 100, buf, 3, f->err, sizeof(f->err)), 0);
	assert_memory_equal(buf, "win", 3);
	/* the end of static capacity is the end: the gap before region 0 is nobody's */
	assert_int_equal(mem_read(f->md, 0, VSZ + PSZ - 2, buf, 4, f->err, sizeof(f->err)), -EFAULT);
	assert_int_equal(mem_write(f->md, 1, VSZ + PSZ, "x", 1, f->err, sizeof(f->err)), -EFAULT);
	assert_int_equal(mem_dev_static_window(f->md, 3, &w0, &size), -EINVAL);
}

/* MAP segments: the store (scoped, writable), never the backend, one per memdev. */
static void test_segments_are_the_store_not_the_backend(void **state)
{
	struct fx *f = *state;
	struct mem_backend *pm;
	struct mem_segment s[4];
	struct stat a, b;
	uint32_t n = 0;
	int fd;

	backends(f);
	dev(f, false);
	pm = mem_registry_find(f->reg, "pmem");
	assert_int_equal(mem_dev_segments(f->md, 1, 0, VSZ + PSZ, s, 4, &n, f->err, sizeof(f->err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].dpa, 0);
	assert_int_equal(s[0].len, VSZ);
	assert_int_equal(s[1].dpa, VSZ);
	assert_int_equal(s[1].len, PSZ);
	assert_int_equal(s[1].offset, 0);
	assert_true(s[0].scoped && s[1].scoped && s[0].writable && s[1].writable);
	assert_string_equal(s[1].backend_id, "pmem");
	fd = mem_segment_fd(&s[1]);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(mem_backend_fd(pm), &b), 0);
	assert_false(a.st_ino == b.st_ino && a.st_dev == b.st_dev);   /* not the file */
	assert_int_equal(ftruncate(fd, 0), -1);                       /* sealed */
	close(fd);
	/* trusted: the backend itself */
	mem_dev_free(f->md);
	dev(f, true);
	assert_int_equal(mem_dev_segments(f->md, 0, VSZ, PSZ, s, 4, &n, f->err, sizeof(f->err)), 0);
	assert_false(s[0].scoped);
	assert_int_equal(s[0].fd, mem_backend_fd(pm));
}

/* Persistent data: written back into the file at a clean stop, found by the next mem_dev. */
static void test_file_backend_keeps_data_across_a_restart(void **state)
{
	struct fx *f = *state;
	uint8_t buf[8] = { 0 }, disk[8] = { 0 };
	int fd;

	backends(f);
	dev(f, false);
	assert_int_equal(mem_write(f->md, 2, VSZ + 0x1000, "persist", 7, f->err, sizeof(f->err)), 0);
	mem_dev_free(f->md);
	f->md = NULL;
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, disk, 7, 0x1000), 7);
	close(fd);
	assert_memory_equal(disk, "persist", 7);
	/* a new daemon: the registry and the device are made again from the file */
	mem_registry_free(f->reg);
	assert_int_equal(mem_registry_new(&f->reg), 0);
	backends(f);
	dev(f, false);
	assert_int_equal(mem_read(f->md, 0, VSZ + 0x1000, buf, 7, f->err, sizeof(f->err)), 0);
	assert_memory_equal(buf, "persist", 7);
}

/* Sanitize / Secure Erase (mem_zero()): punched, so every host and path reads zeros. */
static void test_zero_erases_static_capacity_for_every_host(void **state)
{
	struct fx *f = *state;
	uint8_t buf[8] = { 1 };
	void *w;
	uint64_t size;

	backends(f);
	dev(f, false);
	assert_int_equal(mem_write(f->md, 0, VSZ - 4, "ABCDEFGH", 8, f->err, sizeof(f->err)), 0);
	assert_int_equal(mem_zero(f->md, 1, 0, UINT64_MAX / 2), 0);
	assert_int_equal(mem_read(f->md, 2, VSZ - 4, buf, 8, f->err, sizeof(f->err)), 0);
	assert_memory_equal(buf, (uint8_t[8]){ 0 }, 8);
	assert_int_equal(mem_dev_static_window(f->md, 0, &w, &size), 0);
	assert_memory_equal((uint8_t *)w + VSZ - 4, (uint8_t[8]){ 0 }, 8);
	assert_int_equal(mem_zero(f->md, 3, 0, 8), -EINVAL);
}

/* persistent-memdev alone starts at DPA 0 (QEMU's layout without a volatile-memdev). */
static void test_persistent_alone_starts_at_dpa_0(void **state)
{
	struct fx *f = *state;
	struct mem_dev_cfg cfg = { .mode = MEM_DEV_TAGGED, .persistent_memdev = "pmem" };
	struct mem_segment s[2];
	uint8_t buf[4];
	uint32_t n = 0;

	add(f, MEM_TYPE_FILE, "pmem", PSZ, f->path);
	assert_int_equal(mem_dev_new_layout(&f->layout, f->reg, &cfg, &f->md, f->err,
					    sizeof(f->err)), 0);
	assert_int_equal(mem_dev_static_size(f->md), PSZ);
	assert_int_equal(mem_dev_segments(f->md, 2, 0, PSZ, s, 2, &n, f->err, sizeof(f->err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(s[0].backend_id, "pmem");
	assert_int_equal(mem_write(f->md, 1, 0, "pm0", 3, f->err, sizeof(f->err)), 0);
	assert_int_equal(mem_read(f->md, 0, 0, buf, 3, f->err, sizeof(f->err)), 0);
	assert_memory_equal(buf, "pm0", 3);
	assert_int_equal(mem_read(f->md, 0, PSZ, buf, 1, f->err, sizeof(f->err)), -EFAULT);
}

/* static-host=N: only host N reaches it; the others see nothing there, by any path. */
static void test_static_host_only(void **state)
{
	struct fx *f = *state;
	struct mem_dev_cfg cfg = { .mode = MEM_DEV_TAGGED, .direct_map = true,
				   .volatile_memdev = "vmem", .persistent_memdev = "pmem",
				   .static_host_only = true, .static_host = 1 };
	struct mem_segment s[2];
	uint8_t buf[4];
	uint32_t n;
	void *w;
	uint64_t size;

	backends(f);
	assert_int_equal(mem_dev_new_layout(&f->layout, f->reg, &cfg, &f->md, f->err,
					    sizeof(f->err)), 0);
	assert_int_equal(mem_write(f->md, 1, 0, "one", 3, f->err, sizeof(f->err)), 0);
	assert_int_equal(mem_read(f->md, 1, 0, buf, 3, f->err, sizeof(f->err)), 0);
	assert_memory_equal(buf, "one", 3);
	for (uint16_t h = 0; h < 3; h += 2) {
		assert_int_equal(mem_read(f->md, h, 0, buf, 3, f->err, sizeof(f->err)), -EFAULT);
		assert_int_equal(mem_write(f->md, h, VSZ, "x", 1, f->err, sizeof(f->err)), -EFAULT);
		assert_int_equal(mem_dev_segments(f->md, h, 0, VSZ, s, 2, &n, f->err,
						  sizeof(f->err)), -EFAULT);
		assert_int_equal(mem_dev_static_window(f->md, h, &w, &size), -ENOENT);
	}
	assert_int_equal(mem_dev_static_window(f->md, 1, &w, &size), 0);
	mem_dev_free(f->md);
	f->md = NULL;
	cfg.static_host = 3;
	assert_int_equal(mem_dev_new_layout(&f->layout, f->reg, &cfg, &f->md, f->err,
					    sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "static-host=3: the device has 3 host(s)"));
}

static void test_static_backends_are_pinned_and_checked(void **state)
{
	struct fx *f = *state;
	struct mem_dev_cfg cfg = { .mode = MEM_DEV_TAGGED, .volatile_memdev = "big" };
	struct mem_backend_info bi;

	backends(f);
	dev(f, false);
	assert_int_equal(mem_registry_del(f->reg, "vmem", f->err, sizeof(f->err)), -EBUSY);
	assert_non_null(strstr(f->err, "backend vmem is bound to host="));
	assert_non_null(strstr(f->err, "dpa=0x0 len=0x800000"));
	mem_backend_get_info(mem_registry_find(f->reg, "pmem"), &bi);
	assert_true(bi.in_use);
	mem_dev_free(f->md);
	f->md = NULL;
	assert_int_equal(mem_registry_del(f->reg, "vmem", f->err, sizeof(f->err)), 0);
	/* static capacity must end by region 0 */
	add(f, MEM_TYPE_RAM, "big", R0 + 2 * MiB, NULL);
	assert_int_equal(mem_dev_new_layout(&f->layout, f->reg, &cfg, &f->md, f->err,
					    sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "volatile-memdev=big: size=0x10200000 at dpa=0x0 overlaps region 0"));
	cfg.volatile_memdev = "nope";
	assert_int_equal(mem_dev_new_layout(&f->layout, f->reg, &cfg, &f->md, f->err,
					    sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "volatile-memdev=nope: no such memory backend"));
	assert_null(f->md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_host_reaches_static_capacity, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_segments_are_the_store_not_the_backend, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_file_backend_keeps_data_across_a_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zero_erases_static_capacity_for_every_host, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_persistent_alone_starts_at_dpa_0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_host_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_backends_are_pinned_and_checked, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
