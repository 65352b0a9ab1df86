# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Guest soak (busybox sh, run by scripts/soak): is migrace safe to leave
# loaded? Unload under load, hostile input, an armed soak, killed drivers.
# TAP in /out/results.tap, figures in /out/soak.json. Every loop is bounded
# by a count and by a deadline; the host bounds the guest.
set -u
OUT=/out/results.tap
D=/sys/kernel/debug/migrace
P=/sys/module/migrace/parameters
CYCLES=${SOAK_CYCLES:-500}
INPUTS=${SOAK_INPUTS:-10000}
SOAK_S=${SOAK_SECONDS:-600}
KILLS=${SOAK_KILLS:-50}
# No phase runs past its share of the guest's time, whatever its count.
PHASE_S=${SOAK_PHASE_SECONDS:-1500}
n=0
failed=0

say() { echo "$*" | tee -a "$OUT"; }
ok() { n=$((n + 1)); say "ok $n - $1"; }
nok() {
	n=$((n + 1))
	failed=$((failed + 1))
	say "not ok $n - $1"
	shift
	for l in "$@"; do say "# $l"; done
}
# expect NAME WANT GOT: one test, WANT and GOT shown on failure.
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "want $2, got $3"; fi
}
stat() { sed -n "s/^$1: //p" "$D/stats"; }
vm() { sed -n "s/^$1 //p" /proc/vmstat; }
now() { cut -d. -f1 /proc/uptime; }
# Kernel trouble in the log so far: what the host's audit of the console
# calls trouble (the lab's pattern, in audit.re beside this script). The
# ring buffer is drained as the soak goes, its trouble lines kept in a file
# (the hostile phase's refusals, logged, would rotate older lines out: the
# second full soak's count fell from 3 to 0), and only trouble counts: the
# debug kernel's command line (rcu_cpu_stall_timeout) matched 'rcu.*stall'.
# Only trouble lines are kept: /tmp is tmpfs, and Shmem is measured.
KMSG=/tmp/soak-kmsg.txt
SPLAT_RE=$(cat audit.re 2>/dev/null)
[ -n "$SPLAT_RE" ] || { echo "soak: no audit.re from the lab"; exit 1; }
: >"$KMSG"
drain() { dmesg -c 2>/dev/null | grep -E "$SPLAT_RE" >>"$KMSG" || true; }
splats() {
	drain
	grep -c . "$KMSG" || true
}
# Shared memory in use, kB (the driver's memfd and shmem-file pages, tmpfs).
shmem_kb() { sed -n 's/^Shmem: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
drivers() { pidof migrace | wc -w; }
# Wait (bounded) for every driver and reader to be gone; print how many remain.
reap() {
	t=0
	while [ "$(drivers)" != 0 ] && [ $t -lt 50 ]; do
		sleep 0.2
		t=$((t + 1))
	done
	drivers
}
rnd() { od -An -N2 -tu2 /dev/urandom | tr -d ' '; }

say "TAP version 13"
say "# soak: cycles $CYCLES, inputs $INPUTS, armed ${SOAK_S}s, kills $KILLS"
splats0=$(splats)
shm0=$(shmem_kb)
# Only what this soak leaks: forget what boot left behind.
[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak

# -- 1. unload under load ---------------------------------------------------
# Each cycle loads the module, arms, starts a driver and unloads while it
# runs: a third land while pte-clear rendezvous holds, a third inside the
# deferred-split scan, a third while attribution is being read.
i=0
busy=0
unload_bad=0
end=$(($(now) + PHASE_S))
while [ $i -lt "$CYCLES" ] && [ "$(now)" -lt $end ]; do
	i=$((i + 1))
	drain
	insmod migrace.ko || { unload_bad=$((unload_bad + 1)); break; }
	reader=""
	case $((i % 3)) in
	0)
		echo "arm pte-clear rendezvous timeout_us=1000" >"$D/control"
		migrace run shmem-file --seconds 2 >/dev/null 2>&1 &
		;;
	1)
		echo "arm deferred-split delay delay_us=500" >"$D/control"
		migrace run deferred-split --seconds 2 >/dev/null 2>&1 &
		;;
	2)
		echo "arm all delay delay_us=100" >"$D/control"
		migrace run shared-anon --seconds 2 >/dev/null 2>&1 &
		(j=0; while [ $j -lt 400 ]; do cat "$D/attribution" >/dev/null 2>&1; j=$((j + 1)); done) &
		reader=$!
		;;
	esac
	drv=$!
	sleep "0.$(($(rnd) % 9 + 1))"
	# An open debugfs file pins the module: rmmod may be refused, then retried.
	t=0
	until rmmod migrace 2>/dev/null; do
		busy=$((busy + 1))
		t=$((t + 1))
		[ $t -lt 100 ] || break
		sleep 0.05
	done
	[ -n "$reader" ] && kill "$reader" 2>/dev/null
	wait
	[ -d "$D" ] && { unload_bad=$((unload_bad + 1)); rmmod migrace 2>/dev/null; }
