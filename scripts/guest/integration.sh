# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC2317 # helpers are called through check()
# Guest integration tests (busybox sh, run by scripts/check in each lab guest).
# TAP on the console and in /out/results.tap; JSON reports in /out/ for the
# host to check. Every run is bounded by --seconds; the host bounds the guest.
set -u
OUT=/out/results.tap
D=/sys/kernel/debug/migrace
SECS=${MIGRACE_SECONDS:-4}
# Runs that only show a counter moving, not a rate: shorter (2 s, or 1 s
# where the rate runs take 2 s).
QSECS=$((SECS > 2 ? 2 : 1))
# Two THPs, not the driver's eight: one move_pages() call of eight split THPs
# (4096 PTE clears, each flushed by IPI) took 8-11 s under TCG.
SPLIT="deferred-split --pages 2"
# MIGRACE_SUITE=kernel: what depends on the kernel. The module's own logic
# (holds with stopped readers, delay fidelity, the count policy, times= and
# the budget, the driver's cleanup) runs in the full suite (make check: on
# the debug kernel), and is a skip saying so here: a cached make check
# stays within 20 minutes.
PLAN=102
case ${MIGRACE_SUITE:=full} in
full | kernel) ;;
*)
	echo "Bail out! MIGRACE_SUITE=$MIGRACE_SUITE: full or kernel" | tee -a "$OUT"
	exit 1
	;;
esac
full() { [ "$MIGRACE_SUITE" = full ]; }
KSKIP="the kernel suite: the module's own logic runs in the full suite"
n=0

say() { echo "$*" | tee -a "$OUT"; }
# The uptime at each result, in /out/times.txt: where a stage's time goes.
tick() { n=$((n + 1)); echo "$n $(cut -d' ' -f1 /proc/uptime)" >>/out/times.txt; }
ok() { tick; say "ok $n - $1"; }
nok() {
	tick
	say "not ok $n - $1"
	shift
	for l in "$@"; do say "# $l"; done
}
skip() { tick; say "ok $n - $1 # SKIP $2"; }
# check NAME CMD...: one test; CMD's output is shown on failure.
check() {
	name=$1
	shift
	if "$@" >/tmp/check.log 2>&1; then ok "$name"; else nok "$name" "$(tail -n 4 /tmp/check.log)"; fi
}
stat() { sed -n "s/^$1: //p" "$D/stats"; }
vm() { sed -n "s/^$1 //p" /proc/vmstat; }
ctl() { echo "$*" >"$D/control"; }
# caps US: max_delay_us and max_irqoff_us (a hold with interrupts masked:
# kretprobes on 5.10, kprobes on arm64) both US.
caps() {
	echo "$1" >/sys/module/migrace/parameters/max_delay_us
	echo "$1" >/sys/module/migrace/parameters/max_irqoff_us
}
sum_stats() { grep "^$1" "$D/stats" | awk -F': ' '{ s += $2 } END { print s + 0 }'; }
gt() { [ "$1" -gt "$2" ]; }
eq() {
	[ "$1" = "$2" ] || { echo "$1 != $2"; return 1; }
}
armed() { grep -v '^#' "$D/windows" | awk -v w="$1" '$1 == w { print $3 }'; }

# control_rejects LINE TOKEN: the write fails and the log names TOKEN.
control_rejects() {
	dmesg -c >/dev/null
	if echo "$1" >"$D/control" 2>/dev/null; then echo "accepted: $1"; return 1; fi
	dmesg | grep -q "bad token '$2'" || { echo "log lacks token '$2':"; dmesg | tail -n 2; return 1; }
}

# A timeout over max_delay_us: -ERANGE, the log names the cap, and the
# driver names the parameter that raises it.
over_cap_named() {
	dmesg -c >/dev/null
	if echo "arm pte-clear rendezvous timeout_us=5000" >"$D/control" 2>/dev/null; then
		echo "accepted"
		return 1
	fi
	dmesg | grep -q "bad token 'timeout_us=5000'.*max_delay_us=1000" ||
		{ echo "log lacks the cap:"; dmesg | tail -n 2; return 1; }
	if migrace arm pte-clear rendezvous timeout_us=5000 >/tmp/arm.err 2>&1; then
		echo "migrace arm accepted it"
		return 1
	fi
	grep -q 'parameters/max_delay_us' /tmp/arm.err || { cat /tmp/arm.err; return 1; }
}

# insmod_rejects ARGS TEXT: loading fails and the log says TEXT.
insmod_rejects() {
	dmesg -c >/dev/null
	# shellcheck disable=SC2086
	if insmod migrace.ko $1 2>/dev/null; then rmmod migrace; echo "loaded with $1"; return 1; fi
	dmesg | grep -q "$2" || { echo "log lacks '$2':"; dmesg | tail -n 3; return 1; }
}

# scenario NAME ARGS...: reset, run the driver, remember the deltas.
scenario() {
	tag=$1
	shift
	ctl reset
	f0=$(vm pgmigrate_fail)
	migrace run "$@" --seconds "${RUN_SECS:-$SECS}" --json "/out/$tag.json" >"/out/$tag.txt" 2>&1
	rc=$?
	dfail=$(($(vm pgmigrate_fail) - f0))
	cp "$D/stats" "/out/$tag.stats"
	cp "$D/attribution" "/out/$tag.attribution"
	echo "# $tag: driver exit $rc, final_failed $(stat final_failed)," \
		"final_succeeded $(stat final_succeeded), pgmigrate_fail +$dfail" \
		"(uptime $(cut -d' ' -f1 /proc/uptime) s)" | tee -a "$OUT"
}

# Before 5.17 a fault waiting on a migration entry holds a page reference
# (the 2018 hot-remove seed), so even private memory has a taker. Before
# 5.15 the unwinder stops at a return probe's trampoline, so a lookup's
# stack does not reach the fault. The matrix's old kernel is 5.10.
WAITER_REF=0
case "$(uname -r)" in [1-4].* | 5.[0-9].* | 5.1[0-6].*) WAITER_REF=1 ;; esac
TRAMPOLINE_STACK=0
case "$(uname -r)" in [1-4].* | 5.[0-9].* | 5.1[0-4].*) TRAMPOLINE_STACK=1 ;; esac

