#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host tests of scripts/triage, scripts/triage-report.py and
scripts/guest/triage.sh, on the synthetic run directory in triage/fixture
(made by triage/make-fixture.py) and on fakes: no guest, no module. TAP on
stdout (scripts/check counts it).

    test_triage.py [BUSYBOX]     BUSYBOX: a static busybox for the guest
                                 script's run (skipped without one)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from taplib import Skip, expect, main, test  # noqa: E402  (this directory, wherever run from)

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
FIXTURE = os.path.join(HERE, "triage", "fixture")
REPORT = os.path.join(SCRIPTS, "triage-report.py")
SCHEMA = os.path.join(SCRIPTS, "triage-schema.json")
VALIDATE = os.path.join(os.path.dirname(SCRIPTS), "userspace", "tests", "validate_json.py")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
def run(*args: str, cwd: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, cwd=cwd, timeout=120,
                          env=dict(os.environ, **(env or {})))


def fresh() -> str:
    """A copy of the fixture in a new temporary directory."""
    d = tempfile.mkdtemp(prefix="migrace-triage-test.")
    shutil.copytree(FIXTURE, os.path.join(d, "run"))
    return os.path.join(d, "run")


def report(top: str, *rules: str, plots: bool = False) -> subprocess.CompletedProcess:
    """The report of TOP; without plots (matplotlib's import is most of its time)."""
    args = [PY, REPORT, "report", top]
    for r in rules:
        args += ["--expect", r]
    return run(*args, env=None if plots else {"TRIAGE_PLOTS": "0"})


def md(top: str) -> str:
    with open(os.path.join(top, "triage.md"), encoding="utf-8") as f:
        return f.read()


def edit_reports(top: str, cell: str, mode: str, scen: str, edit: Callable[[dict], None]) -> None:
    """Rewrite one group's driver reports (one per run) with `edit`."""
    rdir = os.path.join(top, "cells", cell, "runs")
    for name in os.listdir(rdir):
        if name.startswith(f"{mode}.{scen}.") and name.endswith(".json"):
            path = os.path.join(rdir, name)
            with open(path, encoding="utf-8") as f:
                rep = json.load(f)
            edit(rep)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(rep, f)


def set_not_migrated(top: str, cell: str, mode: str, scen: str, bad: int) -> None:
    """Rewrite one group's driver reports: `bad` pages not migrated per run."""
    def edit(rep: dict) -> None:
        mig = rep["migration"]
        mig["not_migrated"], mig["migrated"] = bad, mig["attempts"] - bad
        mig["failure_rate"] = bad / mig["attempts"]
        mig["first_failure_s"] = 0.1 if bad else None
    edit_reports(top, cell, mode, scen, edit)


ROW = ("| arm64 | 6.12.95+deb12-arm64 | no module | shared-anon | 2 | 27.5% (25.0%–30.0%) | "
       "0.070 s (0.050 s–0.090 s) | — | no module | no module | — |")
ARCH_SENTENCE = ("6.12, no module, shared-anon: arm64 fails 27.5% (25.0%–30.0%, 2 runs) of its calls, "
                 "x86_64 0.0% (0.0%–0.0%, 2 runs).")