done
unload_cycles=$i
expect "unload under load: $i cycles, module gone after each" 0 "$unload_bad"
expect "unload under load: no driver or reader left" 0 "$(reap)"
expect "unload under load: no kernel splat" "$splats0" "$(splats)"

# -- 2. hostile input -----------------------------------------------------------
# Written with shell builtins only (no fork per write), so that 10,000
# writes fit the debug kernel's time.
insmod migrace.ko
mismatch=0
inputs=0
# try FILE TEXT WANT: write, compare accepted (1) / refused (0) with WANT.
try() {
	inputs=$((inputs + 1))
	if printf '%s' "$2" >"$1" 2>/dev/null; then got=1; else got=0; fi
	if [ "$got" != "$3" ]; then
		mismatch=$((mismatch + 1))
		[ $mismatch -le 5 ] && say "# input mismatch: $1 <- '$2': want $3, got $got"
	fi
}
# param NAME VALUE WANT: a parameter write; after it, the new value or the old.
param() {
	read -r old <"$P/$1"
	try "$P/$1" "$2" "$3"
	want=$old
	[ "$3" = 1 ] && want=$(($2))
	read -r now_v <"$P/$1"
	if [ "$now_v" != "$want" ]; then
		mismatch=$((mismatch + 1))
		say "# $1 is $now_v after '$2', want $want"
	fi
}
# Only pte-clear and freeze are armed by the valid lines below (nothing
# disarms the others): garbage, even naming them, must never arm the other two.
armed_others() {
	grep -v '^#' "$D/windows" | awk '$3 == "yes" && $1 != "pte-clear" && $1 != "freeze"' | wc -l
}
uptime_s() {
	read -r up _ </proc/uptime
	echo "${up%.*}"
}
long=$(head -c 1100 /dev/zero | tr '\0' 'a')
# 32 random lines made once, each behind a "!" (no verb; never a "#" comment).
g=0
while [ $g -lt 32 ]; do
	eval "junk$g=\"!\$(head -c $((g * 2 + 1)) /dev/urandom | tr -d '\\n\\0')\""
	g=$((g + 1))
done
end=$(($(uptime_s) + PHASE_S))
# Writers at once, while windows fire: two extra writers in the background.
(k=0; while [ $k -lt 2000 ]; do echo "arm freeze count" >"$D/control"; echo "disarm freeze" >"$D/control"; k=$((k + 1)); done) &
w1=$!
(k=0; while [ $k -lt 2000 ]; do echo "reset" >"$D/control"; cat "$D/stats" >/dev/null; k=$((k + 1)); done) &
w2=$!
migrace run shared-anon --seconds 60 >/dev/null 2>&1 &
drv=$!
up=0
while [ $inputs -lt "$INPUTS" ]; do
	# The deadline, read every 64 writes, and the kernel log kept.
	if [ $((inputs % 64)) = 0 ]; then
		drain
		read -r up _ </proc/uptime
		[ "${up%.*}" -lt $end ] || break
	fi
	# shellcheck disable=SC3028 # busybox ash has $RANDOM
	c=$((RANDOM % 15))
	# shellcheck disable=SC3028
	r=$RANDOM
	case $c in
	0) eval "try \"\$D/control\" \"\$junk$((r % 32))\" 0" ;;
	1) try "$D/control" "$long" 0 ;;
	2) try "$D/control" "arm pte-clear rendezvous timeout_us=$((1000 + r % 100 + 1))" 0 ;;
	3) try "$D/control" "arm pte-clear delay delay_us=$((r % 1000 + 1))" 1 ;;
	4) try "$D/control" "arm pte-clear delay delay_us=-$r" 0 ;;
	5) try "$D/control" "arm freeze delay prob=$((r % 200))" $(((r % 200) <= 100)) ;;
	6) try "$D/control" "arm freeze every=18446744073709551616" 0 ;;
	7) try "$D/control" "disarm pte-clear" 1 ;;
	8) try "$D/control" "arm pte-clear rende" 0 ;;
	9) param max_delay_us "$((r % 5003))" $(((r % 5003) >= 1 && (r % 5003) <= 5000)) ;;
	10) param budget_us "$((r % 3 == 0 ? 0 : r * 28))" $((r % 3 != 0 && r * 28 <= 900000)) ;;
	11) param max_delay_us "-$((r % 10))" 0 ;;
	# Bad lines naming the windows no valid line arms here.
	12) try "$D/control" "arm entry-wait delay delay_us=$((1001 + r))" 0 ;;
	13) try "$D/control" "arm all rendezvous prob=$((101 + r % 50))" 0 ;;
	14) param max_irqoff_us "$((r % 5003 - 1))" $(((r % 5003 - 1) >= 1 && (r % 5003 - 1) <= 5000)) ;;
	esac
	# The cap may have dropped below 1000: keep the fixed lines above valid.
	[ $c = 9 ] && echo 1000 >"$P/max_delay_us"
