# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# One cell of `scripts/bench --power` (busybox sh, in a lab guest): how fast
# each way of hunting the PTE-clear race finds it, what the module costs
# work it does not target, and how fast the driver migrates next to the
# kernel's own selftest loop. In order:
#   1. the kernel's migration selftest (./migration_test, when built), no
#      module: each test's start, with pgmigrate_{success,fail} there;
#   2. shared-anon without the module (`none`), POWER_REPEATS times;
#   3. private-anon, POWER_REPEATS times each, interleaved: module not
#      loaded, loaded with no window armed (`--no-target`), every window
#      armed for a target that is not the workload (`--no-target`);
#   4. shared-anon with pte-clear armed `delay` and `rendezvous`.
# Leaves in /out: kernel, arch, vcpus, readers, delay_us, thp, selftest.{txt,rc,marks},
# runs/MODE.REP.{json,txt} (+ .stats with the module). Every run is bounded by
# --seconds and a KILL timeout; every loop walks a fixed list.
#
# Environment: MIGRACE_SECONDS (per run), POWER_REPEATS, POWER_READERS (the
# selftest's reader count: the driver runs with as many), POWER_DELAY_US
# (the blind delay), POWER_SELFTEST_TIMEOUT (seconds; 0: no selftest).
set -u
OUT=/out
D=/sys/kernel/debug/migrace
SECS=${MIGRACE_SECONDS:-5}
REPEATS=${POWER_REPEATS:-3}
READERS=${POWER_READERS:-2}
DELAY_US=${POWER_DELAY_US:-1000}
ST_TIMEOUT=${POWER_SELFTEST_TIMEOUT:-0}
vm() { sed -n "s/^$1 //p" /proc/vmstat; }
cs() { tr -d . </proc/uptime | cut -d' ' -f1; }
# kill_session SID
# shellcheck source=scripts/guest/session.sh
. ./session.sh

# run TAG SCENARIO [ARGS...]: one driver run, bounded twice, its JSON kept,
# and the module's stats when it is loaded.
run() {
	tag=$1
	scen=$2
	shift 2
	timeout -s KILL $((SECS + 60)) migrace run "$scen" --readers "$READERS" --seconds "$SECS" \
		--quiet --json "$OUT/runs/$tag.json" "$@" >"$OUT/runs/$tag.txt" 2>&1
	echo "power: $tag: driver exit $?"
	[ ! -d "$D" ] || cp "$D/stats" "$OUT/runs/$tag.stats"
}

# The selftest in a session of its own, its output in a file; polled every
# 0.1 s: each new " RUN " line (a test starting) is marked with the time and
# the vmstat counters, so that each test's time and migrations are its own.
# What it leaves behind is killed.
selftest() {
	[ -x ./migration_test ] && [ "$ST_TIMEOUT" -gt 0 ] || return 0
	mark start
	setsid timeout -s KILL "$ST_TIMEOUT" ./migration_test >"$OUT/selftest.txt" 2>&1 &
	sid=$!
	seen=0
	t=0
	while kill -0 "$sid" 2>/dev/null && [ $t -lt $((ST_TIMEOUT * 10 + 100)) ]; do
		n=$(grep -c ' RUN ' "$OUT/selftest.txt")
		# Every test started since the last poll (a quick one: same time).
		while [ "$seen" -lt "$n" ]; do
			seen=$((seen + 1))
			mark run "$(grep ' RUN ' "$OUT/selftest.txt" | sed -n "${seen}{s/.* RUN *//; s/ .*//; p}")"
		done
		sleep 0.1
		t=$((t + 1))
	done
	wait "$sid"
	echo "$?" >"$OUT/selftest.rc"
	mark end
	kill_session "$sid"
	echo "power: selftest exit $(cat "$OUT/selftest.rc")"
}

# mark WHAT [TEST]: centiseconds of uptime and the migration counters now
# (pages, and THPs among them: 512 pages each on x86_64 and arm64 4K).
mark() {
	echo "$1 $(cs) $(vm pgmigrate_success) $(vm pgmigrate_fail) $(vm thp_migration_success)" \
		"${2:-}" >>"$OUT/selftest.marks"
}

# The cost trio, one of each per repeat, always in this order (a drift
# within a repeat is not balanced out: see the README).
cost() {
	r=$1
	run "cost-unloaded.$r" private-anon
	insmod migrace.ko || exit 1
	run "cost-disarmed.$r" private-anon --no-target
	echo "target comm no-such-task" >"$D/control"
	for w in pte-clear entry-wait freeze deferred-split; do
		echo "arm $w delay delay_us=1000" >"$D/control"
	done
	run "cost-armed-elsewhere.$r" private-anon --no-target
	rmmod migrace
}

mkdir -p "$OUT/runs"
# THP only where asked for (madvise): the selftest's private_anon then
# moves a 4 KB page per call, as the driver's private-anon does (with
# `always`, its 2 MB buffer is one THP); private_anon_thp still asks.
T=/sys/kernel/mm/transparent_hugepage/enabled
[ ! -w $T ] || echo madvise >$T
sed 's/.*\[\(.*\)\].*/\1/' $T >"$OUT/thp" 2>/dev/null
uname -r >"$OUT/kernel"
uname -m >"$OUT/arch"
nproc >"$OUT/vcpus"
echo "$READERS" >"$OUT/readers"
echo "$DELAY_US" >"$OUT/delay_us"
selftest
rep=1
while [ "$rep" -le "$REPEATS" ]; do
	run "none.$rep" shared-anon
	cost "$rep"
	rep=$((rep + 1))
done
insmod migrace.ko max_delay_us=5000 max_irqoff_us=5000 budget_us=900000 || exit 1
rep=1
while [ "$rep" -le "$REPEATS" ]; do
	echo reset >"$D/control"
	run "delay.$rep" shared-anon --window pte-clear --policy "delay delay_us=$DELAY_US"
	echo reset >"$D/control"
	run "rendezvous.$rep" shared-anon --window pte-clear --policy "rendezvous timeout_us=5000"
	rep=$((rep + 1))
done
rmmod migrace
echo "power: done"