# only_waiters: waiters held references, and every taker attributed is one.
only_waiters() {
	[ "$(stat waiter_refs)" -gt 0 ] || { echo "waiter_refs 0"; return 1; }
	grep -q '^taker=waiter ' "$D/attribution" || { echo "no taker=waiter"; return 1; }
	! grep '^taker=' "$D/attribution" | grep -v '^taker=waiter '
}

thp_refs() { [ "$(stat stray_refs)" = 0 ] || only_waiters; }

# qscenario NAME ARGS...: a scenario that runs QSECS.
qscenario() {
	RUN_SECS=$QSECS
	scenario "$@"
	RUN_SECS=
}

say "TAP version 13"
say "1..$PLAN"
# Only this run's leaks count (the debug kernel has kmemleak). `clear` greys
# only what a scan has already reported: leaks of the KUnit suites run just
# before in the same guest, with no scan since, are still found at the end.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -w "$KMEMLEAK" ] && echo clear >"$KMEMLEAK"

# -- the guest and the module's load-time checks --
check "guest has two NUMA nodes" test -d /sys/devices/system/node/node1
check "bad max_delay_us is refused, naming the value" \
	insmod_rejects "max_delay_us=99999" "max_delay_us: bad value '99999'"
check "bad budget_us is refused, naming the value" \
	insmod_rejects "budget_us=0" "budget_us: bad value '0'"
check "bad max_irqoff_us is refused, naming the value and the bound" \
	insmod_rejects "max_irqoff_us=5001" "max_irqoff_us: bad value '5001' (want 1..5000)"
check "unknown window in arm= is refused, naming it" \
	insmod_rejects "arm=nosuch" "unknown window 'nosuch'"
check "module loads" insmod migrace.ko
check "debugfs files exist" test -w "$D/control" -a -r "$D/stats" -a -r "$D/windows" -a -r "$D/attribution"
check "nothing armed at load" sh -c "! grep -v '^#' $D/windows | awk '\$3 != \"no\"' | grep ."
for w in pte-clear entry-wait freeze deferred-split; do
	check "window $w available on this kernel" grep -q "^$w yes " "$D/windows"
done

# -- control: bad input names the bad token --
check "control rejects an unknown window" control_rejects "arm bogus" bogus
check "control rejects an unknown verb" control_rejects "frobnicate now" frobnicate
check "control rejects a delay over the cap" \
	control_rejects "arm pte-clear delay delay_us=999999" "delay_us=999999"
check "a timeout over the cap: the log names max_delay_us, migrace arm names the parameter" \
	over_cap_named
check "control rejects a key of another policy" \
	control_rejects "arm pte-clear rendezvous delay_us=5" "delay_us=5"
check "control rejects a bad probability" control_rejects "arm freeze delay prob=101" "prob=101"
check "control rejects a bad pid" control_rejects "target pid abc" abc
check "arm sets the policy shown in windows" \
	sh -c "echo 'arm freeze delay min_us=10 max_us=20' >$D/control && grep -q '^freeze yes yes delay:10000-20000ns ' $D/windows"
check "disarm all disarms" sh -c "echo 'disarm all' >$D/control && test \"\$(grep -c ' yes yes ' $D/windows)\" = 0"

# rate TAG: percent of the run's move_pages calls that left a page unmoved
rate() {
	calls=$(sed -n 's/^  move_pages calls *//p' "/out/$1.txt")
	nm=$(sed -n 's/^  not migrated *//p' "/out/$1.txt")
	echo $((${nm:-0} * 100 / ${calls:-1}))
}

# -- baseline: counting only, nothing widened --
ctl "target comm migrace"
scenario base-shared shared-anon
BASE_STRAY=$(stat stray_passes)
BASE_CALLS=$(stat migrate_calls)
check "baseline: migrate_pages calls counted" gt "$(stat migrate_calls)" 0
check "baseline: refcount-check passes counted" gt "$(stat pass_attempts)" 0
check "baseline: final_failed equals delta pgmigrate_fail" eq "$(stat final_failed)" "$dfail"
check "baseline: no window widened" eq "$(sum_stats 'window\..*\.widened')" 0
check "baseline: every clear's flush counted (immediate + deferred > 0)" \
	gt $(($(stat tlb_flush_immediate) + $(stat tlb_flush_deferred))) 0
check "baseline: at least one counted clear per page migrated" \
	sh -c "[ $(($(stat tlb_flush_immediate) + $(stat tlb_flush_deferred))) -ge $(stat final_succeeded) ]"
check "baseline: no flush forced" eq "$(stat tlb_flush_forced)" 0

# Where this kernel defers the flush without invalidating (x86 since 6.4),
# readers keep their TLB entry: a rendezvous there meets nobody. Measure
# that, then force the immediate flush for the race on demand.
FLUSH=""
if [ "$(stat tlb_flush_deferred_none)" -gt 0 ]; then
	FLUSH=" flush=immediate"
	# timeout_us at the default cap: no hold runs past it.
	scenario rdv-deferred shared-anon --readers 1 --window pte-clear \
		--policy "rendezvous timeout_us=1000"
	check "deferred flush, no invalidation: holds there (aux_hits), >= 90% time out" \
		sh -c "[ $(stat window.pte-clear.aux_hits) -gt 0 ] && [ $(stat window.pte-clear.widened) -gt 0 ] &&
			[ $(($(stat window.pte-clear.timeouts) * 100)) -ge $(($(stat window.pte-clear.widened) * 90)) ]"
	check "deferred flush, no invalidation: < 10% of migrations fail" \
		gt $((($(stat final_failed) + $(stat final_succeeded)) * 10)) $(($(stat final_failed) * 100))
else
	skip "deferred flush, no invalidation: rendezvous holds time out" "every clear here invalidates at once"
	skip "deferred flush, no invalidation: < 10% of migrations fail" "every clear here invalidates at once"
fi

# -- pte-clear rendezvous on shared anonymous memory: the race on demand --
# One reader: with the migrator that is two busy vCPUs, no more than the
# lab host's cores, so a reader is on a CPU when the window opens. The hold
# may last up to the hard cap (5 ms): a vCPU thread the host preempts for a
# tick must still be able to arrive; a hold ends the moment it does.
caps 5000
# arm64 on 7.x: with one reader 79-93% of migrations failed over four runs
# (some passes find no reader inside: a known gap); with two, 97-100%.
RDV_READERS=1
case "$(uname -m) $(uname -r)" in aarch64\ [7-9].*) RDV_READERS=2 ;; esac
scenario rdv-shared shared-anon --readers "$RDV_READERS" --window pte-clear \
	--policy "rendezvous timeout_us=5000$FLUSH" --expect-failures
