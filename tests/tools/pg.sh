#!/bin/sh
# pg.sh - a PostgreSQL server of the tests' own: initdb in a temporary directory, run as an
# unprivileged user (postgres refuses root), reached only through a Unix socket in that
# directory, torn down after.  Debian's postgresql package provides the programs; its own
# cluster is not used.
#
#   pg.sh start <dir> [fsync]   makes <dir>, starts the server; prints the catalog URI
#   pg.sh stop <dir>            stops the server (fast: open sessions are ended)
#   pg.sh kill <dir>            stops it at once (immediate: as a crash)
#   pg.sh restart <dir>         starts a stopped server of <dir> again
#   pg.sh destroy <dir>         stops it if running and removes <dir>
#   pg.sh uri <dir> [database]  the catalog URI of a database (default rsmfs)
#   pg.sh createdb <dir> <name> a new empty database
#
# Without "fsync", the server does not sync (the tests kill rsmfs, never the machine); bench
# passes fsync for durable figures.
set -eu

bindir() {
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && last=$d
	done
	[ -n "${last:-}" ] || { echo "pg.sh: no PostgreSQL server (Debian: postgresql)" >&2; exit 1; }
	echo "$last"
}

# The user the server runs as: root cannot run postgres, so root hands the directory to nobody.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

uri() {
	echo "postgresql:///${2:-rsmfs}?host=$1&user=rsmfs"
}

start_server() {
	as_owner "$(bindir)/pg_ctl" -D "$1/data" -l "$1/log" -w -t 30 -s start
}

start() {
	dir=$1 fsync=${2:-}
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	[ "$(id -u)" -eq 0 ] && chown nobody:nogroup "$dir"
	chmod 700 "$dir"
	as_owner "$(bindir)/initdb" -D "$dir/data" -U rsmfs --auth=trust -E UTF8 --locale=C \
		--no-sync >/dev/null
	cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
max_connections = 100
shared_buffers = 32MB
fsync = $([ "$fsync" = fsync ] && echo on || echo off)
full_page_writes = $([ "$fsync" = fsync ] && echo on || echo off)
log_min_messages = warning
EOF
	start_server "$dir"
	"$(bindir)/createdb" -h "$dir" -U rsmfs rsmfs
	uri "$dir"
}

stop() {
	as_owner "$(bindir)/pg_ctl" -D "$1/data" -m "${2:-fast}" -w -s stop 2>/dev/null || true
}

case "${1:-}" in
start) start "$2" "${3:-}" ;;
stop) stop "$2" ;;
kill) stop "$2" immediate ;;
restart) start_server "$2" ;;
destroy)
	[ -d "$2" ] || exit 0
	stop "$2" immediate
	rm -rf "$2"
	;;
uri) uri "$2" "${3:-}" ;;
createdb) "$(bindir)/createdb" -h "$2" -U rsmfs "$3" ;;
*)
	echo "usage: pg.sh start|stop|kill|restart|destroy|uri|createdb <dir> ..." >&2
	exit 2
	;;
esac
