/* SPDX-License-Identifier: MIT */
/*
 * slowpath.c - read and write device memory by DPA, for hosts that cannot
 * map it (a remote host over TCP, a test, a debugger).
 *
 * Access is decided by the host's binding table, never by the window: a
 * range is usable only where the host has accepted an extent.  CXL r3.2
 * §9.13.3: a write to DC capacity not allocated to the host is dropped, and
 * so is any write into a read-only region; we answer both with an error and
 * write nothing.  A read of unallocated capacity returns poison here (an
 * error, the buffer untouched): it can never observe another host's data.
 * COMPAT: the read result for unallocated DPA is left to Table 8-27, which
 * we treat as poison.  A read touching DPA on the device's poison list
 * (4301h, cxl-inject-poison) fails the same way, as a poisoned line does.
 *
 * The whole range is checked before the first byte moves, so a failed call
 * has no effect.  I/O goes through pread/pwrite on the fd where the live
 * pages are: the host's view or shared grant (the backend when trusted),
 * so the slow path, the windows and a host's own mappings see one copy.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "mem/devmem.h"

static int check_range(struct mem_dev *md, uint16_t host, uint64_t dpa, size_t len, bool write,
		       char *err, size_t cap)
{
	uint64_t cur = dpa, end = dpa + len;
	const struct bind_tree *t = &md->trees[host];
	struct bind_pos p;
	struct mem_bind b;
	bool ok;

	for (ok = mem_bind_seek(t, cur, &p, &b); cur < end; ok = mem_bind_step(t, &p, &b)) {
		if (!ok || b.dpa > cur) {
			if (write)
				mem_errf(err, cap, "write to host=%u dpa=0x%llx dropped: not accepted by the host",
					 host, (unsigned long long)cur);
			else
				mem_errf(err, cap, "read of host=%u dpa=0x%llx: poison (not accepted by the host)",
					 host, (unsigned long long)cur);
			return -EFAULT;
		}
		if (write && !b.writable) {
			mem_errf(err, cap, "write to host=%u dpa=0x%llx dropped: region=%u is read-only",
				 host, (unsigned long long)cur, b.region);
			return -EACCES;
		}
		cur = b.dpa + b.len;
	}
	return 0;
}

static int io_full(int fd, uint8_t *p, size_t len, uint64_t off, bool write)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int transfer(struct mem_dev *md, uint16_t host, uint64_t dpa, uint8_t *buf, size_t len,
		    bool write, char *err, size_t cap)
{
	uint64_t cur = dpa, end;
	const struct bind_tree *t;
	struct bind_pos p;
	struct mem_bind b;
	int rc;

	if (host >= md->layout.nr_hosts || dpa + len < dpa) {
		mem_errf(err, cap, "host=%u dpa=0x%llx len=0x%zx: bad host or range", host,
			 (unsigned long long)dpa, len);
		return -EINVAL;
	}
	if (!len)
		return 0;
	rc = check_range(md, host, dpa, len, write, err, cap);
	if (rc)
		return rc;
	if (!write && md->poisoned && md->poisoned(md->model, dpa, len)) {
		mem_errf(err, cap, "read of host=%u dpa=0x%llx len=0x%zx: poison (media error)", host,
			 (unsigned long long)dpa, len);
		return -EFAULT;
	}
	t = &md->trees[host];
	end = dpa + len;
	/* check_range() found every byte bound: each step finds the next piece */
	for (mem_bind_seek(t, cur, &p, &b); cur < end; mem_bind_step(t, &p, &b)) {
		uint64_t take = b.dpa + b.len - cur;

		if (take > end - cur)
			take = end - cur;
		rc = io_full(mem_bind_fd(&b), buf + (cur - dpa), (size_t)take,
			     mem_bind_off(&b) + (cur - b.dpa), write);
		if (rc) {
			mem_errf(err, cap, "%s of host=%u dpa=0x%llx in backend %s failed",
				 write ? "write" : "read", host, (unsigned long long)cur, b.be->id);
			return rc;
		}
		cur += take;
	}
	return 0;
}

/*
 * Zero what host holds of [dpa, dpa+len) where its live pages are, by
 * punching (mem_fd_punch(): a hole, else written zeros), so zeroing a large
 * range costs no memory.  Ranges the host does not hold are skipped.  Where
 * the live pages are a store (a view or a shared grant), the backend's range
 * is punched too: a file backend keeps the bytes the store was copied from
 * until a write back, and a daemon killed before one would give them back
 * at the next bind (docs/persistence.md, "Crash semantics").
 */
int mem_zero(struct mem_dev *md, uint16_t host, uint64_t dpa, uint64_t len)
{
	uint64_t end = dpa + len;
	const struct bind_tree *t;
	struct bind_pos p;
	struct mem_bind b;
	int first = 0;

	if (host >= md->layout.nr_hosts || end < dpa)
		return -EINVAL;
	t = &md->trees[host];
	for (bool ok = mem_bind_seek(t, dpa, &p, &b); ok && b.dpa < end;
	     ok = mem_bind_step(t, &p, &b)) {
		uint64_t s = b.dpa > dpa ? b.dpa : dpa;
		uint64_t e = b.dpa + b.len < end ? b.dpa + b.len : end;
		int rc;

		if (!b.writable)
			continue;
		rc = mem_fd_punch(mem_bind_fd(&b), mem_bind_off(&b) + (s - b.dpa), e - s,
				  b.be->page_size);
		if (!rc && b.st)
			rc = mem_backend_zero(b.be, b.off + (s - b.dpa), e - s);
		if (rc && !first)
			first = rc;
	}
	return first;
}

int mem_read(struct mem_dev *md, uint16_t host, uint64_t dpa, void *buf, size_t len, char *err,
	     size_t cap)
{
	return transfer(md, host, dpa, buf, len, false, err, cap);
}

int mem_write(struct mem_dev *md, uint16_t host, uint64_t dpa, const void *buf, size_t len,
	      char *err, size_t cap)
{
	/* transfer() only reads from buf when write is true */
	return transfer(md, host, dpa, (uint8_t *)(uintptr_t)buf, len, true, err, cap);
}