caps 1000
if [ -n "$FLUSH" ]; then
	check "flush=immediate: unmaps forced, clears flushed at once, none deferred" \
		sh -c "[ $(stat tlb_flush_forced) -gt 0 ] && [ $(stat tlb_flush_immediate) -gt 0 ] &&
			[ $(stat tlb_flush_deferred) = 0 ]"
else
	skip "flush=immediate: every targeted unmap forced" "not needed on this kernel"
fi
check "pte-clear rendezvous: driver saw failures (--expect-failures)" eq "$rc" 0
check "pte-clear rendezvous: readers met in the window" gt "$(stat window.pte-clear.met)" 0
if [ "$(stat tlb_flush_deferred)" -gt 0 ]; then
	check "pte-clear rendezvous: the deferred-flush path widened too (aux_hits)" \
		gt "$(stat window.pte-clear.aux_hits)" 0
else
	skip "pte-clear rendezvous: the deferred-flush path widened too" "no clear deferred here"
fi
# Fresh holds began with no excess reference: a reader still inside from an
# earlier pass ends no hold (window.W.present) and is not counted as met.
FH=$(stat window.pte-clear.fresh_holds)
CALLS=$(stat migrate_calls)
echo "# rdv-shared: fresh_holds $FH fresh_met $(stat window.pte-clear.fresh_met)" \
	"fresh_ns $(stat window.pte-clear.fresh_ns) present $(stat window.pte-clear.present)" \
	"calls $CALLS" | tee -a "$OUT"
# How soon a reader arrives depends on the host: CI's 2 cores ran arm64 7.2
# (two readers and the migrator, three busy vCPUs) at 89.8% met and a
# 2.8 ms mean, here 99% and 1.1 ms. The bounds keep to what fails when the
# feature is gone: no window, no fresh holds; a hold that does not end when
# a reader arrives sits at the 5 ms timeout every time.
check "pte-clear rendezvous: a reader arrived in >= 75% of fresh holds" \
	sh -c "[ $FH -gt 0 ] && [ $(($(stat window.pte-clear.fresh_met) * 100)) -ge $((FH * 75)) ]"
check "pte-clear rendezvous: mean fresh hold below 80% of the timeout (4 ms)" \
	gt $((FH * 4000000)) "$(stat window.pte-clear.fresh_ns)"
# A fresh hold on some passes of a call (the reader may have left since
# the last one), never more than one a pass. Per call: 0.39 (x86_64 7.2
# with flush=immediate, where a reader sleeping on the folio lock is often
# still there: present) to 1.9 in one make check.
check "pte-clear rendezvous: >= 0.25 fresh holds per migrate call, <= 1 per pass" \
	sh -c "[ $((FH * 4)) -ge $CALLS ] && [ $FH -le $(stat pass_attempts) ]"
check "pte-clear rendezvous: later passes find the reader present, not held" \
	gt "$(stat window.pte-clear.present)" 0
check "pte-clear rendezvous: widened counts fresh holds only" \
	sh -c "[ $FH -gt 0 ] && [ $(stat window.pte-clear.widened) = $FH ]"
check "pte-clear rendezvous: stray shmem references counted" gt "$(sum_stats stray_shmem_)" 0
check "pte-clear rendezvous: final_failed equals delta pgmigrate_fail" eq "$(stat final_failed)" "$dfail"
# arm64 under TCG on a loaded 2-core host: 87% (one reader, 6.1, 2 s) in one
# make check, 87.6% (71-99%) in scripts/bench at 1 ms; its baseline 0-56%.
RDV_MIN=90
[ "$(uname -m)" != aarch64 ] || RDV_MIN=80
check "pte-clear rendezvous ($RDV_READERS reader(s)): >= $RDV_MIN% of migrations failed" \
	gt $(($(stat final_failed) * 100)) $((($(stat final_failed) + $(stat final_succeeded)) * RDV_MIN - 1))
# The first record (up to its blank line) is a shmem taker from the fault.
top_is_shmem_fault() {
	sed '/^$/q' "$D/attribution" >/tmp/top.txt
	grep -q '^taker=[a-z-]* kind=shmem' /tmp/top.txt && grep -q shmem_fault /tmp/top.txt
}
if [ "$TRAMPOLINE_STACK" = 0 ]; then
	check "pte-clear rendezvous: top attribution is the shmem fault" top_is_shmem_fault
else
	check "pte-clear rendezvous: top attribution is a shmem taker (its stack ends at the trampoline here)" \
		sh -c "sed '/^\$/q' $D/attribution | grep -q '^taker=[a-z-]* kind=shmem'"
fi
# The same scenario without the window, in this guest: the window must add
# failures and stray passes beyond what the kernel does by itself.
echo "# rdv vs baseline: $(rate rdv-shared)% vs $(rate base-shared)% of calls;" \
	"stray passes $(stat stray_passes)/$(stat migrate_calls) vs $BASE_STRAY/$BASE_CALLS" | tee -a "$OUT"
check "pte-clear rendezvous vs no window: >= 10 points more calls fail" \
	gt "$(rate rdv-shared)" $(($(rate base-shared) + 9))
check "pte-clear rendezvous vs no window: more stray passes per migrate call" \
	gt $(($(stat stray_passes) * BASE_CALLS)) $((BASE_STRAY * $(stat migrate_calls)))
check "pte-clear disarmed after the run" eq "$(armed pte-clear)" no

# -- a hold reaching timeout_us keeps waiting while its reader is runnable --
# (The full suite: on 5.10 arm64 one make check's 1 s run extended 100
# holds and met in none, the budget then disarming the window; the next
# passed: the module's logic, tested on the debug kernel.)
if full; then
	# 20 us is shorter than most arrivals here (fresh holds average 100-400 us
	# under TCG): a hold that stopped at its timeout would meet few readers.
	caps 5000
	qscenario rdv-extend shared-anon --readers "$RDV_READERS" --window pte-clear \
		--policy "rendezvous timeout_us=20$FLUSH"
	caps 1000
	EXT=$(stat window.pte-clear.extended)
	EXTM=$(stat window.pte-clear.extended_met)
	echo "# rdv-extend: extended ${EXT:-none} extended_met ${EXTM:-none}" \
		"fresh_holds $(stat window.pte-clear.fresh_holds)" | tee -a "$OUT"
	# Met past the timeout: what a hold that ends at timeout_us never is. How
	# many of them meet depends on the arch (x86_64 6.1: all; arm64 6.1: 46% in
	# 5 s bench runs, where a runnable reader often does not arrive in 5 ms).
	check "rendezvous timeout_us=20: holds kept past it (reader runnable), some met there" \
		sh -c "[ ${EXT:-0} -gt 0 ] && [ ${EXTM:-0} -gt 0 ]"
