#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpus of fuzz-store (fuzz/server/fuzz-store.c: its input format).

- seed-state-*: the seeds and reproducers of fuzz/corpus/state as rows: its records as
  journal rows with their checksums, its snapshot as the file the meta rows
  name (so that the replay and the restore are reached from the start);
- seed-bad-*: hostile rows and damaged files: meta values out of range or of
  the wrong type, gaps and duplicates in the journal, checksums missing or
  wrong, a configuration that is not JSON, an old schema version (the
  upgrade), a snapshot_file outside the directory, overwritten pages;
- seed-run-*: given the path of a daemon (build/src/server/cxldcd), the
  --state directories of short real runs with the fuzz daemon's -object and
  -device arguments (fuzz/server/fz-daemon.c): QMP sessions, snapshots
  every few records, a clean stop (SIGTERM) or a kill (SIGKILL, the WAL
  left beside the database); their files given as they are.

Run from anywhere: python3 fuzz/server/gen-store-corpus.py [build/src/server/cxldcd]
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, '..', 'corpus')
OUT = os.path.join(ROOT, 'store')

# fz-daemon.c's arguments (the configuration the store must hold), without its -qmp.
FZ_ARGS = [
    '-object', 'memory-backend-memfd,id=vmem0,size=512M',
    '-device', 'cxl-type3,id=cxl-vmem0,num-dc-regions=1,dc-regions-total-size=4G,num-hosts=2,'
               'max-extents=64,max-tags=8,event-log-depth=8',
    '-device', 'cxl-type3,id=cxl-dcd0,volatile-dc-memdev=vmem0,num-dc-regions=2,num-hosts=2,'
               'max-extents=64,event-log-depth=8,sanitize-on-release=on',
]
VMEM = '/machine/peripheral/cxl-vmem0'
DCD = '/machine/peripheral/cxl-dcd0'
TAG_A = '5be13bce-ae34-4a77-b6c3-16df975fcf1a'
MIB, GIB = 1 << 20, 1 << 30

META_KEYS = ['schema_version', 'journal_base', 'snapshot_seq', 'snapshot_file', 'unchecked_through',
             'owed_unavailable', 'created_ns', 'created_by', 'x-unknown']
DAMAGE = {          # indexes into damage[] of fuzz-store.c
    'drop-journal': 0, 'drop-meta': 1, 'drop-config': 2, 'delete-first': 6, 'delete-last': 7,
    'drop-crc': 9, 'no-pk': 11, 'text-data': 16, 'null-data': 17, 'shift-seq': 18, 'neg-seq': 19,
    'bad-last-crc': 20, 'kinds': 21, 'dup-rows': 25, 'trigger': 27, 'vacuum-512': 31,
    'writable-schema': 33, 'second-config': 36,
}


def files(*entries):
    """The files given as they are: (which, bytes) or (2, seq, bytes)."""
    out = bytes([len(entries)])
    for e in entries:
        if e[0] == 2:
            out += bytes([2]) + struct.pack('<II', e[1], len(e[2])) + e[2]
        else:
            out += bytes([e[0]]) + struct.pack('<I', len(e[1])) + e[1]
    return out


def row(kind, data=b'', dev=0, port=0, host=0, time_ns=0, seq=None, crc='right', text=False, crc_val=0):
    f = (1 if seq is not None else 0) | {'right': 0, 'null': 1, 'value': 2, 'text': 3}[crc] << 1 | (8 if text else 0)
    b = bytes([f << 4 | 0])
    if seq is not None:
        b += struct.pack('<Q', seq & (1 << 64) - 1)
    b += struct.pack('<IBBBBH', time_ns, kind, dev, port, host, len(data)) + data
    if crc == 'value':
        b += struct.pack('<I', crc_val)
    return b


