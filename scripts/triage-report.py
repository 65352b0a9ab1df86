#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The report of scripts/triage: from a run directory's cells (one guest per
arch x kernel, scripts/guest/triage.sh), for each arch x kernel x mode x
scenario the min/median/max over the repeats, sentences on what differs
computed from those numbers, and plots.

    triage-report.py report DIR [--expect RULE]... [--seconds-taken S]
        writes DIR/triage.md, DIR/triage.json, DIR/triage-*.png
    triage-report.py check-expect RULE...       only parse the rules

RULE: ARCH/KERNEL/MODE[/SCENARIO] OP VALUE (OP: > >= < <=; VALUE in 0..1;
`*` matches any; SCENARIO defaults to shared-anon): the median over the
repeats of the cell's not-migrated pages per move_pages call.
Exit status: 0, 1 when a rule failed, 2 on a usage error (naming the token).
"""
from __future__ import annotations

import datetime
import json
import os
import re
import statistics
import sys
from dataclasses import dataclass
from typing import Callable, Iterable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostinfo import host  # noqa: E402  (this directory, wherever run from)

HERE = os.path.dirname(os.path.abspath(__file__))
ARCHES = ("x86_64", "arm64")
MODES = ("none", "rendezvous", "rendezvous+flush")
MODE_TITLES = {"none": "no module", "rendezvous": "rendezvous",
               "rendezvous+flush": "rendezvous, flush=immediate"}
SCENARIOS = ("shared-anon", "shmem-file", "private-anon")
FLUSH = ("tlb_flush_immediate", "tlb_flush_deferred", "tlb_flush_deferred_issued",
         "tlb_flush_deferred_none", "tlb_flush_forced")
WINDOW = ("window.pte-clear.fresh_holds", "window.pte-clear.fresh_met",
          "window.pte-clear.timeouts", "window.pte-clear.present")
STRAY = re.compile(r"^stray_([a-z]+)_(1|2|3|4plus)$")
BUCKETS = ("1", "2", "3", "4plus")


class Usage(Exception):
    """A bad command line or rule: exit 2."""


# --- reading a run directory ---------------------------------------------------

def kernels() -> list[str]:
    with open(os.path.join(HERE, "kernels.conf"), encoding="utf-8") as f:
        return [ln.split()[0] for ln in f if ln.strip() and not ln.startswith("#")]


def read_kv(path: str, sep: str) -> dict[str, str]:
    """`key SEP value` lines of a file (empty when it is missing)."""
    out: dict[str, str] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                k, s, v = line.rstrip("\n").partition(sep)
                if s:
                    out[k.strip()] = v.strip()
    return out


def read_text(path: str) -> str | None:
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().strip()


@dataclass(frozen=True)
class Run:
    mode: str
    scenario: str
    rep: int
    report: dict
    vmstat: dict[str, str]

    @property
    def migration(self) -> dict:
        return self.report["migration"]

    @property
    def stats(self) -> dict[str, int] | None:
        mod = self.report.get("module") or {}
        return mod.get("stats_delta") if mod.get("loaded") else None


RUN_NAME = re.compile(r"^(?P<mode>[a-z+]+)\.(?P<scen>[a-z-]+)\.(?P<rep>\d+)\.json$")


def load_runs(cell: str) -> list[Run]:
    runs = []
    rdir = os.path.join(cell, "runs")
    for name in sorted(os.listdir(rdir)) if os.path.isdir(rdir) else []:
        m = RUN_NAME.match(name)
        if not m:
            continue
        try:
            with open(os.path.join(rdir, name), encoding="utf-8") as f:
                rep = json.load(f)
        except (OSError, ValueError):
            continue    # a driver killed before its report: no run (the cell counts it missing)
        vm = read_kv(os.path.join(rdir, name[:-5] + ".vmstat"), " ")
        runs.append(Run(m["mode"], m["scen"], int(m["rep"]), rep, vm))
    return runs


TAP = re.compile(r"^(not ok|ok) \d+ (?:- )?(\S+)(?:\s+#\s*(SKIP|XFAIL)\s*(.*))?$")


def selftest(cell: str) -> dict:
    """The kernel's selftest in this cell: verdicts, or not run and why."""
    host = read_kv(os.path.join(cell, "selftest.host"), ":")
    out = read_text(os.path.join(cell, "selftest.txt"))
    if host.get("status") != "built":
        return {"status": "not run", "why": host.get("why", "no record of a build")}
    if out is None:
        return {"status": "not run", "why": "built, but the guest did not report it",
                "source": host.get("source")}
    verdicts = []
    for line in out.splitlines():
        m = TAP.match(line.strip())
        if m:
            result = "skip" if m[3] == "SKIP" else ("pass" if m[1] == "ok" else "fail")
            verdicts.append({"test": m[2], "result": result, "reason": m[4] or ""})
    fail = read_kv(os.path.join(cell, "selftest.vmstat"), " ").get("pgmigrate_fail_delta")
    rc = read_text(os.path.join(cell, "selftest.rc"))
    return {"status": "ran", "source": host.get("source"), "file": host.get("file"),
            "exit": int(rc) if rc and rc.lstrip("-").isdigit() else None,
            "verdicts": verdicts,
            "pgmigrate_fail_delta": int(fail) if fail and fail.lstrip("-").isdigit() else None}


