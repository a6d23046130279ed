/* SPDX-License-Identifier: MIT */
/*
 * tag.h - a DC tag (16 bytes) as text: the UUID form QMP, the command line
 * and the logs use.  libuuid does the parsing.
 */
#ifndef CXLDCD_COMMON_TAG_H
#define CXLDCD_COMMON_TAG_H

#include <stddef.h>
#include <stdint.h>

#include "cxldcd/spec.h"

/*
 * common_tag_parse() - parse a UUID string into 16 bytes.  The null UUID means
 * "no tag" and is refused.  Return: 0, or -EINVAL with err (may be NULL)
 * holding "tag=... is not a valid UUID (...)" or "tag=... is the null UUID, ...".
 */
int common_tag_parse(const char *s, uint8_t tag[CXLDCD_TAG_SIZE], char *err, size_t cap);
/* Format 16 bytes as a lowercase UUID string into out[37]. */
void common_tag_format(const uint8_t tag[CXLDCD_TAG_SIZE], char out[37]);

#endif /* CXLDCD_COMMON_TAG_H */
