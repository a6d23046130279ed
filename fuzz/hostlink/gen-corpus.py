#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of fuzz-hostlink-server and fuzz-hostlink-decode.

Seeds are valid host-link sessions (the step format documented in
fuzz-hostlink-server.c) and valid payloads of every message
(fuzz-hostlink-decode.c), laid out by hand from docs/host-link.md and the
CXL spec tables: struct.pack with explicit little-endian formats, no
project code.  Run from anywhere: python3 fuzz/hostlink/gen-corpus.py
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus')
MIB = 1 << 20
R0 = 0x10000000          # fuzz device: 256 MiB static, 256 MiB regions
R1 = 0x20000000          # region 1 is sharable
TAG = bytes(range(0x40, 0x50))
HELLO, CCI_REQ, READ_REQ, WRITE_REQ, ERROR, MOVE_ACK = 0x01, 0x03, 0x08, 0x0a, 0x0f, 0x11

# ---- fuzz-hostlink-server steps (op byte: bit 0 client, bits 3:1 kind,
# bit 4 list: the payload of kinds 2, 3 and 5 is an extent-list description)

LIST = 0x10
MANY_TAGS = 0x10        # configuration byte: the many-tags device (64 KiB blocks)
BLK = 64 * 1024


def link(cl, typ, payload=b''):
    return struct.pack('<BBH', cl | 0 << 1, typ, len(payload)) + payload


def cci(cl, op, payload=b''):
    return struct.pack('<BHH', cl | 2 << 1, op, len(payload)) + payload


def raw(cl, data):
    return struct.pack('<BH', cl | 4 << 1, len(data)) + data


def fm(op, payload=b''):
    return struct.pack('<BHH', 5 << 1, op, len(payload)) + payload


def lst(head, byte2, region, n, first, blocks=1, gap=0, per_tag=1, tag=0):
    """An extent-list description (fuzz/cci/steps.h), expanded by the target."""
    return struct.pack('<BBBBHBBBH', head, byte2, region, n, first, blocks, gap, per_tag, tag)


def cci_list(cl, op, desc):
    return struct.pack('<BHH', cl | 2 << 1 | LIST, op, len(desc)) + desc


def fm_list(op, desc):
    return struct.pack('<BHH', 5 << 1 | LIST, op, len(desc)) + desc


def ctl(cl, action, v=0):
    return struct.pack('<BB', cl | 6 << 1, action | v << 3)


def big(cl, typ, length, prefix):
    return struct.pack('<BB', cl | 7 << 1, typ) + struct.pack('<I', length)[:3] + bytes([len(prefix)]) + prefix


def hello(host, flags=1, version=1):
    return struct.pack('<HHI', version, host, flags)


def io(dpa, length, data=b''):
    return struct.pack('<QI4x', dpa, length) + data


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


def hdr(typ, length, seq=1):
    return struct.pack('<IBBHII', 0x4c485843, 1, typ, 0, seq, length)


H0 = link(0, HELLO, hello(0))
H1 = link(1, HELLO, hello(1))
IRQ_ON = cci(0, 0x0103, bytes([1, 1, 1, 1, 1]))      # every log: MSI/MSI-X interrupts
E = [extent(R0, 2 * MIB), extent(R0 + 4 * MIB, 4 * MIB), extent(R0 + 10 * MIB, 2 * MIB)]
ACCEPT_ALL = cci(0, 0x4802, dc_rsp([upd(R0, 2 * MIB), upd(R0 + 4 * MIB, 4 * MIB), upd(R0 + 10 * MIB, 2 * MIB)]))

# Both hosts (past HELLO) map one shared allocation of region 1: host 0 is
# given it with TAG, host 1 joins it (enable-shared); each accepts (4802h)
SHARED_R1 = (fm(0x5604, add(0, 2, [extent(R1, 2 * MIB, TAG)]))
             + cci(0, 0x4802, dc_rsp([upd(R1, 2 * MIB)]))
             + fm(0x5604, add(1, 3, region=1, tag=TAG))
             + cci(1, 0x4802, dc_rsp([upd(R1, 2 * MIB)])))
