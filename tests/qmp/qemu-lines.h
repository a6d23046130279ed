/* SPDX-License-Identifier: MIT */
/*
 * qemu-lines.h - the corpus of real QEMU command lines with CXL devices
 * that test-qemu-cmdlines.c pastes after "cxldcd" (qemu-lines.c): each
 * line as its source wrote it, and what cxldcd must make of it.
 */
#ifndef CXLDCD_TESTS_QEMU_LINES_H
#define CXLDCD_TESTS_QEMU_LINES_H

#include <stddef.h>

/*
 * One pasted line.  @line: the text after "cxldcd", in sh quoting ('' and
 * "" group words); @ is the temp directory.  @device: the id of the first
 * cxl-type3 (NULL: the line is refused, with @refused in its message).
 * Rows are { source, line, device, device2, refused, files }.
 */
struct pasted {
	const char *source;
	const char *line;
	const char *device;
	const char *device2;    /* a second cxl-type3, or NULL */
	const char *refused;
	const char *files;      /* mem-path files (space separated) that must exist afterwards */
};

extern const struct pasted qemu_lines[];
extern const size_t nr_qemu_lines;

#endif
