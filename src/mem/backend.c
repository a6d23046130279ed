/* SPDX-License-Identifier: MIT */
/*
 * backend.c - memory backends: a file descriptor and a size, optionally a tag.
 *
 * Every type ends up as an fd so that the same bytes can be mapped into any
 * number of host windows, read by the slow path with pread/pwrite, and handed
 * to a host process over the host link:
 *   memory-backend-ram, memory-backend-tagged   anonymous memfd
 *   memory-backend-memfd                        memfd, optionally hugetlb
 *   memory-backend-file                         a regular file (created,
 *                                               or existing: see open_file();
 *                                               contents persist) or, for a
 *                                               directory, an unnamed
 *                                               O_TMPFILE in it
 * COMPAT: QEMU's `share=off` gives a private mapping; here device memory is
 * shared by definition (host windows, slow path, remote hosts), so `share`
 * is recorded and reported but every mapping is MAP_SHARED.
 *
 * This file does not know about registries, devices or windows.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/tag.h"
#include "mem/backend.h"
#include "mem/store.h"

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#define HUGETLBFS_MAGIC_ 0x958458f6
/* statfs f_type of kernel interfaces that look like files but are not memory. */
static const unsigned long pseudo_fs[] = {
	0x9fa0,       /* proc */
	0x62656572,   /* sysfs */
	0x64626720,   /* debugfs */
	0x74726163,   /* tracefs */
	0x73636673,   /* securityfs */
	0x27e0eb,     /* cgroup */
	0x63677270,   /* cgroup2 */
	0x62656570,   /* configfs */
	0xde5e81e4,   /* efivarfs */
	0xcafe4a11,   /* bpf */
	0x1cd1,       /* devpts */
};
#define MEM_ID_MAX 127

void mem_errf(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (!err || !cap)
		return;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ validation */

static const char *const types[] = {
	MEM_TYPE_RAM, MEM_TYPE_MEMFD, MEM_TYPE_FILE, MEM_TYPE_TAGGED,
};

static const char *type_canon(const char *t)
{
	for (size_t i = 0; t && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(t, types[i]))
			return types[i];
	return NULL;
}

static bool id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > MEM_ID_MAX)
		return false;
	if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static int props_check(const struct mem_backend_props *p, const char *type, char *err, size_t cap)
{
	if (!type) {
		mem_errf(err, cap, "unknown memory backend type '%s'", p->type ? p->type : "(null)");
		return -EINVAL;
	}
	if (!id_valid(p->id)) {
		mem_errf(err, cap, "id='%s' is not a valid object id (a letter, then letters, digits, '.', '_' or '-'; at most %d)",
			 p->id ? p->id : "", MEM_ID_MAX);
		return -EINVAL;
	}
	if (p->size == 0) {
		mem_errf(err, cap, "can't create backend with size 0");    /* QEMU's text */
		return -EINVAL;
	}
	if (type == types[3] && !p->tag) {
		mem_errf(err, cap, "backend %s: %s requires tag", p->id, type);
		return -EINVAL;
	}
	if (type == types[2] && (!p->mem_path || !*p->mem_path)) {
		mem_errf(err, cap, "backend %s: %s requires mem-path", p->id, type);
		return -EINVAL;
	}
	if (type != types[2] && p->mem_path) {
		mem_errf(err, cap, "backend %s: mem-path is only valid for %s", p->id, MEM_TYPE_FILE);
		return -EINVAL;
	}
	if ((p->hugetlb || p->hugetlbsize) && type != types[1]) {
		mem_errf(err, cap, "backend %s: hugetlb is only valid for %s", p->id, MEM_TYPE_MEMFD);
		return -EINVAL;
	}
	if (p->hugetlbsize && !p->hugetlb) {
		mem_errf(err, cap, "backend %s: hugetlbsize requires hugetlb=on", p->id);
		return -EINVAL;
	}
	if (p->hugetlbsize & (p->hugetlbsize - 1)) {
		mem_errf(err, cap, "backend %s: hugetlbsize=0x%llx is not a power of two", p->id,
			 (unsigned long long)p->hugetlbsize);
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------- creation */

static int open_memfd(const struct mem_backend_props *p, struct mem_backend *b, char *err, size_t cap)
{
	unsigned int flags = MFD_CLOEXEC;

	if (p->hugetlb) {
		flags |= MFD_HUGETLB;
		if (p->hugetlbsize)
			flags |= (unsigned int)__builtin_ctzll(p->hugetlbsize) << MFD_HUGE_SHIFT;
	}
	b->fd = memfd_create(p->id, flags);
	if (b->fd < 0) {
		int e = errno;

		mem_errf(err, cap, "backend %s: memfd_create%s failed: %s", p->id,
			 p->hugetlb ? " (hugetlb)" : "", strerror(e));
		return -e;
	}
	return 0;
}

static const char *file_kind(mode_t m)
{
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISFIFO(m))
		return "a fifo";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISDIR(m))
		return "a directory";
	return "not a regular file";
}

