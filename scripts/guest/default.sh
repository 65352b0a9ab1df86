# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The default scenario (make lab): load migrace, widen the PTE-clear window
# by rendezvous for the driver's own tasks, run shared-anon, report, unload.
# Where this kernel defers the clear's flush without invalidating (x86 since
# 6.4), readers never fault into the window: say so, and run again with the
# immediate flush forced (flush=immediate), the experiment that shows why.
set -u
D=/sys/kernel/debug/migrace
insmod migrace.ko || exit 1
migrace windows
migrace run shared-anon --seconds "${MIGRACE_SECONDS:-5}" --window pte-clear \
	--policy rendezvous
rc=$?
none=$(sed -n 's/^tlb_flush_deferred_none: //p' "$D/stats")
if [ "${none:-0}" -gt 0 ]; then
	echo "lab: $none clears deferred their flush with nothing invalidated (readers keep their TLB entry);"
	echo "lab: again with flush=immediate"
	migrace run shared-anon --seconds "${MIGRACE_SECONDS:-5}" --window pte-clear \
		--policy "rendezvous flush=immediate"
	rc=$?
fi
migrace attribution | head -n 12
rmmod migrace || rc=1
exit $rc
