/* SPDX-License-Identifier: MIT */
/*
 * test-backend.c - memory backends and the registry: every type, every
 * property error, id/tag uniqueness, lookups, iteration, file persistence.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/tag.h"
#include "mem/mem.h"
#include "mem/store.h"

#define TAG_A "5be13bce-ae34-4a77-b6c3-16df975fcf1a"
#define TAG_B "0f8c4d1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5"
#define MiB (1024ull * 1024)

struct fx {
	struct mem_registry *reg;
	char dir[64];
	char err[256];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mem_registry_new(&f->reg), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-mem-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	mem_registry_free(f->reg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static int add(struct fx *f, const char *type, const char *id, uint64_t size, const char *tag)
{
	struct mem_backend_props p = { .type = type, .id = id, .size = size, .tag = tag };

	f->err[0] = 0;
	return mem_registry_add(f->reg, &p, NULL, f->err, sizeof(f->err));
}

static void test_every_type_creates_an_fd_of_its_size(void **state)
{
	struct fx *f = *state;
	struct mem_backend_props p = { .type = MEM_TYPE_FILE, .id = "file0", .size = 4 * MiB };
	char path[128];
	struct mem_backend_info info;
	struct stat st;

	assert_int_equal(add(f, MEM_TYPE_RAM, "ram0", 2 * MiB, NULL), 0);
	assert_int_equal(add(f, MEM_TYPE_MEMFD, "memfd0", 2 * MiB, TAG_B), 0);
	assert_int_equal(add(f, MEM_TYPE_TAGGED, "tm0", 2 * MiB, TAG_A), 0);
	snprintf(path, sizeof(path), "%s/file0", f->dir);
	p.mem_path = path;
	assert_int_equal(mem_registry_add(f->reg, &p, NULL, f->err, sizeof(f->err)), 0);
	assert_int_equal(mem_registry_count(f->reg), 4);

	for (struct mem_backend *b = mem_registry_first(f->reg); b; b = mem_registry_next(f->reg, b)) {
		mem_backend_get_info(b, &info);
		assert_true(info.fd >= 0);
		assert_int_equal(fstat(info.fd, &st), 0);
		assert_true((uint64_t)st.st_size >= info.size);
		assert_int_equal(info.nr_bound, 0);
	}
	mem_backend_get_info(mem_registry_find(f->reg, "tm0"), &info);
	assert_string_equal(info.type, MEM_TYPE_TAGGED);
	assert_true(info.has_tag);
	assert_string_equal(info.tag_str, TAG_A);
	mem_backend_get_info(mem_registry_find(f->reg, "file0"), &info);
	assert_string_equal(info.mem_path, path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4 * MiB);
}

static void test_iteration_is_in_creation_order(void **state)
{
	struct fx *f = *state;
	const char *ids[] = { "c", "a", "b" };
	int i = 0;

	for (int k = 0; k < 3; k++)
		assert_int_equal(add(f, MEM_TYPE_RAM, ids[k], 4096, NULL), 0);
	for (struct mem_backend *b = mem_registry_first(f->reg); b; b = mem_registry_next(f->reg, b))
		assert_string_equal(mem_backend_id(b), ids[i++]);
	assert_int_equal(i, 3);
}

static void test_bad_tag_is_refused_with_a_clear_message(void **state)
{
	struct fx *f = *state;

	assert_int_equal(add(f, MEM_TYPE_RAM, "tm0", 2 * MiB, "not-a-uuid"), -EINVAL);
	assert_non_null(strstr(f->err, "tag=not-a-uuid is not a valid UUID"));
	assert_int_equal(add(f, MEM_TYPE_RAM, "tm0", 2 * MiB, "5be13bce-ae34-4a77-b6c3-16df975fcf1"), -EINVAL);
	assert_int_equal(add(f, MEM_TYPE_RAM, "tm0", 2 * MiB, "00000000-0000-0000-0000-000000000000"), -EINVAL);
	assert_non_null(strstr(f->err, "null UUID"));
	assert_int_equal(mem_registry_count(f->reg), 0);
}

static void test_tagged_type_requires_a_tag(void **state)
{
	struct fx *f = *state;

	assert_int_equal(add(f, MEM_TYPE_TAGGED, "tm0", 2 * MiB, NULL), -EINVAL);
	assert_non_null(strstr(f->err, "requires tag"));
}

static void test_duplicate_id_is_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(add(f, MEM_TYPE_RAM, "m0", 2 * MiB, NULL), 0);
	assert_int_equal(add(f, MEM_TYPE_MEMFD, "m0", 2 * MiB, NULL), -EEXIST);
	assert_string_equal(f->err, "attempt to add duplicate property 'm0' to object (type 'container')");
}

static void test_duplicate_tag_is_refused(void **state)
{
	struct fx *f = *state;

	assert_int_equal(add(f, MEM_TYPE_RAM, "m0", 2 * MiB, TAG_A), 0);
	assert_int_equal(add(f, MEM_TYPE_TAGGED, "m1", 2 * MiB, TAG_A), -EEXIST);
	assert_non_null(strstr(f->err, "already belongs to backend m0"));
	/* the same tag in upper case is the same UUID */
	assert_int_equal(add(f, MEM_TYPE_TAGGED, "m2", 2 * MiB, "5BE13BCE-AE34-4A77-B6C3-16DF975FCF1A"), -EEXIST);
	assert_int_equal(mem_registry_count(f->reg), 1);
}

