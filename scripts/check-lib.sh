# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Stages and helpers of scripts/check. Sourced, not run.

SKIPPED=0

# write_timing TOTAL STAGE SECONDS...: this run's timings as JSON (the
# README's check table is generated from a copy in results/check.json).
write_timing() {
	local total=$1 sep=""
	shift
	printf '{\n "schema": 1, "kind": "%s", "date": "%s",\n' \
		"${CHECK_KIND:-cached}" "$(date -u +%Y-%m-%dT%H:%M:%S+00:00)"
	printf ' "command": "make check", "qemu": "%s", "accel": "tcg",\n' \
		"$("$TOP/scripts/lab" info --qemu)"
	printf ' "host": {"machine": "%s", "cpus": %s, "cpu": "%s", "os": "%s"},\n' "$(uname -m)" \
		"$(nproc)" "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)" \
		"$(. /etc/os-release && echo "$PRETTY_NAME")"
	printf ' "passed": %s, "failed": %s, "skipped": %s, "total_seconds": %s,\n "stages": [' \
		"$PASSED" "$FAILED" "$SKIPPED" "$total"
	while [ $# -ge 2 ]; do
		printf '%s\n  {"stage": "%s", "seconds": %s}' "$sep" "$1" "$2"
		sep=,
		shift 2
	done
	printf '\n ]\n}\n'
}

want_stage() {
	[ -z "$ONLY" ] || [[ $ONLY == *,$1,* ]] || return 1
	[[ $SKIP != *,$1,* ]]
}

t_ok() {
	NTEST=$((NTEST + 1))
	PASSED=$((PASSED + 1))
	echo "ok $NTEST - $1"
}

t_fail() {
	NTEST=$((NTEST + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $NTEST - $1"
	shift
	[ $# = 0 ] || printf '#   %s\n' "$@"
}

# run_test NAME CMD...: one test, passing if CMD exits 0; its output is kept.
run_test() {
	local name=$1 log
	shift
	log=$RESULTS/$(echo "$name" | tr -c 'a-zA-Z0-9_.-' '_').log
	if "$@" >"$log" 2>&1; then
		t_ok "$name"
	else
		t_fail "$name" "failed: $*" "log: $log" "$(tail -n 3 "$log")"
	fi
}

# count_tap PREFIX FILE: count a TAP/KTAP file's top-level results; a plan
# `1..N` with fewer results counts the missing ones as failures.
count_tap() {
	local prefix=$1 file=$2 plan=0 seen=0 line
	if [ ! -f "$file" ]; then
		t_fail "$prefix: results" "no results file $file"
		return
	fi
	while IFS= read -r line; do
		case $line in
		1..*) plan=${line#1..} ;;
		"ok "*"# SKIP"*)
			seen=$((seen + 1)); SKIPPED=$((SKIPPED + 1))
			echo "# skip $prefix: ${line#ok }" ;;
		"ok "*) seen=$((seen + 1)); t_ok "$prefix: $(tap_name "$line")" ;;
		"not ok "*) seen=$((seen + 1)); t_fail "$prefix: $(tap_name "$line")" ;;
		"# "*) echo "$line" ;;
		esac
	done <"$file"
	while [ "$seen" -lt "$plan" ]; do
		seen=$((seen + 1))
		t_fail "$prefix: test $seen of $plan never reported (guest died?)"
	done
}

tap_name() {
	echo "$1" | sed -E 's/^(not )?ok [0-9]+ (- )?//'
}

# --- stages ----------------------------------------------------------------

# A stage by name: K-ARCH is the guest suite on kernel K of the matrix.
run_stage() {
	case $1 in
	# 2 s scenarios (1 s where a counter only has to move) keep a cached
	# run within 20 minutes.
	*-x86_64 | *-arm64) guest_stage "${1##*-}" "${1%-*}" "${MIGRACE_SECONDS:-2}" ;;
	*) "stage_$1" ;;
	esac
}

# What every later stage needs: packages, Debian's kernels, linux-source
# (checkpatch.pl, kunit.py). Idempotent; fast when all is there.
stage_setup() {
	run_test "setup: lab setup (packages, every kernel of the matrix, cache)" \
		"$LAB" setup --kernel all
	run_test "setup: linux-source unpacked (checkpatch.pl, kunit.py)" kernel_src_path
}

kernel_src_path() {
	(cd "$TOP" && TOP=$TOP CACHE=$CACHE bash -c '. scripts/lab-lib.sh; kernel_src')
}