@dataclass(frozen=True)
class Cell:
    arch: str
    kernel: str
    dir: str

    def info(self) -> dict:
        rc = read_text(os.path.join(self.dir, "lab.rc"))
        failed = read_text(os.path.join(self.dir, "host.failed"))
        vcpus = read_text(os.path.join(self.dir, "vcpus"))
        info = {"arch": self.arch, "kernel": self.kernel,
                "uname_r": read_text(os.path.join(self.dir, "kernel")),
                "vcpus": int(vcpus) if vcpus and vcpus.isdigit() else None,
                "lab_rc": int(rc) if rc and rc.isdigit() else None,
                "selftest": selftest(self.dir)}
        info["ran"] = info["lab_rc"] == 0
        if failed:
            info["why_not"] = f"the host {failed} failed"
        elif rc is None:
            info["why_not"] = "no guest ran"
        elif not info["ran"]:
            info["why_not"] = f"the guest failed (lab exit {rc}; see cells/{self.kernel}-{self.arch}.lab.log)"
        return info


def load_cells(top: str) -> list[Cell]:
    cdir = os.path.join(top, "cells")
    cells = []
    for name in sorted(os.listdir(cdir)) if os.path.isdir(cdir) else []:
        kernel, _, arch = name.rpartition("-")
        if arch in ARCHES and os.path.isdir(os.path.join(cdir, name)):
            cells.append(Cell(arch, kernel, os.path.join(cdir, name)))
    return cells


# --- numbers -----------------------------------------------------------------------

def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def spread(values: Iterable[float | None]) -> dict | None:
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"min": min(vals), "median": statistics.median(vals), "max": max(vals),
            "n": len(vals), "values": vals}


def stat(r: Run, name: str) -> int | None:
    s = r.stats
    return None if s is None else s.get(name, 0)


METRICS: dict[str, Callable[[Run], float | None]] = {
    "not_migrated_per_call": lambda r: ratio(r.migration["not_migrated"], r.migration["calls"]),
    "failure_rate_per_attempt": lambda r: (r.migration["failure_rate"]
                                           if r.migration["attempts"] else None),
    "first_failure_s": lambda r: r.migration["first_failure_s"],
    "stray_passes_per_migrate_call": lambda r: ratio(stat(r, "stray_passes"),
                                                     stat(r, "migrate_calls")),
    # References held by faults waiting on a migration entry (before 5.17).
    "waiter_refs_per_migrate_call": lambda r: ratio((r.stats or {}).get("waiter_refs"),
                                                    stat(r, "migrate_calls")),
    "fresh_met_per_fresh_hold": lambda r: ratio(stat(r, "window.pte-clear.fresh_met"),
                                                stat(r, "window.pte-clear.fresh_holds")),
    "pgmigrate_fail_delta": lambda r: r.report["vmstat"]["pgmigrate_fail_delta"],
    **{n: (lambda r, n=n: stat(r, n)) for n in FLUSH + WINDOW},
}


def top_taker(r: Run) -> str | None:
    top = (r.report.get("module") or {}).get("attribution_top") or []
    if not top:
        return None
    t = top[0]
    frame = t["frames"][0].split("+")[0] if t["frames"] else None
    return f"{t['taker']} {t['kind']}" + (f" via {frame}" if frame else "")


def stray_counts(r: Run) -> dict[str, int]:
    hist = {b: 0 for b in BUCKETS}
    for name, v in (r.stats or {}).items():
        m = STRAY.match(name)
        if m:
            hist[m[2]] += v
    return hist


def stray_histogram(runs: list[Run]) -> dict[str, int] | None:
    if not runs or runs[0].stats is None:
        return None
    per_run = [stray_counts(r) for r in runs]
    return {b: sum(h[b] for h in per_run) for b in BUCKETS}