else
	skip "rendezvous timeout_us=20: holds kept past it (reader runnable), some met there" "$KSKIP"
fi

# -- ... and not while its readers are stopped (SIGSTOP: not runnable). The
# last taker counts for 1 s: sample inside the second after the stop. The
# driver leaves the module alone (armed here, for comm migrace). --
if full; then
	ctl reset
	echo 900000 >/sys/module/migrace/parameters/budget_us
	MIGRACE_DEBUGFS=/nonexistent migrace run shared-anon --readers "$RDV_READERS" --seconds 6 \
		>/out/rdv-stopped.txt 2>&1 &
	drv=$!
	sleep 1
	rdrs=""
	for p in $(pidof migrace); do [ "$p" = "$drv" ] || rdrs="$rdrs $p"; done
	ctl "target comm migrace"
	ctl "arm pte-clear rendezvous timeout_us=20$FLUSH"
	sleep 1
	# shellcheck disable=SC2086
	[ -n "$rdrs" ] && kill -STOP $rdrs
	sleep 0.1
	H0=$(stat window.pte-clear.fresh_holds)
	E0=$(stat window.pte-clear.extended)
	sleep 0.8
	H1=$(stat window.pte-clear.fresh_holds)
	E1=$(stat window.pte-clear.extended)
	ctl "disarm pte-clear"
	ctl "target clear"
	# shellcheck disable=SC2086
	[ -n "$rdrs" ] && kill -CONT $rdrs
	wait $drv
	echo 500000 >/sys/module/migrace/parameters/budget_us
	echo "# rdv-stopped: readers${rdrs:- none} stopped; in 0.8 s: fresh_holds +$((H1 - H0))," \
		"extended +$((E1 - E0)); before the stop: extended $E0; budget_disarms $(stat budget_disarms)" |
		tee -a "$OUT"
	check "rendezvous timeout_us=20, readers stopped: holds end at it, none kept past" \
		sh -c "[ -n '$rdrs' ] && [ $E0 -gt 0 ] && [ $H1 -gt $H0 ] && [ $E1 = $E0 ]"
else
	skip "rendezvous timeout_us=20, readers stopped: holds end at it, none kept past" "$KSKIP"
fi

# -- the README's "Reproduce the 2024 arm64 race": its third command, as
# written there (defaults: CPUs-1 readers, the default timeout), bounded --
migrace run shared-anon --window pte-clear --policy "rendezvous$FLUSH" --expect-race \
	--seconds "$QSECS" >/out/readme-race.txt 2>&1
rc=$?
check "README's reproduce command: exit 0 and 'race: reproduced'" \
	sh -c "[ $rc = 0 ] && grep -q '^  race  *reproduced (' /out/readme-race.txt ||
		{ echo 'exit $rc'; grep -E '^  (race|verdict) ' /out/readme-race.txt; false; }"

# -- isolation: every window armed for another task; the driver, untargeted
# (it sees no module, so it targets nothing), is never held --
ctl reset
ctl "target clear"
ctl "target comm nosuchtask"
ctl "arm all rendezvous timeout_us=1000"
MIGRACE_DEBUGFS=/nonexistent migrace run shared-anon --seconds "$SECS" >/out/iso.txt 2>&1
ctl "disarm all"
ctl "target clear"
echo "# iso: $(rate iso)% not migrated; baseline $(rate base-shared)%" | tee -a "$OUT"
check "isolation: armed for another task: no hit, nothing widened" \
	sh -c "[ $(sum_stats 'window\..*\.hits') = 0 ] && [ $(sum_stats 'window\..*\.widened') = 0 ]"
# The kernel's own rate varies a lot between 2 s runs (x86_64 6.1: 40% in
# the baseline, 66% here, no hit, in one fresh make check): what a held
# driver would show is the rendezvous's rate, so stay 10 points below it.
ISO_NAME="isolation: failure rate 10 points below the rendezvous's, within 35 of the baseline's"
if [ $(($(rate rdv-shared) - $(rate base-shared))) -lt 20 ]; then
	skip "$ISO_NAME" "the kernel fails $(rate base-shared)% of calls by itself: the rate cannot tell"
else
	check "$ISO_NAME" sh -c "[ $(rate iso) -lt $(($(rate rdv-shared) - 10)) ] &&
		[ $(rate iso) -lt $(($(rate base-shared) + 35)) ]"
fi

# -- negative control: private memory, every window armed --
ctl "arm all delay delay_us=50"
scenario neg-private private-anon
ctl "disarm all"
check "private-anon, all windows armed: driver passed" eq "$rc" 0
check "private-anon, all windows armed: windows widened" gt "$(sum_stats 'window\..*\.widened')" 0
if [ "$WAITER_REF" = 0 ]; then
	check "private-anon, all windows armed: 0 stray references" eq "$(stat stray_refs)" 0
else
	check "private-anon, all windows armed: the references are migration-entry waiters'" only_waiters
fi
check "private-anon: final_failed equals delta pgmigrate_fail" eq "$(stat final_failed)" "$dfail"

# -- the other windows move their counters --
qscenario freeze-shared shared-anon --window freeze --policy "delay delay_us=100"
check "freeze delay: widened at the refcount check" gt "$(stat window.freeze.widened)" 0
qscenario wait-private private-anon --window entry-wait --policy "delay delay_us=100"
check "entry-wait delay: waiters on migration entries widened" gt "$(stat window.entry-wait.widened)" 0
if [ "$WAITER_REF" = 0 ]; then
	check "entry-wait: waiters attributed" sh -c "grep -q '^taker=entry-wait' $D/attribution"
else
	check "entry-wait: waiters attributed, holding references (taker=waiter)" only_waiters
fi

