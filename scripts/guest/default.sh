# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# The default scenario (make lab): load migrace, widen the PTE-clear window
# by rendezvous for the driver's own tasks, run shared-anon, report, unload.
set -u
insmod migrace.ko || exit 1
migrace windows
migrace run shared-anon --seconds "${MIGRACE_SECONDS:-5}" --window pte-clear \
	--policy rendezvous
rc=$?
migrace attribution | head -n 12
rmmod migrace || rc=1
exit $rc
