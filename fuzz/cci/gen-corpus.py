#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of fuzz-cci-dispatch and fuzz-cci-decode.

Seeds are valid messages for every command (and a few short flows) in the
step format documented in fuzz/cci/steps.c, laid out by hand from the spec
tables: struct.pack with explicit little-endian formats, no project code.
A cci-dispatch input starts with the device byte: 0 the small device, 1 the
many-tags one, whose seeds fill the tag space with list steps (an extent-list
description, fuzz/cci/steps.h, that the target expands), 2 the static-host
one, 4 the static-only one (no DC regions).
Run from anywhere: python3 fuzz/cci/gen-corpus.py
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus')
MIB = 1 << 20
R0 = 0x10000000          # fuzz device: 256 MiB static, 256 MiB regions
R1 = 0x20000000          # region 1 is sharable
TAG = bytes(range(0x40, 0x50))
CEL = bytes.fromhex('0da9c0b5bf414b788f7996b1623b3f17')
SCRUB = bytes.fromhex('96dad7d6fde8482ba73375774e06db8a')   # patrol scrub control
ECS = bytes.fromhex('e5b13f2223284a14b8bab9691e893386')     # DDR5 ECS control
SPPR = bytes.fromhex('892ba475fad8474e9d3e692c917568bb')    # soft PPR
RANK = bytes.fromhex('34dbaff5055242818f76da0b5e7a76a7')    # rank memory sparing
H0, H1, FM, MCTP = 0, 1, 2, 3


LIST = 0x10             # step flag: the payload is an extent-list description
TICK = 0x08             # step flag: advance the clock 600 ms and core_tick()


def step(cci, op, payload=b'', flags=0):
    return struct.pack('<BHH', cci | flags, op, len(payload)) + payload


def lst(head, byte2, region, n, first, blocks=1, gap=0, per_tag=1, tag=0):
    """An extent-list description (steps.h): n extents of blocks blocks from
    block first of the region, gap blocks apart, per_tag extents a tag from
    tag on.  head: the Host ID (56xxh) or the More flag (48xxh)."""
    return struct.pack('<BBBBHBBBH', head, byte2, region, n, first, blocks, gap, per_tag, tag)


def grow(host, region, groups, n=50, tag0=0):
    """groups FM adds of n one-block extents each, back to back, a tag each."""
    return b''.join(step(FM, 0x5604, lst(host, 2, region, n, g * n, tag=tag0 + g * n), LIST)
                    for g in range(groups))


def answer(host, region, groups, op, n=50, first_group=0):
    """The host accepts (4802h) or releases (4803h) those groups' extents, a group a step."""
    return b''.join(step(host, op, lst(0, 0, region, n, g * n), LIST)
                    for g in range(first_group, first_group + groups))


def extent(dpa, length, tag=b'\0' * 16, seq=0):
    return struct.pack('<QQ16sH6x', dpa, length, tag, seq)


def upd(dpa, length):
    return struct.pack('<QQ8x', dpa, length)


def add(host, policy, exts=(), region=0, length=0, tag=b'\0' * 16):
    return struct.pack('<HBBQ16sI', host, policy, region, length, tag, len(exts)) + b''.join(exts)


def release(host, flags, exts=(), length=0, tag=b'\0' * 16):
    return struct.pack('<HBxQ16sI', host, flags, length, tag, len(exts)) + b''.join(exts)


def dc_rsp(ranges, more=False):
    return struct.pack('<IB3x', len(ranges), 1 if more else 0) + b''.join(ranges)


E = [extent(R0, 2 * MIB, TAG), extent(R0 + 4 * MIB, 4 * MIB, TAG), extent(R0 + 10 * MIB, 2 * MIB, TAG)]