# -- tracepoints and delay fidelity: the events perf, trace-cmd and bpftrace
# read agree with the counters, and each widening lasts what was asked --
TR=/sys/kernel/tracing
[ -e "$TR/trace" ] || mount -t tracefs nodev "$TR" 2>/dev/null
EV=$TR/events/migrace
TRACE=/dev/null
# traced_ns W: the widened_ns of W's traced hits that widened, sorted (from
# the copy trace_events kept: reading tracefs is slow on the debug kernel).
traced_ns() {
	sed -n "s/.* window=$1 widened_ns=\([0-9]*\) .*/\1/p" "$TRACE" | awk '$1 > 0' | sort -n
}
# pct FILE P: the P-th percentile of a sorted file (nothing if empty; P 0:
# the first line, the minimum).
pct() {
	lines=$(wc -l <"$1")
	[ "$lines" -gt 0 ] && sed -n "$(((lines * $2 + 99) / 100 > 0 ? (lines * $2 + 99) / 100 : 1))p" "$1"
}
overruns() { cat "$TR"/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }'; }
# trace_events TAG: this run's events, kept in /out (TRACE).
trace_events() {
	echo 0 >"$EV/enable"
	TRACE=/out/$1.trace
	cp "$TR/trace" "$TRACE"
	echo "# $1: $(grep -c migrace_window_hit "$TRACE") hit events," \
		"$(grep -c migrace_stray_ref "$TRACE") stray events, overrun $(overruns)" | tee -a "$OUT"
}
# events_match: one hit event per freeze hit, widened_ns > 0 per widening;
# one stray event per stray pass, observed - expected summing to stray_refs.
events_match() {
	hits=$(grep -c 'window=freeze ' "$TRACE")
	wide=$(traced_ns freeze | wc -l)
	strays=$(grep -c migrace_stray_ref "$TRACE")
	refs=$(sed -n 's/.*observed=\([0-9]*\) expected=\([0-9]*\).*/\1 \2/p' "$TRACE" |
		awk '{ s += $1 - $2 } END { print s + 0 }')
	echo "hits $hits/$(stat window.freeze.hits) widened $wide/$(stat window.freeze.widened)" \
		"stray passes $strays/$(stat stray_passes) refs $refs/$(stat stray_refs) overrun $(overruns)"
	[ "$(overruns)" = 0 ] && [ "$hits" = "$(stat window.freeze.hits)" ] &&
		[ "$wide" = "$(stat window.freeze.widened)" ] && [ "$wide" -gt 0 ] &&
		[ "$strays" = "$(stat stray_passes)" ] && [ "$strays" -gt 0 ] &&
		[ "$refs" = "$(stat stray_refs)" ]
}
# in_range LO HI: at least 20 widenings, every one at least LO ns; 10% below the
# middle and 10% above (the range is drawn from); the median within twice HI
# (interrupts and host preemption inside the busy-wait lengthen some: the
# debug kernel's p90 reached 740 us for HI 300 us; a widening is never
# shorter than asked, so with HI ignored, at the 1000 us cap, this fails).
in_range() {
	traced_ns freeze >/tmp/ns
	mid=$((($1 + $2) / 2))
	low=$(awk -v m="$mid" '$1 < m' /tmp/ns | wc -l)
	all=$(wc -l </tmp/ns)
	echo "widenings $all, min $(pct /tmp/ns 0) ns, median $(pct /tmp/ns 50) ns," \
		"p90 $(pct /tmp/ns 90) ns, below $mid: $low"
	[ "$all" -ge 20 ] && [ "$(pct /tmp/ns 0)" -ge "$1" ] &&
		[ $((low * 10)) -ge "$all" ] && [ $(((all - low) * 10)) -ge "$all" ] &&
		[ "$(pct /tmp/ns 50)" -le $(($2 * 2)) ]
}
# clamped CAP: every widening at least CAP ns, the median under twice it.
clamped() {
	traced_ns freeze >/tmp/ns
	echo "widenings $(wc -l </tmp/ns), min $(pct /tmp/ns 0) ns, median $(pct /tmp/ns 50) ns"
	[ -s /tmp/ns ] && [ "$(pct /tmp/ns 0)" -ge "$1" ] && [ "$(pct /tmp/ns 50)" -lt $(($1 * 2)) ]
}
if [ -d "$TR/events" ]; then
	echo 1024 >"$TR/buffer_size_kb"
	echo >"$TR/trace"
	echo 1 >"$EV/enable"
	# Where the kernel defers the flush, nothing fails without it forced
	# (x86_64 from 6.4): pte-clear counts, flushing at once, for stray passes.
	[ -z "$FLUSH" ] || ctl "arm pte-clear count$FLUSH"
	ctl "arm freeze delay min_us=100 max_us=300"
	# SECS, not QSECS: with the flush forced, a 1 s run on 7.2 x86_64 once
	# reached the freeze in no pass at all.
	scenario trace-events shared-anon
	trace_events trace-events
	check "tracepoints: an event per hit and per widening, per stray pass and stray ref" events_match
	if full; then
		# Fidelity needs many widenings: private-anon passes the refcount check,
		# and freezes, on nearly every pass (shared-anon with the flush forced
		# gave 3 to 23 in a 1 s run).
		ctl "disarm pte-clear"
		echo >"$TR/trace"
		echo 1 >"$EV/enable"
		scenario trace-range private-anon
		trace_events trace-range
		check "delay fidelity: min_us=100 max_us=300 drawn from the range, none shorter" \
			in_range 100000 300000
		# The cap applies to a window already armed above it.
		ctl "arm freeze delay delay_us=800"
		echo 100 >/sys/module/migrace/parameters/max_delay_us
		echo >"$TR/trace"
		echo 1 >"$EV/enable"
		ctl reset
		migrace run private-anon --seconds 1 >/out/trace-clamp.txt 2>&1
		trace_events trace-clamp
		echo 1000 >/sys/module/migrace/parameters/max_delay_us
		check "delay fidelity: max_delay_us lowered to 100 under delay_us=800: none shorter, median under 200 us" \
			clamped 100000
	else
		skip "delay fidelity: min_us=100 max_us=300 drawn from the range, none shorter" "$KSKIP"
		skip "delay fidelity: max_delay_us lowered to 100 under delay_us=800" "$KSKIP"
	fi
	ctl "disarm all"
else
	# No tracefs at all: a guest without tracing. (events/migrace missing
	# with tracefs there fails above: the module's events are gone.)
	skip "tracepoints: an event per hit and per widening, per stray pass and stray ref" "no tracefs"
	skip "delay fidelity: min_us=100 max_us=300 drawn from the range, none shorter" "no tracefs"
	skip "delay fidelity: max_delay_us lowered to 100 under delay_us=800: none shorter, median under 200 us" \
		"no tracefs"
