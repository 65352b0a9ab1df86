# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Benchmark body (busybox sh, in a lab guest): one line per run,
#   bench NAME calls= failed= succeeded= widened= widen_ns= met= timeouts= stray_passes= eagain= attrib= mps=
# for scripts/bench to turn into ratios. Every run is bounded by --seconds.
set -u
D=/sys/kernel/debug/migrace
SECS=${MIGRACE_SECONDS:-5}
stat() { sed -n "s/^$1: //p" "$D/stats"; }

# run NAME WINDOW POLICY: one shared-anon run with the window armed (or none).
run() {
	name=$1
	echo reset >"$D/control"
	if [ "$2" = none ]; then
		migrace run shared-anon --readers 1 --seconds "$SECS" --json "/out/$name.json" \
			>"/out/$name.txt" 2>&1
	else
		migrace run shared-anon --readers 1 --seconds "$SECS" --window "$2" --policy "$3" \
			--json "/out/$name.json" >"/out/$name.txt" 2>&1
	fi
	w=${2#none}
	w=${w:-pte-clear}
	calls=$(sed -n 's/^  move_pages calls *//p' "/out/$name.txt")
	echo "bench $name calls=${calls:-0} failed=$(stat final_failed) succeeded=$(stat final_succeeded)" \
		"widened=$(stat "window.$w.widened") widen_ns=$(stat "window.$w.widen_ns")" \
		"met=$(stat "window.$w.met") timeouts=$(stat "window.$w.timeouts")" \
		"stray_passes=$(stat stray_passes) eagain=$(stat pass_eagain)" \
		"attrib=$(stat attrib_events) disarms=$(stat budget_disarms)" | tee -a /out/bench.txt
}

# Cost of the module itself: private-anon (no race) without and with it.
mps() {
	sed -n 's/^  migrated *//p' "/out/$1.txt"
}
migrace run private-anon --seconds "$SECS" >/out/cost-unloaded.txt 2>&1
echo "bench cost-unloaded migrated=$(mps cost-unloaded)" | tee -a /out/bench.txt
# The largest widening budget, so blind delays are not cut short by it.
insmod migrace.ko budget_us=900000 || exit 1
migrace run private-anon --seconds "$SECS" >/out/cost-loaded.txt 2>&1
echo "bench cost-loaded migrated=$(mps cost-loaded)" | tee -a /out/bench.txt

run baseline none ""
run rendezvous pte-clear "rendezvous timeout_us=1000"
for us in 50 100 200 500 1000; do
	run "delay-$us" pte-clear "delay delay_us=$us"
done
rmmod migrace
