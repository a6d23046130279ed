#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the seed corpora of fuzz-ctl, fuzz-host-cli, fuzz-mctp-run and fuzz-mctp-routes (fuzz/tools/*.c: their input formats).

fuzz-ctl: the command lines of docs/ctl.md and tests/ctl (every command,
its options, bad values), each with what a real daemon sent cxldcd-ctl for
it: the given cxldcd-ctl runs against a real cxldcd through a proxy that
records the daemon's bytes (the greeting, replies, events).  Without the
binaries, the command lines alone with a greeting and one empty reply.
fuzz-host-cli: the command lines of docs/host.md and tools/cxldcd-host.
fuzz-mctp-run: the command lines of docs/mctp.md and tests/mctp, each with
the environment (byte 0 bits 7:6) and the byte after the arguments
(mctp.sock exists, setenv() fails) the name says.
fuzz-mctp-routes: CXLDCD_MCTP_ROUTES values from its grammar (routes.h),
and each way out of it.

Run from anywhere:
  python3 fuzz/tools/gen-corpus.py [--only TARGET[=SEED,...]]... \
      [build/src/server/cxldcd build/tools/cxldcd-ctl/cxldcd-ctl]
--only writes those seeds alone (every seed of TARGET without =), and
records only those ctl lines.
"""
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus')
TAG_A = '5be13bce-ae34-4a77-b6c3-16df975fcf1a'
TAG_B = '0e4a0b4c-1f2a-4d55-9a8e-31e0c8a1b2c3'
DAEMON_ARGS = [
    '-object', 'memory-backend-memfd,id=vmem0,size=512M',
    '-object', 'memory-backend-memfd,id=pm0,size=256M',
    '-object', 'memory-backend-memfd,id=lsa0,size=1M',
    '-device', 'cxl-type3,id=cxl-vmem0,num-dc-regions=2,dc-regions-total-size=4G,num-hosts=2,max-tags=8',
    '-device', 'cxl-type3,id=cxl-dcd0,volatile-dc-memdev=vmem0,num-dc-regions=2,num-hosts=2',
    '-device', 'cxl-type3,id=cxl-pmem0,persistent-memdev=pm0,lsa=lsa0,num-dc-regions=1,dc-regions-total-size=256M',
]

ctl_lines = {
    'help': ['--help'], 'version': ['--version'], 'short': ['-h'], 'help-add': ['help', 'add'],
    'help-nosuch': ['help', 'nosuch'], 'no-command': [], 'unknown': ['nosuch'], 'bogus': ['--bogus'],
    'qmp-no-value': ['--qmp'], 'qmp-colon': ['--qmp', 'a:b', 'backends'],
    'qmp-tcp6': ['--qmp', 'tcp:[::1]:4444', 'backends'], 'qmp-tcp': ['--qmp', 'tcp:127.0.0.1:1', 'backends'],
    'backends': ['backends'], 'backends-json': ['--json', 'backends'],
    'list': ['list'], 'list-dev': ['list', '--device', 'cxl-vmem0'],
    'list-host': ['--json', 'list', '--device', 'cxl-vmem0', '--host', '0'],
    'list-dcd': ['list', '--device', 'cxl-dcd0', '--host', '1'],
    'backend-add-tag': ['backend-add', 'ram', 'tm0', '1G', '--tag', TAG_A],
    'backend-add-memfd': ['backend-add', 'memfd', 'tm1', '2G', '--tag', TAG_B, '--prop', 'hugetlb=off'],
    'backend-add-share': ['backend-add', 'memfd', 'h0', '4M', '--share', '--prop', 'x'],
    'backend-add-bad': ['backend-add', 'nosuch', 'x', '-1'],
    'backend-del': ['backend-del', 'tm0'], 'backend-del-none': ['backend-del'],
    'add-extents': ['add', '--device', 'cxl-dcd0', '--host', '0', '--extent', '0:2M', '--extent', '4M:2M'],
    'add-size': ['add', '--device', 'cxl-vmem0', '--host', '0', '--size', '1G', '--tag', TAG_A],
    'add-region': ['add', '--device', 'cxl-vmem0', '--host', '1', '--region', '1', '--tag', TAG_B, '--size', '2G'],
    'add-policy': ['add', '--device', 'cxl-dcd0', '--host', '1', '--policy', 'free', '--size', '6M'],
    'add-bad-size': ['add', '--device', 'd0', '--host', '0', '--size', '1.5G'],
    'add-bad-tag': ['add', '--device', 'cxl-vmem0', '--host', '0', '--tag', 'nope', '--size', '1G'],
    'add-no-host': ['add', '--device', 'd0'],
    'release': ['release', '--device', 'cxl-dcd0', '--host', '0', '--extent', '0:2M'],
    'release-forced': ['release', '--device', 'cxl-vmem0', '--host', '0', '--tag', TAG_A, '--forced'],
    'release-no-tag': ['release', '--device', 'd0', '--host', '0'],
    'status': ['--json', 'status', '--device', 'cxl-vmem0', '--host', '0', '--tag', TAG_A, '--region', '0'],
    'status-text': ['status', '--device', 'cxl-vmem0', '--host', '0', '--tag', TAG_A],
    'events': ['events', '--timeout', '0.2'], 'events-count': ['events', '--count', '1', '--timeout', '0.5'],
    'events-name': ['events', '--name', 'SHUTDOWN', '--name', 'x', '--timeout', '0.1'],
    'events-follow-timeout': ['events', '--follow', '--timeout', '1'],
    'raw': ['raw', '{"execute":"query-memdev"}'],
    'raw-two': ['raw', '{"execute":"query-memdev"} {"execute":"qom-list","arguments":{"path":"/machine/peripheral"}}'],
    'raw-bad': ['raw', '{"execute":'], 'raw-stdin': ['raw', '-'],
    'cci-fm': ['cci', '--device', 'cxl-vmem0', '--cci', 'fm', 'get-dcd-info'],
    'cci-mbox': ['--json', 'cci', '--device', 'cxl-vmem0', '--cci', 'mailbox', '--host', '0', 'get-event-records', '04'],
    'cci-hex': ['cci', '--device', 'cxl-vmem0', '--cci', 'mailbox', '--host', '1', '0x4800', '02:00'],
    'cci-h': ['cci', '--device', 'cxl-vmem0', '--cci', 'mailbox', '--host', '0', '4802h', '00'],
    'cci-bad-opcode': ['cci', '--device', 'd0', '--cci', 'fm', 'zz'],
    'map': ['map'], 'map-dev': ['map', '--device', 'cxl-vmem0', '--width', '40', '--color', 'always'],
    'map-never': ['map', '--color', 'never', '--width', '7'],
    'top': ['top', '--device', 'cxl-dcd0'],
    'poison': ['inject-poison', '--device', 'cxl-pmem0', '--start', '0x800', '--length', '256'],
    'uncor': ['inject-uncorrectable-errors', '--device', 'cxl-pmem0', '--error', 'cache-address-parity:3,4',
              '--error', 'cache-data-parity:0,1,2,3', '--error', 'internal:1,2,4'],
    'uncor-host': ['inject-uncorrectable-errors', '--device', 'cxl-pmem0', '--host', '1', '--error', 'mem-data-ecc:7'],
    'cor': ['inject-correctable-error', '--device', 'cxl-pmem0', '--type', 'physical'],
    'cor-bad': ['inject-correctable-error', '--device', 'cxl-pmem0', '--type', 'loud'],
    'event-gm': ['inject-event', '--device', 'cxl-pmem0', '--kind', 'general-media', '--log', 'failure',
                 '--flags', '2', '--maint-op-class', '2', '--maint-op-subclass', '4', '--ld-id', '0x1234',
                 '--head-id', '5', '--dpa', '0x1000', '--descriptor', '1', '--type', '3',
                 '--transaction-type', '192', '--component-id', 'iras mem', '--is-comp-id-pldm',
                 '--cme-count', '0x123456', '--sub-type', '7'],
    'event-dram': ['inject-event', '--device', 'cxl-pmem0', '--kind', 'dram', '--log', 'failure', '--flags', '2',
                   '--head-id', '256', '--dpa', '0', '--descriptor', '0', '--type', '0', '--transaction-type', '0'],
    'event-memmod': ['inject-event', '--device', 'cxl-pmem0', '--kind', 'memory-module'],
    'durability': ['durability'], 'durability-json': ['--json', 'durability'],
    'durability-extra': ['durability', 'x'],
    'durability-in-doubt': ['durability'], 'durability-in-doubt-json': ['--json', 'durability'],
    'durability-lsa-proof': ['durability'], 'durability-recovered': ['durability'],
}

# The reply of a ctl line that the recording daemon (no --state) cannot give:
# query-cxl-durability's from the real session of docs/qmp.md (the store
# failing after a host's Secure Erase; then working again), and a proof owed
# for a Set LSA alone (no erase in doubt).  The seed is the greeting and
# capabilities reply recorded for the line, then this reply.
IN_DOUBT = (b'{"return": {"state-store": true, "accepts-writes": false, "error": "commit: disk I/O error '
            b'(sqlite rc=778)", "proof-owed": true, "owed-since": {"seconds": 1796466527, "microseconds": '
            b'157276}, "attempts": 2, "next-attempt-ms": 200, "erases-in-doubt": [{"device": "cxl-vmem0", '
            b'"path": "/machine/peripheral/cxl-vmem0", "host-id": 0, "erases": 1, "since": {"seconds": '
            b'1796466527, "microseconds": 157303}}]}}\r\n')
ctl_replies = {
    'durability-in-doubt': IN_DOUBT, 'durability-in-doubt-json': IN_DOUBT,
    'durability-lsa-proof': b'{"return": {"state-store": true, "accepts-writes": true, "proof-owed": true, '
                            b'"owed-since": {"seconds": 1796466527, "microseconds": 157276}, "attempts": 0, '
                            b'"erases-in-doubt": []}}\r\n',
    'durability-recovered': b'{"return": {"state-store": true, "accepts-writes": true, "proof-owed": false}}\r\n',
}

host_lines = {
    'help': ['--help'], 'version': ['-V'], 'bogus': ['--bogus'], 'no-id': [],
    'agent': ['--connect', '/nonexistent/host.sock', '--host-id', '1', '--accept', 'all', '-v'],
    'agent-tcp': ['--tcp', '127.0.0.1:4500', '--host-id', '0', '--accept', 'none', '--no-mapping'],
    'agent-tcp-name': ['--tcp', 'localhost:4500', '--host-id', '0'],
    'agent-both': ['--tcp', '127.0.0.1:1', '--connect', '/x', '--host-id', '0'],
    'agent-tags': ['--host-id', '0', '--accept', 'tags=%s,%s' % (TAG_A, TAG_B), '--connect', '/x'],
    'agent-tags-bad': ['--host-id', '0', '--accept', 'tags=%s,nope' % TAG_A],
    'agent-tags-twice': ['--accept', 'tags=' + TAG_A, '--accept', 'tags=' + TAG_B, '--host-id', '0', '--connect', '/x'],
    'agent-limit': ['--host-id', '0', '--accept', 'limit=2G', '--chain-timeout', '500', '--chain-cap', '64',
                    '--seq-one-based', '--wait', '0', '--connect', '/x'],
    'agent-default-link': ['--host-id', '3', '--agent-socket', '/tmp/x.sock'],
    'bad-host-id': ['--host-id', 'x', '--connect', '/nonexistent'],
    'bad-wait': ['--host-id', '0', '--wait', '86401'],
    'bad-chain': ['--chain-cap', '0', '--chain-timeout', '99999999999'],
    'list': ['--agent-socket', '/nonexistent', 'list'],
    'list-no-socket': ['list'], 'list-extra': ['--agent-socket', '/x', 'list', 'y'],
    'fill': ['--agent-socket', '/x', 'fill', TAG_A, '0xa5'],
    'fill-id': ['--agent-socket', '/x', 'fill', 'id=3', 'text pattern'],
    'verify': ['--agent-socket', '/x', 'verify', '7', '0xdeadbeef'],
    'fill-bad-group': ['--agent-socket', '/nonexistent', 'fill', 'not-a-uuid', 'x'],
    'fill-odd-hex': ['--agent-socket', '/nonexistent', 'fill', 'id=1', '0xa'],
    'static-fill': ['--connect', '/x', '--host-id', '1', 'static-fill', '0', '2M', '0x5a'],
    'static-verify': ['--tcp', '127.0.0.1:9', '--host-id', '0', '--no-mapping', 'static-verify', '1M', '4K', 'abc'],
    'static-bad': ['--host-id', '0', 'static-nope', '1', '2', '3'],
    'static-args': ['--host-id', '0', 'static-fill', '1G', 'x'],
    'static-no-id': ['static-fill', '0', '1', '0x00'],
    'group-access': ['--connect', '/x', '--host-id', '0', '--agent-socket', '/tmp/a.sock',
                     '--agent-socket-mode', '0660', '--agent-socket-group', '0',
                     '--group-access', 'tag=%s,owner=nobody,group=54340,mode=0640' % TAG_A,
                     '--group-access', 'untagged,mode=0600', '--group-access', 'all,owner=0'],
    'group-access-bad': ['--group-access', 'tag=all,mode=0750', '--host-id', '0'],
    'group-access-then-bad': ['--group-access', 'all,mode=0644', '--agent-socket', '/x', '--host-id', 'y'],
    'group-access-no-socket': ['--group-access', 'untagged', '--host-id', '0', '--connect', '/x'],
    'socket-mode-bad': ['--agent-socket', '/x', '--agent-socket-mode', '0777', '--host-id', '0'],
    'socket-group-bad': ['--agent-socket', '/x', '--agent-socket-group', 'no-such-group-x', '--host-id', '0'],
}

FM = 'unix:/run/user/1000/cxldcd/fm.sock'
# name: (arguments, environment (byte 0 bits 7:6), the byte after the arguments)
mctp_run_lines = {
    'version': (['--version'], 0, 0), 'version-short': (['-V'], 0, 0),
    'help': (['--help'], 0, 0), 'help-short': (['-h'], 0, 0),
    'bogus': (['--bogus'], 0, 0), 'bogus-then-run': (['--bogus', 'x', '--', 'true'], 0, 0),
    'unknown-after-fm': (['--fm', 'unix:/nonexistent/fm.sock', '--verbose', '--', 'true'], 0, 0),
    'fm-no-value': (['--fm'], 0, 0),
    'eid-no-value': (['--fm', 'unix:/nonexistent/fm.sock', '--eid', '--', 'true'], 0, 0),
    'eid-7': (['--fm', 'unix:/nonexistent/fm.sock', '--eid', '7', '--', 'true'], 0, 0),
    'eid-255': (['--fm', 'unix:/x/fm.sock', '--eid', '255', '--', 'true'], 0, 0),
    'eid-hex': (['--fm', 'unix:/x/fm.sock', '--eid', '0x10', '--', 'true'], 0, 0),
    'eid-junk': (['--fm', 'unix:/x/fm.sock', '--eid', '9x', '--', 'true'], 0, 0),
    'eid-twice': (['--fm', 'unix:/a/fm.sock', '--eid', '9', '--fm', 'unix:/b/fm.sock', '--eid', '9', '--', 'true'], 0, 0),
    'eid-second': (['--fm', 'unix:/a/fm.sock', '--eid', '9', '--eid', '10', '--', 'true'], 0, 0),
    'eid-before-fm': (['--eid', '9', '--fm', 'unix:/a/fm.sock', '--', 'true'], 0, 0),
    'no-program': (['--fm', 'unix:/nonexistent/fm.sock'], 0, 0),
    'no-program-dashes': (['--fm', 'unix:/nonexistent/fm.sock', '--'], 0, 0),
    'no-fm': (['--', 'true'], 0, 0),
    'fm-bad-address': (['--fm', 'fm.sock', '--', 'true'], 0, 0),
    'fm-dashes': (['--fm', '--', 'true'], 0, 0),
    'docs-cxl-mctp': (['--fm', FM, '--eid', '8', '--', './build/examples/cxl-mctp', '1', '8'], 0, 1),
    'docs-probe': (['--fm', 'unix:/tmp/d/fm.sock', '--', 'build/tests/mctp/mctp-fm-client', '8', 'probe'], 0, 0),
    'docs-probe-mctp-sock': (['--fm', 'unix:/tmp/d/fm.sock', '--eid', '8', '--', 'mctp-fm-client', '8', 'mctp-cci'], 0, 1),
    'fm-relative': (['--fm', 'unix:fm.sock', '--', 'true'], 0, 1),
    'mctp-cci': (['--fm', 'unix:/d/fm.sock', '--mctp-cci', 'unix:/d/mctp.sock', '--eid', '9', '--', 'p', 'a'], 0, 0),
    'mctp-cci-twice': (['--fm', 'unix:/d/fm.sock', '--mctp-cci', 'unix:/a', '--mctp-cci', 'unix:/b', '--', 'p'], 0, 0),
    'mctp-cci-first': (['--mctp-cci', 'unix:/d/mctp.sock', '--fm', 'unix:/d/fm.sock', '--', 'p'], 0, 0),
    'mctp-cci-bad': (['--fm', 'unix:/d/fm.sock', '--mctp-cci', 'mctp.sock', '--', 'p'], 0, 0),
    'tcp': (['--fm', 'tcp:127.0.0.1:4444', '--mctp-cci', 'tcp::4445', '--', 'p'], 0, 0),
    'three': (['--fm', 'unix:/a/fm.sock', '--eid', '9', '--fm', 'tcp::1', '--fm', 'unix:/c/fm.sock', '--eid', '8',
               '--mctp-cci', 'tcp:[::1]:2', '--', 'p', '--', '--fm'], 0, 1),
    'too-many': ([a for i in range(17) for a in ('--fm', 'unix:/e%d/fm.sock' % i)] + ['--', 'p'], 0, 0),
    'sixteen': ([a for i in range(16) for a in ('--fm', 'tcp::%d' % i)] + ['--', 'p'], 0, 0),
    'preload-default': (['--fm', FM, '--', 'true'], 1, 0),
    'preload-kept': (['--fm', FM, '--', 'true'], 2, 0),
    'preload-missing': (['--fm', FM, '--', 'true'], 3, 0),
    'setenv-fails': (['--fm', FM, '--', 'true'], 0, 2),
}

# fuzz-mctp-routes: CXLDCD_MCTP_ROUTES as cxldcd-mctp-run writes it (routes.h:
# EID=ADDR[|ADDR08] joined by ';', EID decimal 8..254, each address unix: or
# tcp:, under 200 bytes with its NUL, at most 16 routes), and each way a
# value can leave that grammar.
A199 = 'unix:/' + 'd' * 193
mctp_routes_lines = {
    'docs': '8=%s' % FM, 'docs-mctp-sock': '8=unix:/tmp/d/fm.sock|unix:/tmp/d/mctp.sock',
    'tcp': '8=tcp:127.0.0.1:4444|tcp::4445', 'tcp6': '9=tcp:[::1]:4444',
    'three': '9=unix:/a/fm.sock;8=tcp::1;10=unix:/c/fm.sock|tcp:[::1]:2',
    'sixteen': ';'.join('%d=tcp::%d' % (8 + i, i) for i in range(16)),
    'seventeen': ';'.join('%d=unix:/e%d/fm.sock' % (8 + i, i) for i in range(17)),
    'eid-254': '254=unix:/a', 'eid-255': '255=unix:/a', 'eid-7': '7=unix:/a', 'eid-0': '0=unix:/a',
    'eid-octal': '010=unix:/a', 'eid-hex': '0x9=unix:/a', 'eid-sign': '+9=unix:/a', 'eid-space': ' 9=unix:/a',
    'eid-wrap': '-18446744073709551607=unix:/a', 'eid-none': '=unix:/a', 'eid-twice': '9=unix:/a;9=unix:/b',
    'no-eq': '9unix:/a;8=unix:/b', 'empty': '', 'empty-routes': ';;8=unix:/a;', 'no-address': '8=',
    'not-unix-or-tcp': '8=/run/fm.sock', 'empty-08h': '8=unix:/a|', 'bar-twice': '8=unix:/a|unix:/b|tcp::1',
    'longest': '8=%s|%s' % (A199, A199), 'too-long': '8=%sd' % A199, 'too-long-08h': '8=unix:/a|%sd' % A199,
}


def args_blob(args, flags=0):
    return bytes([len(args) | flags]) + b''.join(a.encode() + b'\0' for a in args)


def record(daemon, ctl, lines):
    """What the daemon sent cxldcd-ctl for each command line, through a recording proxy."""
    d = tempfile.mkdtemp(prefix='cxldcd-ctl-seed-')
    real, proxy = os.path.join(d, 'qmp.sock'), os.path.join(d, 'proxy.sock')
    p = subprocess.Popen([daemon] + DAEMON_ARGS + ['-qmp', 'unix:%s,server=on,wait=off' % real],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(real):
            break
        time.sleep(0.05)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(proxy)
    ls.listen(4)
    out = {}
    try:
        for name, args in lines.items():
            got = bytearray()

            def serve():
                try:
                    ls.settimeout(3)
                    c, _ = ls.accept()
                except OSError:
                    return
                u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                u.connect(real)
                while True:
                    r, _, _ = select.select([c, u], [], [], 3)
                    if not r:
                        break
                    if u in r:
                        b = u.recv(65536)
                        if not b:
                            break
                        got.extend(b)
                        c.sendall(b)
                    if c in r:
                        b = c.recv(65536)
                        if not b:
                            break
                        u.sendall(b)
                c.close()
                u.close()

            t = threading.Thread(target=serve)
            t.start()
            try:    # top runs until stopped
                subprocess.run([ctl, '--qmp', 'unix:' + proxy] + args, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=3)
            except subprocess.TimeoutExpired:
                pass
            t.join()
            out[name] = bytes(got)
    finally:
        p.terminate()
        p.wait(timeout=30)
        subprocess.run(['rm', '-rf', d], check=True)
    return out


def write(target, seeds):
    if only and target not in only:
        return
    if only and only[target]:
        seeds = {n: v for n, v in seeds.items() if n in only[target]}
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, 'seed-' + name), 'wb') as f:
            f.write(data)
    print('%s: %d seeds' % (target, len(seeds)))


only = {}     # --only TARGET[=SEED,...]: write those seeds alone (all of TARGET's without =)


def main():
    args = sys.argv[1:]
    while len(args) > 1 and args[0] == '--only':
        target, _, names = args[1].partition('=')
        only[target] = set(names.split(',')) if names else set()
        args = args[2:]
    lines = ctl_lines
    if 'ctl' in only and only['ctl']:
        lines = {n: a for n, a in ctl_lines.items() if n in only['ctl']}
    greeting = b'{"QMP": {"version": {}, "capabilities": []}}\r\n{"return": {}}\r\n'
    replies = {n: greeting + b'{"return": {}}\r\n' for n in lines}
    if len(args) > 1 and (not only or 'ctl' in only):
        replies = record(args[0], args[1], lines)
    for n, r in ctl_replies.items():
        if n in replies:
            replies[n] = b''.join(l + b'\r\n' for l in replies[n].split(b'\r\n')[:2]) + r
    write('ctl', {n: args_blob(a) + replies[n] for n, a in lines.items()})
    write('host-cli', {n: args_blob(a, (i % 4) << 6) for i, (n, a) in enumerate(host_lines.items())})
    write('mctp-run', {n: args_blob(a, env << 6) + bytes([tail]) for n, (a, env, tail) in mctp_run_lines.items()})
    write('mctp-routes', {n: v.encode() for n, v in mctp_routes_lines.items()})


main()