stage_host() {
	local log=$RESULTS/host-unit.log src
	src=$(kernel_src_path 2>/dev/null) || true
	KUNIT_PY=$src/tools/testing/kunit/kunit.py make -s -C "$TOP/userspace" test >"$log" 2>&1 || true
	if grep -qE '^(not )?ok ' "$log"; then
		count_tap host "$log"
	else
		t_fail "host: userspace unit tests" "no test output; log: $log" "$(tail -n 5 "$log")"
	fi
	# scripts/triage, its report and its guest script on a fixture and fakes.
	host_py triage test_triage.py "$CACHE/amd64/bin/busybox"
	# make soak's record and README table, a crashed run's included.
	host_py soak test_soak.py
	# scripts/bench --power's report on synthetic cells.
	host_py power test_power.py
}

# host_py NAME TEST [ARG]...: scripts/tests/TEST's TAP, counted as "host NAME".
host_py() {
	local name=$1 t=$2 log=$RESULTS/host-$1.tap
	shift 2
	python3 "$TOP/scripts/tests/$t" "$@" >"$log" 2>&1 || true
	if grep -q '^1\.\.[1-9]' "$log"; then
		count_tap "host $name" "$log"
	else
		t_fail "host $name: scripts/tests/$t" "no TAP plan; log: $log" "$(tail -n 3 "$log")"
	fi
}

man_renders() {
	local err
	err=$(MANWIDTH=80 man --warnings -l "$TOP/docs/migrace.8" 2>&1 >/dev/null)
	[ -z "$err" ] || { echo "$err"; return 1; }
	MANWIDTH=80 man -l "$TOP/docs/migrace.8" 2>/dev/null | grep -q -- '--expect-race'
}

# complete_words WORD...: what the completion offers for the last word.
complete_words() {
	# shellcheck disable=SC1091
	(. "$TOP/docs/migrace.bash-completion" && COMP_WORDS=("$@") && COMP_CWORD=$(($# - 1)) &&
		_migrace && echo "${COMPREPLY[*]}")
}

completion_ok() {
	[ "$(complete_words migrace run sh)" = "shared-anon shmem-file" ] &&
		[ "$(complete_words migrace run shared-anon --expect-r)" = "--expect-race" ] &&
		[ "$(complete_words migrace arm pte)" = "pte-clear" ] &&
		[ "$(complete_words migrace ta)" = "target" ]
}

# compat.h is where kernel versions are compared: checkpatch's advice for
# in-tree code (no LINUX_VERSION_CODE) does not apply there.
checkpatch() {
	local src ignore=FILE_PATH_CHANGES,SPDX_LICENSE_TAG
	src=$(kernel_src_path)
	case $1 in */compat.h) ignore=$ignore,LINUX_VERSION_CODE,CONSTANT_COMPARISON ;; esac
	"$src/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
		--ignore "$ignore" -f "$1"
}

stage_style() {
	local f
	run_test "style: shellcheck scripts" shellcheck -x -P "$TOP/scripts" \
		"$TOP"/scripts/lab "$TOP"/scripts/check "$TOP"/scripts/bench "$TOP"/scripts/triage \
		"$TOP"/scripts/soak "$TOP"/scripts/dkms-check \
		"$TOP"/scripts/*.sh "$TOP"/scripts/guest/*.sh \
		"$TOP"/scripts/guest-init "$TOP"/.ci/run
	run_test "style: migrace.8 and the bash completion match \`migrace help\` (scripts/gen-man --check)" \
		python3 "$TOP/scripts/gen-man" --check
	run_test "style: man -l renders docs/migrace.8 without a warning" man_renders
	run_test "style: the bash completion offers scenarios, run's options and windows" completion_ok
	run_test "style: README's measured tables match results/ (scripts/readme-tables --check)" \
		python3 "$TOP/scripts/readme-tables" --check
	for f in "$TOP"/module/*.[ch] "$TOP"/kunit/*.[ch]; do
		[ -f "$f" ] || continue
		case $f in */trace.h) continue ;; esac	# TRACE_EVENT macros confuse checkpatch
		run_test "style: checkpatch --strict ${f#"$TOP"/}" checkpatch "$f"
	done
}

stage_build() {
	local k a
	while read -r k _; do
		case $k in '' | '#'*) continue ;; esac
		for a in x86_64 arm64; do
			run_test "build: module + driver, $k $a, W=1 -Werror" \
				"$LAB" build --arch "$a" --kernel "$k" --out "$RESULTS/build-$k-$a"
		done
	done <"$TOP/scripts/kernels.conf"
	run_test "build: dkms.conf's version is module/version.h's" "$TOP/scripts/dkms-check" version
	run_test "build: dkms add + build against 6.1's x86_64 headers (private DKMS tree)" \
		"$TOP/scripts/dkms-check" build 6.1
	run_test "build: dkms refuses a kernel without CONFIG_KPROBES (BUILD_EXCLUSIVE_CONFIG)" \
		"$TOP/scripts/dkms-check" exclude
}