static void test_file_backend_requires_mem_path(void **state)
{
	struct fx *f = *state;

	assert_int_equal(add(f, MEM_TYPE_FILE, "f0", 2 * MiB, NULL), -EINVAL);
	assert_non_null(strstr(f->err, "requires mem-path"));
}

static void test_bad_properties_are_refused(void **state)
{
	struct fx *f = *state;
	struct mem_backend_props p = { .type = MEM_TYPE_RAM, .id = "m0", .size = 2 * MiB,
				       .mem_path = "/tmp/x" };

	assert_int_equal(add(f, MEM_TYPE_RAM, "m0", 0, NULL), -EINVAL);
	assert_string_equal(f->err, "can't create backend with size 0");
	assert_int_equal(add(f, MEM_TYPE_RAM, "m0", 1000, NULL), -EINVAL);
	assert_non_null(strstr(f->err, "not a multiple of the page size"));
	assert_int_equal(add(f, "memory-backend-bogus", "m0", 2 * MiB, NULL), -EINVAL);
	assert_non_null(strstr(f->err, "unknown memory backend type"));
	assert_int_equal(add(f, MEM_TYPE_RAM, "0bad", 2 * MiB, NULL), -EINVAL);
	assert_int_equal(add(f, MEM_TYPE_RAM, "", 2 * MiB, NULL), -EINVAL);
	assert_int_equal(add(f, MEM_TYPE_RAM, NULL, 2 * MiB, NULL), -EINVAL);
	assert_int_equal(mem_registry_add(f->reg, &p, NULL, f->err, sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "mem-path is only valid"));
	p.mem_path = NULL;
	p.hugetlb = true;
	assert_int_equal(mem_registry_add(f->reg, &p, NULL, f->err, sizeof(f->err)), -EINVAL);
	p.type = MEM_TYPE_MEMFD;
	p.hugetlb = false;
	p.hugetlbsize = 2 * MiB;
	assert_int_equal(mem_registry_add(f->reg, &p, NULL, f->err, sizeof(f->err)), -EINVAL);
	assert_non_null(strstr(f->err, "hugetlbsize requires hugetlb"));
	assert_int_equal(mem_registry_count(f->reg), 0);
}

/* With no huge pages configured this must fail cleanly, not SIGBUS later. */
static void test_hugetlb_memfd_works_or_fails_cleanly(void **state)
{
	struct fx *f = *state;
	struct mem_backend_props p = { .type = MEM_TYPE_MEMFD, .id = "huge0", .size = 2 * MiB,
				       .hugetlb = true, .hugetlbsize = 2 * MiB };
	struct mem_backend *b = NULL;
	struct mem_backend_info info;
	int rc = mem_registry_add(f->reg, &p, &b, f->err, sizeof(f->err));

	if (rc == 0) {
		mem_backend_get_info(b, &info);
		assert_true(info.hugetlb);
		assert_int_equal(info.page_size, 2 * MiB);
	} else {
		assert_true(rc < 0);
		assert_non_null(strstr(f->err, "huge0"));
		assert_null(mem_registry_find(f->reg, "huge0"));
	}
}

