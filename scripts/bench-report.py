#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one guest's `bench NAME REP key=value...` lines (scripts/guest/bench.sh)
into the figures migrace promises for the PTE-clear rendezvous, each the
median (min-max) over the repeats of this run; print them beside their
targets and merge them into a results file (README tables come from it).

    bench-report.py ARCH KERNEL BENCH_TXT --out FILE --command CMD --seconds S
        [--uname R]
Exit 1 when a target is missed: the rendezvous fails < 99% of calls, or a
reader arrives in < 90% of fresh holds (medians over the repeats).
"""
from __future__ import annotations

import datetime
import json
import os
import statistics
import sys
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostinfo import host  # noqa: E402  (this directory, wherever run from)

HERE = os.path.dirname(os.path.abspath(__file__))
Run = dict[str, int]
TARGETS = [("rendezvous failure rate per call", "rendezvous", "fail_rate", 0.99),
           ("reader arrived in fresh holds", "rendezvous", "fresh_met_rate", 0.90)]


def parse(path: str) -> tuple[dict[str, list[Run]], str]:
    """NAME -> one dict of counters per repeat, in repeat order; and the
    rendezvous policy (the `bench-policy` line)."""
    runs: dict[str, list[Run]] = {}
    policy = "rendezvous timeout_us=1000"  # what bench.sh armed before it said
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "bench-policy":
                policy = " ".join(parts[1:])
            if len(parts) < 3 or parts[0] != "bench":
                continue
            # A counter the guest could not read ("stat" printed nothing) is
            # left out, so what depends on it shows as missing, not as 0.
            vals = {k: int(v) for k, _, v in (kv.partition("=") for kv in parts[3:])
                    if v.isdigit()}
            runs.setdefault(parts[1], []).append(vals)
    return runs, policy


def ratio(r: Run, a: str, b: str) -> float | None:
    """r[a] / r[b]; None when either was not read or r[b] is 0."""
    return r[a] / r[b] if a in r and r.get(b) else None


def per_us(r: Run, ns: str, n: str) -> float | None:
    return r[ns] / r[n] / 1000 if ns in r and r.get(n) else None


METRICS: dict[str, Callable[[Run], float | None]] = {
    # Calls whose page did not move (the driver judges by status[]).
    "fail_rate": lambda r: ratio(r, "not_migrated", "calls"),
    "fresh_met_rate": lambda r: ratio(r, "fresh_met", "fresh_holds"),
    "mean_fresh_hold_us": lambda r: per_us(r, "fresh_ns", "fresh_holds"),
    "fresh_holds_per_call": lambda r: ratio(r, "fresh_holds", "migrate_calls"),
    "present_per_call": lambda r: ratio(r, "present", "migrate_calls"),
    "timeout_rate": lambda r: ratio(r, "timeouts", "fresh_holds"),
    # Holds kept past timeout_us while the last reader was runnable.
    "extended_rate": lambda r: ratio(r, "extended", "fresh_holds"),
    "extended_met_rate": lambda r: ratio(r, "extended_met", "extended"),
    # Timed-out holds whose reader was waiting for the holding CPU.
    "queued_here_rate": lambda r: ratio(r, "queued_here", "timeouts"),
    "mean_hold_us": lambda r: per_us(r, "widen_ns", "widened"),
    "stray_pass_share": lambda r: ratio(r, "stray_passes", "eagain"),
    "calls": lambda r: r.get("calls"),
}


def spread(vals: list[float | None]) -> dict | None:
    v = [x for x in vals if x is not None]
    if not v:
        return None
    return {"min": min(v), "median": statistics.median(v), "max": max(v), "n": len(v)}


def summarize(runs: list[Run]) -> dict:
    return {name: spread([fn(r) for r in runs]) for name, fn in METRICS.items()}


def med(s: dict, metric: str) -> float | None:
    m = s.get(metric)
    return None if m is None else m["median"]


def matching_delay(summary: dict) -> dict:
    """The shortest blind delay whose median failure rate reaches the
    rendezvous's median; else the best one, said to fall short."""
    target = med(summary["rendezvous"], "fail_rate")
    delays = sorted((int(n.split("-")[1]), s) for n, s in summary.items() if n.startswith("delay-"))
    if target is None or not delays:
        return {"delay_us": None, "reached": False}
    for us, s in delays:
        if (med(s, "fail_rate") or 0) >= target:
            return {"delay_us": us, "reached": True}
    best = max(delays, key=lambda d: med(d[1], "fail_rate") or 0)
    return {"delay_us": best[0], "reached": False}


def targets(summary: dict) -> list[dict]:
    out = []
    for what, run, metric, want in TARGETS:
        got = med(summary.get(run, {}), metric)
        out.append({"what": what, "target": want, "median": got,
                    "met": got is not None and got >= want})
    return out


def pct(s: dict | None) -> str:
    if s is None:
        return "—"
    return (f"{s['median']:.1%}" if s["n"] == 1 else
            f"{s['median']:.1%} ({s['min']:.1%}–{s['max']:.1%})")


def num(s: dict | None, unit: str = "", fmt: str = ".1f") -> str:
    if s is None:
        return "—"
    one = f"{s['median']:{fmt}}{unit}"
    return one if s["n"] == 1 else f"{one} ({s['min']:{fmt}}–{s['max']:{fmt}})"


