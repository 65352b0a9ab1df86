# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The 2018 hot-remove seed on one kernel (scripts/bench --seeds), in a lab
# guest: hot-remove with 8 readers (a page that always has a waiter; with
# 3, some 5 s runs on 5.10 found none at one pass, which then moved the
# page) for MIGRACE_SECONDS, three ways:
#   none  no window armed (the kernel as shipped, the module counting)
#   seed  waiters keep their reference until the page unlocks (entry-wait
#         delay until=unlock, 5 ms) and the refcount check waits up to
#         5 ms for a reference to arrive (freeze rendezvous)
#   freeze the refcount check's wait alone (freeze rendezvous): what the
#          kernel's own waiters, unwidened, do to it
# Each leaves NAME.json (the driver's report), NAME.stats, NAME.attribution.
set -u
D=/sys/kernel/debug/migrace
SECS=${MIGRACE_SECONDS:-4}

# mode NAME [DRIVER ARGS...]: one run; a freeze rendezvous armed unless NAME is none.
mode() {
	name=$1
	shift
	echo reset >"$D/control"
	[ "$name" = none ] || echo "arm freeze rendezvous timeout_us=5000" >"$D/control"
	migrace run hot-remove --readers 8 --seconds "$SECS" "$@" --json "/out/$name.json" >"/out/$name.txt" 2>&1
	echo "disarm all" >"$D/control"
	cp "$D/stats" "/out/$name.stats"
	cp "$D/attribution" "/out/$name.attribution"
	echo "seeds: $name done"
}

uname -r >/out/kernel
uname -m >/out/arch
insmod migrace.ko max_delay_us=5000 max_irqoff_us=5000 budget_us=900000 || exit 1
mode none
mode seed --window entry-wait --policy "delay delay_us=5000 until=unlock"
mode freeze
rmmod migrace
