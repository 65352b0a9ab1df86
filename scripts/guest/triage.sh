# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# One cell of scripts/triage (busybox sh, in a lab guest: one arch, one
# kernel): the kernel's own migration selftest first, without the module,
# then every mode x scenario x repeat:
#   none              no module loaded (the kernel as shipped)
#   rendezvous        pte-clear rendezvous, armed as the guest tests arm it
#                     for rdv-shared (max_delay_us=5000, timeout_us=5000)
#   rendezvous+flush  the same with flush=immediate
# Leaves in /out (TRIAGE_OUT): kernel, arch, vcpus, windows.txt, and for each
# run runs/MODE.SCENARIO.REP.{json,txt,stats,attribution,vmstat}; for the
# selftest selftest.{txt,rc,vmstat}. Every run is bounded by --seconds and
# a timeout around it; every loop walks a fixed list.
#
# Environment: TRIAGE_MODES, TRIAGE_SCENARIOS (blank-separated), TRIAGE_REPEATS,
# TRIAGE_SECONDS, TRIAGE_READERS, TRIAGE_SELFTEST_TIMEOUT (seconds; the
# selftest runs when ./migration_test is here). MIGRACE_DEBUGFS,
# TRIAGE_PARAMS, TRIAGE_INSMOD and TRIAGE_RMMOD stand in for the module's
# files and loading (the host tests use a fake module: busybox sh runs its
# own insmod applet whatever PATH says).
set -u
OUT=${TRIAGE_OUT:-/out}
D=${MIGRACE_DEBUGFS:-/sys/kernel/debug/migrace}
P=${TRIAGE_PARAMS:-/sys/module/migrace/parameters}
MODES=${TRIAGE_MODES:-none rendezvous rendezvous+flush}
SCENARIOS=${TRIAGE_SCENARIOS:-shared-anon shmem-file private-anon}
REPEATS=${TRIAGE_REPEATS:-3}
SECS=${TRIAGE_SECONDS:-5}
READERS=${TRIAGE_READERS:-2}
ST_TIMEOUT=${TRIAGE_SELFTEST_TIMEOUT:-400}
vm() { sed -n "s/^$1 //p" /proc/vmstat; }
# kill_session SID (a failing selftest leaves its readers spinning)
# shellcheck source=scripts/guest/session.sh
. ./session.sh

# The policy each mode arms pte-clear with (none: no module at all).
policy_of() {
	case $1 in
	rendezvous) echo "rendezvous timeout_us=5000" ;;
	rendezvous+flush) echo "rendezvous timeout_us=5000 flush=immediate" ;;
	esac
}

# run_one MODE SCENARIO REP: one driver run, bounded twice (its --seconds,
# and a KILL timeout should it hang), with its vmstat delta and the
# module's files.
run_one() {
	base=$OUT/runs/$1.$2.$3
	[ "$1" = none ] || echo reset >"$D/control"
	f0=$(vm pgmigrate_fail)
	if [ "$1" = none ]; then
		timeout -s KILL $((SECS + 60)) migrace run "$2" --readers "$READERS" --seconds "$SECS" \
			--quiet --json "$base.json" >"$base.txt" 2>&1
	else
		timeout -s KILL $((SECS + 60)) migrace run "$2" --readers "$READERS" --seconds "$SECS" \
			--quiet --window pte-clear --policy "$(policy_of "$1")" --json "$base.json" \
			>"$base.txt" 2>&1
	fi
	rc=$?
	echo "pgmigrate_fail_delta $(($(vm pgmigrate_fail) - f0))" >"$base.vmstat"
	echo "driver_exit $rc" >>"$base.vmstat"
	if [ "$1" != none ]; then
		cp "$D/stats" "$base.stats"
		cp "$D/attribution" "$base.attribution"
	fi
	echo "triage: $1 $2 #$3: driver exit $rc"
}

# run_mode MODE: every scenario x repeat of one mode.
run_mode() {
	for scen in $SCENARIOS; do
		rep=1
		while [ "$rep" -le "$REPEATS" ]; do
			run_one "$1" "$scen" "$rep"
			rep=$((rep + 1))
		done
	done
}

# The kernel's migration selftest, without migrace loaded; its own session
# so that whatever it leaves behind can be found and killed.
selftest() {
	[ -x ./migration_test ] || return 0
	f0=$(vm pgmigrate_fail)
	setsid timeout -s KILL "$ST_TIMEOUT" ./migration_test >"$OUT/selftest.txt" 2>&1 &
	sid=$!
	wait "$sid"
	echo "$?" >"$OUT/selftest.rc"
	kill_session "$sid"
	echo "pgmigrate_fail_delta $(($(vm pgmigrate_fail) - f0))" >"$OUT/selftest.vmstat"
	echo "triage: selftest exit $(cat "$OUT/selftest.rc")"
}

mkdir -p "$OUT/runs"
uname -r >"$OUT/kernel"
uname -m >"$OUT/arch"
nproc >"$OUT/vcpus"
selftest
loaded=0
# Modes in this order whatever the list's: none before the module loads.
for mode in none rendezvous rendezvous+flush; do
	case " $MODES " in *" $mode "*) ;; *) continue ;; esac
	if [ "$mode" != none ] && [ "$loaded" = 0 ]; then
		${TRIAGE_INSMOD:-insmod} migrace.ko || exit 1
		loaded=1
		echo 5000 >"$P/max_delay_us"
		echo 5000 >"$P/max_irqoff_us"
		cp "$D/windows" "$OUT/windows.txt"
	fi
	run_mode "$mode"
done
[ "$loaded" = 0 ] || ${TRIAGE_RMMOD:-rmmod} migrace