# the orchestrator forces host 1 out of it: host 0 is moved (move id 1)
FORCE_OUT_1 = fm(0x5605, release(1, 0x11, [extent(R1, 2 * MIB)]))


def move_ack(cl, move_id, phase):
    return link(cl, MOVE_ACK, struct.pack('<QI4x', move_id, phase))


# control 6 with v bit 2: the next run of a move step fails (hostlink_cfg.move_fault)
STEP_SWITCH, STEP_LOAD, STEP_REMAP, STEP_LIST = range(4)


def move_fails(step):
    return ctl(0, 6, 4 | step << 3)


# host 0 asks for MOVE_END (HELLO flag bit 3), host 1 plain; both share region 1's grant
MOVE_HOSTS = link(0, HELLO, hello(0, flags=9)) + H1 + SHARED_R1


server = {
    'hello': bytes([0]) + H0,
    'hello-nomap-listener': bytes([0]) + ctl(0, 0, 0b011),
    'hello-two-hosts': bytes([0]) + H0 + H1 + link(1, HELLO, hello(1)),
    'hello-refused': bytes([0]) + link(0, HELLO, hello(5)) + link(1, HELLO, hello(0, version=2)),
    'identify': bytes([0]) + H0 + cci(0, 0x0001) + cci(0, 0x4800, bytes([8, 0])),
    # HELLO asks for DIAG (flags bit 1): a 4803h of a range not held gets DIAG, then CCI_RSP
    'diag-refusal': bytes([0]) + link(0, HELLO, hello(0, flags=3))
                    + cci(0, 0x4803, dc_rsp([upd(R0, 2 * MIB)])),
    'add-accept-map': bytes([0]) + H0 + IRQ_ON + fm(0x5604, add(0, 2, E))
                      + cci(0, 0x0100, bytes([4])) + ACCEPT_ALL
                      + cci(0, 0x4801, struct.pack('<II', 16, 0)),
    'slow-path-io': bytes([0]) + link(0, HELLO, hello(0, flags=0)) + fm(0x5604, add(0, 2, E[:1]))
                    + ACCEPT_ALL[:0] + cci(0, 0x4802, dc_rsp([upd(R0, 2 * MIB)]))
                    + link(0, WRITE_REQ, io(R0 + 64, 8, b'abcdefgh'))
                    + link(0, READ_REQ, io(R0 + 64, 8))
                    + link(0, READ_REQ, io(R0 + 4 * MIB, 8))
                    + big(0, WRITE_REQ, 0x10 + 0x100000, io(R0, 0x100000)),
    'release-unmap': bytes([0]) + H0 + fm(0x5604, add(0, 2, E)) + ACCEPT_ALL
                     + fm(0x5605, release(0, 0x00, [E[0]]))
                     + cci(0, 0x4803, dc_rsp([upd(R0, 2 * MIB)]))
                     + fm(0x5605, release(0, 0x11, [extent(R0 + 4 * MIB, 4 * MIB)])),
    'reconnect-replay': bytes([0]) + H0 + fm(0x5604, add(0, 2, E)) + ACCEPT_ALL
                        + ctl(0, 1) + ctl(0, 0, 0b010),
    'more-chain-drop': bytes([0]) + H0 + fm(0x5604, add(0, 2, E[:2]))
                       + cci(0, 0x4802, dc_rsp([upd(R0, 2 * MIB)], more=True)) + ctl(0, 1)
                       + ctl(0, 0, 0b010) + cci(0, 0x4801, struct.pack('<II', 16, 0)),
    'faults': bytes([0]) + ctl(0, 5, 0b00010) + ctl(0, 5, 0b10100) + H0 + fm(0x5604, add(0, 2, E[:1]))
              + cci(0, 0x0100, bytes([4])) + ctl(0, 6, 0) + cci(0, 0x0100, bytes([4])),
    'journal-fail': bytes([0]) + H0 + ctl(0, 6, 1) + cci(0, 0x0103, bytes([1, 1, 1, 1, 1])),
    'violations': bytes([0]) + H0 + link(0, 0x04) + ctl(1, 0) + link(1, CCI_REQ, b'')
                  + ctl(0, 0) + raw(0, b'XXXXXXXXXXXXXXXXXXXX') + ctl(1, 0) + H1 + link(1, HELLO, hello(1)),
    'stray-fd': bytes([0]) + H0 + ctl(0, 7, 0),
    'too-long': bytes([0]) + H0 + big(0, CCI_REQ, 0x200000, b'') + H1 + raw(1, hdr(CCI_REQ, 12)[:10]),
    'split-header': bytes([0]) + raw(0, hdr(HELLO, 8)[:7]) + raw(0, hdr(HELLO, 8)[7:] + hello(0)),
    'stall-output': bytes([1]) + H0 + IRQ_ON + ctl(0, 7, 1)
                    + b''.join(link(0, READ_REQ, io(R0, 0x8000)) for _ in range(4))
                    + b''.join(fm(0x5604, add(0, 2, [extent(R0 + 2 * MIB * i, 2 * MIB)])) for i in range(4))
                    + ctl(0, 7, 1),
    'nomem-device': bytes([2]) + H0 + link(0, READ_REQ, io(R0, 8)),
    'timeout-tick': bytes([4]) + H0 + fm(0x5604, add(0, 2, E[:1])) + ctl(0, 4, 31) + ctl(0, 4, 31),
    'read-only-region': bytes([8]) + H0 + fm(0x5604, add(0, 2, [extent(R1, 2 * MIB, TAG)]))
                        + cci(0, 0x4802, dc_rsp([upd(R1, 2 * MIB)]))
                        + link(0, WRITE_REQ, io(R1, 4, b'abcd')),
    'disconnect-qmp': bytes([0]) + H0 + H1 + ctl(0, 3, 0) + ctl(0, 3, 1) + ctl(0, 2),
    'error-from-host': bytes([0]) + H0 + link(0, ERROR, struct.pack('<I', 11) + b'bye'),
    # Both hosts map one shared allocation of region 1; a forced release of
    # host 1's moves host 0 (PAUSE, MOVE_ACK 1, REMAP, MOVE_ACK 2; move id 1).
    'shared-move': bytes([0]) + H0 + H1 + SHARED_R1 + FORCE_OUT_1
                   + move_ack(0, 1, 1) + move_ack(0, 1, 2) + move_ack(0, 0, 3),
    # the same with host 0 asking for MOVE_END (HELLO flag bit 3): the move
    # ends its PAUSE with a MOVE_END after the REMAP; then the clock runs on
    'shared-move-end': bytes([4]) + link(0, HELLO, hello(0, flags=9)) + H1 + SHARED_R1 + FORCE_OUT_1
                       + move_ack(0, 1, 1) + move_ack(0, 1, 2)
                       + ctl(0, 4, 0) + ctl(0, 4, 19) + ctl(0, 4, 19),
    # host 1 releases its share itself (4803h): host 0 moves; it never answers (tick)
    'shared-release-move': bytes([4]) + H0 + H1 + SHARED_R1
                           + fm(0x5605, release(1, 0x01, [extent(R1, 2 * MIB)]))
                           + cci(1, 0x4803, dc_rsp([upd(R1, 2 * MIB)]))
                           + ctl(0, 4, 31) + ctl(0, 4, 31) + ctl(0, 4, 31),
    # the fresh grant cannot be made (move_fault switch): host 0 resumes on
    # the old grant (REMAP, MOVE_END); 100 ms later the move is made again
    # under id 2 and switches
    'move-retry-switch': bytes([4]) + MOVE_HOSTS + move_fails(STEP_SWITCH) + FORCE_OUT_1
                         + move_ack(0, 1, 1) + move_ack(0, 1, 2) + ctl(0, 4, 0)
                         + move_ack(0, 2, 1) + move_ack(0, 2, 2),
    # the sharers cannot be listed twice: the attempts wait 100 then 200 ms
    'move-retry-list': bytes([4]) + MOVE_HOSTS + move_fails(STEP_LIST) + move_fails(STEP_LIST) + FORCE_OUT_1
                       + ctl(0, 4, 0) + ctl(0, 4, 1) + move_ack(0, 3, 1) + move_ack(0, 3, 2),
    # the sharers cannot be read again after the switch, nor host 0's range remapped
    'move-load-remap': bytes([4]) + MOVE_HOSTS + move_fails(STEP_LOAD) + move_fails(STEP_REMAP) + FORCE_OUT_1
                       + move_ack(0, 1, 1) + move_ack(0, 1, 2) + ctl(0, 4, 19),
    # a host that never answers and a switch that fails every time: the
    # wait doubles up to 5 s; the grant goes (host 0 forced out) while the
    # move waits
    'move-retry-backoff': bytes([0]) + H0 + H1 + SHARED_R1 + move_fails(STEP_SWITCH) * 8 + FORCE_OUT_1
                          + ctl(0, 4, 31) * 14
                          + fm(0x5605, release(0, 0x11, [extent(R1, 2 * MIB)])) + ctl(0, 4, 31) * 3,
    # the clock (control 4: (v+1) x 100 ms, then core_tick() and
    # hostlink_tick()): client 1 never says HELLO and is closed after 5 s
    'hello-timeout': bytes([0]) + H0 + ctl(1, 0) + ctl(0, 4, 24) + ctl(0, 4, 23) + ctl(0, 4, 0)
                     + cci(0, 0x0001),
    # a 1 MiB WRITE_REQ grows the receive buffer; it shrinks once idle for 1 s
    'rbuf-idle': bytes([0]) + link(0, HELLO, hello(0, flags=0)) + fm(0x5604, add(0, 2, E[:1]))
                 + cci(0, 0x4802, dc_rsp([upd(R0, 2 * MIB)]))
                 + big(0, WRITE_REQ, 0x10 + 0x100000, io(R0, 0x100000))
                 + ctl(0, 4, 4) + ctl(0, 4, 4) + ctl(0, 4, 0) + link(0, READ_REQ, io(R0, 8)),
    # a sharer that answers neither PAUSE nor REMAP: each phase ends after 2 s
    'move-silent': bytes([0]) + H0 + H1 + SHARED_R1 + FORCE_OUT_1
                   + ctl(0, 4, 18) + ctl(0, 4, 0) + ctl(0, 4, 19),
    # the many-tags device: 50 tagged extents mapped at once, released in
    # part by the host, the rest forced out by tag
    'tags-map-many': bytes([MANY_TAGS]) + H0 + IRQ_ON + fm_list(0x5604, lst(0, 2, 0, 50, 0, tag=0x100))
                     + cci_list(0, 0x4802, lst(0, 0, 0, 50, 0))
                     + cci_list(0, 0x4803, lst(0, 0, 0, 20, 0, gap=1))
                     + b''.join(fm_list(0x5605, lst(0, 0x10, 0, 0, 0, tag=0x100 + i)) for i in range(1, 40, 2)),
    # 12 shared tags of region 1 mapped by both hosts; host 1 forced out of
    # some: host 0 is moved (answers none: the clock ends each phase)
    'tags-shared-move': bytes([MANY_TAGS]) + H0 + H1
                        + fm_list(0x5604, lst(0, 2, 1, 12, 0, tag=0x200))
                        + cci_list(0, 0x4802, lst(0, 0, 1, 12, 0))
                        + b''.join(fm_list(0x5604, lst(1, 3, 1, 0, 0, tag=0x200 + i)) for i in range(12))
                        + b''.join(cci_list(1, 0x4802, lst(0, 0, 1, 1, i)) for i in range(12))
                        + b''.join(fm_list(0x5605, lst(1, 0x10, 1, 0, 0, tag=0x200 + i)) for i in range(0, 12, 3))
                        + ctl(0, 4, 19) + ctl(0, 4, 19),
    'ras-registers': bytes([0]) + link(0, HELLO, hello(0, 5)) + link(0, 0x16, struct.pack('<II', 4, 0))
                     + link(0, 0x14) + link(0, 0x16, struct.pack('<II', 0x58, 0))
                     + link(0, 0x16, struct.pack('<II', 0, 0xffffffff)) + link(0, 0x16, b'abcd'),
}
# hosts asking for a file per group (HELLO flag bit 4, as cxldcd-host with
# --agent-socket): the device's memory keeps a view per (host, backend,
# group): tagged groups, untagged extents (a group each), releases,
# sanitize on release, a host that switches while holding capacity
# (reconnect with the flag: its views regrouped), shared capacity and moves
GF = 0x10
TAG2 = bytes(range(0x60, 0x70))
H0_GF = link(0, HELLO, hello(0, flags=1 | GF))
H0_GF_END = link(0, HELLO, hello(0, flags=1 | 8 | GF))
E_TAGGED = [extent(R0, 2 * MIB, TAG), extent(R0 + 4 * MIB, 4 * MIB, TAG2), extent(R0 + 10 * MIB, 2 * MIB)]
server.update({
    'gf-add-accept-map': bytes([0]) + H0_GF + IRQ_ON + fm(0x5604, add(0, 2, E_TAGGED[:1], tag=TAG))
                         + cci(0, 0x4802, dc_rsp([upd(R0, 2 * MIB)]))
                         + fm(0x5604, add(0, 2, E_TAGGED[1:2], tag=TAG2))
                         + cci(0, 0x4802, dc_rsp([upd(R0 + 4 * MIB, 4 * MIB)]))
                         + fm(0x5604, add(0, 2, E[2:])) + cci(0, 0x4802, dc_rsp([upd(R0 + 10 * MIB, 2 * MIB)]))
                         + cci(0, 0x4801, struct.pack('<II', 16, 0)),
    'gf-untagged': bytes([0]) + H0_GF + fm(0x5604, add(0, 2, E)) + ACCEPT_ALL
                   + link(0, WRITE_REQ, io(R0 + 64, 8, b'abcdefgh')) + link(0, READ_REQ, io(R0 + 64, 8))
                   + fm(0x5605, release(0, 0x00, [E[0]])) + cci(0, 0x4803, dc_rsp([upd(R0, 2 * MIB)]))
                   + fm(0x5605, release(0, 0x11, [extent(R0 + 4 * MIB, 4 * MIB)])),
    'gf-sanitize': bytes([0]) + H0_GF + fm(0x5604, add(0, 2, E_TAGGED[:1], tag=TAG))
                   + cci(0, 0x4802, dc_rsp([upd(R0, 2 * MIB)]))
                   + fm(0x5605, release(0, 0x21, [E_TAGGED[0]], tag=TAG))
                   + cci(0, 0x4803, dc_rsp([upd(R0, 2 * MIB)]))
                   + fm(0x5604, add(0, 2, E[2:])) + cci(0, 0x4802, dc_rsp([upd(R0 + 10 * MIB, 2 * MIB)]))
                   + fm(0x5605, release(0, 0x31, [E[2]])),
    'gf-switch-holding': bytes([0]) + H0 + fm(0x5604, add(0, 2, E_TAGGED[:1], tag=TAG))
                         + cci(0, 0x4802, dc_rsp([upd(R0, 2 * MIB)]))
                         + fm(0x5604, add(0, 2, E[2:])) + cci(0, 0x4802, dc_rsp([upd(R0 + 10 * MIB, 2 * MIB)]))
                         + ctl(0, 1) + H0_GF + link(0, READ_REQ, io(R0, 8))
                         + ctl(0, 1) + H0 + cci(0, 0x4801, struct.pack('<II', 16, 0)),
    'gf-two-hosts': bytes([0]) + H0_GF + link(1, HELLO, hello(1, flags=1 | GF))
                    + fm(0x5604, add(0, 2, E_TAGGED[:1], tag=TAG)) + cci(0, 0x4802, dc_rsp([upd(R0, 2 * MIB)]))
                    + fm(0x5604, add(1, 2, [extent(R0 + 20 * MIB, 2 * MIB, TAG2)], tag=TAG2))
                    + cci(1, 0x4802, dc_rsp([upd(R0 + 20 * MIB, 2 * MIB)])),
    'gf-shared-move': bytes([4]) + H0_GF_END + link(1, HELLO, hello(1, flags=1 | GF)) + SHARED_R1 + FORCE_OUT_1
                      + move_ack(0, 1, 1) + move_ack(0, 1, 2) + ctl(0, 4, 0) + ctl(0, 4, 19),
    'gf-tags-map-many': bytes([MANY_TAGS]) + H0_GF + IRQ_ON + fm_list(0x5604, lst(0, 2, 0, 50, 0, tag=0x100))
                        + cci_list(0, 0x4802, lst(0, 0, 0, 50, 0))
                        + cci_list(0, 0x4803, lst(0, 0, 0, 20, 0, gap=1))
                        + b''.join(fm_list(0x5605, lst(0, 0x10, 0, 0, 0, tag=0x100 + i)) for i in range(1, 40, 2)),
    'gf-no-memory': bytes([2]) + H0_GF + fm(0x5604, add(0, 2, E[:1])) + cci(0, 0x4802, dc_rsp([upd(R0, 2 * MIB)])),
})
# the same with round ends (configuration bit 5: what a round queues leaves
# at hostlink_flush(), as in the daemon)
ROUND_ENDS = 32
for name in ('add-accept-map', 'stall-output', 'move-retry-switch', 'tags-map-many', 'shared-release-move'):
    server['round-ends-' + name] = bytes([server[name][0] | ROUND_ENDS]) + server[name][1:]


