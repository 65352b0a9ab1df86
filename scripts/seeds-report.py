#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Collect the 2018 hot-remove seed's runs (scripts/guest/seeds.sh output
dirs, one per kernel) into one results file, and print the seed table.

    seeds-report.py collect OUT.json CELLDIR...   write OUT.json (and print)
    seeds-report.py table SEEDS.json [MATRIX.json]  the Markdown table

A cell dir is named KERNEL-ARCH and holds MODE.json (the driver's report),
MODE.stats and MODE.attribution for each mode, plus `kernel` and `arch`.
The table also takes the 2024 pte-clear seed from the kernel matrix.
"""
from __future__ import annotations

import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostinfo import host  # noqa: E402  (this directory, wherever run from)

import importlib.util  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "matrix_report", os.path.join(os.path.dirname(os.path.abspath(__file__)), "matrix-report.py"))
mr = importlib.util.module_from_spec(_spec)
sys.modules["matrix_report"] = mr
_spec.loader.exec_module(mr)

MODES = ("none", "seed", "freeze")
STATS = ("waiter_refs", "pass_eagain", "final_failed", "final_succeeded",
         "window.entry-wait.widened", "window.entry-wait.unlocked",
         "window.freeze.widened", "window.freeze.present", "window.freeze.timeouts")


def mode_result(d: str, mode: str) -> dict | None:
    base = os.path.join(d, mode)
    if not os.path.exists(base + ".json"):
        return None
    with open(base + ".json", encoding="utf-8") as f:
        rep = json.load(f)
    hp = rep.get("hotplug") or {}
    return {
        "seconds": rep.get("elapsed_s"),
        "verdict": rep.get("verdict"),
        "offline_attempts": hp.get("offline_attempts"),
        "offline_ok": hp.get("offline_ok"),
        "offline_failed": hp.get("offline_failed"),
        "units_in_block": hp.get("units_in_block"),
        "max_offline_s": hp.get("max_offline_s"),
        "offline_pass_eagain": hp.get("offline_pass_eagain"),
        "offline_waiter_refs": hp.get("offline_waiter_refs"),
        "stats": {k: v for k, v in mr.read_kv(base + ".stats", ":").items() if k in STATS},
        "top_taker": mr.top_taker(base + ".attribution"),
    }


def collect(out: str, dirs: list[str]) -> dict:
    cells = []
    for d in dirs:
        kernel, _, arch = os.path.basename(d.rstrip("/")).rpartition("-")
        cells.append({"kernel": kernel, "arch": arch,
                      "uname_r": mr.read_text(os.path.join(d, "kernel")),
                      "modes": {m: mode_result(d, m) for m in MODES}})
    doc = {"schema": 1,
           "what": "hot-remove of a node-1 memory block holding the page of 8 readers",
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "command": "scripts/bench --seeds", "qemu": mr.qemu_version(), "accel": "tcg",
           "host": host(), "cells": cells}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return doc


def offline(m: dict | None) -> str:
    """What offlining did in one run."""
    if not m or not m.get("offline_attempts"):
        return "—"
    ok, n = m["offline_ok"], m["offline_attempts"]
    refs = m.get("offline_waiter_refs")
    if refs is None:
        refs = m["stats"].get("waiter_refs", 0)
    if ok:
        return (f"offlined {ok} of {n} (longest {m['max_offline_s']:.2f} s; "
                f"{refs} waiter refs)")
    return f"never offlined in {m['seconds']:.1f} s ({n} tried; {refs} waiter refs)"


def reproduced(m: dict | None) -> bool:
    return bool(m and m.get("offline_attempts") and not m["offline_ok"]
                and m.get("units_in_block"))


def pte_clear(cell: dict | None) -> str:
    """The 2024 seed in one matrix cell: by itself, and on demand."""
    if not cell:
        return "—"
    ms = cell["modes"]
    none = ms.get("none")
    best = max((ms.get(k) for k in ("rendezvous5", "immediate5", "rendezvous", "immediate")
                if ms.get(k)), key=lambda m: m["failure_rate"], default=None)
    if not none or not best:
        return "—"
    alone = "yes" if none["failure_rate"] >= 0.05 else "no"
    return (f"by itself: {alone} ({none['failure_rate']:.0%}); "
            f"on demand: {best['failure_rate']:.0%}")


def table(doc: dict, matrix: dict | None = None) -> str:
    mcells = {(c["kernel"], c["arch"]): c for c in (matrix or {}).get("cells", [])}
    keys = sorted({(c["kernel"], c["arch"]) for c in doc["cells"]} | set(mcells),
                  key=lambda k: (tuple(int(x) for x in k[0].split(".")), k[1]))
    seeds = {(c["kernel"], c["arch"]): c for c in doc["cells"]}
    rows = ["| kernel | arch | 2024 pte-clear race (shared-anon calls failing) | "
            "2018 hot-remove, waiters widened (the seed) | reproduced | "
            "hot-remove, no window | check held for a waiter, none widened |",
            "|---|---|---|---|---|---|---|"]
    for k in keys:
        c = seeds.get(k)
        ms = c["modes"] if c else {}
        rep = "yes" if reproduced(ms.get("seed")) else ("no" if ms.get("seed") else "—")
        rows.append(f"| {k[0]} | {k[1]} | {pte_clear(mcells.get(k))} | "
                    f"{offline(ms.get('seed'))} | {rep} | {offline(ms.get('none'))} | "
                    f"{offline(ms.get('freeze'))} |")
    return "\n".join(rows)


def main() -> int:
    if len(sys.argv) >= 4 and sys.argv[1] == "collect":
        print(table(collect(sys.argv[2], sys.argv[3:])))
        return 0
    if len(sys.argv) in (3, 4) and sys.argv[1] == "table":
        docs = []
        for p in sys.argv[2:]:
            with open(p, encoding="utf-8") as f:
                docs.append(json.load(f))
        print(table(docs[0], docs[1] if len(docs) > 1 else None))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