# expect_fail NAME WANT_RC WANT_TEXT CMD...: CMD must exit WANT_RC (or any
# non-zero for "nz") and print WANT_TEXT.
expect_fail() {
	local name=$1 want_rc=$2 want=$3 log rc=0
	shift 3
	log=$RESULTS/$(echo "$name" | tr -c 'a-zA-Z0-9_.-' '_').log
	"$@" >"$log" 2>&1 || rc=$?
	if { [ "$want_rc" = nz ] && [ $rc != 0 ]; } || [ "$rc" = "$want_rc" ]; then
		if grep -q -- "$want" "$log"; then
			t_ok "$name"
			return
		fi
	fi
	t_fail "$name" "want exit $want_rc and '$want'; got exit $rc; log: $log" "$(tail -n 2 "$log")"
}

stage_lab() {
	local L=("$LAB" run --arch x86_64 --no-build)
	expect_fail "lab: unknown arch is one clear error" 1 "unknown arch 'sparc'" \
		"$LAB" run --arch sparc -- true
	expect_fail "lab: unknown kernel is one clear error naming the matrix" 1 \
		"unknown kernel '4.19' ($(awk '!/^#/ && NF { printf "%s ", $1 }' "$TOP/scripts/kernels.conf")debug)" \
		"$LAB" run --kernel 4.19 -- true
	expect_fail "lab: bad --tcg-thread is one clear error naming it" 1 \
		"run: --tcg-thread 'dual' must be single or multi" "${L[@]}" --tcg-thread dual -- true
	run_test "lab: build --out leaves migrace.ko (vermagic 7.2) and migrace" \
		build_out_ok 7.2 arm64
	expect_fail "lab: --tcg-thread single reaches QEMU (one TCG thread), the guest runs" 3 \
		"-accel tcg,thread=single " "${L[@]}" --tcg-thread single --timeout 120 -- 'exit 3'
	expect_fail "lab: guest exit status passes through" 3 "guest command exited 3" \
		"${L[@]}" --timeout 120 -- 'test -d /sys/devices/system/node/node1 && exit 3'
	expect_fail "lab: a kernel WARNING in the guest fails the run, naming it" 1 \
		"console audit FAILED.*WARNING: CPU: 9 PID: 1 at migrace-selftest" \
		"${L[@]}" --timeout 120 -- 'echo "WARNING: CPU: 9 PID: 1 at migrace-selftest" >/dev/kmsg'
	expect_fail "lab: a guest that never powers off fails at its timeout" 1 \
		"no power-off within 15s" "${L[@]}" --timeout 15 -- 'sleep 600'
	expect_fail "lab: a hung guest is stopped soon after its console says so, naming the line" 1 \
		"hung: its console shows '.*INFO: task migrace-selftest:1 blocked for more than 120 seconds.*at [0-9]* s of its 600s" \
		"${L[@]}" --timeout 600 -- \
		'echo "INFO: task migrace-selftest:1 blocked for more than 120 seconds." >/dev/kmsg; sleep 900'
	expect_fail "lab: QEMU killed by its own signal is said to be the emulator's, and booted once more" 3 \
		"QEMU itself died (status 134, signal 6) before the guest reported" qemu_dies_once
}

# qemu_dies_once: a guest whose first QEMU aborts (SIGABRT, as QEMU's own
# assertions do) once its command runs; the second boot exits 3.
qemu_dies_once() {
	local tag=migrace.check_abort=$$ log=$RESULTS/lab-qemu-abort.console.log rc=0 i watcher
	rm -f "$log"
	(
		for ((i = 0; i < 600; i++)); do
			if grep -qa '^guest: kernel' "$log" 2>/dev/null; then
				pkill -ABRT -f "^[^ ]*qemu-system-x86_64 .*$tag"
				exit
			fi
			sleep 0.5
		done
	) &
	watcher=$!
	(ulimit -c 0 && APPEND=$tag "$LAB" run --arch x86_64 --no-build --log "$log" --timeout 300 \
		-- 'sleep 5; exit 3') || rc=$?
	kill "$watcher" 2>/dev/null
	wait "$watcher"
	return $rc
}

