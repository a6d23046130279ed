/* SPDX-License-Identifier: MIT */
/*
 * test-cci-memdev.c - the memory-device commands beyond Dynamic Capacity
 * that describe and configure the device (0200h, 0300h/0301h, 4000h,
 * 4100h, 4102h/4103h, 4200h-4202h, 4500h): golden vectors laid out from
 * the spec tables at explicit offsets, every input one byte short and one
 * byte long, and the model behind them (sizes, partitions, LSA, health,
 * security state, timestamp, alerts).  Poison: test-cci-poison; Scan
 * Media and Sanitize: test-cci-scan; snapshots: test-cci-memdev-snap;
 * codecs: test-cci-memdev-codec.
 */
#include "memdev-util.h"

/* static-host=0: host 1 reaches no static capacity: none in Identify and 4100h, Invalid PA for poison. */
static int setup_static_host0(void **state)
{
	struct cxldcd_dev_cfg cfg;

	fx_cfg(&cfg);
	cfg.static_host_only = true;
	cfg.static_host = 0;
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