def stray_per_call(runs: list[Run]) -> dict[str, dict | None] | None:
    """Each bucket's passes per migrate call, spread over the repeats."""
    if not runs or runs[0].stats is None:
        return None
    return {b: spread(ratio(stray_counts(r)[b], stat(r, "migrate_calls")) for r in runs)
            for b in BUCKETS}


def unusable(r: Run) -> str | None:
    """Why a run's figures cannot stand for its cell, or None: skipped, or
    failed move_pages() calls (-1: EACCES, ENOMEM...), which are no race."""
    if r.report["verdict"] == "skip":
        return f"skipped: {r.report['reason']}"
    if r.migration.get("call_errors"):
        return f"{r.migration['call_errors']} move_pages() call(s) failed: {r.report['reason']}"
    return None


def summarize(cell: dict, mode: str, scen: str, runs: list[Run]) -> dict:
    used = [r for r in runs if unusable(r) is None]
    takers = [t for t in map(top_taker, used) if t]
    top = max(set(takers), key=takers.count) if takers else None
    return {
        "arch": cell["arch"], "kernel": cell["kernel"], "uname_r": cell["uname_r"],
        "mode": mode, "scenario": scen, "runs": len(used),
        "skipped_runs": [why for why in map(unusable, runs) if why],
        "module": bool(used) and used[0].stats is not None,
        "metrics": {n: spread(f(r) for r in used) for n, f in METRICS.items()},
        "runs_without_failure": sum(1 for r in used if r.migration["first_failure_s"] is None),
        "calls": sum(r.migration["calls"] for r in used),
        "not_migrated": sum(r.migration["not_migrated"] for r in used),
        "corruptions": sum(r.report["data"]["corruptions"] for r in used),
        "top_taker": top, "top_taker_runs": takers.count(top) if top else 0,
        "stray_histogram": stray_histogram(used),
        "stray_per_migrate_call": stray_per_call(used),
    }


def order(g: dict) -> tuple:
    return (SCENARIOS.index(g["scenario"]), kernel_key(g["kernel"]), ARCHES.index(g["arch"]),
            MODES.index(g["mode"]))


def kernel_key(k: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in k.split("."))


def planned_runs(run: dict) -> int | None:
    """Driver runs each cell was asked for (run.json), None if unknown."""
    try:
        return len(run["modes"]) * len(run["scenarios"]) * int(run["repeats"])
    except (KeyError, TypeError, ValueError):
        return None


def collect(top: str, run: dict) -> tuple[list[dict], list[dict]]:
    cells, groups = [], []
    want = planned_runs(run)
    for c in load_cells(top):
        info = c.info()
        cells.append(info)
        runs = load_runs(c.dir)
        info["runs"] = len(runs)
        if info["ran"] and want is not None and len(runs) < want:
            # A guest that exits 0 having run nothing is no result.
            info["ran"] = False
            info["why_not"] = f"{len(runs)} of {want} driver runs came back"
        if not info["ran"]:
            # Its rows, rules and selftest would rest on a guest that failed.
            info["selftest"] = {"status": "not run", "why": info["why_not"]}
            continue
        for mode in MODES:
            for scen in SCENARIOS:
                these = [r for r in runs if r.mode == mode and r.scenario == scen]
                if these:
                    groups.append(summarize(info, mode, scen, these))
    return cells, sorted(groups, key=order)


# --- --expect rules ----------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    text: str
    arch: str
    kernel: str
    mode: str
    scenario: str
    op: str
    value: float

    def matches(self, g: dict) -> bool:
        return all(want in ("*", have) for want, have in (
            (self.arch, g["arch"]), (self.kernel, g["kernel"]), (self.mode, g["mode"]),
            (self.scenario, g["scenario"])))

    def holds(self, x: float) -> bool:
        return {">": x > self.value, ">=": x >= self.value,
                "<": x < self.value, "<=": x <= self.value}[self.op]


def check_token(rule: str, what: str, tok: str, allowed: Iterable[str]) -> str:
    allowed = list(allowed) + ["*"]
    if tok not in allowed:
        raise Usage(f"--expect '{rule}': unknown {what} '{tok}' ({', '.join(allowed)})")
    return tok


