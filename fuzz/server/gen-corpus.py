#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of fuzz-cmdline, fuzz-qmp-device and fuzz-state.

fuzz-cmdline: command lines (NUL-separated arguments) taken from
tests/qmp/test-cmdline.c, docs/qmp.md and the QEMU documentation.
fuzz-qmp-device: byte 0 is the feed chunk size - 1, then real QMP sessions
(the requests of tests/qmp/test-device.c and docs/qmp.md) against the
target's devices cxl-vmem0 (tag-backed, 4 GiB region) and cxl-dcd0
(volatile-dc-memdev, two 256 MiB regions).  No memory-backend-file /
mem-path: the target skips inputs that could name a file.
fuzz-state: --state journals (records in the format of fuzz-state.c) of
the same requests as the daemon journals them; given the path of a
fuzz-state build, also a snapshot-file seed of the state each restores to
(the target writes it: CXLDCD_FUZZ_STATE_SEED).
Run from anywhere: python3 fuzz/server/gen-corpus.py [build/fuzz/fuzz-state]
"""
import json
import os
import struct
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus')
TAG_A = '5be13bce-ae34-4a77-b6c3-16df975fcf1a'
TAG_B = '0e4a0b4c-1f2a-4d55-9a8e-31e0c8a1b2c3'
VMEM = '/machine/peripheral/cxl-vmem0'
DCD = '/machine/peripheral/cxl-dcd0'
GIB = 1 << 30
MIB = 1 << 20

OBJ = 'memory-backend-memfd,id=m0,size=1G'
DEV = 'cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0'

cmdlines = {
    'empty': [],
    'help': ['--help'],
    'version': ['-version'],
    'qemu-doc': ['-object', 'memory-backend-ram,id=vmem0,share=on,size=4G',
                 '-device', 'cxl-type3,bus=root_port13,volatile-dc-memdev=vmem0,id=cxl-dcd0,num-dc-regions=2'],
    'all-options': ['-object', 'memory-backend-memfd,id=mem0,size=8G,share=off,hugetlb=yes',
                    '-object', 'memory-backend-file,id=f0,size=512M,mem-path=/dev/shm/a,,b,share=on',
                    '--object', 'memory-backend-tagged,id=t0,size=1g,tag=5BE13BCE-AE34-4A77-B6C3-16DF975FCF1A',
                    '-object', '{"qom-type":"memory-backend-ram","id":"j0","size":1048576,"share":true}',
                    '-device', 'cxl-type3,bus=rp0,id=cxl-vmem0,num-dc-regions=2,volatile-dc-memdev=mem0,'
                    'num-hosts=4,dc-block-size=2M,max-extents=128,max-tags=16,event-log-depth=64,'
                    'mbox-payload-size=4096,seq-one-based=on,sanitize-on-release=yes,sharable=on,'
                    'pending-timeout-ms=500,sn=0x1234',
                    '-device', 'cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=4G',
                    '-qmp', 'unix:/tmp/q.sock,server,wait=off',
                    '-qmp', 'tcp:localhost:4444,server=on,nowait',
                    '-qmp=tcp::0,server',
                    '--fm', 'unix:/tmp/fm.sock', '--fm=tcp:[::1]:9000',
                    '--host-socket', '/tmp/host.sock', '--state=/var/lib/cxldcd',
                    '--trace=cci,qmp', '-trace', 'host'],
    'socket-options': ['-object', OBJ, '-device', DEV,
                       '-qmp', 'tcp:localhost:4444,server=on,wait=off,ipv4=on,to=4450,nodelay=on,mux=on',
                       '-qmp', 'unix:/tmp/q.sock,server,nowait,ipv6=off,logfile=/tmp/l,tight=off,telnet=off',
                       '-chardev', 'socket,id=q0,host=::1,port=0,server=on,wait=off,ipv4=off,rows=3',
                       '-mon', 'chardev=q0,mode=control',
                       '-chardev', 'socket,id=g0,port=1,server=on,tls-creds=t0'],
    'socket-refused': ['-qmp', 'tcp::1,server,ipv4=off,ipv6=off,reconnect=1,tls-creds=x,keep-alive=on'],
    'out-of-tree-props': ['-object', OBJ, '--host-socket', '/tmp/h.sock,max-fds=256,max-conns=3',
                          '-device', DEV + ',allow-fm-attach=on,mctp-buf-init=on,chmu-port=4443,'
                          'is_mhd=false,mhd_head=0,mhd_shmid=15',
                          '-device', 'cxl-type3,id=d1,volatile-memdev=m0,is_mhd=true,mhd-head=0'],
    'listeners': ['--fm', 'unix:/tmp/fm1.sock,device=d1', '-object', OBJ, '-device', DEV,
                  '-device', 'cxl-type3,id=d1,num-dc-regions=1,dc-regions-total-size=1G',
                  '--fm', 'unix:/tmp/fm0.sock', '--fm=tcp:127.0.0.1:0,device=d0',
                  '--host-socket', '/tmp/h0.sock', '--host-socket', 'unix:/tmp/h1.sock,device=d1',
                  '--host-socket', 'tcp::0,device=d1', '-host-socket=tcp:localhost:7000,device=d0',
                  '--host-socket', '/tmp/a,,b.sock,device=d1'],
    'bad-device-ref': ['-object', OBJ, '-device', DEV, '--fm', 'unix:/tmp/f.sock,device=nope'],
    'same-path': ['-object', OBJ, '-device', DEV, '--fm', 'unix:/tmp/s.sock', '--host-socket', '/tmp/s.sock'],
    'bad-object': ['-object', 'memory-backend-ram,id=a,,,size=1G,'],
    'bad-json-object': ['-object', '{"id":'],
    'dup-object': ['-object', 'memory-backend-ram,id=a,size=1G', '-object', 'memory-backend-memfd,id=a,size=1G'],
    'bad-regions': ['-device', 'cxl-type3,id=d0,num-dc-regions=9,dc-regions-total-size=1G'],
    'state-twice': ['--state', '/a', '--state', '/b'],
    'sizes': ['-object', 'memory-backend-ram,id=a,size=0x1000', '-object', 'memory-backend-ram,id=b,size=100b',
              '-object', 'memory-backend-ram,id=c,size=1T', '-object', 'memory-backend-ram,id=d,size=7K'],
}


def req(name, args=None, rid=None):
    r = {'execute': name}
    if args is not None:
        r['arguments'] = args
    if rid is not None:
        r['id'] = rid
    return json.dumps(r)


def session(reqs, chunk=256, sep='\n'):
    return bytes([chunk - 1]) + sep.join(reqs).encode() + b'\n'


def cci(path, kind, op, payload='', host=None):
    a = {'path': path, 'cci': kind, 'opcode': op}
    if host is not None:
        a['host-id'] = host
    if payload:
        a['payload'] = payload
    return req('cxl-cci-request', a)


def upd_hex(ranges, more=False):
    b = struct.pack('<IB3x', len(ranges), 1 if more else 0)
    for dpa, ln in ranges:
        b += struct.pack('<QQ8x', dpa, ln)
    return b.hex()


def add_tagged(tag, off, ln=GIB, host=0):
    return req('cxl-add-dynamic-capacity', {'path': VMEM, 'host-id': host, 'selection-policy': 'prescriptive',
                                            'region': 0, 'tag': tag, 'extents': [{'offset': off, 'len': ln}]})


# DPA layout of the target's devices: no static capacity, region 0 at 0.
V0 = 0            # cxl-vmem0 region 0 base
D0, D1 = 0, 256 * MIB   # cxl-dcd0 regions

tagged = [
    req('object-add', {'qom-type': 'memory-backend-ram', 'id': 'tm0', 'size': GIB, 'share': True, 'tag': TAG_A}),
    req('object-add', {'qom-type': 'memory-backend-tagged', 'id': 'tm1', 'size': GIB, 'tag': TAG_B}),
    req('cxl-release-dynamic-capacity-status', {'path': VMEM, 'host-id': 0, 'region': 0, 'tag': TAG_A}),
    add_tagged(TAG_A, 0), add_tagged(TAG_B, GIB),
    req('object-del', {'id': 'tm0'}),
    cci(VMEM, 'mailbox', 256, '04', host=0),
    cci(VMEM, 'mailbox', 257, '0400020000000100' + '0200', host=0),
    cci(VMEM, 'mailbox', 0x4802, upd_hex([(V0, GIB)]), host=0),
    cci(VMEM, 'mailbox', 0x4802, upd_hex([(V0 + GIB, GIB)]), host=0),
    req('query-cxl-dynamic-capacity', {'path': VMEM}),
    req('object-del', {'id': 'tm0'}),
    req('cxl-release-dynamic-capacity', {'path': VMEM, 'host-id': 0, 'removal-policy': 'tag-based',
                                         'tag': TAG_A, 'region': 0}),
    cci(VMEM, 'mailbox', 0x4803, upd_hex([(V0, GIB)]), host=0),
    req('object-del', {'id': 'tm0'}),
    req('query-memdev'),
]

qemu_doc = [
    req('cxl-add-dynamic-capacity', {'path': DCD, 'host-id': 0, 'selection-policy': 'prescriptive', 'region': 0,
                                     'extents': [{'offset': 0, 'len': 128 * MIB},
                                                 {'offset': 128 * MIB, 'len': 128 * MIB}]}),
    cci(DCD, 'mailbox', 0x4802, upd_hex([(D0, 128 * MIB), (D0 + 128 * MIB, 128 * MIB)]), host=0),
    req('cxl-release-dynamic-capacity', {'path': DCD, 'host-id': 0, 'removal-policy': 'prescriptive', 'region': 0,
                                         'extents': [{'offset': 128 * MIB, 'len': 128 * MIB}]}),
    cci(DCD, 'mailbox', 0x4803, upd_hex([(D0 + 128 * MIB, 128 * MIB)]), host=0),
    req('query-cxl-dynamic-capacity', {'path': DCD}),
]

policies = [
    req('cxl-add-dynamic-capacity', {'path': DCD, 'host-id': 1, 'selection-policy': 'free', 'region': 1,
                                     'extents': [{'offset': 0, 'len': 4 * MIB}]}),
    req('cxl-add-dynamic-capacity', {'path': DCD, 'host-id': 0, 'selection-policy': 'contiguous', 'region': 0,
                                     'extents': [{'offset': 0, 'len': 8 * MIB}]}),
    cci(DCD, 'mailbox', 0x4802, upd_hex([]), host=1),
    req('cxl-release-dynamic-capacity', {'path': DCD, 'host-id': 0, 'removal-policy': 'prescriptive',
                                         'forced-removal': True, 'sanitize-on-release': True, 'region': 0,
                                         'extents': [{'offset': 0, 'len': 2 * MIB}]}),
    req('cxl-add-dynamic-capacity', {'path': 'cxl-dcd0', 'host-id': 5, 'selection-policy': 'free', 'region': 0,
                                     'extents': [{'offset': 0, 'len': 2 * MIB}]}),
    req('query-cxl-dynamic-capacity', {'path': 'cxl-dcd0'}),
]

shared = [
    req('object-add', {'qom-type': 'memory-backend-memfd', 'id': 'sh0', 'size': GIB, 'tag': TAG_A}),
    req('cxl-add-dynamic-capacity', {'path': VMEM, 'host-id': 0, 'selection-policy': 'enable-shared-access',
                                     'region': 0, 'tag': TAG_A, 'extents': [{'offset': 0, 'len': 2 * MIB}]}),
    req('cxl-add-dynamic-capacity', {'path': VMEM, 'host-id': 1, 'selection-policy': 'prescriptive',
                                     'region': 0, 'tag': TAG_A, 'extents': [{'offset': 0, 'len': 2 * MIB}]}),
    cci(VMEM, 'mailbox', 0x4802, upd_hex([(V0, 2 * MIB)]), host=1),
    req('cxl-release-dynamic-capacity', {'path': VMEM, 'host-id': 1, 'removal-policy': 'tag-based',
                                         'forced-removal': True, 'tag': TAG_A, 'region': 0}),
    req('query-cxl-dynamic-capacity', {'path': VMEM}),
]

chains = [
    req('cxl-add-dynamic-capacity', {'path': DCD, 'host-id': 0, 'selection-policy': 'prescriptive', 'region': 0,
                                     'extents': [{'offset': 0, 'len': 2 * MIB}, {'offset': 4 * MIB, 'len': 2 * MIB}]}),
    cci(DCD, 'mailbox', 0x4802, upd_hex([(D0, 2 * MIB)], more=True), host=0),
    cci(DCD, 'mailbox', 0x4802, upd_hex([(D0 + 4 * MIB, 2 * MIB)]), host=0),
    cci(DCD, 'mailbox', 0x4803, upd_hex([(D0, MIB)], more=True), host=0),
    cci(DCD, 'mailbox', 0x0001, host=0),
    cci(DCD, 'fm', 22016),
    cci(DCD, 'fm', 0x5601, '01000800'),
    cci(DCD, 'fm', 0x5603, '0000000010000000' + '00000000'),
]

faults = [
    req('cxl-inject-fault', {'path': VMEM, 'host-id': 0, 'fault': 'unclosed-chain'}),
    req('cxl-inject-fault', {'path': VMEM, 'host-id': 0, 'fault': 'sequence-gap', 'count': 2}),
    req('query-cxl-faults', {'path': VMEM}),
    req('cxl-inject-fault', {'path': VMEM, 'host-id': 0, 'fault': 'bogus'}),
    req('cxl-inject-fault', {'path': DCD, 'host-id': 0, 'fault': 'duplicate-tag'}),
    req('cxl-add-dynamic-capacity', {'path': VMEM, 'host-id': 0, 'selection-policy': 'free', 'region': 0,
                                     'extents': [{'offset': 0, 'len': 2 * MIB}]}),
    cci(VMEM, 'mailbox', 256, '04', host=0),
    req('cxl-inject-fault', {'path': VMEM, 'host-id': 0, 'fault': 'none'}),
    req('query-cxl-faults', {'path': VMEM}),
]

errors = [
    req('object-add', {'qom-type': 'memory-backend-ram', 'id': 'x'}),
    req('object-add', {'qom-type': 'memory-backend-foo', 'id': 'x', 'size': MIB}),
    req('object-add', {'qom-type': 'memory-backend-ram', 'id': 'vmem0', 'size': MIB}),
    req('object-del', {'id': 'vmem0'}),
    req('object-del', {'id': 'nope'}),
    req('query-cxl-dynamic-capacity', {'path': '/machine/peripheral/nope'}),
    req('cxl-cci-request', {'path': DCD, 'cci': 'mailbox', 'opcode': 1}),
    cci(DCD, 'mailbox', 1, 'zz', host=0),
    req('cxl-release-dynamic-capacity-status', {'path': VMEM, 'host-id': 0, 'tag': 'not-a-uuid'}),
    req('query-commands'), req('query-version'), req('quit'),
]

# Media, RAS and discovery: every inject-* command, the queries they feed.
inject = [
    req('qom-list', {'path': '/machine/peripheral'}),
    req('qom-list', {'path': DCD}),
    req('query-cxl-devices'),
    req('cxl-inject-poison', {'path': DCD, 'start': 0x1000, 'length': 0x40}),
    req('cxl-inject-poison', {'path': DCD, 'start': 3, 'length': 0x40}),
    cci(DCD, 'mailbox', 0x4300, struct.pack('<QQ', 0, 0x100000).hex(), host=0),
    req('cxl-inject-general-media-event', {'path': DCD, 'log': 'informational', 'flags': 1, 'dpa': 0x1000,
                                           'descriptor': 3, 'type': 0, 'transaction-type': 192,
                                           'channel': 1, 'rank': 0, 'device': 5,
                                           'component-id': 'comp-id-01', 'is-comp-id-pldm': False,
                                           'sub-type': 1, 'cme-ev-flags': 1, 'cme-count': 7}),
    req('cxl-inject-dram-event', {'path': VMEM, 'log': 'failure', 'flags': 1, 'dpa': 0x2000, 'descriptor': 1,
                                  'type': 2, 'transaction-type': 1, 'channel': 2, 'rank': 3, 'nibble-mask': 0x10,
                                  'bank-group': 1, 'bank': 2, 'row': 40, 'column': 7,
                                  'correction-mask': [1, 2, 3, 4], 'sub-channel': 1, 'cvme-count': 3,
                                  'maint-op-class': 1, 'maint-op-subclass': 0, 'ld-id': 0, 'head-id': 0}),
    req('cxl-inject-memory-module-event', {'path': DCD, 'log': 'warning', 'flags': 0, 'type': 1,
                                           'health-status': 2, 'media-status': 0, 'additional-status': 1,
                                           'life-used': 30, 'temperature': -5, 'dirty-shutdown-count': 1,
                                           'corrected-volatile-error-count': 2,
                                           'corrected-persistent-error-count': 3}),
    cci(DCD, 'mailbox', 0x0100, '00', host=1),
    req('cxl-inject-uncorrectable-errors', {'path': DCD, 'errors': [
        {'type': 'cache-data-parity', 'header': [1, 2, 3]},
        {'type': 'internal', 'header': list(range(32))}]}),
    req('cxl-inject-uncorrectable-errors', {'path': VMEM, 'host-id': 1, 'errors': [
        {'type': 'cxl-ide-rx', 'header': []}]}),
    req('cxl-inject-correctable-error', {'path': DCD, 'type': 'mem-data-ecc'}),
    req('cxl-inject-correctable-error', {'path': VMEM, 'type': 'physical', 'host-id': 0}),
    req('query-cxl-ras', {'path': DCD}),
    req('query-cxl-ras', {'path': VMEM, 'host-id': 1}),
    req('cxl-inject-correctable-error', {'path': DCD, 'type': 'nope', 'host-id': 9}),
]

# cxl-static0 (qmp-device only): 256 MiB volatile + 256 MiB persistent
# static capacity and a 1 MiB LSA, host 1's alone (static-host=1)
STATIC = 'cxl-static0'
static_host = [
    cci(STATIC, 'mailbox', 0x4000, host=0), cci(STATIC, 'mailbox', 0x4000, host=1),
    cci(STATIC, 'mailbox', 0x4100, host=0), cci(STATIC, 'mailbox', 0x4100, host=1),
    cci(STATIC, 'mailbox', 0x4103, struct.pack('<I4x', 0x10).hex() + b'label1'.hex(), host=1),
    cci(STATIC, 'mailbox', 0x4103, struct.pack('<I4x', 0x10).hex() + b'label0'.hex(), host=0),
    cci(STATIC, 'mailbox', 0x4102, struct.pack('<II', 0, 0x40).hex(), host=0),
    cci(STATIC, 'mailbox', 0x4102, struct.pack('<II', 0, 0x40).hex(), host=1),
    req('cxl-inject-poison', {'path': STATIC, 'start': 0x1000, 'length': 0x40}),
    cci(STATIC, 'mailbox', 0x4300, struct.pack('<QQ', 0, 0x100000).hex(), host=0),
    cci(STATIC, 'mailbox', 0x4300, struct.pack('<QQ', 0, 0x100000).hex(), host=1),
    req('object-add', {'qom-type': 'memory-backend-memfd', 'id': 'tm0', 'size': 256 * MIB, 'tag': TAG_A}),
    req('cxl-add-dynamic-capacity', {'path': STATIC, 'host-id': 1, 'selection-policy': 'prescriptive',
                                     'region': 0, 'tag': TAG_A, 'extents': [{'offset': 0, 'len': 2 * MIB}]}),
    req('object-del', {'id': 'smem0'}), req('object-del', {'id': 'slsa0'}),
    req('query-cxl-dynamic-capacity', {'path': STATIC}),
    req('qom-get', {'path': '/machine/peripheral/' + STATIC, 'property': 'lsa-size'}),
]

qmp_seeds = {
    'static-host': session(static_host),
    'inject': session(inject),
    'tagged-session': session(tagged),
    'qemu-doc-session': session(qemu_doc),
    'policies': session(policies, chunk=7),
    'shared': session(shared),
    'more-chains': session(chains),
    'faults': session(faults, chunk=1),
    'errors': session(errors, sep=''),
    'pretty': bytes([31]) + json.dumps(json.loads(qemu_doc[0]), indent=2).encode() + b'\n',
    'oob-id': session([req('query-memdev', rid={'n': 1}), '{"exec-oob": "query-memdev"}', '[1, 2]', '{']),
}

# ---- fuzz-state: journal records (kind, dev, port, host, u16le length, data)
REC_CCI, REC_QMP, REC_TICK, REC_OBJ_ADD, REC_OBJ_DEL, REC_HOSTLINK = 1, 2, 3, 4, 5, 6
PORT_FM, PORT_HOSTLINK, PORT_MCTP = 1, 2, 3
DEV_VMEM, DEV_DCD = 0, 1


def rec(kind, data=b'', dev=0, port=0, host=0):
    return struct.pack('<BBBBH', kind, dev, port, host, len(data)) + data


def qmp_rec(name, args):
    return rec(REC_QMP, json.dumps({'execute': name, 'arguments': args}, separators=(',', ':')).encode())


def cci_msg(op, payload=b'', tag=0):
    return struct.pack('<BBxHI4x', 0, tag, op, len(payload)) + payload


def upd(ranges, more=False):
    return bytes.fromhex(upd_hex(ranges, more))


def fm_add(host, policy, exts, region=0, tag=b'\0' * 16):
    return struct.pack('<HBBQ16sI', host, policy, region, 0, tag, len(exts)) + b''.join(
        struct.pack('<QQ16sH6x', o, ln, tag, 0) for o, ln in exts)


state_seeds = {
    'qmp-add-accept-release': bytes([0]) + b''.join([
        qmp_rec('cxl-add-dynamic-capacity', json.loads(qemu_doc[0])['arguments']),
        rec(REC_HOSTLINK, cci_msg(0x4802, upd([(D0, 128 * MIB), (D0 + 128 * MIB, 128 * MIB)])), DEV_DCD,
            PORT_HOSTLINK, 0),
        qmp_rec('cxl-release-dynamic-capacity', json.loads(qemu_doc[2])['arguments']),
        rec(REC_HOSTLINK, cci_msg(0x4803, upd([(D0 + 128 * MIB, 128 * MIB)])), DEV_DCD, PORT_HOSTLINK, 0),
        rec(REC_TICK, dev=DEV_DCD),
    ]),
    'fm-mctp-cci': bytes([0]) + b''.join([
        rec(REC_CCI, cci_msg(0x5604, fm_add(1, 2, [(D1, 2 * MIB), (D1 + 4 * MIB, 2 * MIB)], region=1)),
            DEV_DCD, PORT_FM),
        rec(REC_HOSTLINK, cci_msg(0x4802, upd([(D1, 2 * MIB)], more=True)), DEV_DCD, PORT_HOSTLINK, 1),
        rec(REC_HOSTLINK, b'', DEV_DCD, PORT_HOSTLINK, 1),     # the host's connection closed mid-chain
        rec(REC_CCI, cci_msg(0x4301, struct.pack('<Q', 0x1000)), DEV_DCD, PORT_MCTP),
        rec(REC_CCI, cci_msg(0x0103, bytes([1, 1, 1, 1, 1])), DEV_DCD, PORT_MCTP),
        rec(REC_TICK, dev=DEV_DCD),
    ]),
    'objects-tagged': bytes([0]) + b''.join([
        rec(REC_OBJ_ADD, json.dumps({'qom-type': 'memory-backend-memfd', 'id': 'tm0', 'size': GIB,
                                     'tag': TAG_A}).encode()),
        qmp_rec('cxl-add-dynamic-capacity', json.loads(add_tagged(TAG_A, 0))['arguments']),
        rec(REC_HOSTLINK, cci_msg(0x4802, upd([(V0, GIB)])), DEV_VMEM, PORT_HOSTLINK, 0),
        rec(REC_OBJ_ADD, json.dumps({'qom-type': 'memory-backend-ram', 'id': 'tm1', 'size': GIB}).encode()),
        rec(REC_OBJ_DEL, json.dumps({'id': 'tm1'}).encode()),
        rec(REC_OBJ_DEL, json.dumps({'id': 'tm0'}).encode()),
    ]),
    'discard-chains': bytes([0]) + b''.join([
        qmp_rec('cxl-add-dynamic-capacity', json.loads(chains[0])['arguments']),
        qmp_rec('cxl-cci-request', json.loads(chains[1])['arguments']),
        qmp_rec('x-cxldcd-discard-chains', {}),
        qmp_rec('cxl-inject-poison', {'path': DCD, 'start': 0x1000, 'length': 0x40}),
        qmp_rec('cxl-inject-fault', {'path': VMEM, 'host-id': 0, 'fault': 'unclosed-chain'}),
    ]),
    'bad-records': bytes([0]) + b''.join([
        rec(REC_TICK, dev=9), rec(REC_QMP, b'{"execute":"nope","arguments":{}}'),
    ]),
}



# fm-socket (fuzz/server/fuzz-fm-socket.c): byte 0 the listener (bit 0 --mctp-cci, bit 1 cxl-dcd0),
# then steps: op bit 0 the client, bits 3:1 the kind.
def fm_step(kind, client=0, high=0):
    return bytes([high << 4 | kind << 1 | client])


def fm_req(op, payload=b'', client=0):
    return fm_step(1, client) + struct.pack('<HB', op, len(payload)) + payload


def fm_hdr(length, sent, category=0, client=0):
    return fm_step(2, client, category) + struct.pack('<I', length)[:3] + bytes([sent])


def fm_raw(data, client=0):
    return fm_step(0, client) + bytes([len(data)]) + data


FM_DCD, FM_MCTP, FM_STORE = 2, 1, 4
fm_seeds = {
    'identify': bytes([0]) + fm_req(0x0001),
    'fm-dcd-info': bytes([FM_DCD]) + fm_req(0x5600) + fm_req(0x5601, struct.pack('<HBB', 0, 2, 0))
    + fm_req(0x5603, struct.pack('<HxxII', 0, 0, 4)),
    'fm-add-release': bytes([FM_DCD]) + fm_req(0x5604, fm_add(0, 2, [(D0, 2 * MIB)]))
    + fm_req(0x5605, struct.pack('<HBBQ16sI', 0, 1, 0, 0, b'\0' * 16, 1)
             + struct.pack('<QQ16sH6x', D0, 2 * MIB, b'\0' * 16, 0)),
    'mctp-cci': bytes([FM_MCTP | FM_DCD]) + fm_req(0x0001) + fm_req(0x4000) + fm_req(0x4200)
    + fm_req(0x4300, struct.pack('<QI', 0, 1)),
    'oversize': bytes([0]) + fm_hdr(0x1000, 200) + fm_req(0x0001) + fm_hdr(0x1fffff, 10),
    'not-a-request': bytes([0]) + fm_req(0x0001) + fm_hdr(0, 0, category=1) + fm_req(0x0001, client=1),
    'split-header': bytes([0]) + fm_raw(struct.pack('<BBxHI4x', 0, 7, 0x0001, 0)[:5])
    + fm_raw(struct.pack('<BBxHI4x', 0, 7, 0x0001, 0)[5:]) + fm_req(0x0001),
    'backpressure': bytes([FM_DCD]) + fm_step(3) + b''.join(fm_step(5) + bytes([255, 1, 0]) for _ in range(8))
    + fm_step(3) + fm_req(0x0001),
    'hangup-mid-message': bytes([0]) + fm_hdr(100, 50) + fm_step(4) + fm_req(0x0001) + fm_step(4, 0, 1)
    + fm_req(0x0001),
    'two-clients': bytes([FM_MCTP]) + fm_req(0x0001, client=0) + fm_req(0x0001, client=1)
    + fm_step(3, 1) + fm_step(5, 1) + bytes([40, 0, 0x40]) + fm_step(4, 1) + fm_req(0x4000),
    # with a store: changes are journaled and run at the round's group commit, reads wait behind them
    'journal-add-release': bytes([FM_STORE | FM_DCD]) + fm_req(0x5604, fm_add(0, 2, [(D0, 2 * MIB)]))
    + fm_req(0x0001) + fm_req(0x5603, struct.pack('<HxxII', 0, 0, 4))
    + fm_req(0x5605, struct.pack('<HBBQ16sI', 0, 1, 0, 0, b'\0' * 16, 1)
             + struct.pack('<QQ16sH6x', D0, 2 * MIB, b'\0' * 16, 0)),
    'journal-pipelined': bytes([FM_STORE | FM_DCD]) + fm_step(3) + fm_step(5) + bytes([70, 0x04, 0x56])
    + fm_req(0x0001) + fm_hdr(0x1000, 100) + fm_step(3) + fm_req(0x5600),
    'journal-mctp-hangup': bytes([FM_STORE | FM_MCTP | FM_DCD]) + fm_req(0x4301, struct.pack('<Q', 0x1000))
    + fm_req(0x0103, bytes([1, 1, 1, 1, 1])) + fm_step(4) + fm_req(0x0102),
}

for target, seeds in (('fm-socket', fm_seeds), ('cmdline', {k: b''.join(a.encode() + b'\0' for a in v) for k, v in cmdlines.items()}),
                      ('qmp-device', qmp_seeds), ('state', state_seeds)):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, 'seed-' + name), 'wb') as f:
            f.write(data)
    print(f'{target}: {len(seeds)} seeds')

# Snapshot-file seeds: the state each journal seed restores to, written by the target.
if len(sys.argv) > 1:
    d = os.path.join(ROOT, 'state')
    for name in list(state_seeds):
        out = os.path.join(d, 'seed-snapshot-' + name)
        subprocess.run([sys.argv[1], os.path.join(d, 'seed-' + name)], env=dict(os.environ, CXLDCD_FUZZ_STATE_SEED=out),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        print(f'state: {name}: ' + ('snapshot seed' if os.path.exists(out) else 'not restorable'))
