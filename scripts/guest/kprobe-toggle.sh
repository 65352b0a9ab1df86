#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The lab's stale-translation check, without migrace: the kernel's own
# kprobe events on filemap_get_entry() (an ftrace call site on x86_64),
# enabled and disabled in a loop while other tasks exec binaries from the
# initramfs and read it (every exec faults through shmem_fault(), which
# calls filemap_get_entry()). Each toggle patches that call site. A jump to
# address 0 or "Unrecoverable kprobe detected" here is no module's doing.
#
#   scripts/lab run --kernel debug --add scripts/guest/kprobe-toggle.sh \
#       -- 'TOGGLE_SECONDS=600 sh kprobe-toggle.sh'
#
# Bounded by TOGGLE_SECONDS (default 300) and 1,000,000 toggles.
SECS=${TOGGLE_SECONDS:-300}
T=/sys/kernel/tracing
[ -d "$T/events" ] || T=/sys/kernel/debug/tracing
[ -w "$T/kprobe_events" ] || { echo "kprobe-toggle: no kprobe_events in $T"; exit 4; }
echo 'r:fge_ret filemap_get_entry' >>"$T/kprobe_events" || exit 1
echo 'p:fge_ent filemap_get_entry' >>"$T/kprobe_events" || exit 1
up() { cut -d. -f1 /proc/uptime; }
end=$(($(up) + SECS))
# Load: three tasks exec'ing and reading the initramfs until the end.
k=0
while [ $k -lt 3 ]; do
	(while [ "$(up)" -lt $end ]; do /bin/true; cat /bin/busybox >/dev/null; done) &
	k=$((k + 1))
done
i=0
while [ $i -lt 1000000 ]; do
	[ $((i % 64)) != 0 ] || [ "$(up)" -lt $end ] || break
	echo 1 >"$T/events/kprobes/fge_ret/enable"
	echo 1 >"$T/events/kprobes/fge_ent/enable"
	echo 0 >"$T/events/kprobes/fge_ent/enable"
	echo 0 >"$T/events/kprobes/fge_ret/enable"
	i=$((i + 1))
done
wait
echo "kprobe-toggle: $i rounds (4 toggles each) in ${SECS}s, no oops seen by the guest"
echo >"$T/kprobe_events"
exit 0