fi

# -- max_irqoff_us: a widening with interrupts masked is cut to it --
# A kprobe's handler on arm64 (a BRK) runs with interrupts masked: every
# interrupt on that CPU waits as long as the widening. On x86 freeze's probe,
# at a function's entry, is an ftrace call with interrupts on: a skip there
# when no widening had them masked. freeze asks 1000 us with
# max_delay_us=5000 and max_irqoff_us=200.
irqoff_cut() {
	w=$(stat window.freeze.widened)
	ns=$(stat window.freeze.widen_ns)
	i=$(stat window.freeze.irqoff_widened)
	ins=$(stat window.freeze.irqoff_ns)
	c=$(stat window.freeze.irqoff_capped)
	max=$(stat window.freeze.irqoff_max_ns)
	echo "widened $w ($ns ns), with interrupts masked $i ($ins ns, longest $max), cut $c"
	[ -n "$i" ] && [ "$w" -gt 0 ] || return 1
	# arm64's kprobes always mask them: there the cap must have applied.
	[ "$(uname -m)" != aarch64 ] || [ "$i" -gt 0 ] || return 1
	# Under TCG a 200 us wait runs longer while the host runs another vCPU
	# (arm64 with 3 readers: means of 250-570 us, the longest 4.2 ms); uncut,
	# none is under 1000 us.
	if [ "$i" -gt 0 ]; then
		[ "$c" = "$i" ] && [ $((ins / i)) -lt 1000000 ] && [ "$max" -ge 200000 ] || return 1
	fi
	# The others (interrupts on) keep their 1000 us.
	[ "$w" = "$i" ] || [ $(((ns - ins) / (w - i))) -ge 1000000 ]
}
echo 5000 >/sys/module/migrace/parameters/max_delay_us
echo 200 >/sys/module/migrace/parameters/max_irqoff_us
ctl "arm freeze delay delay_us=1000"
RUN_SECS=1 scenario irqoff private-anon --readers 1
ctl "disarm freeze"
caps 1000
IRQOFF_T="max_irqoff_us=200: each widening with interrupts masked cut to it (mean < 1000 us), the others 1000 us"
if [ "$(stat window.freeze.irqoff_widened)" = 0 ] && [ "$(uname -m)" != aarch64 ]; then
	skip "$IRQOFF_T" "no freeze widening had interrupts masked here ($(stat window.freeze.widened) widened)"
else
	check "$IRQOFF_T" irqoff_cut
fi

# -- each window x each policy moves its counters in its matching scenario --
# 1 s; deferred-split SECS: its hits need a THP queued for splitting and the
# shrinker to find it (none in one 1 s run on the debug kernel).
matrix_secs() {
	if [ "$1" = deferred-split ]; then echo "$SECS"; else echo 1; fi
}
# Splits seen by the driver (vmstat thp_split_page over the run).
splits() { sed -n 's/^  delta thp_split_page *\([0-9]*\).*/\1/p' "/out/$1.txt"; }
queued() { sed -n 's/^  delta thp_deferred_split *\([0-9]*\).*/\1/p' "/out/$1.txt"; }
# Nothing for the window to see: no THP queued for splitting, none split.
split_idle() { [ "$(($(splits "$1") + $(queued "$1")))" = 0 ]; }
matrix_run() {
	ctl reset
	# shellcheck disable=SC2086 # $scen: the scenario and its options
	migrace run $scen --seconds "$(matrix_secs "$w")" --window "$w" --policy "$pol" >"/out/m-$w-${pol%% *}.txt" 2>&1
}
matrix() {
	w=$1 scen=$2 pol=$3 runs=1
	matrix_run
	# Migration can win every race with the shrinker for a whole run, so that
	# no scan meets a queued THP (6.1 x86_64 once, arm64 7.2 more often):
	# up to 3 runs; none with any split work is a skip.
	while [ "$w" = deferred-split ] && [ "$(stat "window.$w.hits")" = 0 ] && [ "$runs" -lt 3 ]; do
		runs=$((runs + 1))
		matrix_run
	done
	hits=$(stat "window.$w.hits")
	widened=$(stat "window.$w.widened")
	if [ "$w" = deferred-split ] && [ "$hits" = 0 ] && split_idle "m-$w-${pol%% *}"; then
		skip "matrix $w ${pol%% *}: hits" "no THP queued or split in $runs runs (vmstat +0)"
	elif [ "$pol" = count ]; then
		check "matrix $w count: hits counted, nothing widened" sh -c "[ $hits -gt 0 ] && [ $widened = 0 ]"
	elif [ "$w" = deferred-split ] && [ "${pol%% *}" = rendezvous ]; then
		# The split knows no folio in flight: nobody to wait for.
		check "matrix $w rendezvous: hits skipped, none held" \
			sh -c "[ $hits -gt 0 ] && [ $(stat "window.$w.skipped") -gt 0 ] && [ $widened = 0 ]"
	elif [ "${pol%% *}" = rendezvous ]; then
		# Held, or a taker already there (present): never blind.
		check "matrix $w rendezvous: hits held or found a taker present" \
			sh -c "[ $hits -gt 0 ] && [ $(($(stat "window.$w.fresh_holds") + $(stat "window.$w.present"))) -gt 0 ] &&
				[ $widened = $(stat "window.$w.fresh_holds") ]"
	else
		check "matrix $w ${pol%% *}: hits widened" sh -c "[ $hits -gt 0 ] && [ $widened -gt 0 ]"
	fi
}
# The kernel suite skips the count rows (the policy's logic) and
# deferred-split's (scen-split below widens there).
matrix_row() {
	if full || { [ "$3" != count ] && [ "$1" != deferred-split ]; }; then
		matrix "$@"
	else
		skip "matrix $1 ${3%% *}" "$KSKIP"
	fi
}
for pol in count "delay delay_us=20"; do
	matrix_row pte-clear shared-anon "$pol"
	matrix_row freeze shared-anon "$pol"
	matrix_row entry-wait private-anon "$pol"
	matrix_row deferred-split "$SPLIT" "$pol"
