#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench-groupfiles.py N AGENT DIR [HOLD_S] - one QMP add of N untagged 2 MiB
extents (one chain) to host 0 of a fresh daemon (volatile-dc-memdev, memfd),
accepted by cxldcd-host --accept all (--chain-cap N+16), with --agent-socket
(AGENT=1: a file per group) or without (AGENT=0).  Prints the wall time until
the agent logged N group-added lines, and the daemon's and the agent's CPU
(utime+stime from /proc/PID/stat) over that time.
Environment: BUILD (default ./build), SEP=1 (N QMP commands of one extent
instead of one chain), REL=1 (then one QMP release of all N, timed the same
way), STATE=1 (the daemon runs with --state).  HOLD_S keeps both processes up
that many seconds (for perf record -p).  See docs/performance.md, session 9.
SWITCH=1 (session 10): after the add (run it with AGENT=0: one view), the
agent is restarted with --agent-socket, so its HELLO moves the N groups into
a file each; prints the daemon's CPU over the switch, the wall until the
agent replayed N groups, and the QMP latency (query-version, back to back
from another client) before and during the switch: the longest answer is
how long the loop was blocked.  DATA=BYTES: the backend is a file with that
many bytes written at the start of each extent (copied at bind and switch).
PROBE=0: no QMP client during the switch (the daemon's CPU is then the
switch's and the replay's alone).  NOFILE=N: the daemon's RLIMIT_NOFILE
(soft and hard, with prlimit; raising the hard limit needs CAP_SYS_RESOURCE).
LOGLEVEL=info (default warning): the daemon's --log-level, in DIR/daemon.log."""
import json, os, socket, subprocess, sys, threading, time
PROCS = []
B = os.environ.get("BUILD", os.path.join(os.getcwd(), "build"))
def stat(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def run(n, agent, d, verbose=False):
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d): os.unlink(os.path.join(d, f))
    blocks = n + 16
    size = ((blocks * 2 + 255) // 256) * 256
    dev = ("cxl-type3,id=d0,num-dc-regions=1,volatile-dc-memdev=m0,num-hosts=1,dc-block-size=2M,"
           f"max-extents={blocks},max-tags={blocks},event-log-depth=65535,mbox-payload-size=4K")
    dl = open(f"{d}/daemon.log", "w")
    obj = f"memory-backend-memfd,id=m0,size={size}M,share=on"
    if os.environ.get("DATA"):
        data = int(os.environ["DATA"])
        with open(f"{d}/m0.mem", "wb") as f:
            f.truncate(size << 20)
            for i in range(n):
                f.seek(i * (2 << 20)); f.write(bytes([0x40 + i % 64]) * data)
        obj = f"memory-backend-file,id=m0,size={size}M,share=on,mem-path={d}/m0.mem"
    pre = ["prlimit", f"--nofile={os.environ['NOFILE']}:{os.environ['NOFILE']}"] if os.environ.get("NOFILE") else []
    dp = subprocess.Popen(pre + [f"{B}/src/server/cxldcd", "-object", obj,
        "-device", dev, "--host-socket", f"{d}/host.sock", "--fm", "none", "--mctp-cci", "none", "--log-level", os.environ.get("LOGLEVEL", "warning"), "-qmp", f"unix:{d}/qmp.sock,server,wait=off"] + (["--state", f"{d}/state"] if os.environ.get("STATE") else []),
        stdout=dl, stderr=subprocess.STDOUT)
    PROCS.append(dp)
    for _ in range(200):
        if os.path.exists(f"{d}/qmp.sock") and os.path.exists(f"{d}/host.sock"): break
        time.sleep(0.05)
    al = open(f"{d}/agent.log", "w")
    args = ["stdbuf", "-oL", f"{B}/tools/cxldcd-host/cxldcd-host", "--connect", f"{d}/host.sock", "--host-id", "0", "--accept", "all", "-v", "--chain-cap", str(n + 16)]
    if agent: args += ["--agent-socket", f"{d}/app.sock"]
    ap = subprocess.Popen(args, stdout=al, stderr=subprocess.STDOUT)
    PROCS.append(ap)
    time.sleep(1.0)
    q = socket.socket(socket.AF_UNIX); q.connect(f"{d}/qmp.sock"); qf = q.makefile("rw")
    qf.readline(); qf.write('{"execute":"qmp_capabilities"}\n'); qf.flush(); qf.readline()
    ext = [{"offset": i * (2 << 20), "len": 2 << 20} for i in range(n)]
    cmd = {"execute": "cxl-add-dynamic-capacity", "arguments": {"path": "d0", "host-id": 0,
           "selection-policy": "prescriptive", "region": 0, "extents": ext}}
    c0d, c0a = stat(dp.pid), stat(ap.pid)
    t0 = time.monotonic()
    if os.environ.get("SEP"):
        for e in ext:
            cmd["arguments"]["extents"] = [e]
            qf.write(json.dumps(cmd) + "\n")
        qf.flush()
        bad = 0
        for e in ext:
            r = qf.readline()
            bad += "error" in r
        print("qmp errors:", bad)
    else:
        qf.write(json.dumps(cmd) + "\n"); qf.flush()
        r = qf.readline()
    t1 = time.monotonic()
    print("qmp:", r.strip()[:200], f"{t1-t0:.2f}s")
    # done when the agent has logged n group-added lines
    cnt, lt = 0, time.monotonic()
    while cnt < n and "rejected" not in open(f"{d}/agent.log").read() and time.monotonic() - t0 < 60:
        txt = open(f"{d}/agent.log").read()
        c = txt.count("group-added")
        if c != cnt: cnt, lt = c, time.monotonic()
        time.sleep(0.05)
    wall = lt - t0
    txt = open(f"{d}/agent.log").read()
    print(f"groups={cnt} reconnects={txt.count('reconnecting')} timeouts={txt.lower().count('timed out')}")
    print(f"N={n} agent={agent} wall={wall:.2f}s daemon_cpu={stat(dp.pid)-c0d:.2f}s agent_cpu={stat(ap.pid)-c0a:.2f}s", flush=True)
    if os.environ.get("REL"):
        cmd = {"execute": "cxl-release-dynamic-capacity", "arguments": {"path": "d0", "host-id": 0,
               "removal-policy": "prescriptive", "region": 0, "extents": ext}}
        c0d, c0a = stat(dp.pid), stat(ap.pid)
        t0 = time.monotonic()
        qf.write(json.dumps(cmd) + "\n"); qf.flush()
        print("rel qmp:", qf.readline().strip()[:200])
        cnt, lt = 0, time.monotonic()
        while cnt < n and time.monotonic() - t0 < 60:
            c = open(f"{d}/agent.log").read().count("group-released")
            if c != cnt: cnt, lt = c, time.monotonic()
            time.sleep(0.05)
        print(f"release N={n} agent={agent} released={cnt} wall={lt-t0:.2f}s daemon_cpu={stat(dp.pid)-c0d:.2f}s agent_cpu={stat(ap.pid)-c0a:.2f}s", flush=True)
    if os.environ.get("SWITCH"):
        ap = switch(n, d, dp, ap)
    return dp, ap
def prober(d, out, stop):
    """query-version back to back on a QMP connection of its own: (start, latency) pairs."""
    q = socket.socket(socket.AF_UNIX); q.connect(f"{d}/qmp.sock"); f = q.makefile("rw")
    f.readline(); f.write('{"execute":"qmp_capabilities"}\n'); f.flush(); f.readline()
    while not stop.is_set():
        t = time.monotonic()
        f.write('{"execute":"query-version"}\n'); f.flush(); f.readline()
        out.append((t, time.monotonic() - t))
def switch(n, d, dp, ap):
    ap.terminate(); ap.wait()
    lat, stop = [], threading.Event()
    th = threading.Thread(target=prober, args=(d, lat, stop))
    if os.environ.get("PROBE", "1") == "1":
        th.start()
    time.sleep(1.0)
    al = open(f"{d}/agent2.log", "w")
    args = ["stdbuf", "-oL", f"{B}/tools/cxldcd-host/cxldcd-host", "--connect", f"{d}/host.sock", "--host-id", "0",
            "--accept", "all", "-v", "--chain-cap", str(n + 16), "--agent-socket", f"{d}/app2.sock"]
    c0d = stat(dp.pid)
    t0 = time.monotonic()
    ap = subprocess.Popen(args, stdout=al, stderr=subprocess.STDOUT)
    PROCS.append(ap)
    cnt = 0
    while cnt < n and time.monotonic() - t0 < 120:
        cnt = open(f"{d}/agent2.log").read().count("group-added")
        time.sleep(0.02)
    wall = time.monotonic() - t0
    cpu = stat(dp.pid) - c0d
    time.sleep(0.5)
    stop.set()
    if th.is_alive(): th.join()
    before = sorted(l for t, l in lat if t < t0)
    during = sorted(l for t, l in lat if t0 <= t <= t0 + wall)
    granted = "group-files=on" in open(f"{d}/agent2.log").read()
    pct = lambda v, p: v[min(len(v) - 1, int(len(v) * p))] * 1e3 if v else float("nan")
    print(f"switch N={n} granted={granted} replayed={cnt} wall={wall:.2f}s daemon_cpu={cpu:.2f}s")
    print(f"qmp latency before: n={len(before)} p50={pct(before, .5):.2f}ms max={pct(before, 1):.2f}ms; "
          f"during: n={len(during)} p50={pct(during, .5):.2f}ms p99={pct(during, .99):.2f}ms max={pct(during, 1):.2f}ms", flush=True)
    return ap
if __name__ == "__main__":
    n = int(sys.argv[1]); agent = sys.argv[2] == "1"; d = sys.argv[3]
    dp = ap = None
    try:
        dp, ap = run(n, agent, d)
    except Exception:
        for p in reversed(PROCS):
            p.terminate()
        raise
    if len(sys.argv) > 4:
        print("daemon", dp.pid, "agent", ap.pid); sys.stdout.flush(); time.sleep(float(sys.argv[4]))
    ap.terminate(); dp.terminate(); ap.wait(); dp.wait()