def parse_rule(text: str) -> Rule:
    m = re.fullmatch(r"\s*([^<>=\s]+)\s*(>=|<=|>|<)\s*(\S+)\s*", text)
    if not m:
        raise Usage(f"--expect '{text}': want ARCH/KERNEL/MODE[/SCENARIO] OP VALUE, OP one of > >= < <=")
    parts = m[1].split("/")
    if len(parts) not in (3, 4):
        raise Usage(f"--expect '{text}': '{m[1]}' is not ARCH/KERNEL/MODE[/SCENARIO]")
    parts += ["shared-anon"] * (4 - len(parts))
    try:
        value = float(m[3])
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise Usage(f"--expect '{text}': value '{m[3]}' is not a rate in 0..1")
    return Rule(text, check_token(text, "arch", parts[0], ARCHES),
                check_token(text, "kernel", parts[1], kernels()),
                check_token(text, "mode", parts[2], MODES),
                check_token(text, "scenario", parts[3], SCENARIOS), m[2], value)


def evaluate(rule: Rule, groups: list[dict]) -> dict:
    hits = [g for g in groups if rule.matches(g) and g["metrics"]["not_migrated_per_call"]]
    if not hits:
        return {"rule": rule.text, "held": False, "detail": "matched no cell that ran"}
    bad = [g for g in hits if not rule.holds(g["metrics"]["not_migrated_per_call"]["median"])]
    detail = "; ".join(f"{g['arch']}/{g['kernel']}/{g['mode']}/{g['scenario']} median "
                       f"{g['metrics']['not_migrated_per_call']['median']:.3f}" for g in (bad or hits))
    return {"rule": rule.text, "held": not bad, "detail": detail}


# --- what differs: sentences from the numbers --------------------------------------

def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def rng(s: dict) -> str:
    """`29.6% (25.0–31.0%, 3 runs)` or `29.6% (1 run)`."""
    if s["n"] == 1:
        return f"{pct(s['median'])} (1 run)"
    return f"{pct(s['median'])} ({pct(s['min'])}–{pct(s['max'])}, {s['n']} runs)"


def apart(a: dict, b: dict) -> bool:
    """The two spreads do not overlap (with one run each: the values differ)."""
    return a["max"] < b["min"] or b["max"] < a["min"]


def find(groups: list[dict], **kw: str) -> dict | None:
    for g in groups:
        if all(g[k] == v for k, v in kw.items()):
            return g
    return None


def rate(g: dict | None) -> dict | None:
    return g["metrics"]["not_migrated_per_call"] if g else None


def arch_sentences(groups: list[dict]) -> list[str]:
    out, same = [], []
    for g in groups:
        if g["arch"] != ARCHES[0]:
            continue
        other = find(groups, arch=ARCHES[1], kernel=g["kernel"], mode=g["mode"], scenario=g["scenario"])
        a, b = rate(g), rate(other)
        if not a or not b:
            continue
        where = f"{g['kernel']}, {MODE_TITLES[g['mode']]}, {g['scenario']}"
        if apart(a, b):
            hi, lo = (("arm64", b), ("x86_64", a)) if b["median"] > a["median"] else (("x86_64", a), ("arm64", b))
            out.append(f"{where}: {hi[0]} fails {rng(hi[1])} of its calls, "
                       f"{lo[0]} {rng(lo[1])}.")
        else:
            same.append(f"{where} ({pct(a['median'])} vs {pct(b['median'])})")
    if same:
        out.append("x86_64 and arm64 do not differ beyond their spread on: " + "; ".join(same) + ".")
    return out


def flush_sentences(groups: list[dict]) -> list[str]:
    out = []
    for g in groups:
        if g["mode"] != "rendezvous" or not g["module"] or g["scenario"] == "private-anon":
            continue
        m = g["metrics"]
        imm, iss, none = (sum((m[n] or {"values": [0]})["values"]) for n in
                          ("tlb_flush_immediate", "tlb_flush_deferred_issued", "tlb_flush_deferred_none"))
        total = imm + iss + none
        if not total:
            continue
        head = f"{g['arch']} {g['kernel']} ({g['scenario']}, rendezvous): of {total} PTE clears in {g['runs']} run(s)"
        if imm == total:
            out.append(f"{head}, every one was flushed at once.")
            continue
        parts = [f"{n} {what}" for n, what in (
            (imm, "flushed at once"), (iss, "deferred with the invalidation issued at once"),
            (none, "deferred with nothing invalidated until the batch flush")) if n]
        out.append(f"{head}: " + ", ".join(parts) + ".")
    return out


def forced_sentences(groups: list[dict]) -> list[str]:
    out = []
    for g in groups:
        if g["mode"] != "rendezvous" or g["scenario"] == "private-anon":
            continue
        forced = find(groups, arch=g["arch"], kernel=g["kernel"], mode="rendezvous+flush",
                      scenario=g["scenario"])
        a, b = rate(g), rate(forced)
        if not a or not b:
            continue
        where = f"{g['arch']} {g['kernel']} ({g['scenario']})"
        if apart(a, b):
            verb = "raises" if b["median"] > a["median"] else "lowers"
            out.append(f"{where}: forcing the immediate flush {verb} the failure rate from "
                       f"{rng(a)} to {rng(b)}.")
        else:
            out.append(f"{where}: forcing the immediate flush does not change the failure rate "
                       f"beyond its spread ({rng(a)}, forced {rng(b)}).")
    return out


