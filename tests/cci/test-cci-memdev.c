/* SPDX-License-Identifier: MIT */
/*
 * test-cci-memdev.c - the memory-device commands beyond Dynamic Capacity
 * (0200h, 0300h/0301h, 4100h, 4102h/4103h, 4200h-4202h, 4300h-4302h):
 * golden vectors laid out from the spec tables at explicit offsets, every
 * input one byte short and one byte long, round trips of the codecs, and
 * the model behind them (poison per DPA and per host, sanitize, LSA,
 * timestamp, alerts).
 */
#include "fixture.h"

#include "cci/memdev.h"

#define LSA_SIZE 0x400u

static int setup_lsa(void **state)
{
	struct cxldcd_dev_cfg cfg;

	fx_cfg(&cfg);
	cfg.lsa_size = LSA_SIZE;
	cfg.regions[0].sanitize_on_release = true;
	return setup_cfg(state, &cfg);
}

/* Every fixed-size input: one byte short and one byte long is Invalid Payload Length. */
static void test_sizes_and_ccis(void **state)
{
	static const struct { uint16_t op; size_t n; } in[] = {
		{ 0x0200, 0 }, { 0x0300, 0 }, { 0x0301, 8 }, { 0x4100, 0 }, { 0x4102, 8 },
		{ 0x4200, 0 }, { 0x4201, 0 }, { 0x4202, 0x0c }, { 0x4300, 0x10 }, { 0x4301, 8 },
		{ 0x4302, 0x48 }, { 0x0002, 0 }, { 0x0005, 0 }, { 0x4303, 0x10 }, { 0x4304, 0x11 },
		{ 0x4305, 0 }, { 0x0500, 8 }, { 0x0501, 0x15 }, { 0x4400, 0 }, { 0x4401, 0 },
		{ 0x4500, 0 },
	};
	struct fx *f = *state;
	uint8_t buf[0x49] = { 0 };

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		if (in[i].n)
			assert_int_equal(msg(f, f->mb[0], in[i].op, buf, in[i].n - 1), 0x16);
		assert_int_equal(msg(f, f->mb[0], in[i].op, buf, in[i].n + 1), 0x16);
		assert_int_equal(msg(f, f->fm, in[i].op, buf, in[i].n), 0x15);
	}
	assert_int_equal(msg(f, f->mb[0], 0x4103, buf, 7), 0x16);     /* Set LSA header */
	assert_int_equal(msg(f, f->fm, 0x4103, buf, 8), 0x15);
	assert_int_equal(core_poison_count(f->dev), 0);
}

static void test_fw_info_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[0x50] = { 0 };
	struct cci_fw_info fw;

	g8(want, 0x00, 1);                      /* one slot */
	g8(want, 0x01, 1);                      /* slot 1 active, none staged */
	g8(want, 0x02, 0);                      /* no online activation */
	memcpy(want + 0x10, "cxldcd 0.1.0", 12);
	assert_int_equal(msg(f, f->mb[0], 0x0200, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));
	assert_int_equal(cci_dec_fw_info_out(want, sizeof(want), &fw), 0);
	assert_int_equal(fw.slot_info, 1);
	assert_string_equal((char *)fw.rev[0], "cxldcd 0.1.0");
	assert_int_equal(cci_dec_fw_info_out(want, sizeof(want) - 1, &fw), -EMSGSIZE);
}

/*
 * Each host's LD has its own timestamp (CXL r3.2 §2.4, §2.5: per-LD state):
 * host 0's Set Timestamp is what host 0 reads, advancing with the device
 * clock; host 1 still reads 0 (never set), and its own Set changes nothing
 * of host 0's.  Before, one timestamp served every host (host 1 read host
 * 0's).
 */
static void test_timestamp(void **state)
{
	struct fx *f = *state;
	uint8_t in[8], want[8] = { 0 };
	uint64_t ts;

	assert_int_equal(msg(f, f->mb[0], 0x0300, NULL, 0), 0);
	expect_rsp(f, want, 8);                 /* never set: 0 */
	g64(in, 0, 0x17f0000000000000ull);
	assert_int_equal(msg(f, f->mb[0], 0x0301, in, 8), 0);
	assert_int_equal(f->out_len, 0);
	core_dev_set_time(f->dev, NOW + 5000);  /* the device clock advances 5 us */
	assert_int_equal(msg(f, f->mb[1], 0x0300, NULL, 0), 0);
	expect_rsp(f, want, 8);                 /* host 1's LD: never set */
	g64(in, 0, 0x1000);
	assert_int_equal(msg(f, f->mb[1], 0x0301, in, 8), 0);
	g64(want, 0, 0x1000);
	assert_int_equal(msg(f, f->mb[1], 0x0300, NULL, 0), 0);
	expect_rsp(f, want, 8);
	g64(want, 0, 0x17f0000000000000ull + 5000);
	assert_int_equal(msg(f, f->mb[0], 0x0300, NULL, 0), 0);
	expect_rsp(f, want, 8);                 /* host 0's own, untouched by host 1's */
	assert_int_equal(cci_dec_timestamp(want, 8, &ts), 0);
	assert_int_equal(ts, 0x17f0000000000000ull + 5000);
	assert_int_equal(cci_dec_timestamp(want, 7, &ts), -EMSGSIZE);
}

static void test_partition_info_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[0x20] = { 0 };
	struct cci_partition_info pi;

	g64(want, 0x00, 4);                     /* 1 GiB static, volatile: 4 x 256 MB */
	assert_int_equal(msg(f, f->mb[1], 0x4100, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));
	assert_int_equal(cci_dec_partition_info_out(want, sizeof(want), &pi), 0);
	assert_int_equal(pi.active_volatile, GIB);
	g64(want, 0x18, UINT64_MAX);
	assert_int_equal(cci_dec_partition_info_out(want, sizeof(want), &pi), -EINVAL);
}

/* QEMU's layout: 1 GiB volatile-memdev, 512 MiB persistent-memdev, the DC regions after both. */
static int setup_pmem(void **state)
{
	struct cxldcd_dev_cfg cfg;

	fx_cfg(&cfg);
	cfg.static_capacity = GIB + 512 * MIB;
	cfg.persistent_capacity = 512 * MIB;
	cfg.lsa_size = LSA_SIZE;
	return setup_cfg(state, &cfg);
}

/*
 * Identify Memory Device (CXL r3.2 §8.2.10.9.1.1, Table 8-142) and Get
 * Partition Info (§8.2.10.9.2.1) with both static memdevs: total
 * = volatile only + persistent only, nothing partitionable (alignment 0, no
 * next partition); every host sees the same; DC region 0 starts after both.
 */