def meta(key, value):
    k = bytes([META_KEYS.index(key)])
    if value is None:
        return bytes([3 << 4 | 1]) + k
    if value == 'delete':
        return bytes([5 << 4 | 1]) + k
    if isinstance(value, float):
        return bytes([4 << 4 | 1]) + k + struct.pack('<d', value)
    if isinstance(value, int):
        return bytes([0 << 4 | 1]) + k + struct.pack('<Q', value & (1 << 64) - 1)
    if isinstance(value, bytes):
        return bytes([2 << 4 | 1]) + k + bytes([len(value)]) + value
    v = value.encode()
    return bytes([1 << 4 | 1]) + k + bytes([len(v)]) + v


def config(text=None, delete=False, empty=False, poke=None):
    if delete:
        return bytes([1 << 4 | 2])
    if empty:
        return bytes([3 << 4 | 2])
    if poke is not None:
        return bytes([2 << 4 | 2, poke[0], poke[1]])
    t = text.encode()
    return bytes([2]) + struct.pack('<H', len(t)) + t


def pragma(user_version, value):
    return bytes([(1 if user_version else 0) << 4 | 3]) + struct.pack('<i', value)


def damage(name):
    return bytes([4, DAMAGE[name]])


def snapshot(body, wrap=True, name=True, base=True):
    f = (1 if wrap else 0) | (2 if name else 0) | (4 if base else 0)
    return bytes([f << 4 | 5]) + struct.pack('<H', len(body)) + body


def patch(off, data):
    return bytes([6]) + struct.pack('<IB', off, len(data)) + data


def wal(data):
    return bytes([7]) + struct.pack('<H', len(data)) + data


# ---- seed-state-*: the state corpus as rows -----------------------------------

def state_as_rows(data):
    off, snap = 1, None
    if data[0] & 1:
        ln = struct.unpack_from('<I', data + b'\0' * 4, off)[0] if len(data) - off >= 4 else 0
        off += min(4, len(data) - off)
        ln = min(ln, len(data) - off)
        snap = data[off:off + ln]
        off += ln
    rows, n = b'', 0
    while len(data) - off >= 6 and n < 256:
        kind, dev, port, host, ln = struct.unpack_from('<BBBBH', data, off)
        off += 6
        ln = min(ln, len(data) - off)
        rows += row(kind or 3, data[off:off + ln], dev, port, host, time_ns=(n + 1) * 1000000)
        off += ln
        n += 1
    if snap is not None and not n:
        rows += row(3, time_ns=1)
        n = 1
    out = bytes([0]) + rows
    if snap is not None:
        want = int.from_bytes(snap[:8].ljust(8, b'\0'), 'little')
        want = max(1, min(want, n))
        body = struct.pack('<Q', want)[:len(snap)] + snap[8:] if len(snap) >= 8 else snap
        out += snapshot(body)
    return out


# ---- seed-bad-*: hostile rows ---------------------------------------------------------

QMP_ADD = json.dumps({'execute': 'cxl-add-dynamic-capacity', 'arguments': {
    'path': DCD, 'host-id': 0, 'selection-policy': 'prescriptive', 'region': 0,
    'extents': [{'offset': 0, 'len': 128 * MIB}]}}, separators=(',', ':')).encode()
QMP_REL = json.dumps({'execute': 'cxl-release-dynamic-capacity', 'arguments': {
    'path': DCD, 'host-id': 0, 'removal-policy': 'prescriptive', 'region': 0, 'forced-removal': True,
    'extents': [{'offset': 0, 'len': 128 * MIB}]}}, separators=(',', ':')).encode()
OBJ_ADD = json.dumps({'qom-type': 'memory-backend-memfd', 'id': 'tm0', 'size': GIB, 'tag': TAG_A}).encode()
TICK = 3
journal3 = row(2, QMP_ADD, time_ns=1000000) + row(TICK, dev=1, time_ns=2000000) + row(2, QMP_REL, time_ns=3000000)

