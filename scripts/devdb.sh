#!/usr/bin/env bash
# The project-local PostgreSQL (with pgvector) that `make run` and `make test`
# use when DATABASE_URL is unset. It installs what is missing, keeps its data
# under .data/pg, listens on 127.0.0.1:${ONBOARDIQ_DEV_PG_PORT:-54329} only
# (never on the usual 5432, so a server already running there is left alone),
# and trusts local connections: it is for development, not for production.
#
#   scripts/devdb.sh env     start it if needed; print `export DATABASE_URL=…`
#   scripts/devdb.sh start   start it if needed
#   scripts/devdb.sh stop    stop it
#   scripts/devdb.sh psql    open psql on the development database
#
# Progress goes to stderr; only `env` writes to stdout, for eval.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data"
pgdata="$data/pg"
port=${ONBOARDIQ_DEV_PG_PORT:-54329}
dbname=onboardiq
pgvector_suite=trixie # Debian's suite whose pgvector source (0.8.0) builds against PostgreSQL 15

say() { printf 'devdb: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null; then sudo=(sudo); fi
fi
os=$(uname -s)

# find_bindir prints the bin directory of the newest installed PostgreSQL >= 15.
find_bindir() {
	local d best="" bestv=0 v
	local candidates=(/usr/lib/postgresql/*/bin)
	if [ "$os" = Darwin ] && command -v brew >/dev/null; then
		for v in 17 16 15; do candidates+=("$(brew --prefix "postgresql@$v" 2>/dev/null)/bin"); done
	fi
	if command -v pg_config >/dev/null; then candidates+=("$(pg_config --bindir)"); fi
	for d in "${candidates[@]}"; do
		[ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_config" ] || continue
		v=$("$d/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
		if [ "$v" -ge 15 ] && [ "$v" -gt "$bestv" ]; then best=$d bestv=$v; fi
	done
	[ -n "$best" ] && echo "$best"
}

apt_install() {
	say "installing $* (apt-get; log in $data/apt.log)"
	mkdir -p "$data"
	if [ -z "${apt_updated:-}" ]; then
		"${sudo[@]}" apt-get update -qq >>"$data/apt.log" 2>&1 || { tail -20 "$data/apt.log" >&2; return 1; }
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >>"$data/apt.log" 2>&1 ||
		{ tail -20 "$data/apt.log" >&2; return 1; }
}

install_postgres() {
	if [ "$os" = Darwin ]; then
		command -v brew >/dev/null || die "install Homebrew (https://brew.sh) or set DATABASE_URL"
		say "installing postgresql@17 (brew)"
		brew install postgresql@17 >&2
		return
	fi
	command -v apt-get >/dev/null || die "no PostgreSQL >= 15 found and no apt-get to install it: install PostgreSQL 15+ with pgvector, or set DATABASE_URL"
	# The package would create and start a system cluster on port 5432; this
	# project runs its own, so ask postgresql-common not to.
	if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
		"${sudo[@]}" mkdir -p /etc/postgresql-common/createcluster.d
		echo "create_main_cluster = false" | "${sudo[@]}" tee /etc/postgresql-common/createcluster.d/onboardiq.conf >/dev/null
	fi
	apt_install postgresql postgresql-contrib
}

# build_pgvector builds pgvector from Debian's own source package for
# PostgreSQL $1, fetched through a temporary sources list so that the
# system's sources and package lists stay untouched.
build_pgvector() {
	local pgv=$1 bindir=$2 uri
	apt_install "postgresql-server-dev-$pgv" dpkg-dev make gcc libc6-dev
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $2 ~ /^https?:/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$uri" ] || die "cannot read the Debian archive URI from /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/lists/partial"
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $pgvector_suite main" >"$tmp/sources.list"
	local opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o "Dir::Etc::SourceParts=$tmp/none" -o "Dir::State::Lists=$tmp/lists")
	say "fetching the pgvector source package from $pgvector_suite"
	apt-get -qq "${opts[@]}" update >&2
	(cd "$tmp" && apt-get -qq "${opts[@]}" source pgvector >&2 2>/dev/null) || die "apt-get source pgvector failed"
	say "building pgvector for PostgreSQL $pgv"
	(cd "$tmp"/pgvector-*/ && make -s PG_CONFIG="$bindir/pg_config" >&2 && "${sudo[@]}" make -s install PG_CONFIG="$bindir/pg_config" >&2)
	rm -rf "$tmp"
}

ensure_pgvector() {
	local bindir=$1 pgv
	[ -f "$("$bindir/pg_config" --sharedir)/extension/vector.control" ] && return
	pgv=$("$bindir/pg_config" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
	if [ "$os" = Darwin ]; then
		say "installing pgvector (brew)"
		brew install pgvector >&2
		return
	fi
	# Packaged for most releases (Ubuntu, Debian 13); Debian 12's PostgreSQL
	# 15 has no package, so build it.
	if apt-cache show "postgresql-$pgv-pgvector" >/dev/null 2>&1 && apt_install "postgresql-$pgv-pgvector"; then
		return
	fi
	build_pgvector "$pgv" "$bindir"
	[ -f "$("$bindir/pg_config" --sharedir)/extension/vector.control" ] || die "pgvector did not install"
}

# as_pg runs a server command as an unprivileged user: PostgreSQL refuses to
# run as root.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

start() {
	local bindir
	bindir=$(find_bindir || true)
	if [ -z "$bindir" ]; then
		install_postgres
		bindir=$(find_bindir) || die "PostgreSQL >= 15 did not install"
	fi
	ensure_pgvector "$bindir"

	mkdir -p "$data"
	if [ ! -f "$pgdata/PG_VERSION" ]; then
		say "creating a cluster in $pgdata"
		mkdir -p "$pgdata"
		[ "$(id -u)" -eq 0 ] && chown postgres "$pgdata" "$data"
		as_pg "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --no-locale >"$data/initdb.log" 2>&1 ||
			die "initdb failed: see $data/initdb.log"
		cat >>"$pgdata/postgresql.conf" <<-EOF
			# onboardiq development cluster
			listen_addresses = '127.0.0.1'
			port = $port
			unix_socket_directories = ''
			max_connections = 300
			shared_buffers = 256MB
			maintenance_work_mem = 256MB
			# A development cluster: speed over durability.
			fsync = off
			synchronous_commit = off
			full_page_writes = off
		EOF
	fi
	if ! as_pg "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			die "port $port is taken by another program: set ONBOARDIQ_DEV_PG_PORT to a free port"
		fi
		say "starting PostgreSQL on 127.0.0.1:$port"
		[ "$(id -u)" -eq 0 ] && touch "$data/postgres.log" && chown postgres "$data/postgres.log"
		# -p: the port asked for now, even when the cluster was made with another.
		as_pg "$bindir/pg_ctl" -D "$pgdata" -l "$data/postgres.log" -o "-p $port" -w -t 60 start >/dev/null ||
			die "PostgreSQL did not start: see $data/postgres.log"
	fi
	local psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
	# In template1 so that every new database (test databases included) has
	# it without its owner needing to be a superuser.
	PGOPTIONS="-c client_min_messages=warning" "${psql[@]}" -d template1 -c "CREATE EXTENSION IF NOT EXISTS vector" >&2
	if [ -z "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" ]; then
		"${psql[@]}" -d postgres -c "CREATE DATABASE $dbname" >&2
	fi
}

stop() {
	local bindir
	bindir=$(find_bindir) || return 0
	[ -f "$pgdata/PG_VERSION" ] && as_pg "$bindir/pg_ctl" -D "$pgdata" -m fast stop >&2 || true
}

# Sourced (scripts/citus.sh reuses the installers above): define, run nothing.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

url="postgres://postgres@127.0.0.1:$port/$dbname?sslmode=disable"
case "${1:-env}" in
env)
	start
	echo "export DATABASE_URL='$url'"
	;;
start) start ;;
stop) stop ;;
psql)
	start
	exec "$(find_bindir)/psql" "$url"
	;;
*) die "usage: $0 env|start|stop|psql" ;;
esac