def table(entry: dict) -> list[str]:
    """The entry's figures as markdown rows (also what the README shows)."""
    s, m = entry["summary"], entry["matching_delay"]
    rdv = s["rendezvous"]
    rows = [f"| baseline (no window): calls failing | {pct(s['baseline']['fail_rate'])} |",
            f"| **rendezvous** (`{entry.get('policy', 'rendezvous timeout_us=1000')}`): calls failing | "
            f"**{pct(rdv['fail_rate'])}** |",
            f"| reader arrived in a fresh hold (first-pass met) | {pct(rdv['fresh_met_rate'])} |",
            f"| mean fresh hold | {num(rdv['mean_fresh_hold_us'], ' µs')} |",
            f"| fresh holds that timed out | {pct(rdv.get('timeout_rate'))} |",
            f"| fresh holds kept past timeout_us (a reader runnable) | "
            f"{pct(rdv.get('extended_rate'))} |",
            f"| of those, ended by the reader's arrival | {pct(rdv.get('extended_met_rate'))} |",
            f"| holds timed out with the reader queued for the holding CPU (of timeouts) | "
            f"{pct(rdv.get('queued_here_rate'))} |",
            f"| fresh holds per migrate call | {num(rdv['fresh_holds_per_call'], '', '.2f')} |",
            f"| passes finding a reader present (no hold) per call | "
            f"{num(rdv['present_per_call'], '', '.2f')} |",
            f"| failed passes with a stray reference at the check | {pct(rdv['stray_pass_share'])} |"]
    dflt = s.get("rendezvous-defaults")
    if dflt:
        rows += [f"| rendezvous at every default (`timeout_us=500`, `max_delay_us=1000`): "
                 f"calls failing | {pct(dflt['fail_rate'])} |",
                 f"| at every default: reader arrived in a fresh hold | "
                 f"{pct(dflt['fresh_met_rate'])} |",
                 f"| at every default: mean fresh hold | "
                 f"{num(dflt['mean_fresh_hold_us'], ' µs')} |",
                 f"| at every default: fresh holds that timed out | {pct(dflt['timeout_rate'])} |"]
    for name in sorted((n for n in s if n.startswith("delay-")), key=lambda n: int(n[6:])):
        rows.append(f"| blind delay {name[6:]} µs: calls failing | {pct(s[name]['fail_rate'])} |")
    if m["delay_us"] is not None:
        d = s[f"delay-{m['delay_us']}"]
        ratio_ = (med(rdv, "mean_fresh_hold_us") or 0) / m["delay_us"]
        what = ("the shortest blind delay reaching the rendezvous's rate" if m["reached"]
                else "the best blind delay (none reached the rendezvous's rate)")
        rows.append(f"| mean fresh hold / {what}: {m['delay_us']} µs "
                    f"({pct(d['fail_rate'])}) | {ratio_:.3f} |")
    cost = entry.get("cost")
    if cost:
        rows.append(f"| module cost: private-anon pages migrated, loaded and targeted / "
                    f"unloaded | {cost['loaded']}/{cost['unloaded']} ({cost['ratio']:.2f}) |")
    for t in entry["targets"]:
        got = "—" if t["median"] is None else f"{t['median']:.2%}"  # 98.97% is no 99.0%
        rows.append(f"| target: {t['what']} ≥ {t['target']:.0%} | {got}: "
                    f"{'met' if t['met'] else '**MISSED**'} |")
    return rows


def cost(runs: dict[str, list[Run]]) -> dict | None:
    lo, hi = runs.get("cost-unloaded"), runs.get("cost-loaded")
    if not lo or not hi or not lo[0].get("migrated") or "migrated" not in hi[0]:
        return None
    return {"unloaded": lo[0]["migrated"], "loaded": hi[0]["migrated"],
            "ratio": hi[0]["migrated"] / lo[0]["migrated"]}


def merge(path: str, entry: dict) -> None:
    """Replace the file's entry of the same arch and kernel."""
    doc = {"schema": 1, "entries": []}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    doc["entries"] = [e for e in doc["entries"]
                      if (e["arch"], e["kernel"]) != (entry["arch"], entry["kernel"])] + [entry]
    doc["entries"].sort(key=lambda e: (e["kernel"], e["arch"]))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def options(argv: list[str]) -> dict:
    if len(argv) < 3:
        raise SystemExit(__doc__)
    o = {"arch": argv[0], "kernel": argv[1], "txt": argv[2], "out": None, "command": "scripts/bench",
         "seconds": None, "uname": None, "qemu": "unknown"}
    i = 3
    while i + 1 < len(argv):
        key = argv[i].lstrip("-")
        if key not in o:
            raise SystemExit(f"bench-report: unknown option '{argv[i]}'")
        o[key] = argv[i + 1]
        i += 2
    if i != len(argv):
        raise SystemExit(f"bench-report: '{argv[i]}' needs a value")
    return o


def main(argv: list[str]) -> int:
    o = options(argv)
    runs, policy = parse(o["txt"])
    if "rendezvous" not in runs or "baseline" not in runs:
        print(f"bench-report: no rendezvous/baseline runs in {o['txt']}", file=sys.stderr)
        return 1
    summary = {name: summarize(rs) for name, rs in runs.items() if not name.startswith("cost-")}
    entry = {"arch": o["arch"], "kernel": o["kernel"], "uname": o["uname"],
             "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "command": o["command"], "seconds": int(o["seconds"]) if o["seconds"] else None,
             "repeats": len(runs["rendezvous"]), "readers": 1, "policy": policy,
             "qemu": o["qemu"], "accel": "tcg",
             "host": host(), "summary": summary, "matching_delay": matching_delay(summary),
             "cost": cost(runs), "runs": runs}
    entry["targets"] = targets(summary)
    print(f"== {o['arch']} {o['kernel']}: shared-anon, 1 page, 1 reader, "
          f"{entry['repeats']} repeat(s) of {o['seconds']} s; median (min–max) ==")
    print("\n".join(table(entry)))
    if o["out"]:
        merge(o["out"], entry)
    return 0 if all(t["met"] for t in entry["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
