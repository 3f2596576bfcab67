#!/bin/sh
# inns.sh [--log SOCKET] [--sbin DIR] COMMAND [ARG...] - runs COMMAND in new mount and PID
# namespaces, so that what it changes and starts stays there: a FUSE mount made inside is seen
# only inside, and every process left when COMMAND ends is killed with the namespace.
#
#   --log SOCKET   /dev/log is SOCKET (syslog_sink.py's): the daemon's syslog(3) lines reach
#                  the test and never the host's log.  /dev is a new tmpfs holding the few
#                  devices a daemon needs.
#   --sbin DIR     DIR stands in for /usr/local/sbin, the first directory of the PATH that
#                  mount(8) gives its helpers (it drops the caller's): mount.fuse3 finds the
#                  "rsmfs" that DIR holds.
set -eu

if [ "${INNS_INSIDE:-}" != 1 ]; then
	INNS_INSIDE=1 exec unshare --mount --propagation private --pid --fork --mount-proc "$0" "$@"
fi
unset INNS_INSIDE

log=
sbin=
while [ $# -gt 0 ]; do
	case $1 in
	--log) log=$2; shift 2 ;;
	--sbin) sbin=$2; shift 2 ;;
	*) break ;;
	esac
done

if [ -n "$log" ]; then
	dev=$(mktemp -d /tmp/rsmfs-inns.XXXXXX)
	mount -t tmpfs -o mode=755 inns "$dev"
	for n in null zero full random urandom tty fuse; do
		[ -e "/dev/$n" ] || continue
		touch "$dev/$n"
		mount --bind "/dev/$n" "$dev/$n"
	done
	ln -s /proc/self/fd "$dev/fd"
	touch "$dev/log"
	mount --bind "$log" "$dev/log"
	mount --move "$dev" /dev
	rmdir "$dev"
fi
if [ -n "$sbin" ]; then
	mount --bind "$sbin" /usr/local/sbin
fi
"$@"
