# SPDX-License-Identifier: GPL-2.0
"""The host tests' TAP runner (scripts/tests/test_*.py): @test registers a
test (its docstring is its name), expect() fails it, Skip skips it, main()
runs them all and prints TAP on stdout (scripts/check counts it)."""
from __future__ import annotations

from typing import Callable

TESTS: list[tuple[str, Callable[[], None]]] = []


def test(fn: Callable[[], None]) -> Callable[[], None]:
    TESTS.append((fn.__doc__ or fn.__name__, fn))
    return fn


class Skip(Exception):
    """The test cannot run here: a TAP skip with this reason."""


def expect(cond: bool, what: str) -> None:
    if not cond:
        raise AssertionError(what)


def main() -> int:
    """Run every registered test. Return: 1 if one failed, else 0."""
    print("TAP version 13")
    print(f"1..{len(TESTS)}")
    failed = 0
    for i, (name, fn) in enumerate(TESTS, 1):
        try:
            fn()
            print(f"ok {i} - {name}")
        except Skip as e:
            print(f"ok {i} - {name} # SKIP {e}")
        except Exception as e:  # noqa: BLE001 - every failure is reported as TAP
            failed += 1
            print(f"not ok {i} - {name}")
            for line in str(e).splitlines()[:8]:
                print(f"# {line}")
    return 1 if failed else 0
