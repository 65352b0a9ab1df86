#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Wrap a soak guest's figures (soak.json) with where and when they were
measured, and a verdict: ok when every guest test passed, the guest ran
clean (lab audit) and splats, leaks, orphans, failed driver runs and input
mismatches are 0. With --crashed, the guest died before it wrote its
figures: the record keeps the console's first trouble line and how many
times the module had been loaded, and is never ok.

    soak-report.py GUEST_JSON KIND QEMU_VERSION LAB_RC COMMAND > results/soak.json
    soak-report.py --crashed LINE LOADS KERNEL ARCH KIND QEMU_VERSION LAB_RC COMMAND > results/soak.json
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostinfo import host  # noqa: E402  (this directory, wherever run from)


def not_ok(tap: str) -> list[str]:
    """The guest's failed tests, each with its diagnostic (soak.sh's
    expect() writes one '# want W, got G' line; later '#' lines are the
    next phase's), from results.tap."""
    out: list[str] = []
    if not os.path.exists(tap):
        return out
    with open(tap, encoding="utf-8", errors="replace") as f:
        lines = [ln.rstrip("\n") for ln in f] + [""]
    for i, ln in enumerate(lines[:-1]):
        if ln.startswith("not ok"):
            diag = lines[i + 1][2:] if lines[i + 1].startswith("# ") else ""
            out.append(ln.split(" - ", 1)[-1] + (f" ({diag})" if diag else ""))
    return out


def main() -> int:
    args = sys.argv[1:]
    crash = None
    if args[:1] == ["--crashed"] and len(args) == 9:
        crash = {"failure": args[1], "module_loads": int(args[2]), "kernel": args[3],
                 "arch": args[4]}
        args = [""] + args[5:]  # no guest figures
    if len(args) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    guest = None
    if crash is None:
        with open(args[0], encoding="utf-8") as f:
            guest = json.load(f)
        guest["not_ok"] = not_ok(os.path.join(os.path.dirname(args[0]), "results.tap"))
    lab_rc = int(args[3])
    zero = ("splats", "orphans", "input_mismatches", "bad_runs", "failed")
    ok = (guest is not None and lab_rc == 0 and all(guest.get(k) == 0 for k in zero)
          and guest.get("leaks") in (0, None))
    doc = {
        "schema": 1,
        "kind": args[1],
        "command": args[4],
        # SOAK_RUN_DATE: a run reported again later (scripts/soak --report-only).
        "date": os.environ.get("SOAK_RUN_DATE") or
        datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "qemu": args[2],
        # SOAK_ACCEL: scripts/soak --tcg-thread (tcg,thread=single, say).
        "accel": os.environ.get("SOAK_ACCEL") or "tcg",
        "host": host(),
        "lab_rc": lab_rc,
        "ok": ok,
        "guest": guest,
    }
    if crash is not None:
        doc["crash"] = crash
    json.dump(doc, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
