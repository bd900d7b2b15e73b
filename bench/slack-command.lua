-- wrk script for bench/slack-command.sh: replays slash commands signed in
-- advance by `slack-load presign` (wrk's Lua has no HMAC-SHA256). The file
-- is $SLACK_REQUESTS; each of the $WRK_THREADS threads takes its own share
-- of the lines, so trigger ids do not repeat until a thread runs out and
-- starts over (a repeat is then answered as a duplicate, still 200).

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local n = tonumber(os.getenv("WRK_THREADS") or "1")
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  reqs, idx, bad = {}, 0, 0
  local i = 0
  for line in io.lines(os.getenv("SLACK_REQUESTS")) do
    if i % n == id then
      local stamp, sig, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
      headers["X-Slack-Request-Timestamp"] = stamp
      headers["X-Slack-Signature"] = sig
      reqs[#reqs + 1] = wrk.format("POST", nil, headers, body)
    end
    i = i + 1
  end
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  io.write(string.format("wrk: %d requests in %.1fs (%.0f/s), non-2xx %d, socket errors %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("wrk latency p50 %.2fms  p90 %.2fms  p99 %.2fms  max %.2fms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
