# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# KUnit in the debug kernel: loading migrace_kunit.ko runs its suites; each
# suite's KTAP goes to /out/SUITE.ktap for the host to count and parse.
set -u
insmod migrace.ko || exit 1
insmod migrace_kunit.ko || exit 1
found=0
for d in /sys/kernel/debug/kunit/migrace*; do
	[ -f "$d/results" ] || continue
	cp "$d/results" "/out/${d##*/}.ktap"
	cat "$d/results"
	found=1
done
rmmod migrace_kunit && rmmod migrace || exit 1
# kmemleak: anything the suites or the module leaked shows up in the log.
# KUNIT_SCAN=0 when the integration suite follows in this guest: its scan at
# the end sees these leaks too (a scan takes some 20 s on the debug kernel).
if [ "${KUNIT_SCAN:-1}" = 1 ] && [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
[ $found = 1 ]