def reader_sentences(groups: list[dict]) -> list[str]:
    never = []
    for g in groups:
        m = g["metrics"]
        holds, met = m["window.pte-clear.fresh_holds"], m["window.pte-clear.fresh_met"]
        if not g["module"] or not holds or g["scenario"] == "private-anon":
            continue
        if sum(met["values"]) == 0 and sum(holds["values"]) > 0:
            never.append(f"{g['arch']} {g['kernel']} {g['mode']} {g['scenario']} "
                         f"(0 of {sum(holds['values'])} fresh holds met)")
    if not never:
        return []
    return ["No reader faulted inside the window on: " + "; ".join(never) + "."]


def kernel_sentences(groups: list[dict]) -> list[str]:
    out = []
    for arch in ARCHES:
        for mode in MODES:
            for scen in SCENARIOS:
                row = [g for g in groups if (g["arch"], g["mode"], g["scenario"]) == (arch, mode, scen)
                       and rate(g)]
                if len(row) < 2:
                    continue
                lo, hi = min(row, key=lambda g: rate(g)["median"]), max(row, key=lambda g: rate(g)["median"])
                if apart(rate(lo), rate(hi)):
                    out.append(f"{arch}, {MODE_TITLES[mode]}, {scen}, across kernels: " +
                               ", ".join(f"{g['kernel']} {pct(rate(g)['median'])}" for g in row) + ".")
    return out


def control_sentences(groups: list[dict]) -> list[str]:
    ctl = [g for g in groups if g["scenario"] == "private-anon" and rate(g)]
    if not ctl:
        return []
    failing = [g for g in ctl if rate(g)["max"] > 0]
    if not failing:
        return [f"private-anon (the control): no call failed in any of its {len(ctl)} cells "
                f"({sum(g['calls'] for g in ctl)} calls)."]
    return ["private-anon (the control) failed calls on: " + "; ".join(
        f"{g['arch']} {g['kernel']} {g['mode']} {rng(rate(g))}" for g in failing) + "."]


def selftest_sentences(cells: list[dict]) -> list[str]:
    by: dict[str, dict[str, list[str]]] = {}
    notrun = []
    for c in cells:
        st, where = c["selftest"], f"{c['arch']} {c['kernel']}"
        if st["status"] != "ran":
            notrun.append(f"{where} ({st['why']})")
            continue
        for v in st["verdicts"]:
            by.setdefault(v["test"], {}).setdefault(v["result"], []).append(where)
    out = []
    for test, res in sorted(by.items()):
        out.append(f"The kernel's selftest {test}: " + "; ".join(
            f"{r} on {', '.join(w)}" for r, w in sorted(res.items())) + ".")
    if notrun:
        out.append("The kernel's selftest did not run on: " + "; ".join(notrun) + ".")
    return out


def waiter_sentences(groups: list[dict]) -> list[str]:
    """Which kernels' migration-entry waiters held references, from waiter_refs."""
    seen: dict[str, float] = {}
    for g in groups:
        m = g["metrics"].get("waiter_refs_per_migrate_call")
        if m:
            seen[g["kernel"]] = max(seen.get(g["kernel"], 0.0), m["max"])
    held = sorted((k for k, v in seen.items() if v > 0), key=kernel_key)
    none = sorted((k for k, v in seen.items() if v == 0), key=kernel_key)
    if not held:
        return []
    s = (f"Faults waiting on a migration entry held page references on {', '.join(held)} "
         f"(up to {max(seen[k] for k in held):.2f} per migrate call)")
    if none and kernel_key(held[-1]) < kernel_key(none[0]):
        return [s + f"; on {', '.join(none)} none did: the 5.17 change (such a waiter "
                "takes no reference)."]
    return [s + (f"; none on {', '.join(none)}." if none else ".")]


def what_differs(cells: list[dict], groups: list[dict]) -> list[str]:
    return (arch_sentences(groups) + kernel_sentences(groups) + flush_sentences(groups) +
            forced_sentences(groups) + reader_sentences(groups) + control_sentences(groups) +
            waiter_sentences(groups) + selftest_sentences(cells))


# --- triage.md -----------------------------------------------------------------------

