#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guest's `bench NAME key=value...` lines into the ratios migrace
promises for the PTE-clear rendezvous, all from one run."""
from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    name: str
    v: dict[str, int]

    def get(self, key: str) -> int:
        return self.v.get(key, 0)

    def fail_rate(self) -> float:
        total = self.get("failed") + self.get("succeeded")
        return self.get("failed") / total if total else 0.0

    def mean_hold_us(self) -> float:
        w = self.get("widened")
        return self.get("widen_ns") / w / 1000 if w else 0.0

    def hold_per_call_us(self) -> float:
        c = self.get("calls")
        return self.get("widen_ns") / c / 1000 if c else 0.0


def parse(path: str) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or parts[0] != "bench":
                continue
            vals = {}
            for kv in parts[2:]:
                k, _, val = kv.partition("=")
                vals[k] = int(val) if val.isdigit() else 0
            runs[parts[1]] = Run(parts[1], vals)
    return runs


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def report(arch: str, runs: dict[str, Run]) -> None:
    base, rdv = runs["baseline"], runs["rendezvous"]
    delays = sorted((r for n, r in runs.items() if n.startswith("delay-")),
                    key=lambda r: int(r.name.split("-")[1]))
    met = rdv.get("met") / rdv.get("widened") if rdv.get("widened") else 0.0
    attributed = rdv.get("stray_passes") / rdv.get("eagain") if rdv.get("eagain") else 0.0
    print(f"== {arch} (lab guest: TCG, 4 vCPUs, 2 NUMA nodes; shared-anon, 1 page) ==")
    print(f"{'run':<12}{'calls':>7}{'failed':>8}{'rate':>8}{'widened':>9}{'mean hold':>12}"
          f"{'hold/call':>12}{'over budget':>12}")
    for r in [base, rdv, *delays]:
        print(f"{r.name:<12}{r.get('calls'):>7}{r.get('failed'):>8}{r.fail_rate():>8.1%}"
              f"{r.get('widened'):>9}{r.mean_hold_us():>10.1f}us{r.hold_per_call_us():>10.1f}us"
              f"{'yes' if r.get('disarms') else 'no':>12}")
    print(f"rendezvous failure rate      {rdv.fail_rate():.2%}  (target >= 99%: {verdict(rdv.fail_rate() >= 0.99)})")
    print(f"failed passes with a stray   {attributed:.2%}  (refcount above expected at the check)")
    print(f"reader met in window         {met:.2%}  (target >= 90%: {verdict(met >= 0.90)})")
    reach = [d for d in delays if d.fail_rate() >= rdv.fail_rate()]
    ref = reach[0] if reach else (max(delays, key=lambda d: d.fail_rate()) if delays else None)
    if ref is not None and ref.mean_hold_us() > 0:
        ratio = rdv.mean_hold_us() / ref.mean_hold_us()
        what = "the shortest blind delay reaching the same rate" if reach else \
            "the best blind delay (none reached the same rate)"
        print(f"mean hold vs {what} ({ref.name}): {rdv.mean_hold_us():.1f}us / "
              f"{ref.mean_hold_us():.1f}us = {ratio:.3f}")
    lo, hi = runs.get("cost-unloaded"), runs.get("cost-loaded")
    if lo and hi and lo.get("migrated"):
        print(f"module cost (private-anon migrations, loaded+targeted / unloaded): "
              f"{hi.get('migrated')}/{lo.get('migrated')} = {hi.get('migrated') / lo.get('migrated'):.2f}")


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: bench-report.py ARCH BENCH.TXT", file=sys.stderr)
        return 2
    runs = parse(sys.argv[2])
    if "baseline" not in runs or "rendezvous" not in runs:
        print(f"bench-report: incomplete results in {sys.argv[2]}", file=sys.stderr)
        return 1
    report(sys.argv[1], runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
