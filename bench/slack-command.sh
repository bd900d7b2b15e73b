#!/usr/bin/env bash
# Benchmarks Liaison's Slack slash-command path end to end: signed request →
# signature check → parse → the real router, which records the command's
# trigger in the database in a transaction → the reply in the HTTP answer.
#
#   bench/slack-command.sh                 # Postgres at $LIAISON_TEST_DATABASE_URL or localhost
#   RATE=2000 DURATION=20s bench/slack-command.sh
#   DB=sqlite:/tmp/bench.db bench/slack-command.sh
#
# It builds bench/slack-load, starts it as the server under test (a fresh
# Postgres schema, dropped at exit), drives it at RATE requests/s with
# slack-load's open-loop generator (latency measured from when each request
# was due) and prints p50/p90/p99 and the server's resident memory idle and
# loaded. With wrk installed (apt-get install -y wrk) it then measures the
# most the server takes with wrk and pre-signed requests (wrk's Lua cannot
# sign: bench/slack-command.lua replays requests signed by slack-load).
# Traffic goes to 127.0.0.1 only, and every run is bounded in time.
set -euo pipefail

cd "$(dirname "$0")/.."
RATE=${RATE:-2000}
DURATION=${DURATION:-20s}
WRK_DURATION=${WRK_DURATION:-10s}
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNS=${WRK_CONNS:-64}
DB=${DB:-${LIAISON_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}

work=$(mktemp -d)
server=
cleanup() {
	if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
		kill -TERM "$server"
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/slack-load" ./bench/slack-load
SLACK_SIGNING_SECRET=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export SLACK_SIGNING_SECRET

"$work/slack-load" serve -db "$DB" -addr 127.0.0.1:0 -addr-file "$work/addr" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do
	[[ -s $work/addr ]] && break
	kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
	sleep 0.1
done
url="http://$(cat "$work/addr")/slack/commands"

rss() { awk -v k="$1:" '$1 == k { printf "%.1f MiB", $2 / 1024 }' "/proc/$server/status"; }

sleep 1
echo "server: $url ($(grep -o 'with .*' "$work/server.log"))"
echo "rss idle: $(rss VmRSS)"

echo "--- slack-load: $RATE req/s for $DURATION"
"$work/slack-load" load -url "$url" -rate "$RATE" -duration "$DURATION"
echo "rss after load: $(rss VmRSS) (peak $(rss VmHWM))"

if command -v wrk >/dev/null; then
	echo "--- wrk: as fast as it takes, $WRK_THREADS threads, $WRK_CONNS connections, $WRK_DURATION"
	"$work/slack-load" presign -n 200000 >"$work/requests.tsv"
	SLACK_REQUESTS="$work/requests.tsv" WRK_THREADS=$WRK_THREADS \
		wrk -t "$WRK_THREADS" -c "$WRK_CONNS" -d "$WRK_DURATION" --timeout 5s -s bench/slack-command.lua "$url" | grep '^wrk'
	echo "rss after wrk: $(rss VmRSS) (peak $(rss VmHWM))"
else
	echo "--- wrk not installed (apt-get install -y wrk): skipped the maximum-throughput run"
fi
if grep -q 'level=ERROR' "$work/server.log"; then
	echo "server errors:"
	grep 'level=ERROR' "$work/server.log" | head -5
fi