def cellfmt(s: dict | None, f: Callable[[float], str]) -> str:
    if not s:
        return "—"
    if s["n"] == 1:
        return f(s["median"])
    return f"{f(s['median'])} ({f(s['min'])}–{f(s['max'])})"


def secs(x: float) -> str:
    return f"{x:.3f} s"


def num(x: float) -> str:
    return f"{x:.2f}" if x != int(x) else str(int(x))


def first_failure(g: dict) -> str:
    s, none = g["metrics"]["first_failure_s"], g["runs_without_failure"]
    if not s:
        return f"none in {g['runs']} run(s)"
    return cellfmt(s, secs) + (f"; none in {none} of {g['runs']} runs" if none else "")


def flushes(g: dict) -> str:
    if not g["module"]:
        return "no module"
    m = g["metrics"]
    return " / ".join(cellfmt(m[n], num) for n in
                      ("tlb_flush_immediate", "tlb_flush_deferred_issued", "tlb_flush_deferred_none"))


def readers(g: dict) -> str:
    if not g["module"]:
        return "no module"
    m = g["metrics"]
    holds = m["window.pte-clear.fresh_holds"]
    if not holds or sum(holds["values"]) == 0:
        return "no hold"
    met = sum(m["window.pte-clear.fresh_met"]["values"])
    return f"{'yes' if met else 'no'}: {cellfmt(m['fresh_met_per_fresh_hold'], pct)} of holds met"


def per_attempt_differs(groups: list[dict]) -> bool:
    return any(g["metrics"]["not_migrated_per_call"] != g["metrics"]["failure_rate_per_attempt"]
               for g in groups)


def table(groups: list[dict]) -> str:
    attempt = per_attempt_differs(groups)
    head = ["arch", "kernel", "mode", "scenario", "runs", "not migrated / call"]
    head += ["not migrated / attempt"] if attempt else []
    head += ["first failure", "stray passes / migrate call",
             "clears: immediate / deferred, issued / deferred, none", "readers in the window", "top taker"]
    rows = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for g in groups:
        m = g["metrics"]
        taker = f"`{g['top_taker']}` ({g['top_taker_runs']}/{g['runs']})" if g["top_taker"] else "—"
        row = [g["arch"], g["uname_r"] or g["kernel"], MODE_TITLES[g["mode"]], g["scenario"],
               str(g["runs"]), cellfmt(m["not_migrated_per_call"], pct)]
        row += [cellfmt(m["failure_rate_per_attempt"], pct)] if attempt else []
        row += [first_failure(g), cellfmt(m["stray_passes_per_migrate_call"], num), flushes(g),
                readers(g), taker]
        rows.append("| " + " | ".join(row) + " |")
    return "\n".join(rows)


def selftest_table(cells: list[dict]) -> str:
    rows = ["| arch | kernel | selftest | verdicts | Δpgmigrate_fail |", "|---|---|---|---|---|"]
    for c in cells:
        st = c["selftest"]
        if st["status"] != "ran":
            rows.append(f"| {c['arch']} | {c['kernel']} | not run ({st['why']}) | — | — |")
            continue
        # The exit status always: a harness killed at its timeout leaves passes only.
        verdicts = (", ".join(f"{v['test'].split('.')[-1]} {v['result']}" for v in st["verdicts"])
                    or "none reported") + f" (exit {st['exit']})"
        delta = st["pgmigrate_fail_delta"]
        rows.append(f"| {c['arch']} | {c['kernel']} | `{st['file']}` of {st['source']} | {verdicts} | "
                    f"{'—' if delta is None else delta} |")
    return "\n".join(rows)