static void test_identify_and_partition_info_with_both_memdevs(void **state)
{
	struct fx *f = *state;
	uint8_t id[0x45] = { 0 }, pi[0x20] = { 0 }, cfg_in[2] = { 1, 0 };
	struct cci_partition_info d;

	memcpy(id, "cxldcd 0.1.0", 12);
	g64(id, 0x10, 6);                       /* Total Capacity: 1.5 GiB = 6 x 256 MB */
	g64(id, 0x18, 4);                       /* Volatile Only Capacity: 1 GiB */
	g64(id, 0x20, 2);                       /* Persistent Only Capacity: 512 MiB */
	g64(id, 0x28, 0);                       /* Partition Alignment: not partitionable */
	g16(id, 0x30, 256);
	g16(id, 0x32, 256);
	g16(id, 0x34, 256);
	g16(id, 0x36, 256);
	g32(id, 0x38, LSA_SIZE);                /* LSA Size */
	g24(id, 0x3c, 64);
	g16(id, 0x3f, 64);
	g16(id, 0x43, 256);
	g64(pi, 0x00, 4);                       /* Active Volatile Capacity */
	g64(pi, 0x08, 2);                       /* Active Persistent Capacity */
	g64(pi, 0x10, 0);                       /* Next Volatile Capacity */
	g64(pi, 0x18, 0);                       /* Next Persistent Capacity */
	for (int h = 0; h < 2; h++) {
		assert_int_equal(msg(f, f->mb[h], 0x4000, NULL, 0), 0);
		expect_rsp(f, id, sizeof(id));
		assert_int_equal(msg(f, f->mb[h], 0x4100, NULL, 0), 0);
		expect_rsp(f, pi, sizeof(pi));
	}
	assert_int_equal(cci_dec_partition_info_out(pi, sizeof(pi), &d), 0);
	assert_int_equal(d.active_volatile, GIB);
	assert_int_equal(d.active_persistent, 512 * MIB);
	/* Get DC Configuration: region 0's base is right after the persistent capacity */
	assert_int_equal(msg(f, f->mb[0], 0x4800, cfg_in, sizeof(cfg_in)), 0);
	assert_true(f->out_len >= 8 + 0x28);
	assert_memory_equal(f->out + 8, ((uint8_t[8]){ 0, 0, 0, 0x60, 0, 0, 0, 0 }), 8);
}

/* static-host=0: host 1 reaches no static capacity: none in Identify and 4100h, Invalid PA for poison. */
static int setup_static_host0(void **state)
{
	struct cxldcd_dev_cfg cfg;

	fx_cfg(&cfg);
	cfg.static_host_only = true;
	cfg.static_host = 0;
	return setup_cfg(state, &cfg);
}

static void test_static_host_only_leaves_other_hosts_without(void **state)
{
	struct fx *f = *state;
	uint8_t pi[0x20] = { 0 }, dpa[8] = { 0 };

	g64(pi, 0x00, 4);                       /* host 0: 1 GiB volatile */
	assert_int_equal(msg(f, f->mb[0], 0x4100, NULL, 0), 0);
	expect_rsp(f, pi, sizeof(pi));
	g64(pi, 0x00, 0);                       /* host 1: none */
	assert_int_equal(msg(f, f->mb[1], 0x4100, NULL, 0), 0);
	expect_rsp(f, pi, sizeof(pi));
	assert_int_equal(msg(f, f->mb[1], 0x4000, NULL, 0), 0);
	assert_memory_equal(f->out + 0x10, ((uint8_t[16]){ 0 }), 16);   /* Total, Volatile Only */
	assert_int_equal(msg(f, f->mb[0], 0x4000, NULL, 0), 0);
	assert_int_equal(f->out[0x10], 4);
	g64(dpa, 0, 0x1000);                    /* Inject Poison in static capacity */
	assert_int_equal(msg(f, f->mb[1], 0x4301, dpa, 8), 0x0f);
	assert_int_equal(core_poison_count(f->dev), 0);
	assert_int_equal(msg(f, f->mb[0], 0x4301, dpa, 8), 0);
	assert_int_equal(core_poison_count(f->dev), 1);
}

static void test_lsa(void **state)
{
	struct fx *f = *state;
	uint8_t in[8 + 5], get[8], want[0x20] = { 0 };

	g32(get, 0, 0x0e);
	g32(get, 4, 0x20);
	assert_int_equal(msg(f, f->mb[0], 0x4102, get, 8), 0);
	expect_rsp(f, want, 0x20);              /* zeros until written */
	g32(in, 0, 0x10);
	g32(in, 4, 0xdeadbeef);                 /* reserved: ignored */
	memcpy(in + 8, "label", 5);
	assert_int_equal(msg(f, f->mb[0], 0x4103, in, sizeof(in)), 0);
	memcpy(want + 2, "label", 5);
	assert_int_equal(msg(f, f->mb[1], 0x4102, get, 8), 0);
	expect_rsp(f, want, 0x20);
	/* the last byte is in, one past is not; nothing written on error */
	g32(get, 0, LSA_SIZE - 1);
	g32(get, 4, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4102, get, 8), 0);
	g32(get, 4, 2);
	assert_int_equal(msg(f, f->mb[0], 0x4102, get, 8), 0x02);
	g32(in, 0, LSA_SIZE - 4);
	assert_int_equal(msg(f, f->mb[0], 0x4103, in, sizeof(in)), 0x02);
	g32(get, 0, LSA_SIZE - 5);
	g32(get, 4, 5);
	assert_int_equal(msg(f, f->mb[0], 0x4102, get, 8), 0);
	expect_rsp(f, (uint8_t[5]){ 0 }, 5);
	g32(get, 0, 0xffffffff);                /* wrapping offset + length */
	g32(get, 4, 2);
	assert_int_equal(msg(f, f->mb[0], 0x4102, get, 8), 0x02);
	g32(get, 0, 0);
	g32(get, 4, 4096);                      /* more than a response carries */
	assert_int_equal(msg(f, f->mb[0], 0x4102, get, 8), 0x02);
}

static void test_lsa_absent(void **state)
{
	struct fx *f = *state;                  /* lsa_size 0: every access is out of range */
	uint8_t get[8] = { 0 };

	g32(get, 4, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4102, get, 8), 0x02);
	g32(get, 4, 0);
	assert_int_equal(msg(f, f->mb[0], 0x4102, get, 8), 0);
	assert_int_equal(f->out_len, 0);
}

static void test_health_golden(void **state)
{
	struct fx *f = *state;
	uint8_t want[0x12] = { 0 };
	struct cci_health_info h;

	g16(want, 0x04, 0x7fff);                /* no temperature sensor (r3.1 Table 8-133) */
	assert_int_equal(msg(f, f->mb[0], 0x4200, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));
	assert_int_equal(cci_dec_health_info_out(want, sizeof(want), &h), 0);
	assert_int_equal(h.temperature, 0x7fff);
	assert_int_equal(cci_dec_health_info_out(want, sizeof(want) - 1, &h), -EMSGSIZE);
}

/*
 * Get Security State (4500h): 4 bytes, all zero (no passphrase set, not
 * locked, not frozen, no attempt limit reached), as QEMU answers; Linux sends
 * it before Sanitize and Secure Erase and stops on any error.  Served on each
 * host mailbox and the MCTP CCI, not the FM CCI; a read (never journaled);
 * Sanitize running on the CCI does not make it Busy.
 */
