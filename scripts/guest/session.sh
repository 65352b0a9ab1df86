# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# Sourced by the guest scripts that run the kernel's migration selftest
# (triage.sh, power.sh; busybox sh has no pkill).

# Kill what is left of session $1: a failing selftest leaves its forked
# readers spinning (6.1), in process groups of their own (the harness's
# setpgrp()), but in the session setsid gave it. At most 5 sweeps.
kill_session() {
	session=$1
	sweep=0
	while [ "$sweep" -lt 5 ]; do
		left=""
		for st in /proc/[0-9]*/stat; do
			# pid (comm) state ppid pgrp session: no blank in these comms
			# shellcheck disable=SC2046
			set -- $(cat "$st" 2>/dev/null) x x x x x x
			[ "$6" = "$session" ] && [ "$1" != "$$" ] && left="$left $1"
		done
		[ -n "$left" ] || return 0
		# shellcheck disable=SC2086
		kill -9 $left 2>/dev/null
		sleep 1
		sweep=$((sweep + 1))
	done
	echo "selftest processes left after 5 sweeps:$left"
}
