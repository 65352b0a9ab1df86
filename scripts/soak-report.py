#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Wrap a soak guest's figures (soak.json) with where and when they were
measured, and a verdict: ok when every guest test passed, the guest ran
clean (lab audit) and splats, leaks, orphans, failed driver runs and input
mismatches are 0.

    soak-report.py GUEST_JSON KIND QEMU_VERSION LAB_RC COMMAND > results/soak.json
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hostinfo import host  # noqa: E402  (this directory, wherever run from)


def main() -> int:
    if len(sys.argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        guest = json.load(f)
    lab_rc = int(sys.argv[4])
    zero = ("splats", "orphans", "input_mismatches", "bad_runs", "failed")
    ok = lab_rc == 0 and all(guest.get(k) == 0 for k in zero) and guest.get("leaks") in (0, None)
    doc = {
        "schema": 1,
        "kind": sys.argv[2],
        "command": sys.argv[5],
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "qemu": sys.argv[3],
        "accel": "tcg",
        "host": host(),
        "lab_rc": lab_rc,
        "ok": ok,
        "guest": guest,
    }
    json.dump(doc, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