static void test_security_state_golden(void **state)
{
	struct fx *f = *state;
	const uint8_t want[4] = { 0 };
	struct cci_ctx *mc;
	uint32_t sec = 0xffffffffu;

	assert_int_equal(msg(f, f->mb[0], 0x4500, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));
	assert_int_equal(msg(f, f->mb[1], 0x4500, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));
	assert_int_equal(cci_ctx_new(f->dev, CCI_MCTP, 0, &mc), 0);
	assert_int_equal(msg(f, mc, 0x4500, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));
	cci_ctx_free(mc);
	assert_int_equal(msg(f, f->fm, 0x4500, NULL, 0), 0x15);
	assert_int_equal(msg(f, f->mb[0], 0x4500, (uint8_t[]){ 0 }, 1), 0x16);
	assert_int_equal(f->out_len, 0);
	assert_true(cci_opcode_is_read(CXLDCD_OP_GET_SECURITY_STATE));
	/* what Linux does: Get Security State, then Sanitize; it still answers meanwhile */
	assert_int_equal(msg(f, f->mb[0], 0x4400, NULL, 0), 0x01);
	assert_int_equal(msg(f, f->mb[0], 0x4500, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));

	assert_int_equal(cci_dec_security_state_out((const uint8_t[]){ 0x3f, 0, 0, 0x80 }, 4,
						    &sec), 0);
	assert_int_equal(sec, 0x8000003fu);
	assert_int_equal(cci_dec_security_state_out(want, sizeof(want) - 1, &sec), -EMSGSIZE);
}

/*
 * Alert configuration: golden bytes, the threshold checks, and each host's
 * LD its own (CXL r3.2 §2.5): host 0's Set Alert Configuration leaves host
 * 1's at the defaults (before, host 1 read host 0's).
 */
static void test_alert_config(void **state)
{
	struct fx *f = *state;
	uint8_t want[0x10] = { 0 }, in[0x0c] = { 0 };

	g8(want, 0x00, 0);                      /* none enabled */
	g8(want, 0x01, 0x1f);                   /* all five programmable */
	g8(want, 0x02, 100);
	g16(want, 0x04, 85);
	g16(want, 0x06, (uint16_t)-10);
	assert_int_equal(msg(f, f->mb[0], 0x4201, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));

	g8(in, 0x00, 0x0b);                     /* life used, over-temp, corrected volatile */
	g8(in, 0x01, 0x0b);
	g8(in, 0x02, 90);
	g8(in, 0x03, 0xee);                     /* reserved */
	g16(in, 0x04, 70);
	g16(in, 0x06, 5);                       /* under-temp: not valid, ignored */
	g16(in, 0x08, 1000);
	g16(in, 0x0a, 7);
	assert_int_equal(msg(f, f->mb[0], 0x4202, in, sizeof(in)), 0);
	assert_int_equal(msg(f, f->mb[1], 0x4201, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));      /* host 1's LD keeps its own: the defaults */
	g8(want, 0x00, 0x0b);
	g8(want, 0x03, 90);
	g16(want, 0x08, 70);
	g16(want, 0x0c, 1000);
	assert_int_equal(msg(f, f->mb[0], 0x4201, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));

	g8(in, 0x02, 100);                      /* warning at the critical threshold */
	assert_int_equal(msg(f, f->mb[0], 0x4202, in, sizeof(in)), 0x02);
	g8(in, 0x02, 90);
	g16(in, 0x04, 85);
	assert_int_equal(msg(f, f->mb[0], 0x4202, in, sizeof(in)), 0x02);
	g8(in, 0x00, 0x04);                     /* under-temp at -10: not above critical */
	g8(in, 0x01, 0x04);
	g16(in, 0x06, (uint16_t)-10);
	assert_int_equal(msg(f, f->mb[0], 0x4202, in, sizeof(in)), 0x02);
	assert_int_equal(msg(f, f->mb[0], 0x4201, NULL, 0), 0);
	expect_rsp(f, want, sizeof(want));      /* unchanged by the failures */
	g8(in, 0x00, 0x01);                     /* disable life used only */
	g8(in, 0x01, 0x00);
	assert_int_equal(msg(f, f->mb[0], 0x4202, in, sizeof(in)), 0);
	assert_int_equal(msg(f, f->mb[0], 0x4201, NULL, 0), 0);
	assert_int_equal(f->out[0], 0x0a);
	assert_int_equal(msg(f, f->mb[1], 0x4201, NULL, 0), 0);
	assert_int_equal(f->out[0], 0x00);      /* host 1's: still none enabled */
}

static void poison_list_in(uint8_t *in, uint64_t dpa, uint64_t units)
{
	g64(in, 0, dpa);
	g64(in, 8, units);
}

static void test_poison_golden(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x10], inj[8], clr[0x48] = { 0 }, want[0x20 + 2 * 0x10] = { 0 };

	g64(inj, 0, 0x1000 | 0x3f);             /* bits 5:0 reserved: ignored */
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	assert_int_equal(f->out_len, 0);
	g64(inj, 0, 0x1040);                    /* adjacent: one range of 128 bytes */
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	g64(inj, 0, 0x3000);
	assert_int_equal(msg(f, f->mb[1], 0x4301, inj, 8), 0);
	assert_int_equal(msg(f, f->mb[1], 0x4301, inj, 8), 0);  /* again: no change */
	assert_int_equal(core_poison_count(f->dev), 2);

	poison_list_in(in, 0, GIB / 64);
	g16(want, 0x0a, 2);
	g64(want, 0x20, 0x1000 | 3);            /* source 011b: injected */
	g32(want, 0x28, 2);                     /* 2 x 64 bytes */
	g64(want, 0x30, 0x3000 | 3);
	g32(want, 0x38, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	expect_rsp(f, want, sizeof(want));
	/* a window clips records to itself */
	poison_list_in(in, 0x1040, 4);
	memset(want, 0, sizeof(want));
	g16(want, 0x0a, 1);
	g64(want, 0x20, 0x1040 | 3);
	g32(want, 0x28, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	expect_rsp(f, want, 0x30);
	poison_list_in(in, 0xffffffffffffffc0ull, 2);   /* wraps */
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0x02);

	/* clear the first half of the first range */
	g64(clr, 0, 0x1000);
	memset(clr + 8, 0xa5, 64);
	assert_int_equal(msg(f, f->mb[1], 0x4302, clr, sizeof(clr)), 0);
	poison_list_in(in, 0x1000, 0x1000 / 64);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	expect_rsp(f, want, 0x30);
	/* beyond the static capacity and outside any accepted extent */
	g64(inj, 0, R0);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x0f);
	g64(inj, 0, 100 * GIB);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x0f);
	g64(clr, 0, R0);
	assert_int_equal(msg(f, f->mb[0], 0x4302, clr, sizeof(clr)), 0x0f);
	assert_int_equal(core_poison_count(f->dev), 2);
}

static void test_poison_list_full(void **state)
{
	struct fx *f = *state;
	uint8_t inj[8], in[0x10];

	for (uint32_t i = 0; i < CORE_POISON_MAX; i++) {
		g64(inj, 0, 0x10000 + 0x1000ull * i);
		assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	}
	g64(inj, 0, 0x10000 + 0x1000ull * CORE_POISON_MAX);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x10);
	g64(inj, 0, 0x10040);                   /* joins an existing range: fine */
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	assert_int_equal(core_poison_count(f->dev), CORE_POISON_MAX);
	/* the 64 records fit a 2 KiB response: no More flag */
	poison_list_in(in, 0, GIB / 64);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(f->out[0], 0);
	assert_int_equal(r16(f->out, 0x0a), CORE_POISON_MAX);
	assert_int_equal(f->out_len, 0x20 + 0x10 * CORE_POISON_MAX);
	/* a 256-byte response limit: 14 records and More */
	assert_int_equal(msg(f, f->mb[0], 0x0004, (uint8_t[]){ 8 }, 1), 0);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(f->out[0], 0x01);
	assert_int_equal(r16(f->out, 0x0a), 14);
	assert_int_equal(f->out_len, 0x20 + 0x10 * 14);
}