# build_out_ok K ARCH: `build --out DIR` leaves that kernel's module there.
build_out_ok() {
	local dir=$RESULTS/lab-build-$1-$2
	rm -rf "$dir"
	"$LAB" build --arch "$2" --kernel "$1" --out "$dir" >/dev/null &&
		test -x "$dir/migrace" && test -f "$dir/migrace.ko" &&
		strings "$dir/migrace.ko" | grep "^vermagic=$1" >/dev/null
}

# suite_of ARCH KERNEL: the guest suite's depth there. The module's own
# logic, which no kernel changes, is tested once, on the debug kernel
# (KASAN, lockdep: its disarm paths, its waits); elsewhere what depends on
# the kernel, the rest shown as skips (a cached run within 20 minutes).
suite_of() {
	case $2 in
	debug) echo full ;;
	*) echo kernel ;;
	esac
}

# guest_stage ARCH KERNEL SECONDS [FIRST]: the integration suite, after the
# guest command FIRST if given (kunit.sh is there for it).
guest_stage() {
	local arch=$1 kind=$2 secs=$3 first=${4:-} out=$RESULTS/guest-$2-$1 rc=0 suite
	suite=$(suite_of "$arch" "$kind")
	rm -rf "$out"
	"$LAB" run --arch "$arch" --kernel "$kind" --no-build --timeout "${GUEST_TIMEOUT:-900}" \
		--out "$out" --log "$out.console.log" --add "$TOP/scripts/guest/integration.sh" \
		--add "$TOP/scripts/guest/kunit.sh" \
		-- "${first}MIGRACE_SUITE=$suite MIGRACE_SECONDS=$secs sh integration.sh" \
		>"$out.lab.log" 2>&1 || rc=$?
	echo "# $arch-$kind: the $suite suite"
	count_tap "$arch-$kind" "$out/results.tap"
	if [ $rc = 0 ]; then
		t_ok "$arch-$kind: guest ran clean (audit, exit status)"
	else
		t_fail "$arch-$kind: guest ran clean (audit, exit status)" "$(tail -n 3 "$out.lab.log")"
	fi
}

stage_x86_64() {
	guest_stage x86_64 6.1 "${MIGRACE_SECONDS:-2}"
}

stage_arm64() {
	guest_stage arm64 6.1 "${MIGRACE_SECONDS:-2}"
}

stage_kunit() {
	run_test "kunit: debug kernel (cached by config hash)" "$LAB" kernel || return 0
	run_test "kunit: module + KUnit module against the debug kernel" \
		"$LAB" build --arch x86_64 --kernel debug || return 0
	# The debug stage's guest runs the suites first: one boot fewer.
	if want_stage debug; then
		KUNIT_IN_DEBUG=1
		echo "# kunit: the suites run first in the debug stage's guest"
		return 0
	fi
	local out=$RESULTS/kunit rc=0
	rm -rf "$out"
	"$LAB" run --arch x86_64 --kernel debug --no-build --timeout 600 --out "$out" \
		--log "$out.console.log" --add "$TOP/scripts/guest/kunit.sh" -- 'sh kunit.sh' \
		>"$out.lab.log" 2>&1 || rc=$?
	count_suites "$out"
	if [ $rc = 0 ]; then
		t_ok "kunit: guest ran clean (audit, exit status)"
	else
		t_fail "kunit: guest ran clean (audit, exit status)" "$(tail -n 3 "$out.lab.log")"
	fi
}