def markdown(doc: dict) -> str:
    run = doc["run"]
    lines = [f"# migrace triage — {doc['date'][:10]}", "",
             f"`{run.get('command', 'scripts/lab triage')}`: {run.get('repeats')} repeat(s) of "
             f"{run.get('seconds')} s per cell, {run.get('readers')} readers, {run.get('vcpus')} vCPUs "
             f"(2 NUMA nodes), {doc['qemu']} ({doc['accel'].upper()}) on {doc['host']['os']}, "
             f"{doc['host']['machine']}, {doc['host']['cpus']} cores"
             + (f"; {doc['seconds_taken']} s in all." if doc.get("seconds_taken") is not None else "."), "",
             "Each figure is the median over the repeats, (min–max) when there are several. "
             "\"not migrated / call\": pages `move_pages(2)` did not migrate (judged by `status[]`) per call.",
             ]
    if not per_attempt_differs(doc["groups"]):
        lines.append("Per attempt (page asked to move) the rate equals the per-call rate in every cell "
                     "(one page per call), so it is not shown apart.")
    lines.append("Clears, readers and the stray passes come from the module's stats: none without it.")
    bad = [c for c in doc["cells"] if not c["ran"]]
    lines += ["", "## Cells", ""]
    lines += [f"- {c['arch']} {c['kernel']}: {'ran' if c['ran'] else 'did NOT run: ' + c['why_not']}"
              f"{', ' + c['uname_r'] if c['uname_r'] else ''}{', %s vCPUs' % c['vcpus'] if c['vcpus'] else ''}"
              for c in doc["cells"]]
    lines += ["", "## Results", "", table(doc["groups"]), ""]
    left = [f"- {g['arch']} {g['kernel']} {g['mode']} {g['scenario']}: {why}"
            for g in doc["groups"] for why in g["skipped_runs"]]
    if left:
        lines += ["Runs left out of the figures above:", "", *left, ""]
    lines += ["## The kernel's migration selftest (reference, without the module)", "",
              selftest_table(doc["cells"]), "", "## What differs", ""]
    lines += [f"- {s}" for s in doc["what_differs"]] or ["- (no two cells to compare)"]
    corrupt = [g for g in doc["groups"] if g["corruptions"]]
    if corrupt:
        lines += ["", "**Data corruption seen:** " + "; ".join(
            f"{g['arch']} {g['kernel']} {g['mode']} {g['scenario']}: {g['corruptions']}" for g in corrupt)]
    if doc["expect"]:
        lines += ["", "## --expect", ""]
        lines += [f"- `{e['rule']}`: {'held' if e['held'] else 'FAILED'} ({e['detail']})" for e in doc["expect"]]
    lines += ["", "## Plots", ""]
    if doc["plots"].get("skipped"):
        lines.append(f"Not drawn: {doc['plots']['skipped']}.")
    lines += [f"![{p}]({p})" for p in doc["plots"].get("files", [])]
    if bad:
        lines += ["", f"{len(bad)} cell(s) did not run: their rows are missing above."]
    return "\n".join(lines) + "\n"


# --- plots ---------------------------------------------------------------------------

def plots(top: str, groups: list[dict]) -> dict:
    if os.environ.get("TRIAGE_PLOTS") == "0":
        return {"skipped": "TRIAGE_PLOTS=0"}
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {"skipped": "python3-matplotlib is missing (scripts/lab setup installs it)"}
    files = [plot_rates(plt, top, groups), plot_strays(plt, top, groups)]
    return {"files": [f for f in files if f]}


def plot_rates(plt, top: str, groups: list[dict]) -> str | None:
    scens = [s for s in SCENARIOS if any(g["scenario"] == s and rate(g) for g in groups)]
    if not scens:
        return None
    fig, axes = plt.subplots(len(scens), 1, figsize=(12, 3.8 * len(scens)), squeeze=False)
    for ax, scen in zip(axes[:, 0], scens):
        these = [g for g in groups if g["scenario"] == scen and rate(g)]
        xs = sorted({(g["kernel"], g["arch"]) for g in these}, key=lambda t: (kernel_key(t[0]), t[1]))
        modes = [m for m in MODES if any(g["mode"] == m for g in these)]
        width = 0.8 / len(modes)
        for i, mode in enumerate(modes):
            pts = [(j, rate(find(these, kernel=k, arch=a, mode=mode))) for j, (k, a) in enumerate(xs)]
            pts = [(j, s) for j, s in pts if s]
            bars = ax.bar([j + i * width for j, _ in pts], [s["median"] * 100 for _, s in pts], width,
                          yerr=[[(s["median"] - s["min"]) * 100 for _, s in pts],
                                [(s["max"] - s["median"]) * 100 for _, s in pts]],
                          capsize=3, label=MODE_TITLES[mode])
            ax.bar_label(bars, labels=[f"{s['median'] * 100:.1f}%" for _, s in pts], fontsize="x-small",
                         padding=3, rotation=90)
        ax.set_xticks([j + width * (len(modes) - 1) / 2 for j in range(len(xs))])
        ax.set_xticklabels([f"{a}\n{k}" for k, a in xs])
        ax.set_ylim(0, 125)
        ax.set_yticks(range(0, 101, 20))
        ax.set_ylabel("not migrated per call (%)")
        ax.set_title(f"{scen}: median over repeats; whiskers from min to max")
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    return save(plt, fig, top, "triage-failure-rate.png")