static void test_poison_on_dynamic_capacity(void **state)
{
	struct fx *f = *state;
	uint8_t inj[8], in[0x10];
	struct core_poison p[4];
	bool more;

	give(f, 0, R0, 2 * MIB);
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	/* host 0 may poison its own extent, not host 1's */
	g64(inj, 0, R0 + 0x1000);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	g64(inj, 0, R0 + 2 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x0f);
	/* the FM poisons across both hosts' extents */
	assert_int_equal(core_poison_inject(f->dev, CORE_OWNER_FM, R0 + 2 * MIB - 0x100, 0x200,
					    CORE_POISON_SRC_INJECTED, NULL), 0);
	/* each host sees only its own part */
	poison_list_in(in, R0, 4 * MIB / 64);
	assert_int_equal(msg(f, f->mb[1], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(r16(f->out, 0x0a), 1);
	assert_int_equal(r64(f->out, 0x20), (R0 + 2 * MIB) | 3);
	assert_int_equal(r32(f->out, 0x28), 0x100 / 64);
	assert_int_equal(msg(f, f->mb[0], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(r16(f->out, 0x0a), 2);
	assert_int_equal(r64(f->out, 0x20), (R0 + 0x1000) | 3);
	assert_int_equal(r64(f->out, 0x30), (R0 + 2 * MIB - 0x100) | 3);
	assert_int_equal(r32(f->out, 0x38), 0x100 / 64);
	/* the reads of a poisoned DPA are detectable */
	assert_true(core_poison_test(f->dev, R0 + 0x1000, 1));
	assert_false(core_poison_test(f->dev, R0 + 0x1040, 0x40));

	/* host 1 releases its extent: region 0 sanitizes on release -> clean */
	{
		struct cxldcd_range r = { R0 + 2 * MIB, 2 * MIB };

		assert_int_equal(core_release_dc(f->dev, 1, &r, 1, false, NULL), 0);
	}
	assert_int_equal(core_poison_list(f->dev, CORE_OWNER_FM, R0, 4 * MIB, p, 4, &more), 2);
	assert_int_equal(p[1].dpa, R0 + 2 * MIB - 0x100);
	assert_int_equal(p[1].len, 0x100);
	assert_int_equal(msg(f, f->mb[1], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(r16(f->out, 0x0a), 0);
	/* given again, the capacity is clean */
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	assert_int_equal(msg(f, f->mb[1], 0x4300, in, sizeof(in)), 0);
	assert_int_equal(r16(f->out, 0x0a), 0);
}

static void test_poison_kept_without_sanitize(void **state)
{
	struct fx *f = *state;                  /* region 0 of the default fixture: no sanitize */
	struct cxldcd_range r = { R0, 2 * MIB };

	give(f, 0, R0, 2 * MIB);
	assert_int_equal(core_poison_inject(f->dev, 0, R0, 64, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_release_dc(f->dev, 0, &r, 1, false, NULL), 0);
	assert_int_equal(core_poison_count(f->dev), 1);
	assert_true(core_poison_test(f->dev, R0, 64));
	give(f, 1, R0, 2 * MIB);                /* the next owner sees it */
	assert_int_equal(msg(f, f->mb[1], 0x4300,
			     (uint8_t[16]){ 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0x80 }, 16), 0);
	assert_int_equal(r16(f->out, 0x0a), 1);
}

static const uint8_t GM_UUID[16] = { 0xfb, 0xcd, 0x0a, 0x77, 0xc2, 0x60, 0x41, 0x7f,
				     0x85, 0xa9, 0x08, 0x8b, 0x16, 0x21, 0xeb, 0xa6 };

/* log_nonempty calls, per owner (hosts 0 and 1) and log: the event interrupts. */
static unsigned irqs[2][CXLDCD_NR_LOGS];

static void count_irq(void *opaque, uint16_t owner, uint8_t log)
{
	(void)opaque;
	if (owner < 2 && log < CXLDCD_NR_LOGS)
		irqs[owner][log]++;
}

/*
 * The General Media Event Record Inject Poison logs (CXL r3.2
 * §8.2.10.9.4.2, Table 8-57), as Get Event Records (0100h) returns it at
 * rec: written here byte by byte from the spec table.
 */
static void expect_poison_record(const uint8_t *rec, uint16_t handle, uint64_t dpa_field)
{
	uint8_t want[0x80] = { 0 };

	memcpy(want, GM_UUID, 16);
	g8(want, 0x10, 0x80);                   /* Event Record Length */
	g8(want, 0x11, 0x00);                   /* flags: severity Informational, nothing else */
	g16(want, 0x14, handle);
	g64(want, 0x18, NOW);                   /* timestamp: when it was injected */
	g64(want, 0x30, dpa_field);             /* Physical Address, bit 0 Volatile */
	g8(want, 0x38, 0x01);                   /* Memory Event Descriptor: Uncorrectable Event */
	g8(want, 0x39, 0x00);                   /* Memory Event Type: Media ECC Error */
	g8(want, 0x3a, 0x04);                   /* Transaction Type: Host Inject Poison */
	assert_bytes_equal(rec, want, sizeof(want));
}

/*
 * Inject Poison logs a poison creation event (CXL r3.2 §8.2.10.9.4.2: "the
 * device adds a poison creation event to its internal Informational Event
 * log"): one General Media Event Record, in the Informational log of every
 * host that can access the line, with the log's interrupt; none when the line
 * was poisoned already, none for Clear Poison or a refused injection.  On the
 * old code no record was logged (Event Record Count 0).
 */
static void test_inject_poison_logs_a_general_media_event(void **state)
{
	static const struct core_observer obs = { .log_nonempty = count_irq };
	struct fx *f = *state;
	uint8_t inj[8], clr[0x48] = { 0 }, info = CXLDCD_LOG_INFO;
	struct core_region_info r0;

	memset(irqs, 0, sizeof(irqs));
	assert_int_equal(core_observer_add(f->dev, &obs, NULL), 0);
	assert_int_equal(core_region_get(f->dev, 0, &r0), 0);
	give(f, 0, r0.base, 2 * MIB);

	/* static volatile capacity: every host's log, each with its interrupt */
	g64(inj, 0, 0x1000);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	for (unsigned h = 0; h < 2; h++) {
		assert_int_equal(msg(f, f->mb[h], 0x0100, &info, 1), 0);
		assert_int_equal(f->out_len, 0x20 + 0x80);
		assert_int_equal(r16(f->out, 0x14), 1);     /* Event Record Count */
		expect_poison_record(f->out + 0x20, 1, 0x1000 | 0x1);
		assert_int_equal(irqs[h][CXLDCD_LOG_INFO], 1);
	}
	/* the same line again: no new poison, no record */
	assert_int_equal(msg(f, f->mb[1], 0x4301, inj, 8), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 1);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 1);
	/* static persistent capacity: Volatile clear */
	g64(inj, 0, GIB + 0x2000);
	assert_int_equal(msg(f, f->mb[1], 0x4301, inj, 8), 0);
	assert_int_equal(msg(f, f->mb[1], 0x0100, &info, 1), 0);
	assert_int_equal(r16(f->out, 0x14), 2);
	expect_poison_record(f->out + 0xa0, 2, GIB + 0x2000);
	/* host 0's extent (volatile region): host 0's log only */
	g64(inj, 0, r0.base + 0x40);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	assert_int_equal(msg(f, f->mb[0], 0x0100, &info, 1), 0);
	assert_int_equal(r16(f->out, 0x14), 3);
	expect_poison_record(f->out + 0x120, 3, (r0.base + 0x40) | 0x1);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 2);
	/* no record for a refused injection, nor for Clear Poison; no other log (DC: the add's) */
	g64(inj, 0, r0.base + 2 * MIB);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0x0f);
	g64(clr, 0, 0x1000);
	assert_int_equal(msg(f, f->mb[0], 0x4302, clr, sizeof(clr)), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 3);
	for (uint8_t log = CXLDCD_LOG_WARN; log < CXLDCD_LOG_DC; log++)
		assert_int_equal(core_evlog_count(f->dev, 0, log), 0);
	/* the interrupt is raised on the log's empty -> non-empty transition only */
	assert_int_equal(irqs[0][CXLDCD_LOG_INFO], 1);
	assert_int_equal(irqs[1][CXLDCD_LOG_INFO], 1);
}

/* A full log keeps the poison and counts the record as overflow (the log never overwrites). */
static void test_inject_poison_into_a_full_log_overflows(void **state)
{
	struct fx *f = *state;
	struct cxldcd_event ev = { .length = 0x80 };
	uint8_t inj[8], info = CXLDCD_LOG_INFO;

	for (uint32_t i = 0; i < 256; i++)
		assert_int_equal(core_evlog_inject(f->dev, 0, CXLDCD_LOG_INFO, &ev), 0);
	g64(inj, 0, 0x1000);
	assert_int_equal(msg(f, f->mb[0], 0x4301, inj, 8), 0);
	assert_int_equal(core_poison_count(f->dev), 1);
	assert_int_equal(msg(f, f->mb[0], 0x0100, &info, 1), 0);
	assert_int_equal(f->out[0] & 0x01, 0x01);           /* Overflow */
	assert_int_equal(r16(f->out, 2), 1);                /* Overflow Error Count */
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 1);
}

static void scan_in(uint8_t *in, uint64_t dpa, uint64_t units, uint8_t flags)
{
	g64(in, 0, dpa);
	g64(in, 8, units);
	g8(in, 0x10, flags);
}

/* Scan Media in the background: status, progress with time, results, abort. */
static void test_scan_media(void **state)
{
	struct fx *f = *state;
	uint8_t in[0x11], want[0x40] = { 0 };

	/* nothing ran yet */
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0x03);     /* Unsupported: no scan yet */
	assert_int_equal(core_poison_inject(f->dev, 0, 0x1000, 0x80, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 0, 0x30000000, 0x40, CORE_POISON_SRC_INJECTED,
					    NULL), 0);

	/* capabilities: 1 GiB at 64 MiB/ms = 16 ms */
	scan_in(in, 0, GIB / 64, 0);
	assert_int_equal(msg(f, f->mb[0], 0x4303, in, 0x10), 0);
	g32(want, 0, 16);
	expect_rsp(f, want, 4);
	scan_in(in, R0, 64 / 64, 0);            /* not the host's */
	assert_int_equal(msg(f, f->mb[0], 0x4303, in, 0x10), 0x0f);
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x0f);

	scan_in(in, 0, GIB / 64, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x01);     /* started */
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x06);     /* one at a time */
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0x06);
	core_dev_set_time(f->dev, NOW + 4000000);                       /* 4 of 16 ms */
	memset(want, 0, sizeof(want));
	g8(want, 0, 1 | (25 << 1));
	g16(want, 2, 0x4304);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	assert_int_equal(msg(f, f->mb[1], 0x0002, NULL, 0), 0);         /* per mailbox */
	assert_int_equal(f->out[0], 0);
	core_dev_set_time(f->dev, NOW + 16000000);
	g8(want, 0, 100 << 1);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	memset(want, 0, sizeof(want));
	g16(want, 0x12, 2);
	g64(want, 0x20, 0x1000 | 3);
	g32(want, 0x28, 2);
	g64(want, 0x30, 0x30000000 | 3);
	g32(want, 0x38, 1);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	expect_rsp(f, want, 0x40);

	/* abort at half: stopped, restart at the unscanned half, Aborted status */
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x01);
	core_dev_set_time(f->dev, NOW + 24000000);
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0);
	memset(want, 0, sizeof(want));
	g8(want, 0, 50 << 1);
	g16(want, 2, 0x4304);
	g16(want, 4, 0x12);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	memset(want, 0, sizeof(want));
	g64(want, 0x00, GIB / 2);
	g64(want, 0x08, GIB / 2 / 64);
	g8(want, 0x10, 0x02);
	g16(want, 0x12, 1);
	g64(want, 0x20, 0x1000 | 3);
	g32(want, 0x28, 2);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	expect_rsp(f, want, 0x30);
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0);         /* nothing running */
}