# Every suite of kunit/*_test.c must have reported: a suite that is gone
# (not built, not registered) fails here rather than vanishing.
count_suites() {
	local dir=$1 t suite
	for t in "$TOP"/kunit/*_test.c; do
		t=$(basename "$t" _test.c)
		suite=migrace_$t
		if [ -s "$dir/$suite.ktap" ]; then
			count_kunit "$dir/$suite.ktap"
		else
			t_fail "kunit $suite: results" "no KTAP for it from the guest; see $dir.lab.log"
		fi
	done
}

# Count one suite's KTAP (subtests at depth 1) and have kunit.py agree.
count_kunit() {
	local f=$1 suite kpy
	suite=$(basename "$f" .ktap)
	kpy=$(kernel_src_path)/tools/testing/kunit/kunit.py
	sed -n 's/^    \(\(not \)\{0,1\}ok .*\)$/\1/p' "$f" >"$f.sub"
	count_tap "kunit $suite" "$f.sub"
	if python3 "$kpy" parse "$f" >"$f.parsed" 2>&1; then
		t_ok "kunit $suite: kunit.py parse agrees"
	else
		t_fail "kunit $suite: kunit.py parse agrees" "$(tail -n 3 "$f.parsed")"
	fi
}

# 2 s scenarios: the debug kernel is there for KASAN, lockdep and the
# lockup detectors, not for statistics (a cached run within 20 minutes).
stage_debug() {
	local kunit=""
	[ -z "${KUNIT_IN_DEBUG:-}" ] || kunit="KUNIT_SCAN=0 sh kunit.sh; "
	guest_stage x86_64 debug "${MIGRACE_SECONDS:-2}" "$kunit"
	[ -z "$kunit" ] || count_suites "$RESULTS/guest-debug-x86_64"
}

# The short soak, on the stock 6.1 kernel to keep a cached run within 20
# minutes (the debug stage runs the guest suite, rmmod under load included,
# on the debug kernel; make soak runs the long soak there).
stage_soak() {
	local out=$CACHE/soak/6.1-x86_64 rc=0
	"$TOP/scripts/soak" --short --kernel 6.1 >"$RESULTS/soak.log" 2>&1 || rc=$?
	count_tap "soak" "$out/results.tap"
	if [ $rc = 0 ]; then
		t_ok "soak: short soak ran clean (figures: $CACHE/soak/soak-short-6.1-x86_64.json)"
	else
		t_fail "soak: short soak ran clean" "$(tail -n 3 "$RESULTS/soak.log")"
	fi
}

# The quick triage on 6.12, gated on the story it must find there: x86_64
# defers the flush and passes, arm64 fails, and the forced immediate flush
# makes x86_64 fail too. Each rule is a test; so is the run itself. Held
# without the flush, x86_64 6.12 failed a few percent here and 13% on CI's
# 2 cores (why it fails at all is not known yet), so its bound sits well
# below the 90% the two other rendezvous cells must pass.
TRIAGE_RULES=("arm64/6.12/none>0.05" "x86_64/6.12/none<0.05" "arm64/6.12/rendezvous>0.9"
	"x86_64/6.12/rendezvous<0.5" "x86_64/6.12/rendezvous+flush>0.9")

stage_triage() {
	local out=$RESULTS/triage rc=0 r args=()
	for r in "${TRIAGE_RULES[@]}"; do args+=(--expect "$r"); done
	rm -rf "$out"
	"$LAB" triage --quick --kernel 6.12 --seconds 2 --out "$out" "${args[@]}" >"$out.log" 2>&1 || rc=$?
	for r in "${TRIAGE_RULES[@]}"; do
		if grep -qF "triage: expect $r: held" "$out.log"; then
			t_ok "triage: $r"
		else
			t_fail "triage: $r" "$(grep -F "triage: expect $r" "$out.log" || echo 'not evaluated')"
		fi
	done
	# From the report itself: exit 1 is also what a crash gives.
	if python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
sys.exit(0 if d["cells"] and all(c["ran"] for c in d["cells"]) else 1)' "$out/triage.json" 2>/dev/null; then
		t_ok "triage: --quick --kernel 6.12 ran every cell (report: $out/triage.md)"
	else
		t_fail "triage: --quick --kernel 6.12 ran every cell" "exit $rc; $(tail -n 3 "$out.log")"
	fi
	triage_schema "$out/triage.json"
}

# triage.json against scripts/triage-schema.json (what lab scripts rely on).
triage_schema() {
	local why
	if why=$(python3 "$TOP/userspace/tests/validate_json.py" "$TOP/scripts/triage-schema.json" "$1" 2>&1); then
		t_ok "triage: triage.json follows scripts/triage-schema.json"
	else
		t_fail "triage: triage.json follows scripts/triage-schema.json" "$(echo "$why" | head -n 3)"
	fi
}

# The short bench on 6.1 x86_64: the rendezvous's targets as tests.
stage_bench() {
	local log=$RESULTS/bench.log rc=0 t
	"$TOP/scripts/bench" --short --arch x86_64 >"$log" 2>&1 || rc=$?
	for t in "rendezvous failure rate per call ≥ 99%" "reader arrived in fresh holds ≥ 90%"; do
		if grep -qF "| target: $t | " "$log" && grep -F "| target: $t | " "$log" | grep -q ': met |'; then
			t_ok "bench --short: $t ($(grep -F "| target: $t | " "$log" | cut -d'|' -f3 | xargs))"
		else
			t_fail "bench --short: $t" "$(grep -F "| target: $t" "$log" || tail -n 3 "$log")"
		fi
	done
	# 1: a target missed, counted above.
	if [ $rc = 0 ] || [ $rc = 1 ]; then
		t_ok "bench --short: ran (figures: $CACHE/bench/bench-short.json)"
	else
		t_fail "bench --short: ran" "exit $rc; $(tail -n 3 "$log")"
	fi
}