done
# A rendezvous needs a taker path: shared memory for every folio window.
pol="rendezvous timeout_us=100"
matrix_row pte-clear shared-anon "$pol"
matrix_row freeze shared-anon "$pol"
matrix_row entry-wait shared-anon "$pol"
matrix_row deferred-split "$SPLIT" "$pol"
# An anonymous folio: no reader can bring a reference into the window.
# (freeze: private-anon's readers are threads of the migrator, and pte-clear
# never hits a clear in the migrator's own mm.)
ctl reset
migrace run private-anon --seconds 1 --window freeze --policy "rendezvous timeout_us=1000" \
	>/out/m-private-rdv.txt 2>&1
if [ "$WAITER_REF" = 0 ]; then
	check "freeze rendezvous on private-anon: hits skipped, none held" \
		sh -c "[ $(stat window.freeze.hits) -gt 0 ] && [ $(stat window.freeze.skipped) -gt 0 ] &&
			[ $(stat window.freeze.widened) = 0 ]"
else
	check "freeze rendezvous on private-anon: held, none skipped (a waiter is a taker here)" \
		sh -c "[ $(stat window.freeze.widened) -gt 0 ] && [ $(stat window.freeze.skipped) = 0 ]"
fi

# -- every other scenario, with the outcome predicted for it --
migrated() { sed -n 's/^  migrated *//p' "/out/$1.txt"; }
scenario scen-shmem shmem-file --window pte-clear --policy "rendezvous$FLUSH" --expect-failures
check "shmem-file, pte-clear rendezvous: the page-cache race shows" eq "$rc" 0
check "shmem-file, pte-clear rendezvous: stray shmem references" gt "$(sum_stats stray_shmem_)" 0
qscenario scen-thp thp
check "thp: passes (private THP, thread readers)" eq "$rc" 0
check "thp: huge pages migrated" gt "$(migrated scen-thp)" 0
if [ "$WAITER_REF" = 0 ]; then
	check "thp: no stray references" eq "$(stat stray_refs)" 0
else
	check "thp: no stray references but migration-entry waiters'" thp_refs
fi
# One reader: three kept every 2 s run on x86_64 6.1 from migrating (24 of 24 calls failed).
qscenario scen-hugetlb hugetlb --readers 1
check "hugetlb: passes (pages reserved on both nodes and restored)" eq "$rc" 0
check "hugetlb: huge pages migrated" gt "$(migrated scen-hugetlb)" 0
check "hugetlb: nr_hugepages restored" eq "$(cat /proc/sys/vm/nr_hugepages)" 0
scenario scen-hot hot-remove
offline_ok=$(sed -n 's/.*"offline_ok": *\([0-9]*\).*/\1/p' /out/scen-hot.json)
reason=$(sed -n 's/^# SKIP //p' /out/scen-hot.txt | head -n 1)
if [ "$rc" = 4 ] && [ -n "$reason" ] && [ "$(uname -m)" != x86_64 ]; then
	# arm64 virt has no removable block: a skip, shown as one, with its reason.
	skip "hot-remove: a node-1 block goes offline and back while readers fault" "$reason"
else
	check "hot-remove: a node-1 block goes offline and back while readers fault" \
		sh -c "[ $rc = 0 ] && [ ${offline_ok:-0} -gt 0 ] || { echo 'rc $rc offline_ok ${offline_ok:-none}'; false; }"
fi

# -- the 2018 seed: offlining never converges while migration-entry waiters
# hold page references. Each waiter keeps its reference until the page is
# unlocked (entry-wait until=unlock: as before 5.0), and the refcount check
# waits up to 5 ms for one to arrive (freeze rendezvous), with 8 readers: a
# page that always has a waiter. Before 5.17 every pass then fails: the block stays online
# for the whole run (5.10 x86_64: 2 and 4 s runs, 1 of 1 attempt failed).
# From 5.17 a waiter holds no reference: the same run offlines (6.1: 26 of
# 26 attempts, the longest 0.44 s). --
jnum() { sed -n "s/.*\"$2\": *\([0-9]*\).*/\1/p" "/out/$1.json" | head -n 1; }
if [ "$(uname -m)" = x86_64 ]; then
	caps 5000
	echo 900000 >/sys/module/migrace/parameters/budget_us
	ctl "arm freeze rendezvous timeout_us=5000"
	# 8 readers: with 3, one of two 5 s runs on 5.10 met no waiter at one
	# pass, and the page moved.
	scenario seed-hot hot-remove --readers 8 --window entry-wait \
		--policy "delay delay_us=5000 until=unlock"
	ctl "disarm all"
	echo 500000 >/sys/module/migrace/parameters/budget_us
	caps 1000
	SEED_OK=$(jnum seed-hot offline_ok)
	SEED_FAILED=$(jnum seed-hot offline_failed)
	SEED_IN=$(jnum seed-hot units_in_block)
	say "# seed-hot: $(grep -a '^  offline  ' /out/seed-hot.txt | tr -s ' '); units in block ${SEED_IN:-none};" \
		"waiter_refs $(stat waiter_refs), pass_eagain $(stat pass_eagain), entry-wait widened" \
		"$(stat window.entry-wait.widened) (unlocked $(stat window.entry-wait.unlocked))"
	if [ "$WAITER_REF" = 1 ]; then
		check "hot-remove, waiters holding references until the unlock: offlining never converges" \
			sh -c "[ $rc = 0 ] && [ ${SEED_OK:-1} = 0 ] && [ ${SEED_FAILED:-0} -gt 0 ] &&
				[ ${SEED_IN:-0} -gt 0 ] && grep -q 'offline  *did not converge in' /out/seed-hot.txt"
		check "hot-remove, the same run: waiter references counted and attributed (taker=waiter)" \
			sh -c "[ $(stat window.entry-wait.unlocked) -gt 0 ] && [ $(stat waiter_refs) -gt 0 ] &&
				grep -q '^taker=waiter ' $D/attribution"
	else
		check "hot-remove, the same run from 5.17: waiters hold no reference, offlining converges" \
			sh -c "[ $rc = 0 ] && [ ${SEED_OK:-0} -gt 0 ] && [ ${SEED_IN:-0} -gt 0 ] &&
				grep -q 'offline  *converged (' /out/seed-hot.txt"
		check "hot-remove, the same run: no waiter reference (until=unlock runs as a delay)" \
			sh -c "[ $(stat window.entry-wait.widened) -gt 0 ] && [ $(stat waiter_refs) = 0 ] &&
				[ $(stat window.entry-wait.unlocked) = 0 ]"
	fi
else
	skip "hot-remove seed: offlining while waiters hold references" "no removable memory block on arm64 virt"
	skip "hot-remove seed: waiter references" "no removable memory block on arm64 virt"