/*
 * Scan Media results stay until the next Scan Media (CXL r3.2 §8.2.10.9.4.5:
 * "Any previous Scan Media results are discarded by the device upon
 * receiving a new Scan Media command"), whatever other background operation
 * runs on the mailbox in between: 4305h answers Busy while it runs, then the
 * same bytes again (a stopped scan's restart range too), across a snapshot;
 * a new scan replaces them.  On the old code a Sanitize after the scan made
 * 4305h Unsupported ('0x3 != 0').
 */
static void test_scan_results_outlive_other_background_operations(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	uint8_t in[0x11], res[0x40], *a = NULL, *b = NULL;
	uint8_t spare[16] = { 2, 1, 0x02, 1, 2 };
	struct cxldcd_dev *d2;
	size_t nres, na, nb;
	uint64_t t = NOW;

	assert_int_equal(core_poison_inject(f->dev, 0, 0x1000, 0x80, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 0, 0x30000000, 0x40, CORE_POISON_SRC_INJECTED,
					    NULL), 0);
	/* a scan of the first 1 GiB, aborted at half: one record, restart at the half */
	scan_in(in, 0, GIB / 64, 0);
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x01);
	core_dev_set_time(f->dev, t += 8000000);
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	assert_int_equal(f->out[0x10], 0x02);                           /* stopped */
	nres = f->out_len;
	assert_int_equal(nres, 0x30);
	memcpy(res, f->out, nres);
	/* a memory sparing, then a Sanitize (which drops the poison itself) */
	assert_int_equal(msg(f, f->mb[0], 0x0600, spare, sizeof(spare)), 0x01);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0x06);      /* Busy meanwhile */
	core_dev_set_time(f->dev, t += 100000000);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	expect_rsp(f, res, nres);
	assert_int_equal(msg(f, f->mb[0], 0x4400, NULL, 0), 0x01);
	core_dev_set_time(f->dev, t += 1000000000);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	expect_rsp(f, res, nres);
	/* kept across a snapshot, byte for byte */
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	{
		struct core_scan_results r;

		assert_int_equal(core_scan_media_results(d2, 0, &r), 0);
		assert_true(r.stopped);
		assert_int_equal(r.restart_dpa, GIB / 2);
		assert_int_equal(r.nr, 1);
		assert_int_equal(r.rec[0].dpa, 0x1000);
	}
	core_dev_free(d2);
	free(a);
	free(b);
	/* a new scan replaces them: the Sanitize dropped the poison */
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x01);
	core_dev_set_time(f->dev, t += 16000000);
	assert_int_equal(msg(f, f->mb[0], 0x4305, NULL, 0), 0);
	assert_int_equal(f->out_len, 0x20);
	assert_int_equal(f->out[0x10], 0);
}

