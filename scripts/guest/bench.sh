# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Benchmark body (busybox sh, in a lab guest): one line per run,
#   bench NAME REP calls= not_migrated= failed= succeeded= widened= widen_ns=
#     fresh_holds= fresh_met= fresh_ns= present= timeouts= stray_passes=
#     eagain= migrate_calls= disarms=
# for scripts/bench-report.py. NAME: baseline, rendezvous, delay-US, and the
# module's cost (cost-unloaded, cost-loaded: migrated=). A first line
# `bench-policy POLICY...` names the rendezvous policy. Every run is bounded
# by --seconds; the lists below are fixed.
#
# Environment: MIGRACE_SECONDS (per run), BENCH_REPEATS, BENCH_DELAYS (blind
# delays in us, blank-separated; empty: none), BENCH_COST (0: skip the
# module-cost pair), BENCH_POLICY (the rendezvous's, run with
# max_delay_us=5000; default: timeout_us=500, kept up to max_delay_us while
# the reader is runnable), BENCH_DEFAULTS (0: skip the run at every default,
# max_delay_us=1000 included, named rendezvous-defaults).
set -u
D=/sys/kernel/debug/migrace
SECS=${MIGRACE_SECONDS:-5}
REPEATS=${BENCH_REPEATS:-3}
DELAYS=${BENCH_DELAYS-50 100 200 500 1000}
COST=${BENCH_COST:-1}
RDV=${BENCH_POLICY:-rendezvous}
DEFAULTS=${BENCH_DEFAULTS:-1}
stat() { sed -n "s/^$1: //p" "$D/stats"; }
row() { sed -n "s/^  $2 *//p" "/out/$1.txt"; }
cap() { echo "$1" >/sys/module/migrace/parameters/max_delay_us; }

# run NAME REP POLICY: one shared-anon run, pte-clear armed with POLICY
# (none: not armed), one reader.
run() {
	tag=$1-$2
	echo reset >"$D/control"
	if [ "$3" = none ]; then
		migrace run shared-anon --readers 1 --seconds "$SECS" >"/out/$tag.txt" 2>&1
	else
		migrace run shared-anon --readers 1 --seconds "$SECS" --window pte-clear \
			--policy "$3" >"/out/$tag.txt" 2>&1
	fi
	w=window.pte-clear
	echo "bench $1 $2 calls=$(row "$tag" 'move_pages calls') not_migrated=$(row "$tag" 'not migrated')" \
		"failed=$(stat final_failed) succeeded=$(stat final_succeeded)" \
		"widened=$(stat $w.widened) widen_ns=$(stat $w.widen_ns)" \
		"fresh_holds=$(stat $w.fresh_holds) fresh_met=$(stat $w.fresh_met)" \
		"fresh_ns=$(stat $w.fresh_ns) present=$(stat $w.present) timeouts=$(stat $w.timeouts)" \
		"extended=$(stat $w.extended) extended_met=$(stat $w.extended_met)" \
		"queued_here=$(stat $w.queued_here)" \
		"stray_passes=$(stat stray_passes) eagain=$(stat pass_eagain)" \
		"migrate_calls=$(stat migrate_calls) disarms=$(stat budget_disarms)" | tee -a /out/bench.txt
}

# The module's own cost: private-anon (no race) without it and with it, targeted.
if [ "$COST" = 1 ]; then
	migrace run private-anon --seconds "$SECS" >/out/cost-unloaded.txt 2>&1
	echo "bench cost-unloaded 1 migrated=$(row cost-unloaded migrated)" | tee -a /out/bench.txt
fi
# The largest widening budget, so blind delays are not cut short by it; the
# largest cap, so a hold may wait up to 5 ms while its reader is runnable.
insmod migrace.ko budget_us=900000 max_delay_us=5000 max_irqoff_us=5000 || exit 1
if [ "$COST" = 1 ]; then
	migrace run private-anon --seconds "$SECS" >/out/cost-loaded.txt 2>&1
	echo "bench cost-loaded 1 migrated=$(row cost-loaded migrated)" | tee -a /out/bench.txt
fi
echo "bench-policy $RDV, max_delay_us=5000" | tee -a /out/bench.txt
rep=1
while [ "$rep" -le "$REPEATS" ]; do
	run baseline "$rep" none
	run rendezvous "$rep" "$RDV"
	if [ "$DEFAULTS" = 1 ]; then
		cap 1000
		run rendezvous-defaults "$rep" rendezvous
		cap 5000
	fi
	for us in $DELAYS; do
		run "delay-$us" "$rep" "delay delay_us=$us"
	done
	rep=$((rep + 1))
done
rmmod migrace