dispatch = {
    'identify': step(H0, 0x0001),
    'get-rsp-limit': step(FM, 0x0003),
    'set-rsp-limit': step(FM, 0x0004, bytes([8])) + step(FM, 0x0100, bytes([4])),
    'get-events': step(H1, 0x0100, bytes([4])),
    'clear-events': step(H1, 0x0101, struct.pack('<BBB3xH', 4, 0, 1, 1)),
    'clear-all': step(H1, 0x0101, struct.pack('<BBB3x', 4, 1, 0)),
    'get-irq': step(H0, 0x0102),
    'set-irq-5': step(H0, 0x0103, bytes([1, 0x11, 0, 0, 0x21])),
    'set-irq-4': step(H0, 0x0103, bytes([1, 0, 0, 0])),
    'supported-logs': step(FM, 0x0400),
    'get-log': step(H0, 0x0401, CEL + struct.pack('<II', 0, 56)),
    'logs-sub-list': step(FM, 0x0405, bytes([1, 0])) + step(H1, 0x0405, bytes([4, 1])),
    'identify-memdev': step(H0, 0x4000),
    'fw-info': step(H0, 0x0200),
    'timestamp': step(H0, 0x0301, struct.pack('<Q', 1_700_000_000_000_000_000)) + step(H0, 0x0300),
    'partition-info': step(H1, 0x4100),
    'lsa': step(H0, 0x4103, struct.pack('<I4x', 0x10) + b'label') + step(H0, 0x4102, struct.pack('<II', 0, 0x40)),
    'health': step(H0, 0x4200),
    'alert-cfg': step(H0, 0x4202, struct.pack('<BBBxHHHH', 0x1f, 0x1f, 90, 70, 0, 10, 10)) + step(H0, 0x4201),
    'poison': step(H0, 0x4301, struct.pack('<Q', 0x1000))
              + step(H0, 0x4300, struct.pack('<QQ', 0, 0x1000000))
              + step(H0, 0x4302, struct.pack('<Q', 0x1000) + bytes(64)),
    'scan-media': step(H0, 0x4303, struct.pack('<QQ', 0, 0x1000))
                  + step(H0, 0x4304, struct.pack('<QQB', 0, 0x1000, 0))
                  + step(H0, 0x0002)
                  + step(H0, 0x0005)
                  + step(H0, 0x4305),
    'features': step(H0, 0x0500, struct.pack('<IH2x', 8 + 2 * 0x30, 0))
                + step(H0, 0x0501, SCRUB + struct.pack('<HHB', 0, 4, 0))
                + step(H0, 0x0502, SCRUB + struct.pack('<IHB9x', 8, 0, 1) + bytes([24, 1]))
                + step(H0, 0x0502, ECS + struct.pack('<IHB9x', 1, 0, 1) + bytes([1, 4, 0]))
                + step(H0, 0x0502, ECS + struct.pack('<IHB9x', 3, 3, 1) + bytes([5, 0, 3, 8]))
                + step(H1, 0x0501, ECS + struct.pack('<HHB', 0, 0x0d, 2)),
    # each LD's own Set Feature transfer: host 0's stays open while host 1 sets
    # a feature whole and opens its own, and the MCTP CCI opens one too
    'feature-transfers': step(H0, 0x0502, ECS + struct.pack('<IHB9x', 1, 0, 1) + bytes([0, 5, 0]))
                         + step(H1, 0x0502, SCRUB + struct.pack('<IHB9x', 0, 0, 1) + bytes([6, 1]))
                         + step(H1, 0x0502, ECS + struct.pack('<IHB9x', 9, 0, 1) + bytes([1, 4]))
                         + step(MCTP, 0x0502, SPPR + struct.pack('<IHB9x', 1, 0, 3) + bytes([0]))
                         + step(H0, 0x0502, ECS + struct.pack('<IHB9x', 2, 3, 1) + bytes([4, 0])),
    'maintenance': step(H0, 0x0500, struct.pack('<IH2x', 8 + 6 * 0x30, 2))
                   + step(H0, 0x0501, SPPR + struct.pack('<HHB', 0, 0x14, 0))
                   + step(H0, 0x0502, SPPR + struct.pack('<IHB9x', 8, 0, 3) + bytes([0, 0, 0]))
                   + step(H1, 0x0502, RANK + struct.pack('<IHB9x', 0, 0, 1) + bytes([0, 0]))
                   + step(H0, 0x0600, struct.pack('<BBBQ3s', 1, 0, 0, 0x1000, b'\x9c\xa5\0'))
                   + step(H1, 0x0600, struct.pack('<BBBBB3sBB3sHB', 2, 1, 0xe, 1, 2, b'\x9c\xa5\0',
                                                  3, 4, b'\x45\x23\x01', 0x708, 1))
                   + step(H0, 0x0600, struct.pack('<BBBQ3s', 1, 1, 1, 0x2000, bytes(3))),
    # memory sparing in the background: Busy, abort, again, the clock passes its end and the
    # Memory Sparing Event Record is read and cleared (host 0; the MCTP CCI's goes to the FM's log)
    'sparing-bg': step(H0, 0x0600, struct.pack('<BBBBB3sBB3sHB', 2, 0, 0xc, 1, 2, b'\x9c\xa5\0',
                                               3, 4, b'\x45\x23\x01', 0x708, 1))
                  + step(H0, 0x0002) + step(H0, 0x4304, struct.pack('<QQB', 0, 1, 0))
                  + step(H0, 0x0005) + step(H0, 0x0002)
                  + step(H0, 0x0600, struct.pack('<BBBBB3sBB3sHB', 2, 3, 0x1, 5, 6, bytes(3),
                                                 0, 0, bytes(3), 0, 0))
                  + step(MCTP, 0x0600, struct.pack('<BBBBB3sBB3sHB', 2, 1, 0x2, 1, 2, bytes(3),
                                                   3, 4, b'\x01\0\0', 0, 0))
                  + step(H0, 0x0100, bytes([0]), flags=TICK)
                  + step(H0, 0x0101, struct.pack('<BBB3xH', 0, 0, 1, 1))
                  + step(MCTP, 0x0100, bytes([0])) + step(MCTP, 0x0002),
    # Inject Poison's General Media Event Record, in both hosts' Informational logs
    'poison-event': step(H0, 0x4301, struct.pack('<Q', 0x4000))
                    + step(H1, 0x4301, struct.pack('<Q', 0x4000))
                    + step(H0, 0x0100, bytes([0])) + step(H1, 0x0100, bytes([0]))
                    + step(H1, 0x0101, struct.pack('<BBB3xH', 0, 0, 1, 1)),
    'sanitize': step(H1, 0x4301, struct.pack('<Q', 0x2000))
                + step(H1, 0x4400) + step(H1, 0x0002) + step(H1, 0x0005)
                + step(H1, 0x4401, flags=0x08) + step(H1, 0x4300, struct.pack('<QQ', 0, 0x1000000)),
    'media-ops': step(H0, 0x4402, struct.pack('<BB2xIHH', 0, 0, 0, 0, 8))
                 + step(H0, 0x4301, struct.pack('<Q', 0x3000))
                 + step(H0, 0x4402, struct.pack('<BB2xIQQ', 1, 1, 1, 0x3000, 0x1000))
                 + step(H0, 0x0002) + step(H0, 0x0005)
                 + step(H0, 0x4402, struct.pack('<BB2xIQQ', 1, 0, 1, 0x2000, 0x40), flags=0x08),
    'mctp-cci': step(H0, 0x4301, struct.pack('<Q', 0x1000))
                + step(MCTP, 0x4300, struct.pack('<QQ', 0, 0x1000000))
                + step(MCTP, 0x4304, struct.pack('<QQB', 0, 0x1000, 0))
                + step(MCTP, 0x0002) + step(MCTP, 0x4305, flags=0x08)
                + step(MCTP, 0x4400) + step(MCTP, 0x0005) + step(MCTP, 0x4402, bytes(12))
                + step(MCTP, 0x4401, flags=0x08),
    # Linux's order: Get Security State, then Sanitize; the FM CCI does not serve it
    'security-state': step(H0, 0x4500) + step(H0, 0x4400) + step(MCTP, 0x4500)
                      + step(FM, 0x4500) + step(H1, 0x4500, bytes([0])),
    'dc-config': step(H0, 0x4800, bytes([8, 0])),
    'dc-extents': step(H0, 0x4801, struct.pack('<II', 16, 0)),
    'dcd-info': step(FM, 0x5600),
    'host-region-cfg': step(FM, 0x5601, struct.pack('<HBB', 1, 8, 0)),
    'set-region-cfg': step(FM, 0x5602, struct.pack('<B3xQB3x', 1, 2 * MIB, 0)),
    'region-extents': step(FM, 0x5603, struct.pack('<H2xII', 1, 16, 0)),
    'list-tags': step(FM, 0x5608, struct.pack('<II', 0, 16)),
    'add-ref': step(FM, 0x5606, TAG),
    'remove-ref': step(FM, 0x5607, TAG),
    'add-free': step(FM, 0x5604, add(0, 0, region=0, length=4 * MIB, tag=TAG)),
    'add-contig': step(FM, 0x5604, add(1, 1, region=0, length=2 * MIB)),
    'add-shared': step(FM, 0x5604, add(0, 2, [extent(R1, 2 * MIB, TAG)]))
                  + step(H0, 0x4802, dc_rsp([upd(R1, 2 * MIB)]))
                  + step(FM, 0x5604, add(1, 3, region=1, tag=TAG))
                  + step(FM, 0x5606, TAG),
    'golden-flow': step(FM, 0x5604, add(1, 2, E))
                   + step(H1, 0x0100, bytes([4]))
                   + step(H1, 0x0101, struct.pack('<BBB3xHHH', 4, 0, 3, 1, 2, 3))
                   + step(H1, 0x4802, dc_rsp([upd(R0, 2 * MIB), upd(R0 + 10 * MIB, 2 * MIB)]))
                   + step(H1, 0x4801, struct.pack('<II', 10, 0))
                   + step(FM, 0x5605, release(1, 0x00, length=4 * MIB, tag=TAG))
                   + step(H1, 0x0100, bytes([4]))
                   + step(H1, 0x4803, dc_rsp([upd(R0, 2 * MIB), upd(R0 + 10 * MIB, 2 * MIB)]))
                   + step(FM, 0x5603, struct.pack('<H2xII', 1, 10, 0))
                   + step(FM, 0x0100, bytes([4])),
    'more-chain': step(FM, 0x5604, add(0, 2, E[:2]))
                  + step(H0, 0x4802, dc_rsp([upd(R0, 2 * MIB)], more=True))
                  + step(H0, 0x4802, dc_rsp([upd(R0 + 4 * MIB, 2 * MIB)]))
                  + step(H0, 0x4803, dc_rsp([upd(R0, MIB)], more=True))
                  + step(H0, 0x0102)
                  + step(H0, 0x4803, dc_rsp([upd(R0 + 4 * MIB, 2 * MIB)])),
    'forced-release': step(FM, 0x5604, add(1, 2, E))
                      + step(FM, 0x5605, release(1, 0x11, [extent(R0 + 4 * MIB, 4 * MIB)]))
                      + step(H1, 0x4802, dc_rsp([])),
    'tick-timeout': step(FM, 0x5604, add(0, 2, E[:1])) + step(H0, 0x0001, flags=0x08),
    'raw-bad-length': step(H0, 0, bytes([0, 1, 0, 1, 0, 9, 0, 0, 0, 0, 0, 0]), flags=0x04),
    'raw-response': step(FM, 0, bytes([1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), flags=0x04),
    'overflow': b''.join(step(FM, 0x5604, add(0, 2, [extent(R0 + 2 * MIB * i, 2 * MIB)]))
                         for i in range(10)) + step(H0, 0x0100, bytes([4]))
                + step(H0, 0x0101, struct.pack('<BBB3x', 4, 1, 0)),
    # refusals: an empty Release DC list, a region or policy out of range, a
    # second shared add to a host that holds the tag, overlapping ranges
    'release-empty': step(H0, 0x4803, dc_rsp([])),
    'add-bad-region': step(FM, 0x5604, add(0, 0, region=9, length=2 * MIB)),
    'add-bad-policy': step(FM, 0x5604, add(0, 7, E[:1])),
    'shared-twice': step(FM, 0x5604, add(0, 2, [extent(R1, 2 * MIB, TAG)]))
                    + step(H0, 0x4802, dc_rsp([upd(R1, 2 * MIB)]))
                    + step(FM, 0x5604, add(1, 3, region=1, tag=TAG))
                    + step(H1, 0x4802, dc_rsp([upd(R1, 2 * MIB)]))
                    + step(FM, 0x5604, add(1, 3, region=1, tag=TAG)),
    'release-overlap': step(FM, 0x5604, add(1, 2, E))
                       + step(H1, 0x4802, dc_rsp([upd(R0, 2 * MIB), upd(R0 + 4 * MIB, 4 * MIB)]))
                       + step(FM, 0x5605, release(1, 0x01, [E[1], extent(R0 + 5 * MIB, MIB)]))
                       + step(H1, 0x4803, dc_rsp([upd(R0, 2 * MIB), upd(R0 + MIB, MIB)])),
    # the poison list full: 63 single ranges and one of 192 bytes; a split and a new range refused
    'poison-full': b''.join(step(H0, 0x4301, struct.pack('<Q', 0x100000 + 256 * i)) for i in range(63))
                   + b''.join(step(H0, 0x4301, struct.pack('<Q', 0x200000 + 64 * i)) for i in range(3))
                   + step(H0, 0x4302, struct.pack('<Q', 0x200040) + bytes(64))
                   + step(H0, 0x4301, struct.pack('<Q', 0x300000))
                   + step(H0, 0x4300, struct.pack('<QQ', 0, 0x1000000)),
}


def dec(sel, payload):
    return bytes([sel]) + payload


decode = {
    'hdr': dec(0, bytes([0, 7, 0, 2, 0x48, 8, 0, 0, 0, 0, 0, 0])),
    'clear': dec(1, struct.pack('<BBB3xHH', 4, 0, 2, 5, 6)),
    'dc-rsp': dec(2, dc_rsp([upd(R0, 2 * MIB), upd(R0 + 4 * MIB, MIB)], more=True)),
    'add-prescriptive': dec(3, add(1, 2, E)),
    'add-free': dec(3, add(0, 0, region=1, length=4 * MIB, tag=TAG)),
    'release-tag': dec(4, release(1, 0x20, length=4 * MIB, tag=TAG)),
    'release-prescriptive': dec(4, release(0, 0x11, E[:1])),
    'get-log': dec(5, CEL + struct.pack('<II', 4, 8)),
    'irq': dec(6, bytes([1, 2, 3, 4, 5])),
    'dc-config-in': dec(7, bytes([8, 0])),
    'extent-list-in': dec(8, struct.pack('<II', 5, 0)),
    'host-region-in': dec(9, struct.pack('<HBB', 1, 8, 0)),
    'set-region-in': dec(10, struct.pack('<B3xQB3x', 0, 2 * MIB, 1)),
    'region-extents-in': dec(11, struct.pack('<H2xII', 1, 4, 0)),
    'list-tags-in': dec(12, struct.pack('<II', 0, 4)),
    'tag-ref': dec(13, TAG),
    'rsp-limit': dec(14, bytes([9])),
    'get-events-in': dec(15, bytes([4])),
    # the memory device's inputs (10h-1Bh), from the spec's layouts
    'scan-media-in': dec(0x10, struct.pack('<QQB', 0x40, 0x100, 1)),
    'get-lsa-in': dec(0x11, struct.pack('<II', 0x3f0, 0x10)),
    'set-lsa-in': dec(0x12, struct.pack('<I4x', 0x3f0) + bytes(range(16))),
    'set-lsa-in-empty': dec(0x12, struct.pack('<I4x', 8)),
    'set-alert-cfg-in': dec(0x13, struct.pack('<BBBxHHHH', 0x1f, 0x0f, 90, 85, 0xfff6, 10, 20)),
    'poison-list-in': dec(0x14, struct.pack('<QQ', 0x1000, 0x40000)),
    'poison-list-in-wraps': dec(0x14, struct.pack('<QQ', 0xffffffffffffffc0, 2)),
    'inject-poison-in': dec(0x15, struct.pack('<Q', 0x200040)),
    'clear-poison-in': dec(0x16, struct.pack('<Q', 0x200040) + bytes(range(64))),
    'set-timestamp-in': dec(0x17, struct.pack('<Q', 1764892800 * 10**9)),
    'media-op-sanitize': dec(0x18, struct.pack('<BBxxI', 1, 1, 2) + struct.pack('<QQQQ', 0, 0x1000, 0x40000, 0x2000)),
    'media-op-discovery': dec(0x18, struct.pack('<BBxxI', 0, 0, 0) + struct.pack('<HH', 0, 8)),
    'media-op-discovery-args': dec(0x19, struct.pack('<HH', 1, 2)),
    'logs-sub-list-in': dec(0x1a, bytes([2, 1])),
    'bg-status': dec(0x1b, struct.pack('<BBHHH', 0x01 | (50 << 1), 0, 0x4400, 0, 0)),
    'supp-features-in': dec(0x40, struct.pack('<IH2x', 8 + 2 * 0x30, 0)),
    'get-feature-in': dec(0x41, SCRUB + struct.pack('<HHB', 0, 4, 0)),
    'set-feature-in': dec(0x42, ECS + struct.pack('<IHB9x', 3, 3, 1) + bytes([5, 0, 3, 8])),
    'feature-entry': dec(0x43, SCRUB + struct.pack('<HHHIBBH18x', 0, 4, 2, 0x61, 1, 1, 0x202)),
    'scrub-rd': dec(0x44, bytes([1, 12, 1, 0])),
    'scrub-wr': dec(0x45, bytes([24, 1])),
    'ecs-rd': dec(0x46, bytes([1]) + bytes([0, 3, 0, 0]) * 3),
    'ecs-wr': dec(0x47, bytes([1]) + struct.pack('<HHH', 3, 4, 5 | 8)),
    'maint-ppr-in': dec(0x48, struct.pack('<BBBQ3s', 1, 1, 0, 0x1000, b'\x01\x02\x03')),
    'maint-sparing-in': dec(0x48, struct.pack('<BBBBB3sBB3sHB', 2, 0, 0xc, 1, 2, b'\x01\0\0',
                                              3, 4, b'\x05\0\0', 6, 7)),
    'ppr-rd': dec(0x4b, bytes([5, 0, 0, 0, 0, 1, 0]) + bytes(9) + bytes([3, 0, 0, 0])),
    'sparing-rd': dec(0x4a, bytes([5, 0, 0, 0, 0, 2, 3]) + bytes(9) + bytes([0, 6, 0])),
    'ppr-wr': dec(0x49, bytes([0, 0, 0])),
    'sparing-wr': dec(0x4c, bytes([0, 0])),
    'identify-out': dec(0x80, struct.pack('<HHHHQBB', 0x1e98, 0x0d93, 0, 0, 1, 11, 3)),
    'logs-out': dec(0x81, struct.pack('<H6x16sI', 1, CEL, 56)),
    'events-out': dec(0x82, struct.pack('<BxHQQH10x', 2, 0, 0, 0, 1) + bytes(0x80)),
    'memdev-out': dec(0x83, bytes(0x45)),
    'dc-config-out': dec(0x84, struct.pack('<BB6x', 2, 1) + struct.pack('<QQQQIB3x', R0, 1, 1 << 28, 2 * MIB, 0, 0) + bytes(16)),
    'extent-list-out': dec(0x85, struct.pack('<III4x', 1, 1, 3) + E[0]),
    'dcd-info-out': dec(0x86, bytes(0x54)),
    'host-region-out': dec(0x87, struct.pack('<HBB', 1, 2, 1) + struct.pack('<QQQQB3xB3x', R0, 1, 1 << 28, 2 * MIB, 8, 1) + bytes(16)),
    'region-extents-out': dec(0x88, struct.pack('<H2xIIII4x', 1, 0, 1, 1, 2) + E[1]),
    'list-tags-out': dec(0x89, struct.pack('<IIIB3x', 1, 1, 1, 3) + TAG + bytes(0x44)),
}

# The many-tags device (device byte 1): a host's tag index grows past one
# leaf (30 tags), one internal level (210) and two (1470), then shrinks by
# releases, rejections, forced removals and pending timeouts.
many_tags = {
    # 1500 pending tags on host 0 (height 4); 10 groups accepted and then
    # released; the 20 others time out
    'tags-grow': grow(H0, 0, 30) + answer(H0, 0, 10, 0x4802) + answer(H0, 0, 10, 0x4803)
                 + step(H0, 0x0001, flags=TICK) + step(H0, 0x0001, flags=TICK),
    # 250 tags (height 3) accepted on host 1, then released tag by tag from
    # the front: forced, or asked and released by the host
    'tags-release-by-tag': grow(H1, 1, 5, tag0=0x1000) + answer(H1, 1, 5, 0x4802)
                           + b''.join(step(FM, 0x5605, lst(1, 0x10 if i % 2 else 0, 1, 0, 0,
                                                           tag=0x1000 + i), LIST)
                                      + (b'' if i % 2 else step(H1, 0x4803, lst(0, 0, 1, 1, i), LIST))
                                      for i in range(0, 250, 3)),
    # both hosts, interleaved tags: host 0 odd groups rejected, a pending
    # group forced out (Dead) and answered empty
    'tags-two-hosts': grow(H0, 0, 8) + grow(H1, 1, 8, tag0=0x8000)
                      + b''.join(step(H0, 0x4802, lst(0, 0, 0, 50 if g % 2 == 0 else 0, g * 50), LIST)
                                 for g in range(8))
                      + step(FM, 0x5605, lst(1, 0x11, 1, 50, 0), LIST)
                      + step(H1, 0x4802, dc_rsp([]))
                      + answer(H1, 1, 7, 0x4802, first_group=1),
    # sharable region: tags of two extents each, host 1 joins some of them
    'tags-shared': step(FM, 0x5604, lst(0, 2, 1, 50, 0, per_tag=2, tag=0x4000), LIST)
                   + step(H0, 0x4802, lst(0, 0, 1, 50, 0), LIST)
                   + b''.join(step(FM, 0x5604, lst(1, 3, 1, 0, 0, tag=0x4000 + i), LIST)
                              for i in range(0, 25, 2))
                   + b''.join(step(H1, 0x4802, lst(0, 0, 1, 2, 2 * i), LIST)
                              for i in range(0, 25, 2))
                   + step(FM, 0x5605, lst(0, 0x10, 1, 0, 0, blocks=2, tag=0x4002), LIST),
    # Free and Contiguous adds of one tag each, a forced Tag-based release of
    # some (their groups Dead), then the host rejects the first groups
    'tags-free': b''.join(step(FM, 0x5604, lst(0, i % 2, 0, 0, 0, blocks=3, tag=0x2000 + i), LIST)
                          for i in range(40))
                 + b''.join(step(FM, 0x5605, lst(0, 0x10, 0, 0, 0, blocks=3, tag=0x2000 + i), LIST)
                            for i in range(0, 40, 4))
                 + b''.join(step(H0, 0x4802, dc_rsp([])) for i in range(12)),
    # the last leaf of a level holds one tag (31 on host 1; 211 on host 0:
    # a second node above it too) and gives it back: the emptied nodes go
    'tags-last-leaf': grow(H1, 1, 1, n=31, tag0=0x3000) + answer(H1, 1, 1, 0x4802, n=31)
                      + step(H1, 0x4803, lst(0, 0, 1, 1, 30), LIST)
                      + grow(H0, 0, 4) + step(FM, 0x5604, lst(0, 2, 0, 11, 200, tag=200), LIST)
                      + answer(H0, 0, 4, 0x4802) + step(H0, 0x4802, lst(0, 0, 0, 11, 200), LIST)
                      + step(H0, 0x4803, lst(0, 0, 0, 1, 210), LIST)
                      + step(H0, 0x4803, lst(0, 0, 0, 30, 180), LIST),
    # 32 tags pending on host 0 (two leaves), the DC log cleared: its
    # snapshot is small enough for a restore seed (fuzz/core/gen-corpus.sh)
    'tags-snap': grow(H0, 0, 1, n=32)
                 + step(H0, 0x0101, struct.pack('<BBB3x', 4, 0, 32) + struct.pack('<32H', *range(1, 33))),
}

# The static-host device (byte 0 bit 1): the static capacity and its 1 KiB
# LSA are host 1's alone; host 0 has neither (Identify Memory Device LSA
# Size 0, Get/Set LSA Invalid Input, no static DPA for poison)
static_host = {
    'static-host-lsa': step(H1, 0x4103, struct.pack('<I4x', 0x10) + b'label1')
                       + step(H0, 0x4103, struct.pack('<I4x', 0x10) + b'label0')
                       + step(H0, 0x4102, struct.pack('<II', 0, 0x40))
                       + step(H1, 0x4102, struct.pack('<II', 0, 0x40))
                       + step(H0, 0x4000) + step(H1, 0x4000),
    'static-host-lsa-edges': step(H1, 0x4103, struct.pack('<I4x', 0x3f0) + bytes(range(16)))
                             + step(H1, 0x4103, struct.pack('<I4x', 0x3f8) + bytes(16))
                             + step(H1, 0x4102, struct.pack('<II', 0x400, 0))
                             + step(H1, 0x4102, struct.pack('<II', 0, 0x401))
                             + step(H0, 0x4102, struct.pack('<II', 0, 0))
                             + step(H0, 0x4100) + step(H1, 0x4100),
    'static-host-poison': step(H1, 0x4301, struct.pack('<Q', 0x1000))
                          + step(H0, 0x4301, struct.pack('<Q', 0x2000))
                          + step(H0, 0x4300, struct.pack('<QQ', 0, 0x1000000))
                          + step(H1, 0x4300, struct.pack('<QQ', 0, 0x1000000)),
}

# The static-only device (byte 0 bit 2): no DC regions, the static capacity
# and a 1 KiB LSA; every DC command (48xxh, 56xxh) answers Unsupported and
# is not in the CEL, list steps included
static_only = {
    'static-only-dc': step(H0, 0x4800, bytes([8, 0])) + step(H0, 0x4801, struct.pack('<II', 16, 0))
                      + step(H0, 0x4802, lst(0, 0, 0, 1, 0), LIST) + step(H1, 0x4803, dc_rsp([]))
                      + step(FM, 0x5600) + step(FM, 0x5601, struct.pack('<HBB', 1, 8, 0))
                      + step(FM, 0x5602, struct.pack('<B3xQB3x', 0, 2 * MIB, 0))
                      + step(FM, 0x5603, struct.pack('<H2xII', 0, 16, 0))
                      + step(FM, 0x5604, lst(0, 2, 0, 2, 0), LIST)
                      + step(FM, 0x5604, add(1, 0, region=0, length=2 * MIB, tag=TAG))
                      + step(FM, 0x5605, lst(1, 0x10, 0, 0, 0), LIST)
                      + step(FM, 0x5606, TAG) + step(FM, 0x5607, TAG)
                      + step(FM, 0x5608, struct.pack('<II', 0, 16))
                      + step(MCTP, 0x4800, bytes([8, 0])) + step(H0, 0x0100, bytes([4])),
    'static-only-identify': step(H0, 0x0001) + step(FM, 0x0001) + step(MCTP, 0x0001)
                            + step(H0, 0x4000) + step(H1, 0x4000) + step(MCTP, 0x4000)
                            + step(H0, 0x4100) + step(H1, 0x4100)
                            # the whole CEL: 35 mailbox commands, 10 FM ones, no 48xxh/56xxh
                            + step(H0, 0x0400) + step(H0, 0x0401, CEL + struct.pack('<II', 0, 35 * 4))
                            + step(FM, 0x0401, CEL + struct.pack('<II', 0, 10 * 4)),
    'static-only-poison-lsa': step(H0, 0x4103, struct.pack('<I4x', 0x3f0) + bytes(range(16)))
                              + step(H1, 0x4102, struct.pack('<II', 0x3f0, 0x10))
                              + step(H0, 0x4102, struct.pack('<II', 0, 0x401))
                              + step(H0, 0x4301, struct.pack('<Q', 0x1000))
                              + step(H0, 0x4301, struct.pack('<Q', R0))
                              + step(H1, 0x4300, struct.pack('<QQ', 0, 0x1000000))
                              + step(H0, 0x4303, struct.pack('<QQ', 0, 0x1000))
                              + step(H0, 0x4304, struct.pack('<QQB', 0, 0x1000, 0))
                              + step(H0, 0x4302, struct.pack('<Q', 0x1000) + bytes(64))
                              + step(H0, 0x4300, struct.pack('<QQ', 0, 0x1000000)),
}

dispatch = {name: b'\0' + data for name, data in dispatch.items()}
dispatch.update({name: b'\1' + data for name, data in many_tags.items()})
dispatch.update({name: b'\2' + data for name, data in static_host.items()})
dispatch.update({name: b'\4' + data for name, data in static_only.items()})

for target, seeds in (('cci-dispatch', dispatch), ('cci-decode', decode)):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, 'seed-' + name), 'wb') as f:
            f.write(data)
    print(f'{target}: {len(seeds)} seeds')