/* Sanitize / Secure Erase: the host's capacity loses its poison at once; others keep theirs. */
static void test_sanitize_and_secure_erase(void **state)
{
	struct fx *f = *state;
	uint8_t want[8] = { 0 }, in[0x11];

	give(f, 0, R0, 2 * MIB);
	give(f, 1, R0 + 2 * MIB, 2 * MIB);
	assert_int_equal(core_poison_inject(f->dev, 0, R0 + 0x1000, 64, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 1, R0 + 2 * MIB, 64, CORE_POISON_SRC_INJECTED, NULL), 0);
	assert_int_equal(core_poison_inject(f->dev, 0, 0x1000, 64, CORE_POISON_SRC_INJECTED, NULL), 0);
	for (uint16_t h = 0; h < 2; h++) {
		struct cxldcd_event ev = { .length = 0x80 };

		assert_int_equal(core_evlog_inject(f->dev, h, CXLDCD_LOG_INFO, &ev), 0);
		assert_int_equal(core_evlog_inject(f->dev, h, CXLDCD_LOG_WARN, &ev), 0);
	}
	/* host 0 holds 1 GiB static + 2 MiB: 17 ms at 64 MiB/ms */
	assert_int_equal(msg(f, f->mb[0], 0x4400, NULL, 0), 0x01);
	/* §8.2.10.9.5.1: the event logs are deleted, the asking host's only */
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_WARN), 0);
	assert_int_equal(core_evlog_status_bits(f->dev, 0), 0);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 1);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_WARN), 1);
	{
		struct cxldcd_event ev = { .length = 0x80 };

		/* handles go on: the next record is not handle 1 again */
		struct core_evlog_status st;
		uint32_t n = 0;

		assert_int_equal(core_evlog_inject(f->dev, 0, CXLDCD_LOG_INFO, &ev), 0);
		assert_int_equal(core_evlog_get(f->dev, 0, CXLDCD_LOG_INFO, 1, &ev, &n, &st), 0);
		assert_int_equal(n, 1);
		assert_int_equal(ev.handle, 2);
	}
	assert_int_equal(core_poison_count(f->dev), 1);             /* host 1's is left */
	assert_true(core_poison_test(f->dev, R0 + 2 * MIB, 64));
	assert_int_equal(msg(f, f->mb[0], 0x0005, NULL, 0), 0x20);  /* cannot abort */
	scan_in(in, 0, 1, 0);
	assert_int_equal(msg(f, f->mb[0], 0x4304, in, 0x11), 0x06);
	assert_int_equal(msg(f, f->mb[0], 0x4401, NULL, 0), 0x06);
	g8(want, 0, 1);
	g16(want, 2, 0x4400);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	core_dev_set_time(f->dev, NOW + 17000000);
	g8(want, 0, 100 << 1);
	assert_int_equal(msg(f, f->mb[0], 0x0002, NULL, 0), 0);
	expect_rsp(f, want, 8);
	/* Secure Erase is immediate: host 1's poison goes */
	assert_int_equal(msg(f, f->mb[1], 0x4401, NULL, 0), 0);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(core_poison_count(f->dev), 0);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_INFO), 0);
	assert_int_equal(core_evlog_count(f->dev, 1, CXLDCD_LOG_WARN), 0);
	assert_int_equal(core_evlog_count(f->dev, 0, CXLDCD_LOG_INFO), 1);
	assert_int_equal(msg(f, f->mb[1], 0x0002, NULL, 0), 0);     /* not a background op */
	assert_int_equal(f->out[0], 0);
}

/* The memory-device state is in the model's snapshot and comes back whole. */
static void test_snapshot_keeps_memdev_state(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev *d2;
	uint8_t *a = NULL, *b = NULL, *plain = NULL, in[0x11], ts[8], lsa[8 + 4];
	size_t na, nb, nplain;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);

	assert_int_equal(core_snapshot(f->dev, &plain, &nplain), 0);   /* nothing set: no section */
	assert_int_equal(core_poison_inject(f->dev, 0, 0x1000, 0x80, CORE_POISON_SRC_INJECTED, NULL), 0);
	g64(ts, 0, 12345);
	assert_int_equal(msg(f, f->mb[0], 0x0301, ts, 8), 0);
	g32(lsa, 0, 8);
	g32(lsa, 4, 0);
	memcpy(lsa + 8, "LSA!", 4);
	assert_int_equal(msg(f, f->mb[0], 0x4103, lsa, sizeof(lsa)), 0);
	scan_in(in, 0, GIB / 64, 0);
	assert_int_equal(msg(f, f->mb[1], 0x4304, in, 0x11), 0x01);
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_true(na > nplain);
	assert_memory_equal(a + 8, plain + 8, 4);       /* same version: the section is appended */

	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	assert_int_equal(core_timestamp_get(d2, 0), 12345);
	assert_true(core_poison_test(d2, 0x1040, 1));
	assert_true(core_bg_busy(d2, 1));
	{
		uint8_t got[4];

		assert_int_equal(core_lsa_read(d2, CORE_OWNER_FM, 8, 4, got, NULL), 0);
		assert_memory_equal(got, "LSA!", 4);
	}
	core_dev_free(d2);
	/* a damaged section is refused */
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na - 1, NULL), -EINVAL);
	core_dev_free(d2);
	free(a);
	free(b);
	free(plain);
}

/*
 * Each LD's timestamp and alert configuration are in the snapshot: host 0's
 * and host 1's differ, and a restored device answers each host its own
 * (then snapshots to the same bytes); the same file cut short is refused.
 */
