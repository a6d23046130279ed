/* SPDX-License-Identifier: MIT */
/*
 * tag.c - DC tags as UUID text (common/tag.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <uuid/uuid.h>

#include "common/tag.h"

int common_tag_parse(const char *s, uint8_t tag[CXLDCD_TAG_SIZE], char *err, size_t cap)
{
	uuid_t u;

	if (!s || uuid_parse(s, u) != 0) {
		if (err && cap)
			snprintf(err, cap,
				 "tag=%s is not a valid UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
				 s ? s : "(null)");
		return -EINVAL;
	}
	if (uuid_is_null(u)) {
		if (err && cap)
			snprintf(err, cap, "tag=%s is the null UUID, which means no tag", s);
		return -EINVAL;
	}
	memcpy(tag, u, CXLDCD_TAG_SIZE);
	return 0;
}

void common_tag_format(const uint8_t tag[CXLDCD_TAG_SIZE], char out[37])
{
	uuid_unparse_lower(tag, out);
}
