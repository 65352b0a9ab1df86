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
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
[ $found = 1 ]
