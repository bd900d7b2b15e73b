#!/usr/bin/env bash
# Liaison side by side with its peers on signed slash commands:
#   liaison  bench/slack-load serve: the real Slack adapter and router; /liaison
#            help records the command's trigger in the database (one durable row)
#   bolt     bench/bolt: Bolt-JS 5.1 verifying the signature and acking (npm ci
#            from its lockfile), storing nothing
#   limit    bench/limit: a bare net/http handler that verifies the signature
#            and answers: the most a Go server can do here
# Each server runs pinned to CPU 0 (taskset) with the load generator
# (bench/slack-load load: open loop, pre-signed unique requests, so nothing
# is de-duplicated) pinned to CPU 1; the three alternate, ROUNDS times. For
# each it prints the throughput when saturated (asked for SAT_RATE/s) and the
# latency at RATE/s, then the ratios of the best rounds.
#
#   bench/compare.sh                                   # Postgres at $LIAISON_TEST_DATABASE_URL or localhost
#   ROUNDS=1 DURATION=5s SAT_RATE=20000 bench/compare.sh
#   DB=sqlite:/tmp/bench.db bench/compare.sh
#
# Traffic stays on 127.0.0.1 and every run is bounded in time. On a shared
# machine, say so next to the figures.
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
RATE=${RATE:-2000}
SAT_RATE=${SAT_RATE:-40000}
DURATION=${DURATION:-10s}
DB=${DB:-${LIAISON_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}

work=$(mktemp -d)
server=
stop_server() {
	if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server"
		wait "$server" 2>/dev/null || true
	fi
	server=
}
trap 'stop_server; rm -rf "$work"' EXIT

go build -o "$work/slack-load" ./bench/slack-load
go build -o "$work/limit" ./bench/limit
(cd bench/bolt && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
SLACK_SIGNING_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export SLACK_SIGNING_SECRET

# start NAME: runs the server pinned to SERVER_CPU, sets url.
start() {
	rm -f "$work/addr"
	case $1 in
	liaison) taskset -c "$SERVER_CPU" "$work/slack-load" serve -db "$DB" -addr 127.0.0.1:0 -addr-file "$work/addr" 2>"$work/$1.log" & ;;
	limit) taskset -c "$SERVER_CPU" "$work/limit" -addr 127.0.0.1:0 -addr-file "$work/addr" 2>"$work/$1.log" & ;;
	bolt)
		port=$((20000 + RANDOM % 20000))
		(cd bench/bolt && PORT=$port exec taskset -c "$SERVER_CPU" node app.js) >"$work/$1.log" 2>&1 &
		echo "127.0.0.1:$port" >"$work/addr.wanted" ;;
	esac
	server=$!
	for _ in $(seq 100); do
		if [[ $1 == bolt ]]; then
			grep -q listening "$work/$1.log" 2>/dev/null && cp "$work/addr.wanted" "$work/addr"
		fi
		[[ -s $work/addr ]] && break
		kill -0 "$server" 2>/dev/null || { cat "$work/$1.log"; exit 1; }
		sleep 0.1
	done
	url="http://$(cat "$work/addr")/slack/commands"
	sleep 0.5
}

# load RATE: prints "achieved p99" of one open-loop run.
load() {
	taskset -c "$LOAD_CPU" "$work/slack-load" load -url "$url" -rate "$1" -duration "$DURATION" >"$work/out" 2>&1 || true
	achieved=$(sed -n 's/.*(\([0-9]*\)\/s achieved.*/\1/p' "$work/out")
	p99=$(sed -n 's/^latency from due .* p99 \([^ ]*\) .*/\1/p' "$work/out")
	failed=$(sed -n 's/.*failed \([0-9]*\)$/\1/p' "$work/out")
	echo "${achieved:-0} ${p99:-?} ${failed:-?}"
}

declare -A best
for round in $(seq "$ROUNDS"); do
	for name in liaison bolt limit; do
		start "$name"
		read -r sat _ satfail < <(load "$SAT_RATE")
		read -r _ p99 fail < <(load "$RATE")
		stop_server
		printf 'round %d %-8s saturated %6s/s (failed %s)   p99 at %d/s: %s (failed %s)\n' "$round" "$name" "$sat" "$satfail" "$RATE" "$p99" "$fail"
		if (( sat > ${best[$name]:-0} )); then best[$name]=$sat; fi
	done
done
echo
printf '%-8s %10s %12s %12s\n' what 'best rps' 'vs bolt' 'vs limit'
for name in liaison bolt limit; do
	awk -v n="$name" -v s="${best[$name]}" -v b="${best[bolt]}" -v l="${best[limit]}" \
		'BEGIN { printf "%-8s %10d %11.2fx %11.0f%%\n", n, s, (b ? s / b : 0), (l ? 100 * s / l : 0) }'
done
