-- wrk script for bench/wrk.py: each connection posts the next body of its thread's own share,
-- one body per request, each body exactly once. Bodies come from a file (one per line); thread k
-- of n takes lines k, k+n, k+2n, ... Once a thread's share is sent, its connections send a GET to
-- the same URL, which only takes POST: its 405 is not counted. The thread stops when every body
-- has been answered.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, file, n = args[1], args[2], tonumber(args[3])
  target = path
  bodies = {}
  local line_no = 0
  for line in io.lines(file) do
    if line_no % n == id then table.insert(bodies, line) end
    line_no = line_no + 1
  end
  sent, answered, accepted, refused = 0, 0, 0, 0
  headers = {["Content-Type"] = "application/json"}
  -- wrk calls request() once on thread 0 right after init, to check for pipelining, and
  -- never sends what it gets: that call must not use up a body.
  checked = id ~= 0
end

function request()
  if not checked then
    checked = true
    return wrk.format("GET", target)
  end
  if sent < #bodies then
    sent = sent + 1
    return wrk.format("POST", target, headers, bodies[sent])
  end
  return wrk.format("GET", target)
end

function response(status, hdrs, body)
  if status == 405 then return end  -- the GET sent once this thread's share was out
  if status == 202 then accepted = accepted + 1 else refused = refused + 1 end
  answered = answered + 1
  if answered == #bodies then
    io.write("WRK-THREAD-DONE\n")  -- bench/wrk.py stops wrk once every thread said so
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local acc, ref = 0, 0
  for _, t in ipairs(threads) do
    acc = acc + t:get("accepted")
    ref = ref + t:get("refused")
  end
  io.write(string.format(
    "WRK accepted=%d refused=%d requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d errors=%d\n",
    acc, ref, summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout))
end