static void test_lookup_by_id_and_tag(void **state)
{
	struct fx *f = *state;
	uint8_t tag[16];
	char name[16];

	for (int i = 0; i < 200; i++) {
		char t[37];

		snprintf(name, sizeof(name), "b%d", i);
		snprintf(t, sizeof(t), "00000000-0000-4000-8000-%012x", i + 1);
		assert_int_equal(add(f, MEM_TYPE_RAM, name, 4096, t), 0);
	}
	assert_int_equal(common_tag_parse("00000000-0000-4000-8000-000000000064", tag, NULL, 0), 0);
	assert_string_equal(mem_backend_id(mem_registry_find_tag(f->reg, tag)), "b99");
	assert_string_equal(mem_backend_id(mem_registry_find(f->reg, "b150")), "b150");
	assert_null(mem_registry_find(f->reg, "b200"));
	assert_int_equal(mem_registry_del(f->reg, "b99", f->err, sizeof(f->err)), 0);
	assert_null(mem_registry_find_tag(f->reg, tag));
	assert_null(mem_registry_find(f->reg, "b99"));
	assert_int_equal(mem_registry_del(f->reg, "b99", f->err, sizeof(f->err)), -ENOENT);
	assert_non_null(strstr(f->err, "no memory backend with id=b99"));
	/* the tag is free again */
	assert_int_equal(add(f, MEM_TYPE_TAGGED, "again", 4096, "00000000-0000-4000-8000-000000000064"), 0);
	assert_int_equal(mem_registry_count(f->reg), 200);
}

/* Tags (and ids) that differ only in their last bytes still spread over the buckets. */
static void test_hash_spreads_tags_differing_in_last_bytes(void **state)
{
	struct fx *f = *state;
	char name[16], t[37];

	for (int i = 0; i < 2048; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		snprintf(t, sizeof(t), "00000000-0000-4000-8000-%012x", (i + 1) << (i & 1 ? 0 : 16));
		assert_int_equal(add(f, MEM_TYPE_RAM, name, 4096, t), 0);
	}
	/* 2048 entries in >= 2048 buckets: a fair hash keeps chains short */
	assert_in_range(mem_registry_longest_chain(f->reg, true), 1, 8);
	assert_in_range(mem_registry_longest_chain(f->reg, false), 1, 8);
	snprintf(t, sizeof(t), "00000000-0000-4000-8000-%012x", 7 << 16);
	{
		uint8_t tag[16];

		assert_int_equal(common_tag_parse(t, tag, NULL, 0), 0);
		assert_string_equal(mem_backend_id(mem_registry_find_tag(f->reg, tag)), "b6");
	}
}

static void test_file_backend_contents_persist_across_reopen(void **state)
{
	struct fx *f = *state;
	char path[128];
	struct mem_backend_props p = { .type = MEM_TYPE_FILE, .id = "f0", .size = 2 * MiB };
	struct mem_backend *b;
	char buf[32] = "";

	snprintf(path, sizeof(path), "%s/persist", f->dir);
	p.mem_path = path;
	assert_int_equal(mem_registry_add(f->reg, &p, &b, f->err, sizeof(f->err)), 0);
	assert_int_equal(pwrite(mem_backend_fd(b), "survives", 9, 12345), 9);
	/* a new process: a fresh registry over the same file */
	mem_registry_free(f->reg);
	assert_int_equal(mem_registry_new(&f->reg), 0);
	assert_int_equal(mem_registry_add(f->reg, &p, &b, f->err, sizeof(f->err)), 0);
	assert_int_equal(pread(mem_backend_fd(b), buf, 9, 12345), 9);
	assert_string_equal(buf, "survives");
}

static void test_file_backend_in_a_directory_is_unnamed(void **state)
{
	struct fx *f = *state;
	struct mem_backend_props p = { .type = MEM_TYPE_FILE, .id = "f0", .size = 2 * MiB,
				       .mem_path = f->dir };
	struct mem_backend *b;

	assert_int_equal(mem_registry_add(f->reg, &p, &b, f->err, sizeof(f->err)), 0);
	assert_int_equal(pwrite(mem_backend_fd(b), "x", 1, 0), 1);
}

static void test_missing_file_directory_is_an_error(void **state)
{
	struct fx *f = *state;
	struct mem_backend_props p = { .type = MEM_TYPE_FILE, .id = "f0", .size = 2 * MiB,
				       .mem_path = "/nonexistent-dir/x" };

	assert_int_equal(mem_registry_add(f->reg, &p, NULL, f->err, sizeof(f->err)), -ENOENT);
	assert_non_null(strstr(f->err, "cannot open mem-path=/nonexistent-dir/x"));
}