static void test_snapshot_keeps_each_lds_timestamp_and_alerts(void **state)
{
	struct fx *f = *state;
	struct cxldcd_dev_cfg cfg = *core_dev_cfg(f->dev);
	uint8_t *a = NULL, *b = NULL, ts[8], al[0x0c] = { 0 };
	struct core_alert_cfg got;
	struct cxldcd_dev *d2;
	size_t na, nb;

	g64(ts, 0, 12345);
	assert_int_equal(msg(f, f->mb[0], 0x0301, ts, 8), 0);
	g64(ts, 0, 777);
	assert_int_equal(msg(f, f->mb[1], 0x0301, ts, 8), 0);
	g8(al, 0x00, 0x02);                     /* host 1: over-temperature warning at 60 C */
	g8(al, 0x01, 0x02);
	g16(al, 0x04, 60);
	assert_int_equal(msg(f, f->mb[1], 0x4202, al, sizeof(al)), 0);
	assert_int_equal(core_snapshot(f->dev, &a, &na), 0);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na, NULL), 0);
	assert_int_equal(core_timestamp_get(d2, 0), 12345);
	assert_int_equal(core_timestamp_get(d2, 1), 777);
	assert_int_equal(core_timestamp_get(d2, CORE_OWNER_FM), 0);
	core_alert_get(d2, 0, &got);
	assert_int_equal(got.enabled, 0);
	core_alert_get(d2, 1, &got);
	assert_int_equal(got.enabled, 0x02);
	assert_int_equal(got.over_temp_warn, 60);
	assert_int_equal(core_snapshot(d2, &b, &nb), 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	core_dev_free(d2);
	assert_int_equal(core_dev_new(&cfg, &d2, NULL), 0);
	assert_int_equal(core_restore(d2, a, na - 1, NULL), -EINVAL);
	core_dev_free(d2);
	free(a);
	free(b);
}

/* ------------------------------------------------------------ codecs */

