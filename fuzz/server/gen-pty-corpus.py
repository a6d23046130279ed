#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz-mctp-pty (fuzz/server/fuzz-mctp-pty.c: its input format).

- seed-line-*: every input of fuzz/corpus/mctp-serial (line bytes: frames of
  control and CCI messages, bad FCS, split packets) written to the terminal
  as they are, with and without a store;
- seed-*: sessions of a bus owner: Set Endpoint ID, Get Endpoint ID, Get
  Message Type Support, then FM-API (07h) and the device's MCTP CCI (08h)
  requests, among them ones the daemon journals (5604h Initiate DC Add,
  4301h Set Timestamp, 0103h Set Alert Config) answered after the group
  commit with requests pipelined behind them, a peer that stops reading,
  requests written a few bytes at a time.

Run from anywhere: python3 fuzz/server/gen-pty-corpus.py
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus')
MIB = 1 << 20
STORE, DCD, EID9 = 1, 2, 4


def raw(data):
    out = b''
    for i in range(0, len(data), 255):
        part = data[i:i + 255]
        out += bytes([0, len(part)]) + part
    return out


def cci(op, payload=b'', mctp_cci=False, chunk=0, to_null=False):
    f = 1 | (8 if mctp_cci else 0) | (16 if to_null else 0) | (chunk << 5)
    return bytes([f]) + struct.pack('<HB', op, len(payload)) + payload


def ctrl(cmd, data=b''):
    return bytes([2, cmd, len(data)]) + data


def loop(rounds=32):
    return bytes([4, rounds])


def many(k, op, mctp_cci=False):
    return bytes([5 | (8 if mctp_cci else 0), k]) + struct.pack('<H', op)


def packet(data):
    return bytes([6, len(data)]) + data


READ_TOGGLE = bytes([3])
SET_EID = ctrl(0x01, bytes([0x00, 9]))
BRING_UP = SET_EID + ctrl(0x02) + ctrl(0x05) + ctrl(0x04) + ctrl(0x06, bytes([0x07]))


def fm_add(host, policy, exts, region=0, tag=b'\0' * 16):
    return struct.pack('<HBBQ16sI', host, policy, region, 0, tag, len(exts)) + b''.join(
        struct.pack('<QQ16sH6x', o, ln, tag, 0) for o, ln in exts)


def fm_release(host, exts, region=0):
    return struct.pack('<HBBQ16sI', host, 1, region, 0, b'\0' * 16, len(exts)) + b''.join(
        struct.pack('<QQ16sH6x', o, ln, b'\0' * 16, 0) for o, ln in exts)


seeds = {
    'bring-up': bytes([DCD]) + BRING_UP + cci(0x0001) + cci(0x0001, mctp_cci=True),
    'eid-preset': bytes([DCD | EID9]) + cci(0x0001) + cci(0x5600) + cci(0x4000, mctp_cci=True),
    'to-null-eid': bytes([0]) + cci(0x0001, to_null=True) + cci(0x0001),
    'fm-dcd': bytes([DCD]) + BRING_UP + cci(0x5600) + cci(0x5601, struct.pack('<HBB', 0, 2, 0))
    + cci(0x5603, struct.pack('<HxxII', 0, 0, 4)),
    'journal-add-release': bytes([STORE | DCD]) + BRING_UP + cci(0x5604, fm_add(0, 2, [(0, 2 * MIB)]))
    + cci(0x0001) + cci(0x5603, struct.pack('<HxxII', 0, 0, 4)) + cci(0x5605, fm_release(0, [(0, 2 * MIB)])),
    'journal-pipelined': bytes([STORE | DCD | EID9]) + cci(0x5604, fm_add(1, 2, [(256 * MIB, 2 * MIB)], region=1))
    + many(20, 0x0001) + many(6, 0x5600) + loop(),
    'journal-mctp-cci': bytes([STORE | DCD | EID9]) + cci(0x4301, struct.pack('<Q', 0x1000), mctp_cci=True)
    + cci(0x0103, bytes([1, 1, 1, 1, 1]), mctp_cci=True) + cci(0x0102, mctp_cci=True),
    'journal-slow-line': bytes([STORE | DCD | EID9]) + cci(0x5604, fm_add(0, 2, [(0, 2 * MIB)]), chunk=1)
    + cci(0x0001, chunk=2) + cci(0x5600, chunk=7),
    'not-reading': bytes([DCD | EID9]) + READ_TOGGLE + many(200, 0x0001) + many(200, 0x5600) + many(200, 0x0001)
    + loop(255) + READ_TOGGLE + loop(),
    'not-reading-store': bytes([STORE | DCD | EID9]) + READ_TOGGLE + cci(0x5604, fm_add(0, 2, [(0, 2 * MIB)]))
    + many(100, 0x5600) + READ_TOGGLE + loop(),
    'large-payload': bytes([DCD | EID9]) + cci(0x5604, fm_add(0, 2, [(i * 2 * MIB, 2 * MIB) for i in range(3)]))
    + cci(0x0001, b'\xaa' * 200),
    'vmem-tagged': bytes([EID9]) + cci(0x5600) + cci(0x4800, bytes([2, 0]), mctp_cci=True),
    'bad-packets': bytes([EID9]) + packet(b'\x01\x09\x08\xc8\x07') + packet(b'\x01\x09\x08\x88\x07\0\0')
    + packet(b'\x01\x09\x08\x48') + packet(b'\x0f\x09\x08\xc8\x00\x80\x02') + cci(0x0001),
}


def main():
    d = os.path.join(ROOT, 'mctp-pty')
    os.makedirs(d, exist_ok=True)
    line_dir = os.path.join(ROOT, 'mctp-serial')
    n = 0
    for name in sorted(os.listdir(line_dir)):
        with open(os.path.join(line_dir, name), 'rb') as f:
            data = f.read()
        for flags in (DCD, STORE | DCD | EID9):
            with open(os.path.join(d, 'seed-line-%s-%d' % (name[:16], flags)), 'wb') as f:
                f.write(bytes([flags]) + raw(data) + loop())
            n += 1
    for name, data in seeds.items():
        with open(os.path.join(d, 'seed-' + name), 'wb') as f:
            f.write(data)
        n += 1
    print('mctp-pty: %d seeds' % n)


main()