def plot_strays(plt, top: str, groups: list[dict]) -> str | None:
    """One panel per scenario x mode; in each, per arch x kernel, a bar per
    bucket: passes per migrate call, median over repeats, whiskers min-max."""
    def has(g: dict) -> bool:
        return bool(g.get("stray_histogram") and sum(g["stray_histogram"].values()))
    scens = [s for s in SCENARIOS if any(g["scenario"] == s and has(g) for g in groups)]
    modes = [m for m in MODES if any(g["mode"] == m and has(g) for g in groups)]
    if not scens:
        return None
    fig, axes = plt.subplots(len(scens), len(modes), figsize=(7 * len(modes), 3.6 * len(scens)),
                             squeeze=False, sharey="row")
    width = 0.8 / len(BUCKETS)
    for r, scen in enumerate(scens):
        for c, mode in enumerate(modes):
            ax = axes[r][c]
            these = [g for g in groups if g["scenario"] == scen and g["mode"] == mode
                     and g.get("stray_per_migrate_call")]
            xs = sorted({(g["kernel"], g["arch"]) for g in these}, key=lambda t: (kernel_key(t[0]), t[1]))
            for i, b in enumerate(BUCKETS):
                pts = [(j, find(these, kernel=k, arch=a)["stray_per_migrate_call"][b])
                       for j, (k, a) in enumerate(xs)]
                pts = [(j, s) for j, s in pts if s]
                ax.bar([j + i * width for j, _ in pts], [s["median"] for _, s in pts], width,
                       yerr=[[s["median"] - s["min"] for _, s in pts], [s["max"] - s["median"] for _, s in pts]],
                       capsize=2, label="4 or more" if b == "4plus" else b)
            ax.set_xticks([j + width * (len(BUCKETS) - 1) / 2 for j in range(len(xs))])
            ax.set_xticklabels([f"{a}\n{k}" for k, a in xs], fontsize="small")
            ax.set_title(f"{scen}, {MODE_TITLES[mode]}", fontsize="medium")
            if c == 0:
                ax.set_ylabel("passes per migrate call")
    axes[0][-1].legend(title="stray refs", fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.suptitle("Refcount-check passes that saw stray references, by how many (refcount - expected, "
                 "all kinds): median over repeats, whiskers from min to max")
    return save(plt, fig, top, "triage-stray-refs.png")


def save(plt, fig, top: str, name: str) -> str:
    fig.tight_layout()
    fig.savefig(os.path.join(top, name), dpi=100)
    plt.close(fig)
    return name


# --- the whole report ----------------------------------------------------------------

def report(top: str, rules: list[Rule], taken: int | None) -> int:
    run = json.loads(read_text(os.path.join(top, "run.json")) or "{}")
    cells, groups = collect(top, run)
    doc = {"schema": 1, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "command": run.get("command"), "qemu": run.get("qemu", "unknown"), "accel": run.get("accel", "tcg"),
           "vcpus": run.get("vcpus"), "host": host(), "seconds_taken": taken, "run": run,
           "cells": cells, "groups": groups, "what_differs": what_differs(cells, groups),
           "expect": [evaluate(r, groups) for r in rules], "plots": plots(top, groups)}
    with open(os.path.join(top, "triage.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    with open(os.path.join(top, "triage.md"), "w", encoding="utf-8") as f:
        f.write(markdown(doc))
    for e in doc["expect"]:
        print(f"triage: expect {e['rule']}: {'held' if e['held'] else 'FAILED'} ({e['detail']})",
              file=sys.stderr)
    if not all(c["ran"] for c in cells):
        return 3
    return 0 if all(e["held"] for e in doc["expect"]) else 1


def parse_report_args(args: list[str]) -> tuple[str, list[Rule], int | None]:
    if not args or args[0].startswith("-"):
        raise Usage("report: which directory?")
    top, rules, taken, i = args[0], [], None, 1
    while i < len(args):
        if args[i] == "--expect" and i + 1 < len(args):
            rules.append(parse_rule(args[i + 1]))
        elif args[i] == "--seconds-taken" and i + 1 < len(args) and args[i + 1].isdigit():
            taken = int(args[i + 1])
        else:
            raise Usage(f"report: unknown argument '{args[i]}' (--expect RULE, --seconds-taken S)")
        i += 2
    if not os.path.isdir(top):
        raise Usage(f"report: no directory '{top}'")
    return top, rules, taken


def main(argv: list[str]) -> int:
    try:
        if len(argv) >= 2 and argv[0] == "check-expect":
            for rule in argv[1:]:
                parse_rule(rule)
            return 0
        if argv and argv[0] == "report":
            return report(*parse_report_args(argv[1:]))
        raise Usage("want `report DIR [--expect RULE]...` or `check-expect RULE...`")
    except Usage as e:
        print(f"triage: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
