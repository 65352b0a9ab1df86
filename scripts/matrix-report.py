#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Collect the kernel matrix's cells (scripts/guest/matrix.sh output dirs)
into one results file, and print its table.

    matrix-report.py collect OUT.json CELLDIR...   write OUT.json (and print)
    matrix-report.py table RESULTS.json            the Markdown table

A cell dir is named KERNEL-ARCH and holds MODE.json (the driver's report),
MODE.stats and MODE.vmstat for each mode, plus `kernel` and `vcpus`.
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from dataclasses import dataclass

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostinfo import host  # noqa: E402  (this directory, wherever run from)

MODES = ("none", "count", "rendezvous", "immediate", "rendezvous5", "immediate5")
MODE_TITLES = {
    "none": "no module",
    "count": "module, counting",
    "rendezvous": "rendezvous",
    "immediate": "rendezvous, flush=immediate",
    "rendezvous5": "rendezvous, 5 ms cap",
    "immediate5": "flush=immediate, 5 ms cap",
}
STATS = ("final_failed", "final_succeeded", "pass_attempts", "pass_eagain",
         "stray_passes", "tlb_flush_immediate", "tlb_flush_deferred",
         "tlb_flush_deferred_issued", "tlb_flush_deferred_none", "tlb_flush_forced",
         "window.pte-clear.widened", "window.pte-clear.met",
         "window.pte-clear.timeouts", "window.pte-clear.widen_ns")


@dataclass(frozen=True)
class Cell:
    kernel: str
    arch: str
    dir: str


def read_kv(path: str, sep: str) -> dict[str, int]:
    out: dict[str, int] = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            k, _, v = line.strip().partition(sep)
            if v.strip().lstrip("-").isdigit():
                out[k.strip()] = int(v)
    return out


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def top_taker(path: str) -> str | None:
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        lines = [ln.rstrip() for ln in f]
    if not lines or not lines[0].startswith("taker="):
        return None
    frames = [ln.strip().split("+")[0] for ln in lines[1:] if ln.startswith("  ")]
    head = lines[0].split(" hits=")[0]
    return f"{head} via {frames[0]}" if frames else head


def mode_result(cell: Cell, mode: str) -> dict | None:
    base = os.path.join(cell.dir, mode)
    if not os.path.exists(base + ".json"):
        return None
    with open(base + ".json", encoding="utf-8") as f:
        rep = json.load(f)
    mig = rep["migration"]
    return {
        "calls": mig["calls"],
        "not_migrated": mig["not_migrated"],
        "migrated": mig["migrated"],
        "failure_rate": mig["failure_rate"],
        "first_failure_s": mig["first_failure_s"],
        "pgmigrate_fail_delta": read_kv(base + ".vmstat", " ").get("pgmigrate_fail_delta"),
        "stats": {k: v for k, v in read_kv(base + ".stats", ":").items() if k in STATS},
        "top_taker": top_taker(base + ".attribution"),
    }


def qemu_version() -> str:
    try:
        lab = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab")
        out = subprocess.run([lab, "info", "--qemu"], capture_output=True,
                             text=True, check=False).stdout
        return out.splitlines()[0] if out else "unknown"
    except OSError:
        return "unknown"


def windows(path: str) -> dict[str, dict]:
    """`windows` rows: availability, why not, and the symbols probed."""
    out: dict[str, dict] = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if line.startswith("# ") and ": widens " in line:
                name = parts[1].rstrip(":")
                at = line.split("; at ", 1)[1].split("; from ", 1)[0]
                out.setdefault(name, {})["at"] = at
            elif parts and not line.startswith("#") and len(parts) >= 9:
                out.setdefault(parts[0], {}).update(
                    available=parts[1] == "yes", why=parts[9] if len(parts) > 9 else None)
    return out


def collect(out: str, dirs: list[str]) -> dict:
    cells = []
    for d in dirs:
        name = os.path.basename(d.rstrip("/"))
        kernel, _, arch = name.rpartition("-")
        cell = Cell(kernel, arch, d)
        cells.append({
            "kernel": kernel, "arch": arch,
            "uname_r": read_text(os.path.join(d, "kernel")),
            "vcpus": int(read_text(os.path.join(d, "vcpus"))),
            "windows": windows(os.path.join(d, "windows.txt")),
            "modes": {m: mode_result(cell, m) for m in MODES},
        })
    doc = {"schema": 1, "what": "shared-anon ping-pong, 1 page, 2 readers, 2 NUMA nodes",
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "qemu": qemu_version(), "accel": "tcg", "host": host(), "cells": cells}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return doc


def pct(m: dict | None) -> str:
    if not m or not m["calls"]:
        return "—"
    return f"{m['failure_rate']:.1%} ({m['not_migrated']}/{m['calls']})"


def flush_of(m: dict | None) -> str:
    if not m:
        return "—"
    s = m["stats"]
    parts = [f"{s.get('tlb_flush_immediate', 0)} immediate"]
    if s.get("tlb_flush_deferred_issued"):
        parts.append(f"{s['tlb_flush_deferred_issued']} deferred, invalidated")
    if s.get("tlb_flush_deferred_none"):
        parts.append(f"{s['tlb_flush_deferred_none']} deferred, not invalidated")
    return ", ".join(parts)


def table(doc: dict) -> str:
    rows = ["| kernel | arch | " + " | ".join(MODE_TITLES[m] for m in MODES) +
            " | clears (module, counting) | top taker (flush=immediate) |",
            "|---" * (len(MODES) + 4) + "|"]
    for c in sorted(doc["cells"], key=kernel_key):
        ms = c["modes"]
        top = (ms.get("immediate") or {}).get("top_taker") or "—"
        rows.append(f"| {c['uname_r']} | {c['arch']} | " +
                    " | ".join(pct(ms.get(m)) for m in MODES) +
                    f" | {flush_of(ms.get('count'))} | `{top}` |")
    return "\n".join(rows)


def kernel_key(c: dict) -> tuple:
    return (tuple(int(x) for x in c["kernel"].split(".")), c["arch"])


def windows_table(doc: dict) -> str:
    cells = sorted(doc["cells"], key=kernel_key)
    names: list[str] = []
    for c in cells:
        names += [n for n in c.get("windows", {}) if n not in names]
    rows = ["| window | " + " | ".join(f"{c['kernel']} {c['arch']}" for c in cells) + " |",
            "|---" * (len(cells) + 1) + "|"]
    for n in names:
        vals = []
        for c in cells:
            w = c.get("windows", {}).get(n)
            if not w:
                vals.append("—")
            elif w.get("available"):
                vals.append(f"`{w.get('at', '?')}`")
            else:
                vals.append(f"unavailable ({w.get('why')})")
        rows.append(f"| `{n}` | " + " | ".join(vals) + " |")
    return "\n".join(rows)


def main() -> int:
    if len(sys.argv) >= 4 and sys.argv[1] == "collect":
        print(table(collect(sys.argv[2], sys.argv[3:])))
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "table":
        with open(sys.argv[2], encoding="utf-8") as f:
            print(table(json.load(f)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
