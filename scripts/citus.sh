#!/usr/bin/env bash
# A project-local Citus cluster for `make test-citus`: a coordinator and two
# workers on the PostgreSQL that scripts/devdb.sh installs, each its own
# cluster under .data/citus/{coordinator,worker1,worker2}, listening on
# 127.0.0.1 only, on ports ${ONBOARDIQ_CITUS_PORT:-54341} (the coordinator)
# and the two after it (the workers). Local connections are trusted: it is for
# development and tests, not for production.
#
# When Citus is not installed for that PostgreSQL, it is built from the
# source archive named by CITUS_SOURCE (citus-13.2.2.tar.gz) and installed
# into the server's own directories; pgvector is installed as devdb.sh does.
#
#   scripts/citus.sh env     start it if needed; print `export DATABASE_URL=…` (the coordinator)
#   scripts/citus.sh start   start it if needed
#   scripts/citus.sh stop    stop it
#   scripts/citus.sh psql    open psql on the coordinator's database
#
# Progress goes to stderr; only `env` writes to stdout, for eval.
set -euo pipefail

# The installers (find_bindir, install_postgres, ensure_pgvector, apt_install,
# as_pg) and the sudo/os detection are devdb.sh's.
# shellcheck source=devdb.sh
source "$(cd "$(dirname "$0")" && pwd)/devdb.sh"

say() { printf 'citus: %s\n' "$*" >&2; }

cdata="$data/citus"
base_port=${ONBOARDIQ_CITUS_PORT:-54341}
nodes=(coordinator worker1 worker2)
dbname=onboardiq

node_port() {
	case $1 in
	coordinator) echo "$base_port" ;;
	worker1) echo $((base_port + 1)) ;;
	worker2) echo $((base_port + 2)) ;;
	esac
}

pg_major() { "$1/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/'; }

# ensure_citus builds and installs Citus for the server in $1 unless its
# extension control file is already there.
ensure_citus() {
	local bindir=$1 pgv sharedir src log build dir started
	sharedir=$("$bindir/pg_config" --sharedir)
	[ -f "$sharedir/extension/citus.control" ] && return
	pgv=$(pg_major "$bindir")
	src=${CITUS_SOURCE:-}
	[ -n "$src" ] || die "Citus is not installed for PostgreSQL $pgv (no $sharedir/extension/citus.control): set CITUS_SOURCE to the Citus source archive (citus-13.2.2.tar.gz) to build it"
	[ -f "$src" ] || die "CITUS_SOURCE=$src: no such file"
	case $pgv in 15 | 16 | 17) ;; *) die "Citus 13.2 builds for PostgreSQL 15 to 17, not $pgv" ;; esac
	command -v apt-get >/dev/null || die "Citus is not installed for PostgreSQL $pgv and there is no apt-get for its build dependencies: install Citus 13.2 yourself"
	apt_install "postgresql-server-dev-$pgv" libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev libssl-dev \
		autoconf flex bison make gcc libc6-dev
	log="$data/citus-build.log"
	build="$data/citus-build"
	rm -rf "$build"
	mkdir -p "$build"
	tar xzf "$src" -C "$build" || die "cannot unpack $src"
	dir=$(find "$build" -mindepth 2 -maxdepth 2 -name configure -printf '%h\n' | head -1)
	[ -n "$dir" ] || die "$src holds no configure script: is it the Citus source?"
	# Recent PostgreSQL 15 minor releases (15.20) export have_createdb_privilege(), which
	# Citus 13.2 still defines itself for servers before 16: use the server's.
	if grep -q 'have_createdb_privilege' "$("$bindir/pg_config" --includedir-server)/commands/dbcommands.h" 2>/dev/null &&
		grep -q '^have_createdb_privilege(void)' "$dir/src/include/pg_version_compat.h"; then
		perl -0pi -e 's/static inline bool\nhave_createdb_privilege\(void\)\n\{.*?\n\}\n/#include "commands\/dbcommands.h"\n/s' \
			"$dir/src/include/pg_version_compat.h"
	fi
	say "building Citus from $src for PostgreSQL $pgv (several minutes; log in $log)"
	started=$SECONDS
	if ! (cd "$dir" && PG_CONFIG="$bindir/pg_config" ./configure && make -j"$(nproc 2>/dev/null || echo 2)" &&
		"${sudo[@]}" make install) >"$log" 2>&1; then
		tail -30 "$log" >&2
		die "the Citus build failed: see $log"
	fi
	rm -rf "$build"
	[ -f "$sharedir/extension/citus.control" ] || die "Citus did not install into $sharedir"
	say "built and installed Citus in $((SECONDS - started))s"
}

