#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host tests of make soak's record (scripts/soak-report.py, scripts/soak
--report-only) and its README table, on synthetic guest figures and a
synthetic crashed console: no guest, no module. TAP on stdout (scripts/check
counts it)."""
from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import expect, main, test  # noqa: E402  (this directory, wherever run from)

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
REPORT = os.path.join(SCRIPTS, "soak-report.py")
def guest(**over) -> dict:
    """A clean full soak as soak.sh writes it."""
    g = {"cycles": 500, "rmmod_busy_retries": 3, "inputs": 10000, "input_mismatches": 0,
         "soak_seconds": 600, "soak_runs": 60, "kills": 50, "splats": 0, "leaks": 0,
         "shmem_delta_kb": 0, "orphans": 0, "peak_widening_per_mille": 40, "bad_runs": 0,
         "max_inflight_sampled": 3, "cpus": 4, "max_irqoff_us": 150, "irqoff_widenings": 0,
         "irqoff_cut": 0, "irqoff_mean_us": 0, "irqoff_peak_us": 0, "kernel": "6.12.95",
         "arch": "x86_64", "failed": 0, "tests": 30}
    g.update(over)
    return g


def run_report(*args: str, env: dict | None = None) -> dict:
    r = subprocess.run([sys.executable, REPORT, *args], capture_output=True, text=True,
                       env={**os.environ, **(env or {})}, check=False)
    expect(r.returncode == 0, f"soak-report.py {args}: exit {r.returncode}: {r.stderr}")
    return json.loads(r.stdout)


def report_of(g: dict, lab_rc: str = "0") -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(g, f)
    try:
        return run_report(f.name, "full", "QEMU 10.0.2", lab_rc, "scripts/soak")
    finally:
        os.unlink(f.name)


def readme_soak(doc: dict) -> str:
    """readme-tables' soak block, rendered from @doc instead of results/."""
    loader = importlib.machinery.SourceFileLoader("readme_tables",
                                                  os.path.join(SCRIPTS, "readme-tables"))
    spec = importlib.util.spec_from_loader("readme_tables", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    mod.load = lambda name: json.loads(json.dumps(doc))
    return mod.soak()


@test
def clean_is_ok() -> None:
    """soak-report: a clean guest and lab status 0 is ok; a splat or a lab failure is not"""
    expect(report_of(guest())["ok"] is True, "clean run not ok")
    expect(report_of(guest(splats=1))["ok"] is False, "a splat was ok")
    expect(report_of(guest(), lab_rc="1")["ok"] is False, "a failed lab run was ok")


@test
def crashed_record() -> None:
    """soak-report --crashed: never ok, no guest figures, the line, the loads, the run's date"""
    d = run_report("--crashed", "BUG: kernel NULL pointer dereference", "344", "6.12.95", "x86_64",
                   "full", "QEMU 10.0.2", "1", "scripts/soak",
                   env={"SOAK_RUN_DATE": "2026-12-04T16:43:38+00:00"})
    expect(d["ok"] is False and d["guest"] is None, f"crashed record: {d}")
    expect(d["crash"] == {"failure": "BUG: kernel NULL pointer dereference", "module_loads": 344,
                          "kernel": "6.12.95", "arch": "x86_64"}, f"crash: {d['crash']}")
    expect(d["date"] == "2026-12-04T16:43:38+00:00", f"date: {d['date']}")


@test
def readme_renders_both() -> None:
    """readme-tables: a crash says FAILED with its line and loads; a clean run its interrupt row"""
    crash = run_report("--crashed", "BUG: x", "7", "6.12.95", "x86_64", "full", "Q", "1", "s")
    text = readme_soak(crash)
    expect("**FAILED**" in text and "`BUG: x` after 7 module loads" in text, text)
    text = readme_soak(report_of(guest()))
    expect("**clean**" in text and "none: no window's handler ran with interrupts masked" in text,
           text)
    text = readme_soak(report_of(guest(irqoff_widenings=40, irqoff_cut=12, irqoff_mean_us=130,
                                       irqoff_peak_us=900)))
    expect("| 40 (12 cut to max_irqoff_us=150), mean 130 us, longest 900 us |" in text, text)


def report_only(files: dict[str, str]) -> tuple[subprocess.CompletedProcess, str]:
    """scripts/soak --report-only on a fake cache holding the last run's
    @files (suffix after soak/debug-x86_64: text). Return: the run, and the
    cache (the caller removes it)."""
    cache = tempfile.mkdtemp(prefix="migrace-soak-test.")
    os.makedirs(os.path.join(cache, "soak"))
    out = os.path.join(cache, "soak", "debug-x86_64")
    for suffix, text in files.items():
        with open(out + suffix, "w", encoding="utf-8") as f:
            f.write(text)
    os.utime(out + ".console.log", (1796402618, 1796402618))  # 2026-12-04T16:43:38Z
    r = subprocess.run([os.path.join(SCRIPTS, "soak"), "--report-only", "--out",
                        os.path.join(cache, "soak.json")],
                       capture_output=True, text=True, env={**os.environ, "MIGRACE_CACHE": cache},
                       check=False)
    return r, cache


@test
def report_only_from_console() -> None:
    """scripts/soak --report-only: a crashed run's console gives the record and the crash excerpt"""
    r, cache = report_only({
        ".console.log": "Linux version 6.12.95 (x) #1\nmigrace: loaded; 4 windows\n"
                        "migrace: unloaded\nmigrace: loaded; 4 windows\n"
                        "BUG: kernel NULL pointer dereference, address: 0\nRIP: 0010:0x0\n",
        ".lab.log": "lab: guest ran 12 s; console log: x\n"
                    "lab: console audit FAILED (x): BUG: kernel NULL pointer dereference\n"})
    expect(r.returncode == 1, f"exit {r.returncode}, want 1 (not ok): {r.stderr}")
    with open(os.path.join(cache, "soak.json"), encoding="utf-8") as f:
        d = json.load(f)
    with open(os.path.join(cache, "soak-crash.txt"), encoding="utf-8") as f:
        excerpt = f.read().splitlines()
    shutil.rmtree(cache)
    expect(d["crash"]["module_loads"] == 2 and d["crash"]["kernel"] == "6.12.95", f"{d['crash']}")
    expect(d["date"] == "2026-12-04T16:43:38+00:00", f"the run's date (its console's): {d['date']}")
    expect(d["crash"]["failure"].startswith("BUG: kernel NULL pointer"), d["crash"]["failure"])
    expect(d["lab_rc"] == 1 and "reported again" in d["command"], f"{d['lab_rc']} {d['command']}")
    expect(excerpt[1:] == ["RIP: 0010:0x0"], f"crash excerpt: {excerpt}")


@test
def accel_recorded() -> None:
    """scripts/soak: a --tcg-thread run's record says so; a bad value is refused, the last run kept"""
    console = "Linux version 6.12.95 (x) #1\nmigrace: loaded; 4 windows\nBUG: x\n"
    lab = "lab: guest ran 12 s; console log: x\nlab: console audit FAILED (x): BUG: x\n"
    r, cache = report_only({".console.log": console, ".lab.log": lab,
                            ".accel": "tcg,thread=single\n"})
    with open(os.path.join(cache, "soak.json"), encoding="utf-8") as f:
        accel = json.load(f)["accel"]
    shutil.rmtree(cache)
    expect(accel == "tcg,thread=single", f"accel {accel!r}, want tcg,thread=single")
    r, cache = report_only({".console.log": console, ".lab.log": lab})
    with open(os.path.join(cache, "soak.json"), encoding="utf-8") as f:
        accel = json.load(f)["accel"]
    expect(accel == "tcg", f"a run before .accel was kept: accel {accel!r}, want tcg")
    # The stock kernel, short: were the value not checked, the lab would
    # fail at once on this cache (no kernel), never build the debug one.
    last = os.path.join(cache, "soak", "6.1-x86_64.console.log")
    with open(last, "w", encoding="utf-8") as f:
        f.write(console)
    for bad in ("dual", ""):
        r = subprocess.run([os.path.join(SCRIPTS, "soak"), "--short", "--kernel", "6.1",
                            "--tcg-thread", bad],
                           capture_output=True, text=True,
                           env={**os.environ, "MIGRACE_CACHE": cache}, check=False, timeout=120)
        expect(r.returncode == 2 and f"--tcg-thread '{bad}' must be single or multi" in r.stderr,
               f"--tcg-thread {bad!r}: exit {r.returncode}: {r.stderr}")
        expect(os.path.exists(last), f"a refused --tcg-thread {bad!r} removed the last run's console")
    shutil.rmtree(cache)


@test
def never_ran_no_record() -> None:
    """scripts/soak --report-only: a lab that never booted the guest leaves no crash record"""
    r, cache = report_only({".console.log": "old\n", ".rc": "2\n",
                            ".lab.log": "lab: error: no kernel image for debug x86_64\n"})
    made = os.path.exists(os.path.join(cache, "soak.json"))
    shutil.rmtree(cache)
    expect(r.returncode == 2 and not made and "never ran" in r.stderr, f"{r.returncode} {r.stderr}")


@test
def failed_tests_named() -> None:
    """soak-report: the guest's failed tests and their want/got line, from results.tap"""
    top = tempfile.mkdtemp(prefix="migrace-soak-test.")
    with open(os.path.join(top, "soak.json"), "w", encoding="utf-8") as f:
        json.dump(guest(failed=1), f)
    with open(os.path.join(top, "results.tap"), "w", encoding="utf-8") as f:
        f.write("ok 1 - a\nnot ok 2 - armed soak: no kernel splat\n# want 0, got 1\n"
                "# armed soak: 51 runs\nok 3 - b\n")
    d = run_report(os.path.join(top, "soak.json"), "full", "Q", "0", "s")
    shutil.rmtree(top)
    expect(d["guest"]["not_ok"] == ["armed soak: no kernel splat (want 0, got 1)"],
           f"{d['guest']['not_ok']}")
    expect("- not ok: armed soak: no kernel splat (want 0, got 1)" in readme_soak(d), "README list")


if __name__ == "__main__":
    sys.exit(main())