done
kill $w1 $w2 $drv 2>/dev/null
wait
expect "hostile input: $inputs writes accepted or refused as documented" 0 "$mismatch"
expect "hostile input: no window armed that no valid line armed" 0 "$(armed_others)"
echo "disarm all" >"$D/control"
expect "hostile input: no kernel splat" "$splats0" "$(splats)"
echo 1000 >"$P/max_delay_us"
echo 500000 >"$P/budget_us"
echo 1000 >"$P/max_irqoff_us"

# -- 3. armed soak -----------------------------------------------------------------
# The heaviest scenarios in turn until the time is up. budget_us=100000: a
# window may widen 10% of each CPU's time, so a run with W windows armed may
# take at most W x 10% of the guest's CPU time; each run is measured.
echo reset >"$D/control"
echo 100000 >"$P/budget_us"
# A lab's bound on how long a widening may hold interrupts off (below the
# deferred-split delay of 200 us, which it then cuts).
IRQOFF_US=150
echo $IRQOFF_US >"$P/max_irqoff_us"
cpus=$(nproc)
cs() { tr -d . </proc/uptime | cut -d' ' -f1; }
# wsum FIELD / wmax FIELD: the sum / the largest of window.*.FIELD, in the
# shell's 64-bit arithmetic (busybox awk's %d stops at 2^31).
wsum() {
	ws=0
	while IFS=': ' read -r k v; do
		case $k in window.*."$1") ws=$((ws + v)) ;; esac
	done <"$D/stats"
	echo $ws
}
wmax() {
	ws=0
	while IFS=': ' read -r k v; do
		case $k in window.*."$1") [ "$v" -gt "$ws" ] && ws=$v ;; esac
	done <"$D/stats"
	echo "$ws"
}
t0=$(now)
end=$((t0 + SOAK_S))
runs=0
peak_share=0
over_budget=0
max_inflight=0
bad_runs=0
expired0=$(stat inflight_expired)
while [ "$(now)" -lt $end ] && [ $runs -lt 10000 ]; do
	left=$((end - $(now)))
	s=10
	[ $left -lt $s ] && s=$left
	[ $s -ge 1 ] || break
	nwin=1
	case $((runs % 4)) in
	0) set -- shared-anon --window pte-clear --policy rendezvous ;;
	1) set -- shmem-file --window pte-clear --policy rendezvous ;;
	2) set -- deferred-split --window deferred-split --policy "delay delay_us=200" ;;
	3)
		nwin=4
		if [ "$(uname -m)" = x86_64 ]; then
			set -- hot-remove --window all --policy "delay delay_us=50"
		else
			set -- shared-anon --window all --policy "delay delay_us=50"
		fi
		;;
	esac
	w0=$(wsum widen_ns)
	c0=$(cs)
	migrace run "$@" --seconds $s >/dev/null 2>&1 &
	drv=$!
	t=0
	while kill -0 $drv 2>/dev/null && [ $t -lt $((s + 60)) ]; do
		v=$(stat inflight_now)
		[ "$v" -gt "$max_inflight" ] && max_inflight=$v
		sleep 1
		t=$((t + 1))
	done
	kill -9 $drv 2>/dev/null
	wait $drv
	rc=$?
	# 0 pass, 4 skip (hot-remove without a removable block); else a failure.
	if [ $rc != 0 ] && [ $rc != 4 ]; then
		bad_runs=$((bad_runs + 1))
		say "# run $runs ($1): driver exit $rc"
	fi
	dcs=$(($(cs) - c0))
	# Per mille of the guest's CPU time (all vCPUs) this run spent widening.
	share=$((($(wsum widen_ns) - w0) / 10000 / (dcs > 0 ? dcs : 1) / cpus))
	[ $share -gt $peak_share ] && peak_share=$share
	# A budget period runs a second from its first use: 10% of a run of
	# s seconds may reach (s + 1) / s of it.
	lim=$((nwin * 100 * (s + 1) / s))
	if [ $share -gt $lim ]; then
		over_budget=$((over_budget + 1))
		say "# run $runs ($1, $nwin window(s)): widening $share per mille > $lim"
	fi
	runs=$((runs + 1))
	drain
done
elapsed=$(($(now) - t0))
irqoff_n=$(wsum irqoff_widened)
irqoff_cut=$(wsum irqoff_capped)
irqoff_mean_us=$(($(wsum irqoff_ns) / 1000 / (irqoff_n > 0 ? irqoff_n : 1)))
irqoff_peak_us=$(($(wmax irqoff_max_ns) / 1000))
say "# interrupts masked: $irqoff_n widenings ($irqoff_cut cut to max_irqoff_us=$IRQOFF_US)," \
	"mean $irqoff_mean_us us, longest $irqoff_peak_us us"
