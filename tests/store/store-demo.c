/* SPDX-License-Identifier: MIT */
/*
 * store-demo.c - build a device model, journal what a daemon would journal,
 * checkpoint it, and leave the store behind for sqlite3.
 *
 *   store-demo DIR            a small readable scenario (docs/persistence.md)
 *   store-demo DIR N          N accepted extents over 2 hosts, timed checkpoint
 *
 * The journal records of the small scenario are written the way the daemon
 * is meant to write them (QMP JSON text, CCI request messages), but this
 * program drives the model directly: it does not replay them.  Not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"
#include "model.h"
#include "store/store.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define T0 1700000000000000000ull

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int journal(struct store *st, uint64_t t, uint32_t kind, uint32_t port, uint32_t host,
		   const void *data, size_t len)
{
	struct store_rec r = { .time_ns = t, .kind = kind, .port = port, .host = host,
			       .data = data, .len = len };
	int ret = store_begin(st);

	if (!ret)
		ret = store_journal_append(st, &r);
	if (!ret)
		return store_commit(st);
	store_rollback(st);
	return ret;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A 4802h Add DC Response request message accepting one range. */
static size_t cci_add_response(uint8_t *m, uint64_t dpa, uint64_t len)
{
	const size_t payload = 8 + 0x18;

	memset(m, 0, 12 + payload);
	put_le(m + 3, 0x4802, 2);  /* opcode */
	put_le(m + 5, payload, 2); /* payload length */
	put_le(m + 12, 1, 4);      /* updated extent list size */
	put_le(m + 20, dpa, 8);
	put_le(m + 28, len, 8);
	return 12 + payload;
}

static int small(struct store *st, struct cxldcd_dev *dev)
{
	static const char add_json[] =
		"{\"execute\":\"cxl-add-dynamic-capacity\",\"arguments\":{\"path\":\"/cxldcd/dcd0\","
		"\"host-id\":%u,\"selection-policy\":\"prescriptive\",\"region\":0,"
		"\"tag\":\"ab000000-0000-0000-0000-0000000%u0000\","
		"\"extents\":[{\"offset\":%llu,\"len\":%llu}]}}";
	char json[512];
	uint8_t msg[64];
	size_t n;
	int ret = 0;

	for (uint32_t i = 0; i < 3 && !ret; i++) {
		uint16_t host = (uint16_t)(i % 2);
		uint64_t dpa = i * 8 * MiB, t = T0 + i * 2000000;

		core_dev_set_time(dev, t);
		snprintf(json, sizeof(json), add_json, host, i + 1, (unsigned long long)dpa,
			 (unsigned long long)(2 * MiB));
		if (model_add(dev, host, dpa, 2 * MiB, 0, 1, i + 1, 1, 0) ||
		    (ret = journal(st, t, STORE_REC_QMP, 0, host, json, strlen(json))))
			return ret ? ret : -1;
		if (i == 2)
			break; /* the last offer stays pending */
		core_dev_set_time(dev, t + 1000000);
		n = cci_add_response(msg, dpa, 2 * MiB);
		ret = journal(st, t + 1000000, STORE_REC_CCI, 0, host, msg, n);
		if (!ret) {
			struct cxldcd_range r = { dpa, 2 * MiB };

			ret = (int)core_add_response(dev, host, &r, 1, false, NULL);
		}
	}
	return ret;
}

static int large(struct cxldcd_dev *dev, uint32_t nr)
{
	double t = now_s();
	uint32_t half = nr / 2;

	/* 64 KiB extents 128 KiB apart: host 0 in region 0, host 1 in region 1. */
	if (model_add(dev, 0, 0, 64 * 1024, 128 * 1024, half, 1, 60000, 1) ||
	    model_add(dev, 1, 128 * GiB, 64 * 1024, 128 * 1024, nr - half, 2, 60000, 1))
		return -1;
	printf("model: %u extents built in %.2f s\n", nr, now_s() - t);
	return 0;
}

int main(int argc, char **argv)
{
	struct cxldcd_dev_cfg cfg;
	struct cxldcd_dev *dev = NULL;
	struct cxldcd_diag diag;
	struct store *st = NULL;
	uint32_t nr = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 0;
	char err[256];
	double t;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s DIR [NR_EXTENTS]\n", argv[0]);
		return 2;
	}
	core_cfg_default(&cfg);
	if (nr) {
		for (unsigned i = 0; i < cfg.nr_regions; i++) {
			cfg.regions[i].base = i * 128 * GiB;
			cfg.regions[i].len = cfg.regions[i].decode_len = 128 * GiB;
			cfg.regions[i].block_size = cfg.regions[i].supported_block_mask = 64 * 1024;
		}
		cfg.max_extents = nr + 16;
		cfg.evlog_depth = 65535;
	}
	if (core_dev_new(&cfg, &dev, &diag)) {
		fprintf(stderr, "core_dev_new: %s\n", diag.text);
		return 1;
	}
	core_dev_set_time(dev, T0);
	ret = store_open(argv[1], &st, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "store_open: %s\n", err);
		goto out;
	}
	if (store_is_new(st))
		ret = store_config_set(st, nr ? "{\"demo\":\"large\"}"
					      : "{\"device\":[{\"id\":\"dcd0\",\"hosts\":2}]}");
	if (!ret)
		ret = nr ? large(dev, nr) : small(st, dev);
	if (ret) {
		fprintf(stderr, "building the model failed (%d): %s\n", ret, store_last_error(st));
		goto out;
	}
	t = now_s();
	ret = store_checkpoint(st, 0, dev);
	if (ret)
		fprintf(stderr, "checkpoint: %s\n", store_last_error(st));
	else
		printf("checkpoint: %.3f s, journal records: %llu, store: %s\n", now_s() - t,
		       (unsigned long long)store_journal_count(st), store_path(st));
out:
	store_close(st);
	core_dev_free(dev);
	return ret ? 1 : 0;
}
