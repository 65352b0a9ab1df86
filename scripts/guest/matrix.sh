# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# One cell of the kernel matrix (scripts/bench --matrix), in a lab guest:
# shared-anon ping-pong, 2 readers, each mode for MIGRACE_SECONDS:
#   none        no module at all (the kernel as shipped)
#   count       module loaded, pte-clear counted, nothing widened
#   rendezvous  pte-clear widened by rendezvous (defaults)
#   immediate   the same with flush=immediate
#   rendezvous5, immediate5  the same two at max_delay_us=5000 (the cap of
#               the bench's headline: a hold may outlast its timeout up to
#               5 ms while the reader is runnable)
# Each mode leaves NAME.json (the driver's report), NAME.stats and
# NAME.vmstat (pgmigrate_fail before and after) in /out.
set -u
D=/sys/kernel/debug/migrace
SECS=${MIGRACE_SECONDS:-8}
READERS=${MIGRACE_READERS:-2}
vm() { sed -n "s/^$1 //p" /proc/vmstat; }

# mode NAME [POLICY]: one run; POLICY arms pte-clear for the driver's tasks.
mode() {
	name=$1
	[ -d "$D" ] && echo reset >"$D/control"
	f0=$(vm pgmigrate_fail)
	if [ $# = 1 ]; then
		migrace run shared-anon --readers "$READERS" --seconds "$SECS" \
			--json "/out/$name.json" >"/out/$name.txt" 2>&1
	else
		migrace run shared-anon --readers "$READERS" --seconds "$SECS" \
			--window pte-clear --policy "$2" --json "/out/$name.json" >"/out/$name.txt" 2>&1
	fi
	echo "pgmigrate_fail_delta $(($(vm pgmigrate_fail) - f0))" >"/out/$name.vmstat"
	[ -d "$D" ] && cp "$D/stats" "/out/$name.stats" && cp "$D/attribution" "/out/$name.attribution"
	echo "matrix: $name done"
}

uname -r >/out/kernel
nproc >/out/vcpus
mode none
insmod migrace.ko || exit 1
cp "$D/windows" /out/windows.txt
mode count count
mode rendezvous rendezvous
mode immediate "rendezvous flush=immediate"
rmmod migrace
insmod migrace.ko max_delay_us=5000 max_irqoff_us=5000 || exit 1
mode rendezvous5 rendezvous
mode immediate5 "rendezvous flush=immediate"
rmmod migrace
