/* SPDX-License-Identifier: MIT */
/*
 * window.h - private: a host window, the virtual range in which a host sees
 * the device's DC decode span.  Reserved PROT_NONE; accepted extents are
 * mapped into it from their backend's fd; released ones are re-reserved.
 */
#ifndef CXLDCD_MEM_WINDOW_H
#define CXLDCD_MEM_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mem_window {
	uint8_t *base;       /* NULL until reserved */
	uint64_t dpa_base;   /* DPA at base */
	uint64_t size;
};

/* Reserve size bytes PROT_NONE.  Return 0 or -errno (message in err). */
int mem_window_reserve(struct mem_window *w, uint64_t dpa_base, uint64_t size, char *err, size_t cap);
/* Unmap the whole window.  Safe on an unreserved window. */
void mem_window_release(struct mem_window *w);
/* Map [dpa, dpa+len) from fd at off with MAP_FIXED | MAP_SHARED. */
int mem_window_map(struct mem_window *w, uint64_t dpa, uint64_t len, int fd, uint64_t off,
		   bool writable, char *err, size_t cap);
/* Re-reserve [dpa, dpa+len) PROT_NONE. */
int mem_window_unmap(struct mem_window *w, uint64_t dpa, uint64_t len, char *err, size_t cap);

#endif /* CXLDCD_MEM_WINDOW_H */