/* Refuse what is not plain storage: special files and kernel pseudo files. */
static int check_regular(const struct mem_backend_props *p, int fd, char *err, size_t cap)
{
	struct stat st;
	struct statfs sfs;

	if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0) {
		int e = errno;

		mem_errf(err, cap, "backend %s: mem-path=%s: %s", p->id, p->mem_path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		mem_errf(err, cap, "backend %s: mem-path=%s is %s, not a regular file or directory",
			 p->id, p->mem_path, file_kind(st.st_mode));
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(pseudo_fs) / sizeof(pseudo_fs[0]); i++) {
		if ((unsigned long)sfs.f_type == pseudo_fs[i]) {
			mem_errf(err, cap, "backend %s: mem-path=%s is a kernel interface file (/proc, /sys and the like), not memory",
				 p->id, p->mem_path);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * mem-path names a directory (an unnamed O_TMPFILE in it), a new file
 * (created O_EXCL, removed again if the backend fails), or an existing
 * regular file.  Anything else is refused before it is opened, so opening a
 * device or a fifo never has side effects.  The size rule for an existing
 * file is in size_fd().
 */
static int open_file(const struct mem_backend_props *p, struct mem_backend *b, char *err, size_t cap)
{
	struct stat st;
	int rc, e;

	if (stat(p->mem_path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			b->fd = open(p->mem_path, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		} else if (!S_ISREG(st.st_mode)) {
			mem_errf(err, cap, "backend %s: mem-path=%s is %s, not a regular file or directory",
				 p->id, p->mem_path, file_kind(st.st_mode));
			return -EINVAL;
		} else {
			b->fd = open(p->mem_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		}
	} else if (errno == ENOENT) {
		b->fd = open(p->mem_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		b->created = b->fd >= 0;
	} else {
		b->fd = -1;
	}
	if (b->fd < 0) {
		e = errno;
		mem_errf(err, cap, "backend %s: cannot open mem-path=%s: %s", p->id, p->mem_path,
			 strerror(e));
		return -e;
	}
	b->mem_path = strdup(p->mem_path);
	if (!b->mem_path) {
		if (b->created)
			unlink(p->mem_path);
		b->created = false;
		return -ENOMEM;
	}
	rc = check_regular(p, b->fd, err, cap);  /* the path may have changed since stat() */
	return rc;
}

/* Learn the mapping granule, size the fd, and for hugetlb reserve the pages now. */
static int size_fd(const struct mem_backend_props *p, struct mem_backend *b, char *err, size_t cap)
{
	struct stat st;
	struct statfs sfs;
	long pg = sysconf(_SC_PAGESIZE);

	if (fstat(b->fd, &st) < 0 || fstatfs(b->fd, &sfs) < 0)
		goto sys_err;
	b->page_size = pg > 0 ? (uint64_t)pg : 4096;
	if ((unsigned long)sfs.f_type == HUGETLBFS_MAGIC_) {
		b->hugetlb = true;
		b->page_size = (uint64_t)st.st_blksize;
	}
	if (p->size % b->page_size) {
		mem_errf(err, cap, "backend %s: size=0x%llx is not a multiple of the page size 0x%llx",
			 p->id, (unsigned long long)p->size, (unsigned long long)b->page_size);
		return -EINVAL;
	}
	/*
	 * COMPAT: QEMU's rule for an existing memory-backend-file: an empty file
	 * is sized, a larger one is used for its first size bytes, and a
	 * non-empty file smaller than size is refused (never grown: it may be
	 * somebody's data).
	 */
	if (b->mem_path && st.st_size > 0 && (uint64_t)st.st_size < p->size) {
		mem_errf(err, cap, "backend %s: mem-path=%s holds 0x%llx bytes, less than size=0x%llx (an existing file must be empty or at least size bytes)",
			 p->id, b->mem_path, (unsigned long long)st.st_size,
			 (unsigned long long)p->size);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size < p->size) {
		if (b->mem_path && !b->created)
			b->grew = true;
		if (ftruncate(b->fd, (off_t)p->size) < 0)
			goto sys_err;
	}
	if (b->hugetlb) {
		/* A shared hugetlb mapping reserves its pages: fail here, not with SIGBUS later. */
		void *m = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);

		if (m == MAP_FAILED) {
			int e = errno;

			mem_errf(err, cap, "backend %s: cannot reserve 0x%llx bytes of 0x%llx-byte huge pages: %s",
				 p->id, (unsigned long long)p->size,
				 (unsigned long long)b->page_size, strerror(e));
			return -e;
		}
		munmap(m, p->size);
	}
	return 0;
sys_err: {
		int e = errno;

		mem_errf(err, cap, "backend %s: cannot size to 0x%llx: %s", p->id,
			 (unsigned long long)p->size, strerror(e));
		return -e;
	}
}

int mem_backend_new(const struct mem_backend_props *p, struct mem_backend **out, char *err,
		    size_t cap)
{
	const char *type = type_canon(p->type);
	struct mem_backend *b;
	int rc;

	rc = props_check(p, type, err, cap);
	if (rc)
		return rc;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->fd = -1;
	b->type = type;
	b->size = p->size;
	b->share = p->share;
	if (p->tag) {
		char msg[160] = "";

		rc = common_tag_parse(p->tag, b->tag, msg, sizeof(msg));
		if (rc) {
			mem_errf(err, cap, "backend %s: %s", p->id, msg);
			goto err;
		}
		b->has_tag = true;
		common_tag_format(b->tag, b->tag_str);
	}
	b->id = strdup(p->id);
	if (!b->id) {
		rc = -ENOMEM;
		goto err;
	}
	rc = type == types[2] ? open_file(p, b, err, cap) : open_memfd(p, b, err, cap);
	if (rc)
		goto err;
	rc = size_fd(p, b, err, cap);
	if (rc)
		goto err;
	*out = b;
	return 0;
err:
	mem_backend_discard(b);
	return rc;
}

void mem_backend_discard(struct mem_backend *b)
{
	if (!b)
		return;
	if (b->created && b->mem_path) {
		unlink(b->mem_path);
	} else if (b->grew && b->fd >= 0) {
		int rc = ftruncate(b->fd, 0);   /* best effort: it was empty */

		(void)rc;
	}
	mem_backend_free(b);
}

void mem_backend_free(struct mem_backend *b)
{
	if (!b)
		return;
	if (b->fd >= 0)
		close(b->fd);
	free(b->mem_path);
	free(b->id);
	free(b);
}

/* ------------------------------------------------------------- accessors */

void mem_backend_get_info(const struct mem_backend *b, struct mem_backend_info *out)
{
	memset(out, 0, sizeof(*out));
	out->id = b->id;
	out->type = b->type;
	out->mem_path = b->mem_path;
	out->size = b->size;
	out->page_size = b->page_size;
	out->share = b->share;
	out->hugetlb = b->hugetlb;
	out->has_tag = b->has_tag;
	memcpy(out->tag, b->tag, CXLDCD_TAG_SIZE);
	memcpy(out->tag_str, b->tag_str, sizeof(out->tag_str));
	out->fd = b->fd;
	out->nr_bound = b->nr_bound;
	out->in_use = b->users > 0;
}

const char *mem_backend_id(const struct mem_backend *b)
{
	return b->id;
}

int mem_backend_fd(const struct mem_backend *b)
{
	return b->fd;
}

uint64_t mem_backend_size(const struct mem_backend *b)
{
	return b->size;
}

/* ------------------------------------------------------------- bindings */

void mem_backend_bind_link(struct mem_backend *b, struct bind_run *x)
{
	x->be_prev = NULL;
	x->be_next = b->binds;
	if (b->binds)
		b->binds->be_prev = x;
	b->binds = x;
}

void mem_backend_bind_unlink(struct mem_backend *b, struct bind_run *x)
{
	if (x->be_prev)
		x->be_prev->be_next = x->be_next;
	else
		b->binds = x->be_next;
	if (x->be_next)
		x->be_next->be_prev = x->be_prev;
	x->be_prev = x->be_next = NULL;
}

void mem_backend_bind_moved(struct mem_backend *b, struct bind_run *x)
{
	if (x->be_prev)
		x->be_prev->be_next = x;
	else
		b->binds = x;
	if (x->be_next)
		x->be_next->be_prev = x;
}

int mem_backend_claim(struct mem_backend *b, char *err, size_t cap)
{
	if (b->users || b->binds || b->tag_dev) {
		mem_errf(err, cap, "memory backend %s can't be used multiple times.", b->id);
		return -EBUSY;
	}
	b->users++;
	return 0;
}

int mem_backend_busy_msg(const struct mem_backend *b, char *err, size_t cap)
{
	enum { SHOW = 4 };
	const struct bind_run *x;
	size_t used = 0;
	uint32_t shown = 0, i = 0;

	if (!b->binds && !b->users)
		return 0;
	if (!err || !cap)
		return -EBUSY;
	if (!b->binds) {
		mem_errf(err, cap, "backend %s is in use as a device's volatile-dc-memdev, static capacity or lsa", b->id);
		return -EBUSY;
	}
	mem_errf(err, cap, "backend %s is bound to", b->id);
	used = strlen(err);
	for (x = b->binds; x && shown < SHOW && used < cap;) {
		int n = snprintf(err + used, cap - used, "%s host=%u dpa=0x%llx len=0x%llx",
				 shown ? "," : "", x->host, (unsigned long long)x->r[i].dpa,
				 (unsigned long long)x->r[i].len);
		used += n > 0 ? (size_t)n : 0;
		shown++;
		if (++i == x->nr) {
			x = x->be_next;
			i = 0;
		}
	}
	/* A binding may cover several adjacent extents (bind.c merges them). */
	if (x && used < cap)
		snprintf(err + used, cap - used, " and more, %u extent(s) in all", b->nr_bound);
	return -EBUSY;
}

/* ---------------------------------------------------------------- zeroing */

int mem_backend_zero(struct mem_backend *b, uint64_t off, uint64_t len)
{
	if (off > b->size || len > b->size - off)
		return -EINVAL;
	/* A hole zeroes (and frees) the range; else a mapping is zeroed (mem_fd_punch()). */
	return mem_fd_punch(b->fd, off, len, b->page_size);
}
