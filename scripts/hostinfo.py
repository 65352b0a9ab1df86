# SPDX-License-Identifier: GPL-2.0
"""The host a results file was measured on, one shape for all of them
(bench, matrix, soak, triage): machine, CPU count and model, OS."""
from __future__ import annotations

import os
import platform


def host() -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        osname = platform.freedesktop_os_release().get("PRETTY_NAME", "unknown")
    except OSError:
        osname = "unknown"
    return {"machine": platform.machine(), "cpus": os.cpu_count(), "cpu": cpu, "os": osname}
