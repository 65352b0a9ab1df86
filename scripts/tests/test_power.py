#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host tests of scripts/power-report.py (`scripts/bench --power`'s report)
on synthetic cell directories written here: no guest, no module. TAP on
stdout (scripts/check counts it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import expect, main, test  # noqa: E402  (this directory, wherever run from)

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(os.path.dirname(HERE), "power-report.py")
def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def report(calls: int, not_migrated: int, migrated: int, first: float | None, secs: float = 5.0) -> str:
    return json.dumps({"elapsed_s": secs, "migration": {
        "calls": calls, "not_migrated": not_migrated, "migrated": migrated,
        "first_failure_s": first, "call_errors": 0}})


def cell(top: str, name: str, *, rdv_first: float | None = 0.02, disarmed: int = 1000,
         armed: int = 1000, deferred_none: int = 0, selftest: bool = True) -> str:
    """A cell as power.sh leaves it; private-anon not loaded migrates 1000 pages in 5 s."""
    d = os.path.join(top, name)
    for f, v in (("kernel", "6.1.0-57-amd64"), ("vcpus", "4"), ("readers", "3"), ("delay_us", "1000")):
        write(os.path.join(d, f), v + "\n")
    runs = os.path.join(d, "runs")
    flush = f"tlb_flush_immediate: 50\ntlb_flush_deferred_none: {deferred_none}\n"
    for r in (1, 2, 3):
        write(os.path.join(runs, f"none.{r}.json"), report(100, 40, 60, 0.5))
        write(os.path.join(runs, f"delay.{r}.json"), report(100, 90, 10, 0.2))
        write(os.path.join(runs, f"rendezvous.{r}.json"),
              report(100, 99 if rdv_first is not None else 0, 1, rdv_first))
        write(os.path.join(runs, f"rendezvous.{r}.stats"), flush)
        write(os.path.join(runs, f"cost-unloaded.{r}.json"), report(1000, 0, 1000, None))
        write(os.path.join(runs, f"cost-disarmed.{r}.json"), report(disarmed, 0, disarmed, None))
        write(os.path.join(runs, f"cost-armed-elsewhere.{r}.json"), report(armed, 0, armed, None))
    if not selftest:
        write(os.path.join(d, "selftest.host"), "status: not run\nwhy: no migration.c\n")
        return d
    write(os.path.join(d, "selftest.host"), "status: built\nsource: linux-source-6.1 6.1.192-3\n"
          "file: tools/testing/selftests/vm/migration.c\ntimeout: 390\nreaders_less: 1\n")
    # private_anon: 60 s, 600 pages migrated (10/s); shared_anon fails after 0.3 s.
    # private_anon_thp: 100 THPs (51200 pages) count as 100 migrations.
    write(os.path.join(d, "selftest.marks"), "start 1000 0 0 0\nrun 1000 0 0 0 migration.private_anon\n"
          "run 7000 600 0 0 migration.shared_anon\nrun 7030 610 1 0 migration.private_anon_thp\n"
          "end 13030 51810 1 100\n")
    write(os.path.join(d, "selftest.txt"), "ok 1 migration.private_anon\nnot ok 2 migration.shared_anon\n"
          "ok 3 migration.private_anon_thp\n")
    write(os.path.join(d, "selftest.rc"), "1\n")
    return d


def run_report(*cells: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = os.path.join(os.path.dirname(cells[0]), "power.json")
    r = subprocess.run([sys.executable, REPORT, out, "--command", "test", *cells],
                       capture_output=True, text=True, timeout=60)
    with open(out, encoding="utf-8") as f:
        return r, json.load(f)


@test
def all_met() -> None:
    """every target met: exit 0; the figures are the fixture's"""
    top = tempfile.mkdtemp(prefix="migrace-power-test.")
    r, doc = run_report(cell(top, "6.1-x86_64"))
    c = doc["cells"][0]
    expect(r.returncode == 0, f"exit {r.returncode}: {r.stdout}{r.stderr}")
    expect(c["power"]["rendezvous"]["first_failure_median_s"] == 0.02, str(c["power"]["rendezvous"]))
    expect(c["power"]["none"]["failures_per_min"]["median"] == 480, str(c["power"]["none"]))
    st = c["power"]["selftest"]
    expect(st["result"] == "fail" and st["first_failure_s"] == 0.3 and st["failures_per_min"] == 200,
           str(st))
    expect(c["efficiency"]["selftest_per_s"] == 10 and c["efficiency"]["ratio"] == 20, str(c["efficiency"]))
    thp = c["selftest"]["tests"]["private_anon_thp"]
    expect(thp["migrated"] == 100 and thp["thps"] == 100, str(thp))
    expect(len(c["targets"]) == 4 and all(t["met"] for t in c["targets"]), str(c["targets"]))
    expect("| x86_64 | 6.1 | 3 | kernel selftest (shared_anon) | 0.3 s (fail) | 200 |"
           in r.stdout, r.stdout)


@test
def misses_exit_1() -> None:
    """a slow rendezvous and a costly armed module are misses: exit 1, each named"""
    top = tempfile.mkdtemp(prefix="migrace-power-test.")
    r, doc = run_report(cell(top, "6.1-arm64", rdv_first=0.4, armed=900))
    expect(r.returncode == 1, f"exit {r.returncode}")
    missed = [t["name"] for t in doc["cells"][0]["targets"] if not t["met"]]
    expect(len(missed) == 2 and "rendezvous first failure" in missed[0] and "armed for another task"
           in missed[1], str(missed))
    expect("MISSED" in r.stdout, r.stdout)


@test
def never_failed_is_a_miss() -> None:
    """a rendezvous that never failed has no first failure: a miss, not a pass"""
    top = tempfile.mkdtemp(prefix="migrace-power-test.")
    r, doc = run_report(cell(top, "6.1-x86_64", rdv_first=None))
    rdv = doc["cells"][0]["power"]["rendezvous"]
    expect(r.returncode == 1 and rdv["first_failure_median_s"] is None and rdv["runs_without_failure"] == 3,
           f"exit {r.returncode}: {rdv}")


@test
def deferred_flush_exempt() -> None:
    """clears left to the batch flush (x86_64 6.12): no first-failure target, said by its absence"""
    top = tempfile.mkdtemp(prefix="migrace-power-test.")
    r, doc = run_report(cell(top, "6.12-x86_64", rdv_first=None, deferred_none=40))
    c = doc["cells"][0]
    expect(c["flush_at_once"] is False and not any("first failure" in t["name"] for t in c["targets"]),
           str(c["targets"]))
    expect(r.returncode == 0, f"exit {r.returncode}: {r.stdout}")


@test
def no_selftest() -> None:
    """no selftest (5.10): shown as not run with why, and no efficiency target"""
    top = tempfile.mkdtemp(prefix="migrace-power-test.")
    r, doc = run_report(cell(top, "5.10-x86_64", selftest=False))
    c = doc["cells"][0]
    expect(c["power"]["selftest"] is None and c["efficiency"]["ratio"] is None, str(c))
    expect(len(c["targets"]) == 3, str(c["targets"]))
    expect("not run (no migration.c)" in r.stdout, r.stdout)


@test
def thp_counts_inconsistent() -> None:
    """more THPs than the pages counted allow: no efficiency figure, said why, never negative"""
    top = tempfile.mkdtemp(prefix="migrace-power-test.")
    d = cell(top, "6.1-arm64")
    write(os.path.join(d, "selftest.marks"), "start 1000 0 0 0\nrun 1000 0 0 0 migration.private_anon\n"
          "run 7000 600 0 18 migration.shared_anon\nend 7030 610 1 18\n")
    r, doc = run_report(d)
    c = doc["cells"][0]
    expect(c["efficiency"]["ratio"] is None and len(c["targets"]) == 3, str(c["efficiency"]))
    expect("18 THPs in 600 pages" in r.stdout, r.stdout)


@test
def missing_runs_fail() -> None:
    """a cell whose guest left no cost runs is incomplete: exit 1, not a pass"""
    top = tempfile.mkdtemp(prefix="migrace-power-test.")
    d = cell(top, "7.2-arm64")
    for name in os.listdir(os.path.join(d, "runs")):
        if name.startswith("cost-"):
            os.unlink(os.path.join(d, "runs", name))
    r, doc = run_report(d)
    expect(r.returncode == 1 and not doc["cells"][0]["complete"], f"exit {r.returncode}")


if __name__ == "__main__":
    sys.exit(main())