echo 1000 >"$P/max_irqoff_us"
say "# armed soak: $runs runs in ${elapsed}s, peak widening $peak_share per mille of CPU," \
	"budget disarms $(stat budget_disarms), in-flight at most $max_inflight (sampled each s)," \
	"inflight_overflow $(stat inflight_overflow), attrib_dropped $(stat attrib_dropped)"
expect "armed soak: every driver run passed or skipped" 0 "$bad_runs"
expect "armed soak: no run widened past W windows x its 10% budget (of all vCPUs)" 0 "$over_budget"
# deferred-split's 200 us delays, done with interrupts masked, are cut to
# the cap (its 50 us ones in the runs of every window are not).
ds_n=$(stat window.deferred-split.irqoff_widened)
if [ "$ds_n" -gt 0 ]; then
	expect "armed soak: deferred-split's 200 us cut to max_irqoff_us=$IRQOFF_US with interrupts masked" \
		1 $(($(stat window.deferred-split.irqoff_capped) > 0))
else
	n=$((n + 1))
	say "ok $n - armed soak: deferred-split's 200 us cut to max_irqoff_us with interrupts masked" \
		"# SKIP no such widening in ${elapsed}s"
fi
expect "armed soak: every migration's end seen (no in-flight entry expired)" "$expired0" "$(stat inflight_expired)"
expect "armed soak: no kernel splat" "$splats0" "$(splats)"
echo 500000 >"$P/budget_us"

# -- 4. drivers killed at random points ----------------------------------------------
echo reset >"$D/control"
f0=$(vm pgmigrate_fail)
s0=$(vm pgmigrate_success)
left_max=0
k=0
end=$(($(now) + PHASE_S))
while [ $k -lt "$KILLS" ] && [ "$(now)" -lt $end ]; do
	k=$((k + 1))
	drain
	case $((k % 3)) in
	0) migrace run shared-anon --seconds 30 --window pte-clear --policy rendezvous ;;
	1) migrace run shmem-file --seconds 30 ;;
	2) migrace run deferred-split --seconds 30 ;;
	esac >/dev/null 2>&1 &
	sleep "$(($(rnd) % 2)).$(($(rnd) % 10))"
	kill -9 $!
	wait 2>/dev/null
	reap >/dev/null
	# Its `target pgid` stays (no `target clear` from a killed driver):
	# before clearing it, every migration it started must have ended.
	v=$(stat inflight_now)
	[ "$v" -gt "$left_max" ] && left_max=$v
	echo "target clear" >"$D/control"
done
orphans=$(reap)
shm_left=$(($(shmem_kb) - shm0))
expect "killed drivers: $k runs migrated pages" 1 $(($(vm pgmigrate_success) > s0))
expect "killed drivers: no reader left" 0 "$orphans"
expect "killed drivers: Shmem back within 1 MiB of the start" 1 $((shm_left < 1024))
expect "killed drivers: final_failed equals delta pgmigrate_fail" "$(($(vm pgmigrate_fail) - f0))" "$(stat final_failed)"
expect "killed drivers: nothing left in flight after each kill" 0 "$left_max"
rmmod migrace
expect "module unloads at the end" 1 "$([ -d "$D" ] && echo 0 || echo 1)"

# -- kmemleak, where the kernel has it -------------------------------------------------
leaks=0
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak || true)
	expect "kmemleak: no leak reported" 0 "$leaks"
else
	n=$((n + 1))
	say "ok $n - kmemleak: no leak reported # SKIP no kmemleak in this kernel"
	leaks=null
fi
splat_n=$(($(splats) - splats0))
cat >/out/soak.json <<EOF
{"cycles": $unload_cycles, "rmmod_busy_retries": $busy, "inputs": $inputs,
 "input_mismatches": $mismatch, "soak_seconds": $elapsed, "soak_runs": $runs,
 "kills": $k, "splats": $splat_n, "leaks": $leaks, "shmem_delta_kb": $shm_left,
 "orphans": $orphans, "peak_widening_per_mille": $peak_share, "bad_runs": $bad_runs,
 "max_inflight_sampled": $max_inflight, "cpus": $cpus,
 "max_irqoff_us": $IRQOFF_US, "irqoff_widenings": $irqoff_n, "irqoff_cut": $irqoff_cut,
 "irqoff_mean_us": $irqoff_mean_us, "irqoff_peak_us": $irqoff_peak_us,
 "kernel": "$(uname -r)", "arch": "$(uname -m)", "failed": $failed, "tests": $n}
EOF
say "1..$n"
exit 0