@test
def table_values() -> None:
    """report: the table holds the fixture's min/median/max (arm64 6.12, no module)"""
    top = fresh()
    r = report(top)
    expect(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    expect(ROW in md(top), "row missing:\n" + "\n".join(ln for ln in md(top).splitlines() if "arm64" in ln))


@test
def empty_cell_is_no_result() -> None:
    """report: a guest that exited 0 with no driver run is a cell that did not run (exit 3)"""
    top = fresh()
    shutil.rmtree(os.path.join(top, "cells", "6.12-arm64", "runs"))
    os.mkdir(os.path.join(top, "cells", "6.12-arm64", "runs"))
    r = report(top)
    expect(r.returncode == 3, f"exit {r.returncode}, want 3")
    expect("arm64 6.12: did NOT run: 0 of 12 driver runs came back" in md(top), "no 'did NOT run' line")


@test
def killed_driver_empty_json() -> None:
    """report: an empty run JSON (a driver killed) is a missing run, not a traceback"""
    top = fresh()
    rdir = os.path.join(top, "cells", "6.12-arm64", "runs")
    name = sorted(n for n in os.listdir(rdir) if n.endswith(".json"))[0]
    open(os.path.join(rdir, name), "w").close()
    r = report(top)
    expect(r.returncode == 3, f"exit {r.returncode}, want 3: {r.stderr[-300:]}")
    expect("arm64 6.12: did NOT run: 11 of 12 driver runs came back" in md(top), "no 'did NOT run'")


def set_call_errors(top: str, cell: str, mode: str, n: int) -> None:
    rdir = os.path.join(top, "cells", cell, "runs")
    for name in os.listdir(rdir):
        if name.startswith(f"{mode}.") and name.endswith(".json"):
            path = os.path.join(rdir, name)
            with open(path, encoding="utf-8") as f:
                rep = json.load(f)
            rep["migration"]["call_errors"] = n
            rep["verdict"], rep["reason"] = "fail", f"move_pages() failed on {n} call(s) (EACCES {n})"
            with open(path, "w", encoding="utf-8") as f:
                json.dump(rep, f)


@test
def call_errors_are_no_figures() -> None:
    """report: runs whose move_pages() calls failed are left out, said so, and no rule holds on them"""
    top = fresh()
    set_call_errors(top, "6.12-x86_64", "none", 7)
    r = report(top, "x86_64/6.12/none<0.05")
    expect(r.returncode == 1, f"exit {r.returncode}, want 1 (the rule cannot hold)")
    expect("x86_64 6.12 none shared-anon: 7 move_pages() call(s) failed" in md(top), "not listed")


@test
def failed_guest_no_rows_no_rules() -> None:
    """report: a cell whose guest failed gives no rows and no rule holds on it"""
    top = fresh()
    with open(os.path.join(top, "cells", "6.12-arm64", "lab.rc"), "w") as f:
        f.write("124\n")
    r = report(top, "arm64/6.12/none>0.05")
    expect(r.returncode == 3, f"exit {r.returncode}, want 3")
    expect("`arm64/6.12/none>0.05`: FAILED (matched no cell that ran)" in md(top), "rule held")
    expect("| arm64 | 6.12.95+deb12-arm64 |" not in md(top), "arm64 rows still there")
    expect("shared_anon fail" not in md(top), "the failed guest's selftest still shown")


@test
def json_numbers() -> None:
    """report: triage.json has every number, the QEMU version and vCPUs"""
    top = fresh()
    report(top)
    with open(os.path.join(top, "triage.json"), encoding="utf-8") as f:
        doc = json.load(f)
    g = [g for g in doc["groups"] if (g["arch"], g["mode"], g["scenario"]) ==
         ("x86_64", "rendezvous", "shared-anon")][0]
    expect(g["metrics"]["not_migrated_per_call"]["values"] == [16 / 500, 20 / 480], str(g["metrics"]))
    expect(g["metrics"]["tlb_flush_deferred_none"]["median"] == 800, "deferred_none")
    expect(g["metrics"]["first_failure_s"] == {"min": 0.22, "median": 0.315, "max": 0.41, "n": 2,
                                                "values": [0.41, 0.22]}, "first failure")
    expect(doc["qemu"].startswith("QEMU emulator version") and doc["vcpus"] == 4, "qemu/vcpus")
    expect(all(k in doc for k in ("date", "host", "cells", "what_differs", "expect", "plots")), "keys")


@test
def arch_sentence() -> None:
    """what differs: arm64 vs x86_64 on 6.12 without the module, from the numbers"""
    top = fresh()
    report(top)
    expect(ARCH_SENTENCE in md(top), "sentence missing")


@test
def arch_sentence_follows_data() -> None:
    """what differs: with arm64's numbers at 0 the arch sentence says no difference"""
    top = fresh()
    set_not_migrated(top, "6.12-arm64", "none", "shared-anon", 0)
    report(top)
    text = md(top)
    expect(ARCH_SENTENCE not in text, "the old sentence is still there")
    expect("do not differ beyond their spread on: 6.12, no module, shared-anon (0.0% vs 0.0%)" in text,
           "no 'do not differ' sentence")


@test
def flush_and_readers_sentences() -> None:
    """what differs: flush counts, the forced flush and readers outside the window"""
    top = fresh()
    report(top)
    text = md(top)
    for s in ("x86_64 6.12 (shared-anon, rendezvous): of 1990 PTE clears in 2 run(s): 390 flushed at "
              "once, 1600 deferred with nothing invalidated until the batch flush.",
              "x86_64 6.12 (shared-anon): forcing the immediate flush raises the failure rate from "
              "3.7% (3.2%–4.2%, 2 runs) to 98.0% (98.0%–98.0%, 2 runs).",
              "No reader faulted inside the window on: x86_64 6.12 rendezvous shared-anon "
              "(0 of 1000 fresh holds met).",
              "private-anon (the control): no call failed in any of its 6 cells (7260 calls).",
              "The kernel's selftest migration.shared_anon: fail on arm64 6.12; pass on x86_64 6.12."):
        expect(s in text, f"missing: {s}")


def set_stat(top: str, cell: str, mode: str, scen: str, name: str, value: int) -> None:
    """Set one module stat in a group's driver reports."""
    edit_reports(top, cell, mode, scen,
                 lambda rep: rep["module"]["stats_delta"].__setitem__(name, value))


@test
def waiter_sentence() -> None:
    """what differs: references held by migration-entry waiters, only where waiter_refs says so"""
    top = fresh()
    report(top)
    expect("migration entry held" not in md(top), "a waiter sentence with no waiter_refs read")
    top = fresh()
    set_stat(top, "6.12-x86_64", "rendezvous", "shared-anon", "waiter_refs", 0)
    report(top)
    expect("migration entry held" not in md(top), "a waiter sentence with waiter_refs 0")
    set_stat(top, "6.12-arm64", "rendezvous", "shared-anon", "waiter_refs", 500)
    report(top)
    expect("Faults waiting on a migration entry held page references on 6.12 (up to " in md(top),
           "no waiter sentence: " + "".join(ln for ln in md(top).splitlines() if "waiting" in ln))


@test
def selftest_not_run() -> None:
    """report: a selftest that was not built is 'not run (reason)', never a pass"""
    top = fresh()
    with open(os.path.join(top, "cells", "6.12-arm64", "selftest.host"), "w", encoding="utf-8") as f:
        f.write("status: not run\nwhy: no linux-source for 6.12: gone from the archive\n")
    report(top)
    expect("| arm64 | 6.12 | not run (no linux-source for 6.12: gone from the archive) | — | — |" in md(top),
           "not-run row missing")
    expect("fail on arm64" not in md(top), "a verdict from a selftest that did not run")


def validate(doc_path: str, minimal: bool) -> subprocess.CompletedProcess:
    return run(PY, VALIDATE, SCHEMA, doc_path, env={"MIGRACE_MINIMAL_VALIDATOR": "1" if minimal else ""})


@test
def schema_valid() -> None:
    """report: triage.json follows scripts/triage-schema.json (jsonschema and the minimal validator)"""
    top = fresh()
    report(top, "arm64/6.12/none>0.05")
    for minimal in (False, True):
        r = validate(os.path.join(top, "triage.json"), minimal)
        expect(r.returncode == 0, f"minimal={minimal}: {r.stdout}{r.stderr}")


@test
def schema_rejects() -> None:
    """schema: a triage.json without a group's spread, or with an unknown mode, is invalid"""
    top = fresh()
    report(top)
    path = os.path.join(top, "triage.json")
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    del doc["groups"][0]["stray_per_migrate_call"]
    doc["groups"][1]["mode"] = "freeze"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    for minimal in (False, True):
        r = validate(path, minimal)
        expect(r.returncode == 1 and "stray_per_migrate_call" in r.stderr and "freeze" in r.stderr,
               f"minimal={minimal}: exit {r.returncode}: {r.stderr}")


@test
def plots_or_reason() -> None:
    """report: both PNG plots, or triage.md says why there are none"""
    top = fresh()
    report(top, plots=True)
    text = md(top)
    if "Not drawn: python3-matplotlib is missing" in text:
        return
    for name in ("triage-failure-rate.png", "triage-stray-refs.png"):
        expect(os.path.getsize(os.path.join(top, name)) > 1000, f"{name} missing")
        expect(f"![{name}]({name})" in text, f"{name} not linked")


@test
def expect_holds() -> None:
    """--expect 'arm64/6.12/none>0.05' holds: exit 0"""
    r = report(fresh(), "arm64/6.12/none>0.05")
    expect(r.returncode == 0 and "held" in r.stderr, f"exit {r.returncode}: {r.stderr}")


@test
def expect_fails() -> None:
    """--expect 'arm64/6.12/none>0.5' fails: exit 1, naming the cell's median"""
    r = report(fresh(), "arm64/6.12/none>0.5", "*/6.12/rendezvous+flush/shared-anon>=0.9")
    expect(r.returncode == 1 and "FAILED (arm64/6.12/none/shared-anon median 0.275)" in r.stderr,
           f"exit {r.returncode}: {r.stderr}")


@test
def expect_no_cell() -> None:
    """--expect on a cell that did not run fails (exit 1), it does not pass"""
    r = report(fresh(), "x86_64/7.2/none<0.5")
    expect(r.returncode == 1 and "matched no cell that ran" in r.stderr, f"exit {r.returncode}: {r.stderr}")


@test
def expect_usage() -> None:
    """--expect with a bad token: exit 2 naming the token and the allowed values"""
    for rule, want in (("arm64/6.12/nonee>0.05", "unknown mode 'nonee' (none, rendezvous, rendezvous+flush, *)"),
                       ("arm64/4.19/none>0.05", "unknown kernel '4.19'"),
                       ("arm64/6.12/none>1.5", "value '1.5' is not a rate in 0..1"),
                       ("arm64/6.12>0.1", "'arm64/6.12' is not ARCH/KERNEL/MODE[/SCENARIO]"),
                       ("arm64/6.12/none=0.1", "OP one of > >= < <=")):
        r = run(PY, REPORT, "check-expect", rule)
        expect(r.returncode == 2 and want in r.stderr, f"{rule}: exit {r.returncode}: {r.stderr}")


@test
def triage_usage() -> None:
    """scripts/triage: a bad option value exits 2 naming it, before any guest"""
    env = {"MIGRACE_CACHE": tempfile.mkdtemp(prefix="migrace-triage-nocache.")}
    for args, want in ((["--arch", "sparc"], "unknown arch 'sparc' (x86_64, arm64)"),
                       (["--kernel", "6.1,4.19"], "unknown kernel '4.19' (5.10, 6.1, 6.12, 7.2)"),
                       (["--scenario", "thp"], "unknown scenario 'thp'"),
                       (["--repeats", "0"], "--repeats '0' must be a whole number in 1..20"),
                       (["--cpus", "3"], "--cpus '3' must be even"),
                       (["--expect", "arm64/6.12/nonee>0.05"], "unknown mode 'nonee'"),
                       (["--frobnicate"], "unknown option '--frobnicate'"),
                       (["--arch"], "--arch needs a value")):
        r = run(os.path.join(SCRIPTS, "lab"), "triage", *args, env=env)
        expect(r.returncode == 2 and want in r.stderr, f"{args}: exit {r.returncode}: {r.stderr}")
        expect(not os.listdir(env["MIGRACE_CACHE"]), f"{args}: wrote to the cache")


FAKE_MIGRACE = r"""#!/bin/sh
# A fake driver: writes the fixture's report for the scenario asked for.
json="" scen=$2 win=none
while [ $# -gt 0 ]; do
	case $1 in --json) json=$2; shift ;; --window) win=$2; shift ;; esac
	shift
done
mode=none
[ "$win" = none ] || mode=rendezvous
cp "$FIXTURE/$mode.$scen.1.json" "$json"
echo "fake run $scen $win"
"""
FAKE_SELFTEST = r"""#!/bin/sh
# A failing selftest that leaves a reader behind, as 6.1's shared_anon does.
sleep 313 &
echo "TAP version 13"
echo "not ok 1 migration.shared_anon"
exit 1
"""


def fake_guest(busybox: str) -> str:
    """A directory laid out like the guest's /migrace, with fakes."""
    d = tempfile.mkdtemp(prefix="migrace-triage-guest.")
    for sub in ("bin", "migrace", "out", "dbg", "params"):
        os.makedirs(os.path.join(d, sub))
    run(busybox, "--install", "-s", os.path.join(d, "bin"))
    scripts = {"migrace": FAKE_MIGRACE, "migration_test": FAKE_SELFTEST,
               "insmod": f"#!/bin/sh\necho 'pte-clear yes no none' >{d}/dbg/windows\n"
                         f"echo 'stray_passes: 3' >{d}/dbg/stats\n: >{d}/dbg/attribution\n",
               "rmmod": f"#!/bin/sh\nrm -f {d}/dbg/windows\n"}
    for name, text in scripts.items():
        path = os.path.join(d, "migrace", name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"#!{busybox} sh\n" + text.split("\n", 1)[1])
        os.chmod(path, 0o755)
    shutil.copy(os.path.join(SCRIPTS, "guest", "triage.sh"), os.path.join(d, "migrace"))
    shutil.copy(os.path.join(SCRIPTS, "guest", "session.sh"), os.path.join(d, "migrace"))
    open(os.path.join(d, "migrace", "migrace.ko"), "w", encoding="utf-8").close()
    return d


def sleepers(secs: str) -> list[int]:
    """Processes running `sleep SECS`."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", encoding="utf-8", errors="replace") as f:
                args = f.read().split("\0")
        except OSError:
            continue
        if len(args) >= 2 and os.path.basename(args[0]) == "sleep" and args[1] == secs:
            out.append(int(pid))
    return out


@test
def guest_script() -> None:
    """guest/triage.sh under busybox with fakes: every run's files, selftest reaped, reportable"""
    busybox = sys.argv[1] if len(sys.argv) > 1 else ""
    if not busybox or not os.access(busybox, os.X_OK):
        raise Skip("no busybox (scripts/lab setup unpacks one into the cache)")
    d = fake_guest(busybox)
    rdir = os.path.join(FIXTURE, "cells", "6.12-arm64", "runs")
    env = {"PATH": f"{d}/migrace:{d}/bin", "TRIAGE_OUT": f"{d}/out", "MIGRACE_DEBUGFS": f"{d}/dbg",
           "TRIAGE_PARAMS": f"{d}/params", "TRIAGE_MODES": "rendezvous none", "TRIAGE_REPEATS": "2",
           "TRIAGE_SCENARIOS": "shared-anon private-anon", "TRIAGE_SECONDS": "1",
           "TRIAGE_SELFTEST_TIMEOUT": "20", "FIXTURE": rdir,
           "TRIAGE_INSMOD": f"{d}/migrace/insmod", "TRIAGE_RMMOD": f"{d}/migrace/rmmod"}
    r = run(busybox, "sh", "triage.sh", cwd=f"{d}/migrace", env=env)
    expect(r.returncode == 0, f"exit {r.returncode}: {r.stdout} {r.stderr}")
    out = f"{d}/out"
    runs = sorted(os.listdir(f"{out}/runs"))
    want = sorted(f"{m}.{s}.{i}.{ext}" for m in ("none", "rendezvous") for s in ("shared-anon", "private-anon")
                  for i in (1, 2) for ext in ("json", "txt", "vmstat") + (("stats", "attribution")
                                                                         if m != "none" else ()))
    expect(runs == want, f"runs/: {runs}")
    order = [ln.split()[1] for ln in r.stdout.splitlines() if ln.startswith("triage: ") and "#" in ln]
    expect(order[0] == "none" and order[-1] == "rendezvous", f"none must run before the module: {order}")
    with open(f"{out}/selftest.rc", encoding="utf-8") as f:
        expect(f.read().strip() == "1", "selftest exit status")
    expect(open(f"{d}/params/max_delay_us", encoding="utf-8").read().strip() == "5000", "max_delay_us")
    expect(open(f"{d}/params/max_irqoff_us", encoding="utf-8").read().strip() == "5000", "max_irqoff_us")
    # The selftest's leftover `sleep 313` was killed with its session.
    expect(not sleepers("313"), f"selftest leftovers: {sleepers('313')}")
    top = tempfile.mkdtemp(prefix="migrace-triage-report.")
    shutil.copytree(out, f"{top}/cells/6.12-arm64")
    with open(f"{top}/cells/6.12-arm64/selftest.host", "w", encoding="utf-8") as f:
        f.write("status: built\nsource: fake\nfile: fake\n")
    with open(f"{top}/cells/6.12-arm64/lab.rc", "w", encoding="utf-8") as f:
        f.write("0\n")
    rr = report(top)
    expect(rr.returncode == 0, f"report exit {rr.returncode}: {rr.stderr}")
    expect("| arm64 | 6.12 | `fake` of fake | shared_anon fail (exit 1) |" in md(top), md(top))


if __name__ == "__main__":
    sys.exit(main())