static int add_file(struct fx *f, const char *path, uint64_t size)
{
	struct mem_backend_props p = { .type = MEM_TYPE_FILE, .id = "f0", .size = size,
				       .mem_path = path };

	f->err[0] = 0;
	return mem_registry_add(f->reg, &p, NULL, f->err, sizeof(f->err));
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void test_file_backend_refuses_proc_and_devices(void **state)
{
	struct fx *f = *state;
	char fifo[128];

	assert_int_equal(add_file(f, "/proc/self/mem", 2 * MiB), -EINVAL);
	assert_non_null(strstr(f->err, "mem-path=/proc/self/mem is a kernel interface file"));
	assert_int_equal(add_file(f, "/dev/null", 2 * MiB), -EINVAL);
	assert_non_null(strstr(f->err, "mem-path=/dev/null is a character device, not a regular file"));
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(add_file(f, fifo, 2 * MiB), -EINVAL);
	assert_non_null(strstr(f->err, "is a fifo, not a regular file"));
	assert_int_equal(mem_registry_count(f->reg), 0);
}

/* QEMU's rule: an existing file is used if empty (then sized) or at least size bytes. */
static void test_existing_file_smaller_than_size_is_refused_and_untouched(void **state)
{
	struct fx *f = *state;
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/small", f->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "data", 4), 4);
	close(fd);
	assert_int_equal(add_file(f, path, 2 * MiB), -EINVAL);
	assert_non_null(strstr(f->err, "holds 0x4 bytes, less than size=0x200000"));
	assert_int_equal(file_size(path), 4);
}

static void test_existing_larger_or_empty_file_is_used(void **state)
{
	struct fx *f = *state;
	char big[128], empty[128];
	int fd;

	snprintf(big, sizeof(big), "%s/big", f->dir);
	snprintf(empty, sizeof(empty), "%s/empty", f->dir);
	fd = open(big, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 * MiB), 0);
	close(fd);
	fd = open(empty, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(add_file(f, big, 2 * MiB), 0);
	assert_int_equal(file_size(big), (off_t)(4 * MiB));    /* not shrunk */
	mem_registry_free(f->reg);
	assert_int_equal(mem_registry_new(&f->reg), 0);
	assert_int_equal(add_file(f, empty, 2 * MiB), 0);
	assert_int_equal(file_size(empty), (off_t)(2 * MiB));
}

static void test_failed_huge_file_backend_leaves_nothing_behind(void **state)
{
	struct fx *f = *state;
	char path[128], empty[128];
	int fd;

	/* 1 PiB: past ext4's and xfs's file size limit (tmpfs takes it: then only 2^63 below). */
	snprintf(path, sizeof(path), "%s/huge", f->dir);
	if (add_file(f, path, 1ull << 50) == 0) {
		mem_registry_free(f->reg);
		assert_int_equal(mem_registry_new(&f->reg), 0);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(access(path, F_OK), -1);
	/* 2^63: past off_t on every file system */
	assert_int_equal(add_file(f, path, 1ull << 63), -EINVAL);
	assert_non_null(strstr(f->err, "cannot size"));
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	/* an empty file we sized goes back to empty */
	snprintf(empty, sizeof(empty), "%s/empty", f->dir);
	fd = open(empty, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_true(add_file(f, empty, 1ull << 63) < 0);
	assert_int_equal(file_size(empty), 0);
}

static void test_tag_format_round_trips(void **state)
{
	uint8_t tag[16];
	char s[37];

	(void)state;
	assert_int_equal(common_tag_parse(TAG_A, tag, NULL, 0), 0);
	common_tag_format(tag, s);
	assert_string_equal(s, TAG_A);
}

/*
 * mem_fd_punch() punches only where there is data (one SEEK_DATA first:
 * binding a million extents of fresh capacity must not cost a million
 * punches), and what it punches reads back as zeros.
 */
static void test_punch_finds_data_and_zeroes_it(void **state)
{
	int fd = memfd_create("punch", MFD_CLOEXEC);
	uint8_t c = 0x5a;
	struct stat sb;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(4 * MiB)), 0);
	assert_false(mem_fd_has_data(fd, 0, 4 * MiB));
	assert_int_equal(pwrite(fd, &c, 1, (off_t)(2 * MiB)), 1);
	assert_false(mem_fd_has_data(fd, 0, 2 * MiB));
	assert_true(mem_fd_has_data(fd, 0, 2 * MiB + 1));
	assert_true(mem_fd_has_data(fd, 2 * MiB, 1));
	assert_false(mem_fd_has_data(fd, 3 * MiB, MiB));
	assert_int_equal(mem_fd_punch(fd, 0, 2 * MiB, 4096), 0);  /* holes: nothing to do */
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_blocks, 8);                          /* the one page written */
	assert_int_equal(mem_fd_punch(fd, MiB, 2 * MiB, 4096), 0);
	assert_false(mem_fd_has_data(fd, 0, 4 * MiB));
	c = 1;
	assert_int_equal(pread(fd, &c, 1, (off_t)(2 * MiB)), 1);
	assert_int_equal(c, 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_blocks, 0);
	close(fd);
}