fi

# shellcheck disable=SC2086
qscenario scen-split $SPLIT --window deferred-split --policy "delay delay_us=200"
# A run can split nothing (see matrix above): up to 3 runs while nothing
# widened; none with any split work is a skip.
runs=1
while [ "$rc" = 0 ] && [ "$(stat window.deferred-split.widened)" = 0 ] && [ "$runs" -lt 3 ]; do
	runs=$((runs + 1))
	# shellcheck disable=SC2086
	qscenario scen-split $SPLIT --window deferred-split --policy "delay delay_us=200"
done
check "deferred-split: passes (partially mapped THPs, shrinker from the driver)" eq "$rc" 0
if [ "$(stat window.deferred-split.widened)" = 0 ] && split_idle scen-split; then
	skip "deferred-split: splits inside the targeted scan widened" \
		"no THP queued or split in $runs runs (vmstat +0)"
else
	check "deferred-split: splits inside the targeted scan widened" \
		gt "$(stat window.deferred-split.widened)" 0
fi
# THP split unmaps with try_to_migrate() too, outside any migrate_pages()
# call, whose end would remove the entry. Targeted by name and run without
# the driver touching the module (no `target clear` at its end): nothing
# may stay in the in-flight set once the migrations are over.
ctl reset
ctl "target comm migrace"
check "migrace target list shows the module's targets file: target comm migrace" \
	sh -c "[ \"\$(migrace target list)\" = 'target comm migrace' ]"
# shellcheck disable=SC2086
MIGRACE_DEBUGFS=/nonexistent migrace run $SPLIT --seconds "$QSECS" >/out/split-left.txt 2>&1
cp "$D/stats" /out/split-left.stats
# (A batch of more than 64 folios may overflow the set: counted, not a leak.)
check "deferred-split, still targeted after the run: migrations seen, in-flight set empty" \
	sh -c "[ $(stat migrate_calls) -gt 0 ] && [ $(stat inflight_now) = 0 ] ||
		{ echo 'migrate_calls $(stat migrate_calls) inflight_now $(stat inflight_now)' \
			'overflow $(stat inflight_overflow) expired $(stat inflight_expired)'; false; }"
ctl "target clear"

# -- limits: times= and the per-CPU budget disarm a window by themselves --
if full; then
	ctl "arm freeze delay delay_us=10 times=5"
	qscenario times-shared shared-anon
	check "times=5: exactly 5 widenings" eq "$(stat window.freeze.widened)" 5
	check "times=5: window disarmed itself" eq "$(armed freeze)" no
	echo 1000 >/sys/module/migrace/parameters/budget_us
	ctl "arm pte-clear delay delay_us=900"
	qscenario budget-shared shared-anon
	check "budget: exceeded budget disarms the window" gt "$(stat budget_disarms)" 0
	check "budget: pte-clear disarmed itself" eq "$(armed pte-clear)" no
	echo 500000 >/sys/module/migrace/parameters/budget_us
else
	skip "times=5: exactly 5 widenings" "$KSKIP"
	skip "times=5: window disarmed itself" "$KSKIP"
	skip "budget: exceeded budget disarms the window" "$KSKIP"
	skip "budget: pte-clear disarmed itself" "$KSKIP"
fi

# -- unload while armed and under load --
ctl "arm all delay delay_us=100"
migrace run shared-anon --seconds 4 >/out/unload.txt 2>&1 &
drv=$!
sleep 2
check "rmmod while armed under load" rmmod migrace
wait $drv
check "driver finished after the unload" test -s /out/unload.txt
check "module gone" test ! -d "$D"
check "--expect-race without the module: exit 1, the race unknown" \
	sh -c "migrace run shared-anon --seconds 1 --expect-race >/tmp/race.txt 2>&1; test \$? = 1 &&
		grep -q 'race unknown (--expect-race)' /tmp/race.txt"
check "verbs without the module exit 4 with a message" \
	sh -c "migrace stats; test \$? = 4 && migrace stats 2>&1 | grep -q 'module not loaded'"

# -- a cpuset that allows one memory node: a skip that says so, never a
# run whose failures are EACCES taken for a race --
CG=/sys/fs/cgroup
[ -e "$CG/cgroup.controllers" ] || mount -t cgroup2 none "$CG" 2>/dev/null
if grep -qw cpuset "$CG/cgroup.controllers" 2>/dev/null &&
	echo +cpuset >"$CG/cgroup.subtree_control" 2>/dev/null && mkdir -p "$CG/one-node" &&
	echo 0 >"$CG/one-node/cpuset.mems"; then
	sh -c "echo \$\$ >$CG/one-node/cgroup.procs && exec migrace run shared-anon --seconds 1" \
		>/out/cpuset.txt 2>&1
	rc=$?
	check "a cpuset allowing node 0 only: a skip (exit 4) naming the cpuset" \
		sh -c "[ $rc = 4 ] && grep -q 'allowed by this task.s cpuset' /out/cpuset.txt ||
			{ echo 'exit $rc'; cat /out/cpuset.txt; false; }"
	rmdir "$CG/one-node"
else
	skip "a cpuset allowing node 0 only: a skip (exit 4) naming the cpuset" "no cgroup2 cpuset controller"
fi

# -- the driver cleans up after itself --
if full; then
	migrace run shared-anon --seconds 60 >/dev/null 2>&1 &
	drv=$!
	sleep 2
	kill -9 $drv
	sleep 1
	# busybox has pidof (not pgrep): a missing command must not pass as "none".
	check "SIGKILLed driver leaves no reader behind" sh -c "[ -z \"\$(pidof migrace)\" ]"
else
	skip "SIGKILLed driver leaves no reader behind" "$KSKIP"
fi

# -- after the module is gone: nothing it allocated is left unreferenced --
if [ -w "$KMEMLEAK" ]; then
	echo scan >"$KMEMLEAK"
	sleep 5
	echo scan >"$KMEMLEAK"
	check "kmemleak: no leak reported after the run" \
		sh -c "! grep -q '^unreferenced object' $KMEMLEAK || { head -n 20 $KMEMLEAK; false; }"
else
	skip "kmemleak: no leak reported after the run" "no kmemleak in this kernel"
fi

echo "# done at uptime $(cut -d' ' -f1 /proc/uptime) s" | tee -a "$OUT"
if [ "$n" != "$PLAN" ]; then
	nok "plan: ran $n tests, planned $PLAN"
fi
exit 0
