#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The report of `scripts/bench --power`: from each cell's directory
(scripts/guest/power.sh's /out, named KERNEL-ARCH), reproduction power,
the module's cost on work it does not target and the driver's efficiency,
as ratios of one run beside their targets. Writes OUT.json (the README's
table is generated from it) and prints the table.

    power-report.py OUT.json [--command CMD] [--qemu Q] CELLDIR...
    power-report.py --table OUT.json        print the Markdown table only

Exit status: 0 when every target of every cell was met, 1 when one was
missed (or a cell has no figures), 2 on a usage error.
"""
from __future__ import annotations

import datetime
import json
import math
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostinfo import host  # noqa: E402  (this directory, wherever run from)

MODES = ("none", "delay", "rendezvous")
COSTS = ("cost-unloaded", "cost-disarmed", "cost-armed-elsewhere")
FIRST_FAILURE_MAX_S = 0.1
DISARMED_MIN = 0.99
ARMED_MIN = 0.97
EFFICIENCY_MIN = 1.0


def read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None


def kv(path: str, sep: str = ":") -> dict[str, str]:
    out = {}
    for line in (read(path) or "").splitlines():
        k, _, v = line.partition(sep)
        out[k.strip()] = v.strip()
    return out


def spread(vals: list[float]) -> dict | None:
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"min": min(vals), "median": statistics.median(vals), "max": max(vals), "n": len(vals),
            "values": vals}


def runs(d: str, prefix: str) -> list[dict]:
    """The driver's JSON reports of prefix.1, prefix.2, ... (missing or empty: left out)."""
    out = []
    rdir = os.path.join(d, "runs")
    names = sorted(n for n in os.listdir(rdir) if re.fullmatch(re.escape(prefix) + r"\.\d+\.json", n)) \
        if os.path.isdir(rdir) else []
    for n in names:
        text = read(os.path.join(rdir, n))
        try:
            rep = json.loads(text) if text else None
        except ValueError:
            rep = None
        if rep and not rep["migration"].get("call_errors"):
            stats = kv(os.path.join(rdir, n[:-5] + ".stats"))
            out.append({"report": rep, "stats": stats or None})
    return out


def per_s(rep: dict) -> float | None:
    return rep["migration"]["migrated"] / rep["elapsed_s"] if rep["elapsed_s"] else None


def power_of(rs: list[dict]) -> dict:
    """Time to first failure (a run without one counts as never), failures per minute."""
    firsts = [r["report"]["migration"]["first_failure_s"] for r in rs]
    never = sum(1 for f in firsts if f is None)
    ranked = sorted(math.inf if f is None else f for f in firsts)
    return {"runs": len(rs), "runs_without_failure": never,
            "first_failure_s": spread([f for f in firsts if f is not None]),
            # The median over every run, a run that never failed ranking last.
            "first_failure_median_s": (None if not ranked or math.isinf(statistics.median_high(ranked))
                                       else statistics.median_high(ranked)),
            "failures_per_min": spread([r["report"]["migration"]["not_migrated"] * 60 / r["report"]["elapsed_s"]
                                        for r in rs if r["report"]["elapsed_s"]]),
            "not_migrated_per_call": spread([r["report"]["migration"]["not_migrated"] /
                                             r["report"]["migration"]["calls"]
                                             for r in rs if r["report"]["migration"]["calls"]])}


def flush_at_once(rs: list[dict]) -> bool | None:
    """Every PTE clear of the rendezvous runs invalidated at once (none left for the batch)."""
    st = [r["stats"] for r in rs if r["stats"]]
    if not st:
        return None
    imm = sum(int(s.get("tlb_flush_immediate", 0)) for s in st)
    none = sum(int(s.get("tlb_flush_deferred_none", 0)) for s in st)
    return imm > 0 and none == 0


def selftest(d: str) -> dict:
    host_side = kv(os.path.join(d, "selftest.host"))
    if host_side.get("status") != "built":
        return {"status": "not run", "why": host_side.get("why", "no record of a build")}
    marks = [ln.split() for ln in (read(os.path.join(d, "selftest.marks")) or "").splitlines()]
    text = read(os.path.join(d, "selftest.txt")) or ""
    if not marks or marks[-1][0] != "end":
        return {"status": "not run", "why": "built, but the guest did not report it"}
    verdict = {}
    for m in re.finditer(r"^(ok|not ok) \d+ (\S+)(?: # (SKIP))?", text, re.M):
        verdict[m[2].split(".")[-1]] = "skip" if m[3] else ("pass" if m[1] == "ok" else "fail")
    tests = {}
    for cur, nxt in zip(marks, marks[1:]):
        # WHAT CS PAGES_MIGRATED PAGES_FAILED THPS_MIGRATED TEST
        if cur[0] != "run" or len(cur) < 6:
            continue
        secs = (int(nxt[1]) - int(cur[1])) / 100
        name = cur[5].split(".")[-1]
        thps = int(nxt[4]) - int(cur[4])
        pages = int(nxt[2]) - int(cur[2])
        # Migrations, a THP one (pgmigrate_success counts its 512 pages); null
        # where the counters do not add up so (fewer pages than 512 per THP).
        tests[name] = {"seconds": secs, "result": verdict.get(name, "unknown"),
                       "migrated": pages - 511 * thps if pages >= 512 * thps else None,
                       "pages": pages, "thps": thps, "failed": int(nxt[3]) - int(cur[3])}
    rc = read(os.path.join(d, "selftest.rc"))
    return {"status": "ran", "source": host_side.get("source"), "file": host_side.get("file"),
            "exit": int(rc) if rc and rc.lstrip("-").isdigit() else None, "tests": tests}


def selftest_power(st: dict) -> dict | None:
    t = (st.get("tests") or {}).get("shared_anon")
    if not t:
        return None
    # The harness stops the test at the failure it reports: its time is the
    # time to that failure (0: within one 0.1 s poll). A pass reports none.
    return {"runs": 1, "result": t["result"],
            "first_failure_s": t["seconds"] if t["result"] == "fail" else None,
            # A failure before the test's first poll falls outside its window.
            "failures_per_min": (t["failed"] * 60 / t["seconds"]
                                 if t["seconds"] and (t["failed"] or t["result"] != "fail") else None),
            "seconds": t["seconds"]}


def ratio(a: dict | None, b: dict | None) -> float | None:
    return a["median"] / b["median"] if a and b and b["median"] else None


def targets(c: dict) -> list[dict]:
    out = []
    rdv = c["power"]["rendezvous"]
    if c["flush_at_once"]:
        v = rdv["first_failure_median_s"]
        out.append({"name": f"rendezvous first failure ≤ {FIRST_FAILURE_MAX_S} s (median; the clear flushes at once)",
                    "value": v, "met": v is not None and v <= FIRST_FAILURE_MAX_S})
    for key, want, what in (("disarmed", DISARMED_MIN, "loaded, disarmed"),
                            ("armed_elsewhere", ARMED_MIN, "armed for another task")):
        v = c["cost"]["ratio_" + key]
        out.append({"name": f"private-anon migrations/s {what} / not loaded ≥ {want}", "value": v,
                    "met": v is not None and v >= want})
    v = c["efficiency"]["ratio"]
    if c["efficiency"]["selftest_per_s"] is not None:
        out.append({"name": f"driver migrations/s / the selftest's private_anon loop ≥ {EFFICIENCY_MIN}",
                    "value": v, "met": v is not None and v >= EFFICIENCY_MIN})
    return out


def cell(d: str) -> dict:
    kernel, _, arch = os.path.basename(d.rstrip("/")).rpartition("-")
    st = selftest(d)
    cost = {k: spread([per_s(r["report"]) for r in runs(d, k)]) for k in COSTS}
    pa = (st.get("tests") or {}).get("private_anon")
    st_per_s = (pa["migrated"] / pa["seconds"]
                if pa and pa["seconds"] and pa["result"] == "pass" and pa["migrated"] is not None else None)
    c = {"arch": arch, "kernel": kernel, "uname_r": read(os.path.join(d, "kernel")),
         "vcpus": int(read(os.path.join(d, "vcpus")) or 0) or None,
         "readers": int(read(os.path.join(d, "readers")) or 0) or None,
         "delay_us": int(read(os.path.join(d, "delay_us")) or 0) or None,
         "thp": read(os.path.join(d, "thp")),
         "selftest": st,
         "power": {m: power_of(runs(d, m)) for m in MODES},
         "flush_at_once": flush_at_once(runs(d, "rendezvous")),
         "cost": {"unloaded_per_s": cost["cost-unloaded"], "disarmed_per_s": cost["cost-disarmed"],
                  "armed_elsewhere_per_s": cost["cost-armed-elsewhere"],
                  "ratio_disarmed": ratio(cost["cost-disarmed"], cost["cost-unloaded"]),
                  "ratio_armed_elsewhere": ratio(cost["cost-armed-elsewhere"], cost["cost-unloaded"])},
         "efficiency": {"driver_per_s": cost["cost-unloaded"]["median"] if cost["cost-unloaded"] else None,
                        "selftest_per_s": st_per_s}}
    c["power"]["selftest"] = selftest_power(st)
    e = c["efficiency"]
    e["ratio"] = e["driver_per_s"] / st_per_s if e["driver_per_s"] and st_per_s else None
    c["targets"] = targets(c)
    c["complete"] = all(c["power"][m]["runs"] for m in MODES) and all(cost.values())
    return c


# --- the table ---------------------------------------------------------------

def s_(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f} s"


def rng(sp: dict | None, fmt) -> str:
    if not sp:
        return "—"
    return fmt(sp["median"]) + (f" ({fmt(sp['min'])}–{fmt(sp['max'])})" if sp["n"] > 1 else "")


def first(p: dict | None) -> str:
    if not p:
        return "not run"
    if "result" in p:   # the selftest, timed by a 0.1 s poll
        if p["first_failure_s"] is None:
            return f"none ({p['result']}, {p['seconds']:.1f} s)"
        return "< 0.1 s (fail)" if p["seconds"] < 0.1 else f"{p['seconds']:.1f} s (fail)"
    txt = rng(p["first_failure_s"], lambda v: f"{v:.3f} s")
    if p["runs_without_failure"]:
        txt += f"; none in {p['runs_without_failure']} of {p['runs']} runs"
    return txt


def per_min(p: dict | None) -> str:
    if not p:
        return "—"
    if "result" in p:
        return "—" if p["failures_per_min"] is None else f"{p['failures_per_min']:.0f}"
    return rng(p["failures_per_min"], lambda v: f"{v:.0f}")


def fpm(p: dict | None) -> float | None:
    """A hunter's failures per minute (its median)."""
    if not p:
        return None
    if "result" in p:
        return p["failures_per_min"]
    return p["failures_per_min"]["median"] if p["failures_per_min"] else None


def vs_none(c: dict, m: str) -> str:
    a, b = fpm(c["power"].get(m)), fpm(c["power"]["none"])
    return "—" if a is None or not b else f"×{a / b:.2f}"


def table(doc: dict) -> str:
    rows = ["| arch | kernel | readers | hunter | first failure | failures / min | vs no module |",
            "|---|---|---|---|---|---|---|"]
    for c in doc["cells"]:
        label = {"selftest": "kernel selftest (shared_anon)", "none": "driver, no module",
                 "delay": f"driver, blind delay {c['delay_us']} µs", "rendezvous": "driver, rendezvous"}
        for m in ("selftest", *MODES):
            p = c["power"].get(m)
            if m == "selftest" and p is None:
                why = c["selftest"].get("why", "no shared_anon test")
                rows.append(f"| {c['arch']} | {c['kernel']} | {c['readers']} | {label[m]} | not run ({why}) | — | — |")
                continue
            rows.append(f"| {c['arch']} | {c['kernel']} | {c['readers']} | {label[m]} | {first(p)} | "
                        f"{per_min(p)} | {vs_none(c, m) if m != 'none' else ''} |")
    rows += ["", "| arch | kernel | private-anon migrations/s: not loaded | loaded, disarmed | armed for another task | "
             "driver / selftest loop | targets |", "|---|---|---|---|---|---|---|"]
    for c in doc["cells"]:
        k = c["cost"]
        fmt = (lambda v: f"{v:.0f}")
        r = (lambda v: "—" if v is None else f"{v:.3f}")
        e = c["efficiency"]
        pa = (c["selftest"].get("tests") or {}).get("private_anon")
        eff = (f"{r(e['ratio'])} ({e['driver_per_s']:.0f} vs {e['selftest_per_s']:.0f}/s)"
               if e["ratio"] is not None else
               f"— (selftest's private_anon: {pa['thps']} THPs in {pa['pages']} pages migrated)"
               if pa and pa["migrated"] is None else "— (no selftest private_anon)")
        met = sum(t["met"] for t in c["targets"])
        missed = [t["name"].split(" ≥")[0].split(" ≤")[0] for t in c["targets"] if not t["met"]]
        rows.append(f"| {c['arch']} | {c['kernel']} | {rng(k['unloaded_per_s'], fmt)} | "
                    f"{rng(k['disarmed_per_s'], fmt)} (×{r(k['ratio_disarmed'])}) | "
                    f"{rng(k['armed_elsewhere_per_s'], fmt)} (×{r(k['ratio_armed_elsewhere'])}) | {eff} | "
                    f"{met}/{len(c['targets'])} met" + (f"; missed: {'; '.join(missed)}" if missed else "") + " |")
    return "\n".join(rows)


def targets_text(doc: dict) -> str:
    lines = []
    for c in doc["cells"]:
        for t in c["targets"]:
            v = "—" if t["value"] is None else f"{t['value']:.3f}"
            lines.append(f"{c['arch']} {c['kernel']}: target: {t['name']}: {v}: {'met' if t['met'] else 'MISSED'}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--table":
        with open(argv[1], encoding="utf-8") as f:
            print(table(json.load(f)))
        return 0
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    out, rest, opts, dirs = argv[0], argv[1:], {}, []
    while rest:
        if rest[0] in ("--command", "--qemu") and len(rest) > 1:
            opts[rest[0][2:]] = rest[1]
            rest = rest[2:]
        elif rest[0].startswith("-"):
            print(f"power-report: unknown option '{rest[0]}' (--command, --qemu)", file=sys.stderr)
            return 2
        else:
            dirs.append(rest.pop(0))
    if not dirs:
        print("power-report: no cell directory given", file=sys.stderr)
        return 2
    cells = [cell(d) for d in dirs]
    doc = {"schema": 1, "kind": "power",
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "command": opts.get("command", "scripts/bench --power"), "qemu": opts.get("qemu", "unknown"),
           "accel": "tcg", "host": host(), "cells": cells,
           "ok": all(c["complete"] and all(t["met"] for t in c["targets"]) for c in cells)}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(table(doc))
    print(targets_text(doc))
    for c in cells:
        if not c["complete"]:
            print(f"{c['arch']} {c['kernel']}: runs missing (see its runs/)", file=sys.stderr)
    return 0 if doc["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