bad = {
    'meta-base-negative': bytes([0]) + journal3 + meta('journal_base', -1),
    'meta-base-huge': bytes([0]) + journal3 + meta('journal_base', (1 << 63) - 1),
    'meta-base-past-end': bytes([0]) + journal3 + meta('journal_base', 9),
    'meta-base-text': bytes([0]) + journal3 + meta('journal_base', '2x'),
    'meta-base-real': bytes([0]) + journal3 + meta('journal_base', 1.5),
    'meta-snapshot-seq-past-end': bytes([0]) + journal3 + meta('snapshot_file', 'snapshot-fz.bin')
    + meta('snapshot_seq', 99),
    'meta-snapshot-file-outside': bytes([0]) + journal3 + meta('snapshot_file', '../../../../etc/passwd')
    + meta('snapshot_seq', 1) + meta('journal_base', 1),
    'meta-snapshot-file-dir': bytes([0]) + journal3 + meta('snapshot_file', '') + meta('snapshot_seq', 1),
    'meta-snapshot-file-db': bytes([0]) + journal3 + meta('snapshot_file', 'cxldcd.db') + meta('snapshot_seq', 0),
    'meta-snapshot-file-blob': bytes([0]) + journal3 + meta('snapshot_file', b'snapshot-fz.bin')
    + meta('snapshot_seq', 1),
    'meta-snapshot-seq-negative': bytes([0]) + journal3 + snapshot(struct.pack('<Q', 1) + b'\0' * 8)
    + meta('snapshot_seq', -5),
    'meta-schema-1': bytes([0]) + journal3 + damage('drop-crc') + meta('schema_version', 1) + pragma(True, 1),
    'meta-schema-1-crc-left': bytes([0]) + journal3 + meta('schema_version', 1),
    'meta-schema-3': bytes([0]) + journal3 + meta('schema_version', 3),
    'meta-schema-text': bytes([0]) + meta('schema_version', '2'),
    'meta-schema-gone': bytes([0]) + journal3 + meta('schema_version', 'delete'),
    'meta-unchecked-huge': bytes([0]) + row(2, QMP_ADD, crc='null') + row(TICK, dev=1, crc='null')
    + meta('unchecked_through', -1),
    'meta-owed': bytes([0]) + journal3 + meta('owed_unavailable', '[["vmem0",0,4096],["vmem0",-1,5],["nope",1,2],'
                                             '["vmem0",536870912,4096],[1,2,3],"x"]'),
    'meta-owed-not-json': bytes([0]) + meta('owed_unavailable', '[["vmem0",0,'),
    'meta-owed-blob': bytes([0]) + meta('owed_unavailable', b'[["vmem0",0,4096]]'),
    'meta-unknown-key': bytes([0]) + journal3 + meta('x-unknown', 7) + meta('created_by', None),
    'app-id-wrong': bytes([0]) + journal3 + pragma(False, 0x12345678),
    'app-id-zero': bytes([0]) + pragma(False, 0),
    'user-version': bytes([0]) + journal3 + pragma(True, 99),
    'journal-gap': bytes([0]) + row(2, QMP_ADD) + row(TICK, dev=1, seq=3),
    'journal-seq-zero': bytes([0]) + row(TICK, dev=1, seq=0) + row(2, QMP_ADD),
    'journal-seq-negative': bytes([0]) + row(TICK, dev=1, seq=-1) + journal3,
    'journal-crc-null': bytes([0]) + row(2, QMP_ADD) + row(TICK, dev=1, crc='null'),
    'journal-crc-wrong': bytes([0]) + row(2, QMP_ADD, crc='value', crc_val=0xdeadbeef),
    'journal-crc-text': bytes([0]) + row(2, QMP_ADD, crc='text'),
    'journal-data-text': bytes([0]) + row(2, QMP_ADD, text=True) + row(4, OBJ_ADD, text=True),
    'journal-data-nul-text': bytes([0]) + row(2, b'{"execute":"qmp_capabilities"}\0junk', text=True),
    'journal-data-null': bytes([0]) + journal3 + damage('null-data'),
    'journal-text-data-all': bytes([0]) + journal3 + damage('text-data'),
    'journal-no-pk-dups': bytes([0]) + journal3 + damage('no-pk') + damage('dup-rows'),
    'journal-no-pk-rows': bytes([0]) + damage('no-pk') + row(2, QMP_ADD, seq=1) + row(2, QMP_ADD, seq=1)
    + row(TICK, dev=1, seq=2),
    'journal-shifted': bytes([0]) + journal3 + damage('shift-seq'),
    'journal-negative': bytes([0]) + journal3 + damage('neg-seq'),
    'journal-first-gone': bytes([0]) + journal3 + damage('delete-first'),
    'journal-last-crc': bytes([0]) + journal3 + damage('bad-last-crc'),
    'journal-kinds': bytes([0]) + journal3 + damage('kinds') + meta('unchecked_through', 3),
    'journal-dev-port-host': bytes([0]) + row(1, b'\0' * 12, dev=200, port=9, host=77)
    + row(6, b'\0' * 12, dev=1, port=2, host=255),
    'journal-huge-len-record': bytes([0]) + row(1, b'\0\0\0\x01\x48\xff\xff\x1f' + b'\0' * 4, dev=1, port=1),
    'table-journal-gone': bytes([0]) + damage('drop-journal'),
    'table-meta-gone': bytes([0]) + damage('drop-meta'),
    'table-config-gone': bytes([0]) + damage('drop-config'),
    'config-not-json': bytes([0]) + config('{"objects":[{"qom-type":'),
    'config-other': bytes([0]) + config('{"objects":[],"devices":[]}'),
    'config-deleted': bytes([0]) + journal3 + config(delete=True),
    'config-empty': bytes([0]) + config(empty=True),
    'config-poked': bytes([0]) + config(poke=(40, ord('9'))),
    'config-second-row': bytes([0]) + damage('second-config'),
    'trigger': bytes([0]) + damage('trigger') + journal3,
    'writable-schema': bytes([0]) + journal3 + damage('writable-schema'),
    'small-pages': bytes([0]) + journal3 + damage('vacuum-512') + patch(600, b'\xff' * 16),
    'header-page-size': bytes([0]) + journal3 + patch(16, b'\x00\x03'),
    'header-counts': bytes([0]) + journal3 + patch(28, b'\x7f\xff\xff\xff') + patch(36, b'\0\0\0\x09'),
    'header-schema-format': bytes([0]) + journal3 + patch(44, b'\0\0\0\x09'),
    'header-text-encoding': bytes([0]) + journal3 + patch(56, b'\0\0\0\x02'),
    'page-2-damaged': bytes([0]) + journal3 + patch(4096, b'\x0d\x00\x00\x00\x09\xff\xff'),
    'page-3-damaged': bytes([0]) + journal3 + patch(8192 + 8, b'\xff' * 32),
    'wal-garbage': bytes([0]) + journal3 + wal(b'\x37\x7f\x06\x82\0\x2d\xe2\x18\0\0\x10\0' + b'\xaa' * 200),
    'db-empty-file': files((0, b'')),
    'db-not-sqlite': files((0, b'not a database at all, but long enough to be read')),
    'db-header-only': files((0, b'SQLite format 3\0' + b'\x10\x00\x01\x01' + b'\0' * 80)),
    'snapshot-damaged': bytes([0]) + journal3 + snapshot(struct.pack('<Q', 2) + b'\xff' * 40, wrap=False),
    'snapshot-bad-count': bytes([0]) + journal3 + snapshot(struct.pack('<QI', 2, 0xffffffff)),
}