static void test_codec_round_trips(void **state)
{
	uint8_t b[0x100];
	struct wwr w;
	struct cci_set_alert_cfg a = { 0x1f, 0x15, 50, 60, (uint16_t)-5, 7, 8 }, a2;
	struct cci_lsa_range lr = { 0x12, 0x34 }, lr2;
	struct cci_poison_range pr = { 0x40000040, 0x1000 }, pr2;
	struct cci_clear_poison cp = { .dpa = 0x80 }, cp2;
	struct cci_poison_list_hdr h = { .flags = 3, .overflow_ts = 99, .count = 1 }, h2;
	struct cci_media_error e = { 0x1000, 3, 0x80 }, e2;
	const uint8_t *data;
	uint64_t dpa;

	(void)state;
	(void)h2;
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_set_alert_cfg_in(&w, &a), 0);
	assert_int_equal(w.off, 0x0c);
	assert_int_equal(cci_dec_set_alert_cfg_in(b, w.off, &a2), 0);
	assert_int_equal(a2.valid_actions, a.valid_actions);
	assert_int_equal(a2.enable_actions, a.enable_actions);
	assert_int_equal(a2.life_used_warn, a.life_used_warn);
	assert_int_equal(a2.over_temp_warn, a.over_temp_warn);
	assert_int_equal(a2.under_temp_warn, a.under_temp_warn);
	assert_int_equal(a2.corr_volatile_warn, a.corr_volatile_warn);
	assert_int_equal(a2.corr_persistent_warn, a.corr_persistent_warn);
	assert_int_equal(cci_dec_set_alert_cfg_in(b, w.off - 1, &a2), -EMSGSIZE);

	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_get_lsa_in(&w, &lr), 0);
	assert_int_equal(cci_dec_get_lsa_in(b, w.off, &lr2), 0);
	assert_int_equal(lr2.offset, 0x12);
	assert_int_equal(lr2.length, 0x34);
	assert_int_equal(cci_dec_get_lsa_in(b, w.off - 1, &lr2), -EMSGSIZE);

	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_set_lsa_in(&w, 0x20, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(w.off, 11);
	assert_int_equal(cci_dec_set_lsa_in(b, w.off, &lr2, &data), 0);
	assert_int_equal(lr2.offset, 0x20);
	assert_int_equal(lr2.length, 3);
	assert_memory_equal(data, "abc", 3);
	assert_int_equal(cci_dec_set_lsa_in(b, 7, &lr2, &data), -EMSGSIZE);

	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_poison_list_in(&w, &pr), 0);
	assert_int_equal(r64(b, 8), 0x1000 / 64);
	assert_int_equal(cci_dec_poison_list_in(b, w.off, &pr2), 0);
	assert_memory_equal(&pr, &pr2, sizeof(pr));
	assert_int_equal(cci_dec_poison_list_in(b, w.off - 1, &pr2), -EMSGSIZE);

	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_inject_poison_in(&w, 0x1040), 0);
	assert_int_equal(cci_dec_inject_poison_in(b, w.off, &dpa), 0);
	assert_int_equal(dpa, 0x1040);
	assert_int_equal(cci_dec_inject_poison_in(b, w.off - 1, &dpa), -EMSGSIZE);

	memset(cp.data, 0x5a, sizeof(cp.data));
	wwr_init(&w, b, sizeof(b));
	assert_int_equal(cci_enc_clear_poison_in(&w, &cp), 0);
	assert_int_equal(w.off, 0x48);
	assert_int_equal(cci_dec_clear_poison_in(b, w.off, &cp2), 0);
	assert_memory_equal(&cp, &cp2, sizeof(cp));
	assert_int_equal(cci_dec_clear_poison_in(b, w.off - 1, &cp2), -EMSGSIZE);

	/* poison list output: golden header, then a record */
	{
		uint8_t want[0x30] = { 0 };
		struct cci_poison_list_hdr hd;
		struct cci_media_error ed[1];

		g8(want, 0x00, 3);
		g64(want, 0x02, 99);
		g16(want, 0x0a, 1);
		g64(want, 0x20, 0x1000 | 3);
		g32(want, 0x28, 2);
		wwr_init(&w, b, sizeof(b));
		assert_int_equal(cci_enc_poison_list_hdr(&w, &h), 0);
		assert_int_equal(cci_enc_media_error(&w, &e), 0);
		assert_int_equal(w.off, sizeof(want));
		assert_bytes_equal(b, want, sizeof(want));
		assert_int_equal(cci_dec_poison_list_out(b, w.off, &hd, ed, 1), 0);
		assert_int_equal(hd.overflow_ts, 99);
		e2 = ed[0];
		assert_int_equal(e2.dpa, e.dpa);
		assert_int_equal(e2.source, e.source);
		assert_int_equal(e2.len, e.len);
		assert_int_equal(cci_dec_poison_list_out(b, w.off - 1, &hd, ed, 1), -EMSGSIZE);
		assert_int_equal(cci_dec_poison_list_out(b, w.off, &hd, ed, 0), -ENOBUFS);
	}
	/* media event records: the 0x50 bytes after the common header, laid out by offset */
	{
		uint8_t want[0x50], got[0x50];
		struct cci_gm_event gm = { .head = { .dpa = 0x1000 | 1, .descriptor = 3, .type = 2,
						     .transaction_type = 0xc0, .validity = 0x0f,
						     .channel = 3, .rank = 4 },
					   .device = 0xabcdef };
		struct cci_dram_event dr = { .head = { .dpa = 0x2000, .descriptor = 1, .type = 2,
						       .transaction_type = 3, .validity = 0xff,
						       .channel = 5, .rank = 6 },
					     .nibble_mask = 0x123456, .bank_group = 7,
					     .bank = 8, .row = 0x654321, .column = 0x9abc,
					     .correction_mask = { 1, 2, 3, 0x0102030405060708ull } };
		struct cci_mm_event mm = { .type = 2, .health = { 1, 2, 3, 40, 0xfff1, 5, 6, 7 } };

		memcpy(gm.component_id, "iras mem", 8);
		memset(want, 0, sizeof(want));
		g64(want, 0x00, 0x1001);
		g8(want, 0x08, 3);
		g8(want, 0x09, 2);
		g8(want, 0x0a, 0xc0);
		g16(want, 0x0b, 0x0f);
		g8(want, 0x0d, 3);
		g8(want, 0x0e, 4);
		g24(want, 0x0f, 0xabcdef);
		memcpy(want + 0x12, "iras mem", 8);
		wwr_init(&w, got, sizeof(got));
		assert_int_equal(cci_enc_gm_event(&w, &gm), 0);
		assert_int_equal(w.off, 0x50);
		assert_bytes_equal(got, want, 0x50);

		memset(want, 0, sizeof(want));
		g64(want, 0x00, 0x2000);
		g8(want, 0x08, 1);
		g8(want, 0x09, 2);
		g8(want, 0x0a, 3);
		g16(want, 0x0b, 0xff);
		g8(want, 0x0d, 5);
		g8(want, 0x0e, 6);
		g24(want, 0x0f, 0x123456);
		g8(want, 0x12, 7);
		g8(want, 0x13, 8);
		g24(want, 0x14, 0x654321);
		g16(want, 0x17, 0x9abc);
		g64(want, 0x19, 1);
		g64(want, 0x21, 2);
		g64(want, 0x29, 3);
		g64(want, 0x31, 0x0102030405060708ull);
		wwr_init(&w, got, sizeof(got));
		assert_int_equal(cci_enc_dram_event(&w, &dr), 0);
		assert_int_equal(w.off, 0x50);
		assert_bytes_equal(got, want, 0x50);

		memset(want, 0, sizeof(want));
		g8(want, 0x00, 2);
		g8(want, 0x01, 1);
		g8(want, 0x02, 2);
		g8(want, 0x03, 3);
		g8(want, 0x04, 40);
		g16(want, 0x05, 0xfff1);
		g32(want, 0x07, 5);
		g32(want, 0x0b, 6);
		g32(want, 0x0f, 7);
		wwr_init(&w, got, sizeof(got));
		assert_int_equal(cci_enc_mm_event(&w, &mm), 0);
		assert_int_equal(w.off, 0x50);
		assert_bytes_equal(got, want, 0x50);
		wwr_init(&w, got, 0x4f);
		assert_int_equal(cci_enc_mm_event(&w, &mm), -ENOBUFS);

		/* the r3.2 fields (Tables 8-57, 8-58, 8-59), on top of the r3.1 bytes above */
		wwr_init(&w, want, sizeof(want));
		assert_int_equal(cci_enc_gm_event(&w, &gm), 0);
		g8(want, 0x22, 0x5a);
		g24(want, 0x23, 0x010203);
		g8(want, 0x26, 4);
		gm.cme_ev_flags = 0x5a;
		gm.cme_count = 0x010203;
		gm.sub_type = 4;
		wwr_init(&w, got, sizeof(got));
		assert_int_equal(cci_enc_gm_event(&w, &gm), 0);
		assert_int_equal(w.off, 0x50);
		assert_bytes_equal(got, want, 0x50);

		wwr_init(&w, want, sizeof(want));
		assert_int_equal(cci_enc_dram_event(&w, &dr), 0);
		memcpy(dr.component_id, "dimm7", 5);
		dr.sub_channel = 9;
		dr.cme_ev_flags = 0x11;
		dr.cvme_count = 0xa0b0c0;
		dr.sub_type = 3;
		memcpy(want + 0x39, "dimm7", 5);
		g8(want, 0x49, 9);
		g8(want, 0x4a, 0x11);
		g24(want, 0x4b, 0xa0b0c0);
		g8(want, 0x4e, 3);
		wwr_init(&w, got, sizeof(got));
		assert_int_equal(cci_enc_dram_event(&w, &dr), 0);
		assert_int_equal(w.off, 0x50);
		assert_bytes_equal(got, want, 0x50);

		wwr_init(&w, want, sizeof(want));
		assert_int_equal(cci_enc_mm_event(&w, &mm), 0);
		mm.validity = 0x3;
		memcpy(mm.component_id, "module0", 7);
		mm.sub_type = 2;
		g16(want, 0x13, 0x3);
		memcpy(want + 0x15, "module0", 7);
		g8(want, 0x25, 2);
		wwr_init(&w, got, sizeof(got));
		assert_int_equal(cci_enc_mm_event(&w, &mm), 0);
		assert_int_equal(w.off, 0x50);
		assert_bytes_equal(got, want, 0x50);
	}
	/* Background Operation Status: golden and round trip */
	{
		struct cci_bg_status st = { true, 42, 0x4304, 0, 0 }, st2;
		uint8_t want[8] = { 0 };

		g8(want, 0, 1 | 42 << 1);
		g16(want, 2, 0x4304);
		wwr_init(&w, b, sizeof(b));
		assert_int_equal(cci_enc_bg_status(&w, &st), 0);
		assert_int_equal(w.off, 8);
		assert_bytes_equal(b, want, 8);
		assert_int_equal(cci_dec_bg_status(b, 8, &st2), 0);
		assert_true(st2.running);
		assert_int_equal(st2.percent, 42);
		assert_int_equal(st2.opcode, 0x4304);
		assert_int_equal(cci_dec_bg_status(b, 7, &st2), -EMSGSIZE);
		b[0] = 101 << 1;
		assert_int_equal(cci_dec_bg_status(b, 8, &st2), -EINVAL);
	}
	/* encoders stop at the end of the buffer */
	wwr_init(&w, b, 0x4f);
	assert_int_equal(cci_enc_fw_info_out(&w, &(struct cci_fw_info){ 0 }), -ENOBUFS);
	wwr_init(&w, b, 0x11);
	assert_int_equal(cci_enc_health_info_out(&w, &(struct cci_health_info){ 0 }), -ENOBUFS);
	wwr_init(&w, b, 0x0f);
	assert_int_equal(cci_enc_alert_cfg_out(&w, &(struct cci_alert_cfg){ 0 }), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sizes_and_ccis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fw_info_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timestamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partition_info_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identify_and_partition_info_with_both_memdevs,
						setup_pmem, teardown),
		cmocka_unit_test_setup_teardown(test_static_host_only_leaves_other_hosts_without,
						setup_static_host0, teardown),
		cmocka_unit_test_setup_teardown(test_lsa, setup_lsa, teardown),
		cmocka_unit_test_setup_teardown(test_lsa_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_security_state_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alert_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poison_golden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poison_list_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poison_on_dynamic_capacity, setup_lsa, teardown),
		cmocka_unit_test_setup_teardown(test_poison_kept_without_sanitize, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inject_poison_logs_a_general_media_event,
						setup_pmem, teardown),
		cmocka_unit_test_setup_teardown(test_inject_poison_into_a_full_log_overflows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_scan_media, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_results_outlive_other_background_operations,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sanitize_and_secure_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_keeps_memdev_state, setup_lsa, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_keeps_each_lds_timestamp_and_alerts, setup,
						teardown),
		cmocka_unit_test(test_codec_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
