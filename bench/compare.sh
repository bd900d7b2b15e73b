#!/usr/bin/env bash
# Liaison side by side with its peers on signed slash commands, two of them
# (COMMANDS, "help feedback" unless set):
#   help      /liaison help: Liaison records the command's trigger in the
#             database (one durable row) and lists what the caller may run
#   feedback  /feedback <text>, a text of its own each, from a staff member:
#             Liaison logs a feedback item, routes it and enqueues its relay
#             to the product channel (item, relay and outbox rows, left
#             pending: nothing is sent)
# answered by:
#   liaison  bench/slack-load serve: the real Slack adapter and router, in a
#            fresh Postgres schema for each run
#   bolt     bench/bolt: Bolt-JS 5.1 verifying the signature and acking (npm ci
#            from its lockfile), storing nothing
#   limit    bench/limit: a bare net/http handler that verifies the signature
#            and answers: the most a Go server can do here
# Each server runs pinned to CPU 0 (taskset) with the load generator
# (bench/slack-load load: open loop, pre-signed unique requests, so nothing
# is de-duplicated) pinned to CPU 1. For each command the three alternate,
# each started afresh, ROUNDS times. Each run prints the throughput when
# saturated (asked for SAT_RATE/s) and the p99 latency at RATE/s, and what
# Liaison's database holds after it; then come the best rounds with their
# ratios, and the issue's goals. A saturated run stops sending after
# DURATION (slack-load load -max-time): Liaison's /feedback takes a few
# hundred a second, and SAT_RATE×DURATION requests would take it many
# minutes, its signatures going stale after five.
#
# The generator keeps at most WORKERS requests in flight (256 unless set),
# for every server alike. Slack sends each user's command on its own, so a
# busy workspace's commands arrive whether or not the earlier ones are
# answered; with 64 in flight a server that answers after its commit is
# flushed is held to 64 per flush (Liaison's /liaison help stopped at
# ~22,000/s with a fifth of its core idle), and the figure measures the
# generator. With 256, bolt and limit answer a few percent fewer than with
# 64 (the generator's own work grows with its connections), Liaison more.
#
#   bench/compare.sh                                   # Postgres at $LIAISON_TEST_DATABASE_URL or localhost
#   ROUNDS=1 DURATION=5s SAT_RATE=80000 bench/compare.sh
#   COMMANDS=feedback bench/compare.sh
#   DB=sqlite:/tmp/bench.db bench/compare.sh
#
# Traffic stays on 127.0.0.1 and every run is bounded in time. On a shared
# machine, say so next to the figures.
set -euo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
RATE=${RATE:-2000}
SAT_RATE=${SAT_RATE:-60000}
DURATION=${DURATION:-10s}
DB=${DB:-${LIAISON_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
COMMANDS=${COMMANDS:-help feedback}
WORKERS=${WORKERS:-256}

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

# load COMMAND RATE [FLAG…]: prints "achieved p99 failed" of one open-loop run.
load() {
	taskset -c "$LOAD_CPU" "$work/slack-load" load -url "$url" -command "$1" -rate "$2" -duration "$DURATION" -workers "$WORKERS" "${@:3}" >"$work/out" 2>&1 || true
	achieved=$(sed -n 's/.*(\([0-9]*\)\/s achieved.*/\1/p' "$work/out")
	p99=$(sed -n 's/^latency from due .* p99 \([^ ]*\) .*/\1/p' "$work/out")
	failed=$(sed -n 's/.*failed \([0-9]*\)$/\1/p' "$work/out")
	echo "${achieved:-0} ${p99:-?} ${failed:-?}"
}

# ms D: a duration as slack-load prints it (850µs, 1.2ms, 2s) in
# milliseconds; nothing when it is not one.
ms() {
	awk -v d="$1" 'BEGIN {
		f = d ~ /µs$/ ? 0.001 : d ~ /ns$/ ? 1e-6 : d ~ /ms$/ ? 1 : d ~ /[0-9]s$/ ? 1000 : 0
		if (f) printf "%.3f", (d + 0) * f
	}'
}

# best: the most requests/s and the lowest p99 (ms) of each command/server,
# over the rounds; failed: the requests not answered as asked, all runs.
declare -A best p99 failed
for round in $(seq "$ROUNDS"); do
	for cmd in $COMMANDS; do
		for name in liaison bolt limit; do
			k=$cmd/$name
			start "$name"
			read -r sat _ satfail < <(load "$cmd" "$SAT_RATE" -max-time "$DURATION")
			read -r _ lat fail < <(load "$cmd" "$RATE")
			stop_server
			printf 'round %d %-8s %-8s saturated %6s/s (failed %s)   p99 at %d/s: %s (failed %s)\n' "$round" "$cmd" "$name" "$sat" "$satfail" "$RATE" "$lat" "$fail"
			# A server that took nearly all it was asked was not saturated:
			# its figure is the load's, and ratios against it are wrong.
			if (( sat * 100 >= SAT_RATE * 97 )); then
				echo "    warning: $name answered ${sat}/s of the ${SAT_RATE}/s asked: not saturated; run again with a higher SAT_RATE"
			fi
			# What the runs left in Liaison's schema before it was dropped.
			if [[ $name == liaison ]]; then
				sed -n 's/^slack-load: holds/    liaison holds/p' "$work/$name.log"
			fi
			if (( sat > ${best[$k]:-0} )); then best[$k]=$sat; fi
			m=$(ms "$lat")
			if [[ -n $m ]] && awk -v m="$m" -v b="${p99[$k]:-}" 'BEGIN { exit !(b == "" || m < b) }'; then p99[$k]=$m; fi
			for f in "$satfail" "$fail"; do
				[[ $f =~ ^[0-9]+$ ]] || f=1 # no summary: the run itself failed
				failed[$k]=$(( ${failed[$k]:-0} + f ))
			done
		done
	done
done

echo
printf '%-8s %-8s %10s %9s %9s %14s %8s\n' command server 'best rps' 'vs bolt' 'vs limit' "p99 at $RATE/s" failed
for cmd in $COMMANDS; do
	for name in liaison bolt limit; do
		awk -v c="$cmd" -v n="$name" -v s="${best[$cmd/$name]:-0}" -v b="${best[$cmd/bolt]:-0}" -v l="${best[$cmd/limit]:-0}" \
			-v p="${p99[$cmd/$name]:-}" -v f="${failed[$cmd/$name]:-0}" \
			'BEGIN { printf "%-8s %-8s %10d %8.2fx %8.0f%% %11s ms %8d\n", c, n, s, (b ? s / b : 0), (l ? 100 * s / l : 0), (p == "" ? "?" : sprintf("%.2f", p)), f }'
	done
done

# The issue's goals, from the best rounds above.
echo
printf '%-40s %10s %10s %10s   %-28s %s\n' goal liaison bolt limit ratio 'goal met'
for cmd in $COMMANDS; do
	l=${best[$cmd/liaison]:-0} b=${best[$cmd/bolt]:-0} m=${best[$cmd/limit]:-0}
	case $cmd in
	help) awk -v l="$l" -v b="$b" -v m="$m" 'BEGIN {
		r = b ? l / b : 0; q = m ? 100 * l / m : 0
		printf "%-40s %8d/s %8d/s %8d/s   %-28s %s\n", "/liaison help saturated, one core", l, b, m,
			sprintf("%.2fx bolt, %.0f%% of limit", r, q), (r >= 2.5 && q >= 60 ? "yes" : "no") " (>= 2.5x bolt, >= 60% of limit)" }' ;;
	feedback)
		awk -v l="$l" -v b="$b" -v m="$m" 'BEGIN {
			r = b ? l / b : 0; q = m ? 100 * l / m : 0
			printf "%-40s %8d/s %8d/s %8d/s   %-28s %s\n", "/feedback saturated, Postgres", l, b, m,
				sprintf("%.2fx bolt, %.0f%% of limit", r, q), (r >= 1.5 ? "yes" : "no") " (>= 1.5x bolt)" }'
		awk -v l="${p99[feedback/liaison]:-}" -v b="${p99[feedback/bolt]:-}" -v m="${p99[feedback/limit]:-}" -v rate="$RATE" 'BEGIN {
			f = "%7.2f ms"
			printf "%-40s %10s %10s %10s   %-28s %s\n", "/feedback p99 at " rate "/s open loop", (l == "" ? "?" : sprintf(f, l)),
				(b == "" ? "?" : sprintf(f, b)), (m == "" ? "?" : sprintf(f, m)), "", (l != "" && l <= 10 ? "yes" : "no") " (<= 10 ms)" }' ;;
	esac
done