# start_node creates (first time) and starts one node.
start_node() {
	local bindir=$1 name=$2 port dir log
	port=$(node_port "$name")
	dir="$cdata/$name"
	log="$cdata/$name.log"
	if [ ! -f "$dir/PG_VERSION" ]; then
		say "creating the $name cluster in $dir"
		mkdir -p "$dir"
		[ "$(id -u)" -eq 0 ] && chown postgres "$dir" "$cdata"
		as_pg "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --no-locale >"$cdata/$name-initdb.log" 2>&1 ||
			die "initdb failed: see $cdata/$name-initdb.log"
		cat >>"$dir/postgresql.conf" <<-EOF
			# onboardiq Citus test cluster: $name
			listen_addresses = '127.0.0.1'
			port = $port
			unix_socket_directories = ''
			shared_preload_libraries = 'citus'
			max_connections = 300
			shared_buffers = 128MB
			# Citus runs a maintenance worker per database that has the extension.
			max_worker_processes = 64
			# Shard moves (citus_rebalance_start) copy through logical replication.
			wal_level = logical
			# A test cluster: fewer shards than the default 32 keep DDL quick.
			citus.shard_count = 8
			# Speed over durability.
			fsync = off
			synchronous_commit = off
			full_page_writes = off
		EOF
	fi
	if as_pg "$bindir/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
		return
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		die "port $port ($name) is taken by another program: set ONBOARDIQ_CITUS_PORT to the first of three free ports"
	fi
	say "starting the $name on 127.0.0.1:$port"
	[ "$(id -u)" -eq 0 ] && touch "$log" && chown postgres "$log"
	as_pg "$bindir/pg_ctl" -D "$dir" -l "$log" -w -t 60 start >/dev/null || die "the $name did not start: see $log"
}

psql_on() {
	local port=$1 db=$2
	shift 2
	PGOPTIONS="-c client_min_messages=warning" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d "$db" "$@"
}

start() {
	bindir=$(find_bindir || true)
	if [ -z "$bindir" ]; then
		install_postgres
		bindir=$(find_bindir) || die "PostgreSQL >= 15 did not install"
	fi
	ensure_pgvector "$bindir"
	ensure_citus "$bindir"

	mkdir -p "$cdata"
	local name port ext
	for name in "${nodes[@]}"; do start_node "$bindir" "$name"; done

	# Every node: vector in template1 (databases created later have it
	# without their owner being a superuser), and the database with both
	# extensions. Not citus in template1: Citus keeps a maintenance backend
	# connected to every database that has it, and PostgreSQL copies no
	# template that someone is connected to.
	for name in "${nodes[@]}"; do
		port=$(node_port "$name")
		psql_on "$port" template1 -c "CREATE EXTENSION IF NOT EXISTS vector" >&2
		if [ -z "$(psql_on "$port" postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" ]; then
			psql_on "$port" postgres -c "CREATE DATABASE $dbname" >&2
		fi
		# Once a worker is in the cluster, Citus refuses DDL on it, even
		# CREATE EXTENSION IF NOT EXISTS: create only what is missing.
		for ext in citus vector; do
			if [ -z "$(psql_on "$port" "$dbname" -tAc "SELECT 1 FROM pg_extension WHERE extname = '$ext'")" ]; then
				psql_on "$port" "$dbname" -c "CREATE EXTENSION $ext" >&2
			fi
		done
	done
	register_nodes "$dbname"
}

# register_nodes makes the coordinator's database $1 know itself and the
# workers; nodes already known are left as they are.
register_nodes() {
	local db=$1 coord name port
	coord=$(node_port coordinator)
	psql_on "$coord" "$db" -c "SELECT citus_set_coordinator_host('127.0.0.1', $coord)
		WHERE NOT EXISTS (SELECT FROM pg_dist_node WHERE groupid = 0)" >/dev/null
	for name in worker1 worker2; do
		port=$(node_port "$name")
		psql_on "$coord" "$db" -c "SELECT citus_add_node('127.0.0.1', $port)
			WHERE NOT EXISTS (SELECT FROM pg_dist_node WHERE nodename = '127.0.0.1' AND nodeport = $port)" >/dev/null
	done
}

stop() {
	local bindir name
	bindir=$(find_bindir) || return 0
	for name in "${nodes[@]}"; do
		[ -f "$cdata/$name/PG_VERSION" ] && as_pg "$bindir/pg_ctl" -D "$cdata/$name" -m fast stop >&2 || true
	done
}

url="postgres://postgres@127.0.0.1:$(node_port coordinator)/$dbname?sslmode=disable"
case "${1:-env}" in
env)
	start
	echo "export DATABASE_URL='$url'"
	;;
start) start ;;
stop) stop ;;
psql)
	start
	exec "$bindir/psql" "$url"
	;;
*) die "usage: $0 env|start|stop|psql" ;;
esac