/* A pseudo-random number below n. */
static uint64_t rnd(uint32_t *seed, uint64_t n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) % n;
}

/* An offset near a page edge (edges are where a wrong merge shows), or anywhere. */
static uint64_t edgy(uint32_t *seed, uint64_t page)
{
	uint64_t o = rnd(seed, 4);

	return o == 0 ? 0 : o == 1 ? 1 : o == 2 ? page - 1 : rnd(seed, page);
}

static void scan_agrees(struct mem_fd_scan *s, uint64_t pass, int fd, uint64_t off, uint64_t len)
{
	bool want = mem_fd_has_data(fd, off, len);

	if (mem_fd_scan_has_data(s, pass, fd, off, len) != want)
		fail_msg("pass %llu off=0x%llx len=0x%llx: scan says %d, SEEK_DATA %d",
			 (unsigned long long)pass, (unsigned long long)off, (unsigned long long)len,
			 !want, want);
}

/*
 * mem_fd_scan_has_data() (one walk per data segment in a pass) answers what
 * mem_fd_has_data() (a SEEK_DATA per range) does: data in runs of pages at
 * random places and in the last page, ranges in offset order and out of it,
 * starting and ending on, before and after page edges; ranges ending where
 * data starts, starting where it ends, inside one run, across a hole into
 * the next.  A write it is told about (mem_fd_scan_wrote()) is seen at once;
 * one it is not told about is seen by the next pass.
 */
static void test_scan_answers_as_seek_data_does(void **state)
{
	enum { PAGES = 512 };
	const uint64_t pg = 4096, size = PAGES * pg;
	int fd = memfd_create("scan", MFD_CLOEXEC);
	struct mem_fd_scan s = { 0 };
	uint32_t seed = 4242;
	uint64_t pass = 1, off;
	uint8_t c = 0x5a;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	/* no data at all: one answer for the whole file */
	scan_agrees(&s, pass, fd, 0, size);
	scan_agrees(&s, pass, fd, size - 1, 1);
	for (int i = 0; i < 40; i++) {
		uint64_t p = rnd(&seed, PAGES - 8), n = 1 + rnd(&seed, 6);

		for (uint64_t k = p; k < p + n; k++)
			assert_int_equal(pwrite(fd, &c, 1, (off_t)(k * pg + rnd(&seed, pg))), 1);
	}
	assert_int_equal(pwrite(fd, &c, 1, (off_t)(size - 1)), 1);
	for (pass = 2; pass < 50; pass++) {
		/* forward, as a bind pass goes: small steps, some ranges touching, some not */
		off = 0;
		while (off < size) {
			uint64_t len = rnd(&seed, 3) * pg + edgy(&seed, pg);

			len = len ? len : 1;
			if (len > size - off)
				len = size - off;
			scan_agrees(&s, pass, fd, off, len);
			off += rnd(&seed, 2) ? len : len + rnd(&seed, 2) * pg + edgy(&seed, pg);
		}
		/* back and forth */
		for (int i = 0; i < 200; i++) {
			off = rnd(&seed, PAGES) * pg + edgy(&seed, pg);
			scan_agrees(&s, pass, fd, off, 1 + rnd(&seed, size - off));
		}
	}
	/* a write inside what the scan knows as holes: told, it is seen at once */
	pass++;
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t)size), 0);
	assert_false(mem_fd_scan_has_data(&s, pass, fd, 0, pg));
	assert_false(mem_fd_scan_has_data(&s, pass, fd, 8 * pg, pg));
	assert_int_equal(pwrite(fd, &c, 1, (off_t)(8 * pg)), 1);
	mem_fd_scan_wrote(&s, 8 * pg, 1);
	assert_true(mem_fd_scan_has_data(&s, pass, fd, 8 * pg, pg));
	assert_false(mem_fd_scan_has_data(&s, pass, fd, 9 * pg, pg));
	assert_true(mem_fd_scan_has_data(&s, pass, fd, 7 * pg + 1, pg));
	/* not told: this pass still says holes there; the next one reads the file again */
	assert_false(mem_fd_scan_has_data(&s, pass, fd, 20 * pg, pg));
	assert_int_equal(pwrite(fd, &c, 1, (off_t)(20 * pg + pg - 1)), 1);
	assert_false(mem_fd_scan_has_data(&s, pass, fd, 20 * pg, pg));
	assert_true(mem_fd_scan_has_data(&s, pass + 1, fd, 20 * pg, pg));
	/* no pass: the file is asked */
	assert_int_equal(pwrite(fd, &c, 1, (off_t)(30 * pg)), 1);
	assert_true(mem_fd_scan_has_data(&s, 0, fd, 30 * pg, pg));
	close(fd);
}

