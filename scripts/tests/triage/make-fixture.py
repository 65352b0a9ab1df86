#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the synthetic run directory that test_triage.py reports on: what
scripts/guest/triage.sh leaves for two cells (6.12 on x86_64 and arm64),
three modes, shared-anon and private-anon, two repeats each. The numbers are
invented, shaped like the lab's (README's kernel table); the driver reports
follow userspace/report-schema.json.

    make-fixture.py DIR
"""
from __future__ import annotations

import json
import os
import sys

KERNEL = {"x86_64": "6.12.95+deb12-amd64", "arm64": "6.12.95+deb12-arm64"}

# (arch, mode, scenario) -> per repeat: (calls, not migrated, first failure s)
CALLS = {
    ("x86_64", "none", "shared-anon"): [(500, 0, None), (520, 0, None)],
    ("x86_64", "rendezvous", "shared-anon"): [(500, 16, 0.41), (480, 20, 0.22)],
    ("x86_64", "rendezvous+flush", "shared-anon"): [(500, 490, 0.002), (505, 495, 0.003)],
    ("arm64", "none", "shared-anon"): [(500, 150, 0.05), (480, 120, 0.09)],
    ("arm64", "rendezvous", "shared-anon"): [(500, 490, 0.004), (495, 485, 0.002)],
    ("arm64", "rendezvous+flush", "shared-anon"): [(500, 495, 0.001), (490, 488, 0.002)],
}
# (arch, mode) -> module stats of each shared-anon run
STATS = {
    ("x86_64", "rendezvous"): {"tlb_flush_immediate": 195, "tlb_flush_deferred": 800,
                               "tlb_flush_deferred_none": 800, "window.pte-clear.fresh_holds": 500,
                               "window.pte-clear.fresh_met": 0, "window.pte-clear.timeouts": 500,
                               "stray_shmem_1": 10, "stray_passes": 10},
    ("x86_64", "rendezvous+flush"): {"tlb_flush_immediate": 1000, "tlb_flush_forced": 500,
                                     "window.pte-clear.fresh_holds": 480,
                                     "window.pte-clear.fresh_met": 470, "window.pte-clear.timeouts": 10,
                                     "stray_shmem_1": 400, "stray_shmem_2": 60, "stray_passes": 460},
    ("arm64", "rendezvous"): {"tlb_flush_immediate": 600, "tlb_flush_deferred": 1200,
                              "tlb_flush_deferred_issued": 1200, "window.pte-clear.fresh_holds": 480,
                              "window.pte-clear.fresh_met": 475, "window.pte-clear.timeouts": 5,
                              "stray_shmem_1": 380, "stray_shmem_2": 90, "stray_shmem_4plus": 3,
                              "stray_passes": 473},
    ("arm64", "rendezvous+flush"): {"tlb_flush_immediate": 1500, "tlb_flush_forced": 500,
                                    "window.pte-clear.fresh_holds": 490,
                                    "window.pte-clear.fresh_met": 488, "window.pte-clear.timeouts": 2,
                                    "stray_shmem_1": 420, "stray_shmem_2": 70, "stray_passes": 490},
}
TAKER = {"taker": "pagecache-lookup", "kind": "shmem", "hits": 400,
         "frames": ["shmem_get_folio_gfp+0x9e/0x7b0", "shmem_fault+0x71/0x200"]}
SELFTEST = {
    "x86_64": "TAP version 13\n1..3\n# Starting 3 tests from 1 test cases.\n"
              "ok 1 migration.private_anon\nok 2 migration.shared_anon\n"
              "ok 3 migration.private_anon_thp\n# PASSED: 3 / 3 tests passed.\n",
    "arm64": "TAP version 13\n1..3\nok 1 migration.private_anon\nDidn't migrate 1 pages\n"
             "# shared_anon: Test failed\nnot ok 2 migration.shared_anon\n"
             "ok 3 migration.private_anon_thp # SKIP Transparent Hugepages not available\n",
}


def driver_report(arch: str, mode: str, scen: str, calls: int, bad: int, first: float | None,
                  stats: dict | None) -> dict:
    return {
        "schema_version": 1, "scenario": scen, "verdict": "pass", "exit_code": 0, "reason": "",
        "interrupted": False,
        "system": {"arch": "aarch64" if arch == "arm64" else arch, "kernel": KERNEL[arch], "cpus": 4,
                   "nodes_with_memory": 2},
        "config": {"nodes": [0, 1], "pages": 1, "unit_bytes": 4096, "readers": 2, "writers": 0,
                   "writers_pct": 0, "access": "seq", "seconds": 5, "iterations": 0, "seed": 1,
                   "cpu_pin": False, "move_flags": "MPOL_MF_MOVE_ALL",
                   "windows": [] if mode == "none" else ["pte-clear"],
                   "policy": "" if mode == "none" else "rendezvous timeout_us=5000"},
        "elapsed_s": 5.0,
        "migration": {"calls": calls, "attempts": calls, "migrated": calls - bad, "not_migrated": bad,
                      "failure_rate": bad / calls, "failures_by_errno": {"EAGAIN": bad} if bad else {},
                      "unreported": 0, "returned_not_migrated": bad, "call_errors": 0, "query_errors": 0,
                      "first_failure_s": first},
        "vmstat": {"available": True, "pgmigrate_success_delta": calls - bad, "pgmigrate_fail_delta": bad},
        "data": {"reads": 100000, "writes": 0, "mismatches": 0, "final_bad": 0, "corruptions": 0,
                 "final_generations_checked": True, "reader_deaths": 0, "last_death_signal": 0,
                 "readers_stuck": 0, "reader_errors": 0, "first_corruption": None},
        "hotplug": None, "deferred_split": None,
        "module": {"loaded": stats is not None,
                   "stats_delta": dict(stats or {}, migrate_calls=calls, final_failed=bad,
                                       final_succeeded=calls - bad) if stats is not None else {},
                   "attribution_top": [TAKER] if stats and stats.get("stray_passes", 0) > 100 else [],
                   "error": ""},
    }


def write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def cell(top: str, arch: str) -> None:
    d = os.path.join(top, "cells", f"6.12-{arch}")
    write(f"{d}/kernel", KERNEL[arch] + "\n")
    write(f"{d}/arch", ("aarch64" if arch == "arm64" else arch) + "\n")
    write(f"{d}/vcpus", "4\n")
    write(f"{d}/lab.rc", "0\n")
    write(f"{d}/selftest.host", "status: built\nsource: linux-source-6.12 6.12.95-1~bpo12+1\n"
          "file: tools/testing/selftests/mm/migration.c\ntimeout: 150\n")
    write(f"{d}/selftest.txt", SELFTEST[arch])
    write(f"{d}/selftest.rc", "0\n" if arch == "x86_64" else "1\n")
    write(f"{d}/selftest.vmstat", f"pgmigrate_fail_delta {0 if arch == 'x86_64' else 1}\n")
    for mode in ("none", "rendezvous", "rendezvous+flush"):
        for scen in ("shared-anon", "private-anon"):
            reps = CALLS.get((arch, mode, scen), [(600, 0, None), (610, 0, None)])
            for i, (calls, bad, first) in enumerate(reps, 1):
                stats = None if mode == "none" else (
                    STATS[(arch, mode)] if scen == "shared-anon" else {"tlb_flush_immediate": calls})
                rep = driver_report(arch, mode, scen, calls, bad, first, stats)
                base = f"{d}/runs/{mode}.{scen}.{i}"
                write(base + ".json", json.dumps(rep, indent=1) + "\n")
                write(base + ".vmstat", f"pgmigrate_fail_delta {bad}\ndriver_exit 0\n")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    top = sys.argv[1]
    write(os.path.join(top, "run.json"), json.dumps({
        "schema": 1, "command": "scripts/lab triage --kernel 6.12 --scenario shared-anon,private-anon "
        "--repeats 2", "quick": False, "arches": ["x86_64", "arm64"], "kernels": ["6.12"],
        "modes": ["none", "rendezvous", "rendezvous+flush"], "scenarios": ["shared-anon", "private-anon"],
        "repeats": 2, "seconds": 5, "vcpus": 4, "readers": 2, "selftest": True,
        "qemu": "QEMU emulator version 10.0.2 (fixture)", "accel": "tcg"}, indent=1) + "\n")
    for arch in ("x86_64", "arm64"):
        cell(top, arch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