# ---- seed-run-*: the stores of short real runs -----------------------------------------------

def qmp_session(path, cmds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(200):
        try:
            s.connect(path)
            break
        except OSError:
            time.sleep(0.05)
    f = s.makefile('rwb')
    f.readline()
    for c in [{'execute': 'qmp_capabilities'}] + cmds:
        f.write(json.dumps(c).encode() + b'\n')
        f.flush()
        while True:
            m = json.loads(f.readline())
            if 'event' not in m:
                break
    s.close()


def cci(path, op, payload=b'', host=0):
    a = {'path': path, 'cci': 'mailbox', 'opcode': op, 'host-id': host}
    if payload:
        a['payload'] = payload.hex()
    return {'execute': 'cxl-cci-request', 'arguments': a}


def upd(ranges):
    return struct.pack('<IB3x', len(ranges), 0) + b''.join(struct.pack('<QQ8x', d, ln) for d, ln in ranges)


def add(path, host, exts, region=0, tag=None):
    a = {'path': path, 'host-id': host, 'selection-policy': 'prescriptive', 'region': region,
         'extents': [{'offset': o, 'len': ln} for o, ln in exts]}
    if tag:
        a['tag'] = tag
    return {'execute': 'cxl-add-dynamic-capacity', 'arguments': a}


def release(path, host, exts, region=0, forced=False):
    return {'execute': 'cxl-release-dynamic-capacity', 'arguments': {
        'path': path, 'host-id': host, 'removal-policy': 'prescriptive', 'region': region,
        'forced-removal': forced, 'extents': [{'offset': o, 'len': ln} for o, ln in exts]}}


runs = {
    'dcd-add-accept-release': [
        add(DCD, 0, [(0, 64 * MIB), (64 * MIB, 64 * MIB)]),
        cci(DCD, 0x4802, upd([(0, 64 * MIB), (64 * MIB, 64 * MIB)])),
        add(DCD, 1, [(0, 32 * MIB)], region=1),
        release(DCD, 0, [(64 * MIB, 64 * MIB)]),
        cci(DCD, 0x4803, upd([(64 * MIB, 64 * MIB)])),
        release(DCD, 1, [(0, 32 * MIB)], region=1, forced=True),
    ],
    'tagged': [
        {'execute': 'object-add', 'arguments': {'qom-type': 'memory-backend-memfd', 'id': 'tm0', 'size': GIB,
                                                'tag': TAG_A}},
        add(VMEM, 0, [(0, GIB)], tag=TAG_A),
        cci(VMEM, 0x4802, upd([(0, GIB)])),
        {'execute': 'object-add', 'arguments': {'qom-type': 'memory-backend-ram', 'id': 'tm1', 'size': GIB}},
        {'execute': 'object-del', 'arguments': {'id': 'tm1'}},
        {'execute': 'cxl-inject-poison', 'arguments': {'path': DCD, 'start': 0x1000, 'length': 0x40}},
    ],
}


def real_run(daemon, cmds, kill):
    d = tempfile.mkdtemp(prefix='cxldcd-store-seed-')
    state, sock = os.path.join(d, 'state'), os.path.join(d, 'qmp.sock')
    env = dict(os.environ, CXLDCD_SNAPSHOT_EVERY='3')
    p = subprocess.Popen([daemon] + FZ_ARGS + ['-qmp', 'unix:%s,server=on,wait=off' % sock, '--state', state],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        qmp_session(sock, cmds)
        time.sleep(0.5)     # the snapshot children
    finally:
        p.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        p.wait(timeout=30)
    entries = []
    for name in sorted(os.listdir(state)):
        with open(os.path.join(state, name), 'rb') as f:
            b = f.read()
        if name == 'cxldcd.db':
            entries.append((0, b))
        elif name == 'cxldcd.db-wal' and b:
            entries.append((1, b))
        elif name.startswith('snapshot-') and name.endswith('.bin'):
            entries.append((2, int(name[9:-4]), b))
    subprocess.run(['rm', '-rf', d], check=True)
    entries.sort(key=lambda e: e[0])
    return files(*entries[:3])


def main():
    os.makedirs(OUT, exist_ok=True)
    n = 0
    state_dir = os.path.join(ROOT, 'state')
    for name in sorted(n for n in os.listdir(state_dir) if n.startswith(('seed-', 'repro-'))):
        with open(os.path.join(state_dir, name), 'rb') as f:
            data = f.read()
        if data:
            with open(os.path.join(OUT, 'seed-state-' + name[:40]), 'wb') as f:
                f.write(state_as_rows(data))
            n += 1
    for name, data in bad.items():
        with open(os.path.join(OUT, 'seed-bad-' + name), 'wb') as f:
            f.write(data)
        n += 1
    if len(sys.argv) > 1:
        for name, cmds in runs.items():
            for kill in (False, True):
                data = real_run(sys.argv[1], cmds, kill)
                with open(os.path.join(OUT, 'seed-run-%s-%s' % (name, 'kill' if kill else 'stop')), 'wb') as f:
                    f.write(data)
                n += 1
    print('store: %d seeds' % n)


main()