def dec(sel, payload):
    return bytes([sel]) + payload


def app_entry(tag, size, gid, n, flags, opens):
    return struct.pack('<16sQQIII4x', tag, size, gid, n, flags, opens)


def seg(goff, length, foff, flags=1):
    return struct.pack('<QQQI4x', goff, length, foff, flags)


decode = {
    'hdr': dec(0, hdr(CCI_REQ, 12, 7)),
    'hello': dec(1, hello(1)),
    'hello-ack': dec(2, struct.pack('<HHIIBxHQQ8x', 0, 1, 1, 2048, 2, 2, R0, 2 << 28)),
    'irq': dec(3, struct.pack('<IBB2x', 0x10, 4, 2)),
    'map': dec(4, struct.pack('<QQQI4x', R0, 2 * MIB, 0, 1)),
    'unmap': dec(5, struct.pack('<QQI4x', R0, 2 * MIB, 2)),
    'read-req': dec(6, io(R0, 4096)),
    'write-req': dec(7, io(R0, 4, b'abcd')),
    'read-rsp': dec(8, struct.pack('<II', 0, 4) + b'abcd'),
    'error': dec(9, struct.pack('<I', 11) + b'bad magic or version'),
    'app-list': dec(10, struct.pack('<I4x', 2) + app_entry(TAG, 4 * MIB, 1, 2, 5, 1)
                    + app_entry(b'\0' * 16, 2 * MIB, 2, 1, 0, 0)),
    'app-open-req': dec(11, TAG + struct.pack('<Q', 0)),
    'app-open-rsp': dec(12, struct.pack('<IIQQ8x', 0, 2, 4 * MIB, 1) + seg(0, 2 * MIB, 0)
                        + seg(2 * MIB, 2 * MIB, 8 * MIB)),
    'close-req': dec(13, struct.pack('<Q', 3)),
    'close-rsp': dec(14, struct.pack('<I4x', 8)),
    'status-names': dec(15, struct.pack('<I', 13)),
    'diag': dec(16, struct.pack('<HHHxxiI32s', 0x4803, 0x0f, 16, 0, 0, b'not-held')
                + b'extent 0 is not held by host 0'),
    'ras-irq': dec(17, struct.pack('<II', 1 << 22, 0)),
    'ras-regs': dec(18, struct.pack('<6I', 0x4003, 0, 0x1cfff, 0x40, 0x7f, 0x201)
                    + struct.pack('<16I', *range(3, 19))),
    'ras-write': dec(19, struct.pack('<II', 0x0c, 0x40)),
    'pause': dec(20, struct.pack('<QQQ', R1, 2 * MIB, 1)),  # and MOVE_END (one layout)
    'move-ack': dec(21, struct.pack('<QI4x', 1, 2)),
    'remap': dec(22, struct.pack('<QQQI4xQ', R1, 2 * MIB, 0, 1, 3)),
}

for target, seeds in (('hostlink-server', server), ('hostlink-decode', decode)):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, 'seed-' + name), 'wb') as f:
            f.write(data)
    print(f'{target}: {len(seeds)} seeds')