/*
 * Writes of a pass, each told to the scan (mem_fd_scan_wrote()), between
 * ranges asked about in random order: every answer is what SEEK_DATA says
 * (a write anywhere, ranges around, across and beside it, the first and
 * last byte of the file).
 */
static void test_scan_told_of_writes_answers_as_seek_data_does(void **state)
{
	enum { PAGES = 256 };
	const uint64_t pg = 4096, size = PAGES * pg;
	int fd = memfd_create("scan-writes", MFD_CLOEXEC);
	struct mem_fd_scan s = { 0 };
	uint32_t seed = 77;
	uint8_t c = 0xa5;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	for (uint64_t pass = 1; pass < 40; pass++) {
		assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
					   (off_t)size), 0);
		for (int i = 0; i < 300; i++) {
			uint64_t off = rnd(&seed, PAGES) * pg + edgy(&seed, pg), len;

			if (off >= size)
				off = size - 1;
			len = 1 + rnd(&seed, 4) * pg + edgy(&seed, pg);
			if (len > size - off)
				len = size - off;
			if (!rnd(&seed, 4)) {
				uint64_t w = off + rnd(&seed, len);

				assert_int_equal(pwrite(fd, &c, 1, (off_t)w), 1);
				/* told of a range around the byte, as a copy of the range is */
				mem_fd_scan_wrote(&s, off, len);
				continue;
			}
			scan_agrees(&s, pass, fd, off, len);
		}
		scan_agrees(&s, pass, fd, 0, 1);
		scan_agrees(&s, pass, fd, size - 1, 1);
		scan_agrees(&s, pass, fd, 0, size);
	}
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_every_type_creates_an_fd_of_its_size),
		T(test_iteration_is_in_creation_order),
		T(test_bad_tag_is_refused_with_a_clear_message),
		T(test_tagged_type_requires_a_tag),
		T(test_duplicate_id_is_refused),
		T(test_duplicate_tag_is_refused),
		T(test_file_backend_requires_mem_path),
		T(test_bad_properties_are_refused),
		T(test_hugetlb_memfd_works_or_fails_cleanly),
		T(test_lookup_by_id_and_tag),
		T(test_hash_spreads_tags_differing_in_last_bytes),
		T(test_file_backend_contents_persist_across_reopen),
		T(test_file_backend_in_a_directory_is_unnamed),
		T(test_missing_file_directory_is_an_error),
		T(test_file_backend_refuses_proc_and_devices),
		T(test_existing_file_smaller_than_size_is_refused_and_untouched),
		T(test_existing_larger_or_empty_file_is_used),
		T(test_failed_huge_file_backend_leaves_nothing_behind),
		T(test_tag_format_round_trips),
		T(test_punch_finds_data_and_zeroes_it),
		T(test_scan_answers_as_seek_data_does),
		T(test_scan_told_of_writes_answers_as_seek_data_does),
#undef T
	};

	return cmocka_run_group_tests_name("mem-backend", tests, NULL, NULL);
}
