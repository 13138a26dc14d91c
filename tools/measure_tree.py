#!/usr/bin/env python3
"""Runs a command and reports the peak memory of its process tree, by role.

usage: measure_tree.py [--interval S] -- COMMAND...

Every interval (default 0.1 s) it reads /proc for the command and all its
descendants: RSS per process (grouped by process title up to the first digit,
e.g. "shoal: worker", "shoal: writer", "shoal: supervisor") and the PSS of the
whole tree (smaps_rollup). Prints one JSON object: wall seconds, exit code,
peak RSS MB per role, peak tree PSS MB. Sampling can miss short peaks.
"""
import json
import os
import re
import subprocess
import sys
import time


def children_map():
    kids = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(pid))
    return kids


def tree(root):
    kids = children_map()
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def read_kb(path, key):
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def role(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            title = fh.read().split(b"\0")[0].decode("utf-8", "replace")
    except OSError:
        return None
    m = re.match(r"[^0-9]*", title)
    name = (m.group(0) if m else title).strip()
    if name.startswith("shoal: supervisor"):
        return "shoal: supervisor"
    if name.startswith("shoal: writer"):
        return "shoal: writer"
    return name or "?"


def main():
    args = sys.argv[1:]
    interval = 0.1
    if args[:1] == ["--interval"]:
        interval = float(args[1])
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    start = time.monotonic()
    proc = subprocess.Popen(args)
    peak_rss, peak_pss = {}, 0
    while proc.poll() is None:
        pss = 0
        for pid in tree(proc.pid):
            r = role(pid)
            rss = read_kb(f"/proc/{pid}/status", "VmRSS:")
            if r is not None:
                peak_rss[r] = max(peak_rss.get(r, 0), rss)
            pss += read_kb(f"/proc/{pid}/smaps_rollup", "Pss:")
        peak_pss = max(peak_pss, pss)
        time.sleep(interval)
    print(json.dumps({
        "wall_s": round(time.monotonic() - start, 2),
        "exit": proc.returncode,
        "peak_rss_mb": {k: round(v / 1024, 1) for k, v in sorted(peak_rss.items())},
        "peak_tree_pss_mb": round(peak_pss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
