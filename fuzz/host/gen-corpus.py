#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds for fuzz-app-socket, fuzz-host-agent and fuzz-access-rules (formats
in fuzz/host/fuzz-app-socket.c, fuzz-host-agent.c and fuzz-access-rules.c).

Written from the application socket's documented layouts (docs/host-link.md,
"The host agent's application socket"; the message types and sizes of
src/hostlink/proto.h) and the --group-access grammar (docs/host.md), not
from the code under test.  Usage:

    python3 fuzz/host/gen-corpus.py [CORPUSDIR]   (default fuzz/corpus; writes
    CORPUSDIR/app-socket, host-agent and access-rules)
"""
import os
import struct
import sys

LIST_REQ, LIST_RSP, OPEN_REQ, OPEN_RSP = 0x20, 0x21, 0x22, 0x23
CLOSE_REQ, CLOSE_RSP, REVOKE, REVOKE_RANGE = 0x24, 0x25, 0x26, 0x27

# ---------------------------------------------------------------- agent side
RAW, MSG, OPEN, CLOSE, LIST, HANGUP, FORCE, READD, RELEASE, CLOCK, HOST1, SHORT = range(12)
H1_SHARE, H1_FORCED, H1_ASKED, H1_RELEASES = range(4)
A, B, C, OTHER = 0, 1, 2, 3
BY_TAG = 8


def st(kind, app=0, *args):
    return bytes([(kind << 2) | app]) + bytes(args)


def agent(*steps):
    return b"\x00" + b"".join(steps)


def opn(app, g, tag=False):
    return st(OPEN, app, g | (BY_TAG if tag else 0))


def other_id(v):
    return struct.pack("<Q", v)


def msg(app, type_, payload=b""):
    return st(MSG, app, type_, len(payload)) + payload


def raw(app, b):
    return st(RAW, app, len(b)) + b


AGENT = {
    "list": agent(st(LIST, 0), st(HANGUP, 0, 0)),
    "open-close-by-id": agent(opn(0, A), st(CLOSE, 0, A), st(LIST, 0)),
    "open-by-tag": agent(opn(0, A, True), opn(0, C, True), st(LIST, 0), st(CLOSE, 0, C)),
    "open-untagged": agent(opn(1, B), st(LIST, 1), st(CLOSE, 1, B), st(CLOSE, 1, B)),
    "open-twice-hangup": agent(opn(0, A), opn(0, A), opn(1, A), st(HANGUP, 0, 0), st(LIST, 1)),
    "open-unknown": agent(st(OPEN, 0, OTHER) + other_id(77), st(OPEN, 0, OTHER | 4) + other_id(1 << 63),
                          st(CLOSE, 0, OTHER | 4) + other_id(5)),
    "forced-part-while-open": agent(opn(0, B), opn(1, B), st(FORCE, 0, 2 | 4), st(LIST, 0),
                                    opn(2, B), st(CLOSE, 0, B), st(HANGUP, 1, 1), st(READD, 0, 2 | 4)),
    "forced-all-while-open": agent(opn(0, A, True), st(FORCE, 0, 0), st(FORCE, 0, 1),
                                   opn(1, A, True), st(CLOSE, 0, A), st(READD, 0, 0), st(LIST, 2)),
    "release-while-open": agent(opn(0, C), opn(1, C), st(RELEASE, 0, C), st(LIST, 2),
                                st(CLOSE, 0, C), st(HANGUP, 1, 0), st(LIST, 2), opn(3, C)),
    "release-unknown": agent(st(RELEASE, 0, OTHER) + other_id(99), st(RELEASE, 0, B), opn(0, B)),
    "clock": agent(opn(0, A), st(CLOCK, 0, 40), st(FORCE, 0, 3), st(CLOCK, 0, 200), st(LIST, 0)),
    "bad-header": agent(raw(0, b"\x00" * 16), st(LIST, 1)),
    "list-with-payload": agent(msg(0, LIST_REQ, b"\x01"), st(LIST, 1)),
    "open-short": agent(msg(0, OPEN_REQ, b"\x00" * 8), st(LIST, 1)),
    "close-long": agent(msg(0, CLOSE_REQ, b"\x00" * 16), st(LIST, 1)),
    "agent-type": agent(msg(0, OPEN_RSP, b"\x00" * 32), st(LIST, 1)),
    "big-length": agent(msg(0, OPEN_REQ, b"\x00" * 250), st(LIST, 1)),
    "pipelined": agent(st(LIST, 0), opn(0, A), opn(0, B), st(CLOSE, 0, A), st(CLOSE, 0, B),
                       st(LIST, 0)),
    "half-message-hangup": agent(opn(0, A), raw(0, b"\x00" * 7), st(HANGUP, 0, 1), st(LIST, 1)),
    # moves: host 1 shares group A and lets it go; host 0's applications get REVOKE
    "move-revoke": agent(st(HOST1, 0, H1_SHARE), opn(0, A), st(HOST1, 0, H1_FORCED), st(LIST, 0),
                         st(CLOSE, 0, A)),
    "move-open-waits": agent(st(HOST1, 0, H1_SHARE), opn(0, A), st(SHORT, 0, 1), st(HOST1, 0, H1_FORCED),
                             opn(1, A, True), st(LIST, 1), st(HANGUP, 0, 0), st(CLOSE, 1, A)),
    "move-open-clock": agent(st(HOST1, 0, H1_SHARE), st(SHORT, 0, 3), st(HOST1, 0, H1_ASKED), opn(1, A),
                             st(CLOCK, 0, 60), opn(2, A), st(LIST, 3)),
    "move-release": agent(st(HOST1, 0, H1_SHARE), opn(0, A), st(HOST1, 0, H1_RELEASES), st(LIST, 0),
                          st(SHORT, 0, 0), st(HOST1, 0, H1_ASKED), opn(2, A)),
}

# byte 0 bit 2: application k is uid and gid 1000 + k (0 and 2 also in
# group 2000), kinds mod 13, kind 12 new rules (r1, r2; fuzz-app-socket.c):
# mode index M = 0, 0400, 0600, 0640, 0660, 0604, 0606, 0666
RULES = 12
NO_TAG_RULE, NO_UNTAGGED_RULE, NO_ALL_RULE, C_RULE = 0x40, 0x80, 0x08, 0x10
RO = 16      # OPEN's g bit 4 in rules mode: read-only


def rules_agent(*steps, files=True):
    return bytes([4 | (2 if files else 0)]) + b"".join(steps)


def rl(a_mode, untagged_mode, all_mode, c_mode=None, r1=0, r2=0):
    """A owner 1000 group 2000, untagged owner 1001 group 1002, all owner 1003
    group 2000, C owner 1002: mode indexes."""
    r1 |= a_mode | untagged_mode << 3
    r2 |= all_mode | ((C_RULE | c_mode << 5) if c_mode is not None else 0)
    return st(RULES, 0, r1, r2)


EVERYONE = rl(2, 2, 7)            # A: 1000 rw, B: 1001 rw, the rest 0666
NOBODY = rl(0, 0, 0)
AGENT.update({
    "rules-revoke-all": rules_agent(EVERYONE, opn(0, A), opn(1, B), opn(3, C), opn(2, C), NOBODY,
                                    st(LIST, 0), st(CLOSE, 0, A), st(CLOSE, 3, C), opn(1, B)),
    "rules-group-read": rules_agent(rl(3, 2, 2), opn(2, A | RO), opn(2, A), opn(0, A), st(LIST, 2),
                                    rl(2, 2, 2), st(LIST, 2), opn(2, A | RO), st(CLOSE, 0, A)),
    "rules-others-read": rules_agent(rl(0, 0, 5), opn(1, C | RO), opn(3, C), rl(0, 0, 2), st(LIST, 1),
                                     st(CLOSE, 1, C), opn(3, C | RO)),
    "rules-drop-tag-rule": rules_agent(rl(2, 2, 0), opn(0, A, True), rl(2, 2, 0, r1=NO_TAG_RULE),
                                       opn(0, A), rl(0, 0, 6, r1=NO_TAG_RULE | NO_UNTAGGED_RULE),
                                       opn(3, B), opn(3, A)),
    "rules-c-rule": rules_agent(rl(0, 0, 7), opn(2, C), opn(1, C), rl(0, 0, 7, 2), st(LIST, 2),
                                st(HANGUP, 2, 0), rl(0, 0, 7, r2=NO_ALL_RULE)),
    "rules-release-deferred": rules_agent(EVERYONE, opn(3, C), st(RELEASE, 0, C), st(LIST, 3),
                                          NOBODY, st(LIST, 3), st(CLOSE, 3, C)),
    "rules-move": rules_agent(EVERYONE, st(HOST1, 0, H1_SHARE), opn(0, A), st(SHORT, 0, 1),
                              st(HOST1, 0, H1_FORCED), rl(0, 2, 7), opn(0, A), st(LIST, 0)),
    "rules-forced-then-revoke": rules_agent(EVERYONE, opn(1, B), st(FORCE, 0, 2 | 4), rl(2, 0, 7),
                                            st(READD, 0, 2 | 4), st(LIST, 1)),
    # without a file per group: an open needs the rights on every group (the shared file)
    "rules-shared-file": rules_agent(rl(7, 7, 7), opn(0, A), opn(3, B), opn(1, C), rl(7, 3, 7), st(LIST, 3),
                                     opn(2, C), rl(7, 7, 7), opn(0, B), files=False),
    "rules-writable-to-read": rules_agent(rl(7, 7, 7), opn(1, A), opn(2, A), rl(3, 3, 3),
                                          opn(2, A), st(LIST, 1)),
})

# ----------------------------------------------------------- application side
S_RAW, S_MSG, S_OPEN_RSP, S_REVOKE, C_LIST, C_OPEN, C_CLOSE, C_PROCESS = range(8)


def app(*steps):
    return b"\x01" + b"".join(steps)


def open_rsp(status, size_pages, id_, segs):
    b = bytes([S_OPEN_RSP, status, len(segs), size_pages, id_])
    for off, pages, foff, flags in segs:
        b += bytes([off, pages, foff, flags])
    return b


def entry(tag, size, id_, n, flags, opens):
    return tag + struct.pack("<QQIII4x", size, id_, n, flags, opens)


def list_rsp(entries):
    return struct.pack("<I4x", len(entries)) + b"".join(entries)


TAG1 = struct.pack("<H", 1) + bytes(range(2, 16))

APP = {
    "list": app(bytes([S_MSG, LIST_RSP]) + bytes([len(list_rsp([entry(TAG1, 4 << 20, 1, 2, 5, 0)]))])
                + list_rsp([entry(TAG1, 4 << 20, 1, 2, 5, 0)]), bytes([C_LIST, 8])),
    "list-empty-cap0": app(bytes([S_MSG, LIST_RSP, 8]) + list_rsp([]), bytes([C_LIST, 0])),
    "open-revoke-range": app(open_rsp(0, 8, 1, [(0, 4, 0, 1), (4, 4, 4, 1)]), bytes([C_OPEN, 1]),
                             bytes([S_REVOKE, 1, 4, 4]), bytes([C_PROCESS]),
                             bytes([C_CLOSE, 0])),
    "open-gap": app(open_rsp(0, 12, 2, [(0, 4, 0, 1), (8, 4, 8, 0)]), bytes([C_OPEN | 8, 2]),
                    bytes([S_REVOKE, 2, 0, 0]), bytes([C_PROCESS])),
    "revoke-before-reply": app(bytes([S_REVOKE, 1, 0, 1]), open_rsp(0, 4, 1, [(0, 4, 0, 1)]),
                               bytes([C_OPEN, 1]), bytes([S_REVOKE, 1, 2, 200]), bytes([C_PROCESS])),
    "open-refused": app(open_rsp(9, 0, 3, []), bytes([C_OPEN, 3])),
    "open-seg-past-size": app(open_rsp(0, 4, 1, [(2, 4, 0, 1)]), bytes([C_OPEN, 1])),
    "open-fds-missing": app(bytes([S_MSG, OPEN_RSP, 0x40]) + struct.pack("<IIQQ8x", 0, 1, 4096, 1)
                            + struct.pack("<QQQI4x", 0, 4096, 0, 1), bytes([C_OPEN, 1])),
    "close-rsp": app(open_rsp(0, 4, 1, [(0, 4, 0, 1)]), bytes([C_OPEN, 1]),
                     bytes([S_MSG, CLOSE_RSP, 8]) + struct.pack("<I4x", 0), bytes([C_CLOSE, 0])),
    "wrong-reply": app(bytes([S_MSG, CLOSE_RSP, 8]) + b"\x00" * 8, bytes([C_LIST, 4]),
                       bytes([C_PROCESS])),
    "unsolicited": app(bytes([S_MSG, LIST_RSP, 8]) + list_rsp([]), bytes([C_PROCESS])),
    "revoke-unaligned": app(open_rsp(0, 4, 1, [(0, 4, 0, 1)]), bytes([C_OPEN, 1]),
                            bytes([S_MSG, REVOKE_RANGE, 24]) + struct.pack("<QQQ", 1, 100, 4096),
                            bytes([C_PROCESS])),
    "garbage": app(bytes([S_RAW, 20]) + b"\xff" * 20, bytes([C_LIST, 1]), bytes([C_PROCESS])),
}


# ------------------------------------------------------- host agent (link)
(HL_HELLO_ACK, HL_CCI_RSP, HL_IRQ, HL_MAP, HL_UNMAP, HL_DIAG, HL_ERROR, HL_PAUSE,
 HL_REMAP, HL_RAS_IRQ, HL_RAS_READ_RSP, HL_MOVE_END) = (0x02, 0x04, 0x05, 0x06, 0x07, 0x0c,
                                                        0x0f, 0x10, 0x12, 0x13, 0x15, 0x18)
INJECT, XOR, REPLACE, DROP, FM_ADD, FM_RELEASE, H_AGENT, CLOCK_H = range(8)
R0, R1 = 0x10000000, 0x20000000   # the fuzz device's regions (after 256 MiB static)
SEQ_CCI, SEQ_ONE, WITH_FD = 1, 2, 4
A_OPEN, A_CLOSE, A_RELEASE, A_OPEN_CLOSE = range(4)


def h(kind, v=0, *args):
    return bytes([(kind << 4) | v]) + bytes(args)


def inj(type_, payload, v=0):
    return h(INJECT, v, type_, len(payload)) + payload


def map_(dpa, ln, off, flags=1):
    return struct.pack("<QQQI4x", dpa, ln, off, flags)


def rng(dpa, ln, x):
    return struct.pack("<QQQ", dpa, ln, x)


GROUPS = h(FM_ADD, 4) + h(FM_ADD, 2) + h(FM_ADD, 3)
MB2 = 2 << 20

HOST = {
    "bringup": b"",
    "groups": GROUPS + h(H_AGENT, A_OPEN, 0) + h(H_AGENT, A_OPEN_CLOSE, 1) + h(H_AGENT, A_CLOSE, 0),
    "release": GROUPS + h(H_AGENT, A_RELEASE, 1) + h(FM_RELEASE, 3) + h(CLOCK_H, 4),
    "forced": GROUPS + h(H_AGENT, A_OPEN, 0) + h(FM_RELEASE, 4 | 0) + h(FM_RELEASE, 4 | 8 | 2)
              + h(H_AGENT, A_OPEN, 1) + h(FM_ADD, 2),
    "map-extra": GROUPS + inj(HL_MAP, map_(R1 + (16 << 20), MB2, 0), WITH_FD)
                 + inj(HL_MAP, map_(R1, MB2, 0), WITH_FD) + h(H_AGENT, A_OPEN, 0),
    "map-no-fd": GROUPS + inj(HL_MAP, map_(R1, MB2, 0)),
    "unmap": GROUPS + h(H_AGENT, A_OPEN, 0) + inj(HL_UNMAP, struct.pack("<QQI4x", R1, MB2, 1))
             + inj(HL_UNMAP, struct.pack("<QQI4x", R0, 4 << 20, 0)) + h(H_AGENT, A_OPEN_CLOSE, 1),
    "move": GROUPS + h(H_AGENT, A_OPEN, 0) + inj(HL_PAUSE, rng(R1, MB2, 7))
            + h(H_AGENT, A_OPEN, 0) + inj(HL_REMAP, map_(R1, MB2, 0) + struct.pack("<Q", 7), WITH_FD)
            + inj(HL_MOVE_END, rng(R1, MB2, 7)),
    "move-no-remap": GROUPS + inj(HL_PAUSE, rng(R1 + (4 << 20), MB2, 9)) + h(CLOCK_H, 3)
                     + inj(HL_MOVE_END, rng(R1 + (4 << 20), MB2, 9)) + h(H_AGENT, A_OPEN, 0),
    "irq": GROUPS + inj(HL_IRQ, struct.pack("<IBB2x", 1 << 4, 4, 0)) + inj(HL_RAS_IRQ, struct.pack("<II", 1, 0)),
    "error": GROUPS + inj(HL_ERROR, struct.pack("<I", 6) + b"bad"),
    "hello-again": inj(HL_HELLO_ACK, b"\x00" * 0x28, SEQ_ONE),
    "cci-dup": h(FM_ADD, 3) + inj(HL_CCI_RSP, b"\x01" + b"\x00" * 11, SEQ_CCI),
    "drop-cci": h(DROP, 0, HL_CCI_RSP) + h(CLOCK_H, 7) + h(CLOCK_H, 7),
    "xor-cci": h(XOR, 0, HL_CCI_RSP, 8, 0, 0xff) + h(XOR, 0, HL_CCI_RSP, 0, 0, 0x10),
    "xor-extents": GROUPS + h(XOR, 0, HL_CCI_RSP, 0x10, 0, 0x20) + h(FM_ADD, 0),
    "replace-cci": h(REPLACE, 0, HL_CCI_RSP, 4, 0, 0, 0, 0) + h(FM_ADD, 2),
    "replace-events": h(FM_ADD, 2) + h(REPLACE, 0, HL_CCI_RSP, 0x20) + b"\x00" * 0x20 + h(FM_ADD, 3),
    "drop-map": h(DROP, 0, HL_MAP) + GROUPS + h(H_AGENT, A_OPEN, 0),
    "xor-map": h(XOR, 0, HL_MAP, 8, 0, 0x40) + GROUPS + h(H_AGENT, A_OPEN, 0),
    "diag": h(FM_ADD, 2) + inj(HL_DIAG, struct.pack("<HHHHII", 0x4800, 1, 1, 0, 0, 0) + b"x" * 32, SEQ_CCI),
}


# host-agent: byte 0 bit 0, the agent asks for a file per group (HELLO flag
# bit 4, as cxldcd-host with --agent-socket): the device's memory keeps a
# view per group, MAPs carry one group's file
GROUP_FILES = 1
HOST_SEEDS = {name: bytes([0]) + data for name, data in HOST.items()}
for name in ("bringup", "groups", "release", "forced", "map-extra", "unmap", "move", "xor-map"):
    HOST_SEEDS["gf-" + name] = bytes([GROUP_FILES]) + HOST[name]
# app-socket, agent side: byte 0 bit 1, the same for host 0's agent
AGENT_GF = 2
for name in [n for n in AGENT if not n.startswith("gf-")]:
    if name in ("open-close-by-id", "open-by-tag", "open-untagged", "forced-all-while-open",
                "forced-part-while-open", "move-open-waits", "move-revoke", "move-release",
                "release-while-open", "open-twice-hangup", "list"):
        AGENT["gf-" + name] = bytes([AGENT[name][0] | AGENT_GF]) + AGENT[name][1:]


# ---------------------------------------------------------------- access rules
# byte 0: bits 1:0 the rules before (none, tag=all, untagged and a tag, the
# three), bit 2 a --group-access value up to the first NUL, bit 3 the file
# loaded twice, bit 4 many rules (the next byte b: a file of 1008 + (b & 31)
# rules loaded first); then the file (docs/host.md, --group-access and
# --group-access-file).
T1 = "6f1b2a3c-0d4e-4f5a-8b6c-7d8e9fa0b1c2"
T2 = "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"   # a preset's tag, upper case


def rules(flags, *lines, value=None, end="\n", many=None):
    head = bytes([flags | (4 if value is not None else 0) | (16 if many is not None else 0)])
    if many is not None:
        head += bytes([many])
    if value is not None:
        head += value.encode() + b"\0"
    return head + end.join(lines).encode() + (end.encode() if lines else b"")


ACCESS = {
    "empty": rules(0),
    "one": rules(0, "tag=all,owner=1000,group=100,mode=0640"),
    "three": rules(0, "tag=%s,owner=1000,mode=0600" % T1, "tag=untagged,group=100,mode=0660",
                   "tag=all,mode=0644"),
    "comments-blanks-crlf": rules(0, "# who may open what", "", "  \t", "\ttag=untagged,mode=0606 \t",
                                  "   # indented comment", "tag=all,owner=0,group=0", end="\r\n"),
    "names": rules(0, "tag=all,owner=root,group=root,mode=0666", "tag=untagged,owner=daemon,group=bin"),
    "order-of-keys": rules(0, "mode=0060,group=5,owner=7,tag=%s" % T1),
    "mode-short": rules(0, "tag=all,mode=6", "tag=untagged,mode=64", "tag=%s,mode=444" % T1),
    "max-id": rules(0, "tag=all,owner=4294967294,group=000000000004294967294"),
    "twice": rules(8, "tag=%s" % T1, "tag=untagged"),
    "twice-comments-only": rules(8, "# nothing", ""),
    "over-presets": rules(3, "tag=%s,owner=1,mode=0066" % T1),
    "dup-preset-tag-case": rules(3, "tag=%s,mode=0600" % T2.lower(), "tag=all"),
    "value-and-file": rules(0, "tag=untagged,mode=0640", value="tag=all,owner=65534,mode=0604"),
    "value-bad-file-good": rules(1, "tag=untagged", value="tag=all,mode=0600"),
    "bad-line-3": rules(2, "tag=%s,owner=2" % T1, "# fine so far", "tag=all,mode=0750"),
    "bad-unknown-user": rules(0, "tag=all", "tag=untagged,owner=no-such-user-x"),
    "bad-unknown-group": rules(0, "tag=untagged,group=no-such-group-x,mode=0640"),
    "bad-id-range": rules(0, "tag=all,owner=4294967295"),
    "bad-nil-tag": rules(0, "tag=00000000-0000-0000-0000-000000000000"),
    "bad-uuid": rules(0, "tag=%s" % T1[:-1], "tag=%sz" % T1[:-1]),
    "bad-repeat-key": rules(0, "tag=all,mode=0600,mode=0640"),
    "bad-empty-item": rules(0, "tag=all,,mode=0600"),
    "bad-trailing-comma": rules(0, "tag=all,"),
    "bad-inner-blank": rules(0, "tag=all, mode=0640"),
    "bad-no-tag": rules(0, "owner=1,mode=0600"),
    "bad-dup-tag": rules(0, "tag=untagged", "tag=untagged,mode=0666"),
    "bad-nul": rules(0, "tag=all") + b"\0tag=untagged\n",
    "bad-long": rules(0, "tag=all,owner=" + "1" * 520),
    "bad-mode": rules(0, "tag=all,mode=01666", "tag=untagged,mode=0777", "tag=%s,mode=8" % T1),
    "bad-value-then-file": rules(1, "tag=untagged", value="tag=all"),
    # the application socket's mode and group (one socket line a set)
    "socket": rules(0, "socket,mode=0660,group=0", "tag=all,mode=0640"),
    "socket-bare": rules(1, "socket"),
    "socket-group-only": rules(0, "socket,group=root", "tag=untagged"),
    "bad-socket-twice": rules(8, "socket,mode=0666"),
    "bad-socket-mode": rules(0, "socket,mode=0060"),
    "bad-socket-key": rules(0, "socket,owner=1"),
    "bad-socket-value-and-file": rules(0, "socket,mode=0600", value="socket,mode=0666"),
    # the bound of 1024 rules: 1008 + (b & 31) made rules first
    "many-at-the-bound": rules(0, "# 1024 rules already", "socket,mode=0666", many=16),
    "many-one-too-many": rules(0, "tag=all", many=16),
    "many-value-one-too-many": rules(1, "tag=untagged", value="tag=%s" % T1, many=15),
    "many-last-fits": rules(0, "tag=%s" % T1, "tag=all,mode=0666", many=14),
    "many-made-too-many": rules(2, "tag=all", many=17 | 0xa0),
    "many-most": rules(8, "tag=untagged", many=31 | 0xe0),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "corpus")
    for target, prefix, seeds in (("app-socket", "agent", AGENT), ("app-socket", "app", APP),
                                  ("host-agent", "host", HOST_SEEDS),
                                  ("access-rules", "rules", ACCESS)):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, "seed-%s-%s" % (prefix, name)), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
