-- One request shape for wrk, from the environment (bench/load.sh sets these):
--   WRK_METHOD   GET, POST, PUT, PATCH
--   WRK_PATH     the path, with placeholders
--   WRK_BODY     an optional JSON body, with placeholders
--   WRK_HEADER   an optional "Name: value" header (the credential)
--   WRK_USERS    how many seeded users (ids 2..N+1, emails user1..userN@bench.example)
--   WRK_TAG      a tag that makes created addresses unique across runs
-- Placeholders: {id} a random seeded user's id, {g} its number in its address, {n} a value
-- unique to this request, {w} one of the 100 group words of bench/lib.sh (each in the names of
-- 1% of the users), {p} a page from 1 to 5. Prints one line, `RESULT rps p50_ms p99_ms non2xx requests`.

-- An unset or empty variable is absent.
local function env(name)
  local v = os.getenv(name)
  if v == "" then
    return nil
  end
  return v
end

local method = env("WRK_METHOD") or "GET"
local path_t = env("WRK_PATH") or "/healthz"
local body_t = env("WRK_BODY")
local header = env("WRK_HEADER")
local users = tonumber(env("WRK_USERS") or "1000")
local tag = env("WRK_TAG") or "t"

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

local counter = 0
local headers = {}

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  if header then
    local name, value = header:match("^([^:]+):%s*(.*)$")
    headers[name] = value
  end
  if body_t then
    headers["Content-Type"] = "application/json"
  end
end

-- bench/lib.sh's group_word: the same formula (exact in a double: below 2^53).
local function group_word(k)
  local v = ((k * 48271 + 11) * 69621) % 308915776
  local word = ""
  for _ = 1, 6 do
    word = word .. string.char(97 + v % 26)
    v = math.floor(v / 26)
  end
  return word
end

local function fill(s, g, n)
  s = s:gsub("{w}", function() return group_word(math.random(0, 99)) end)
  s = s:gsub("{p}", function() return tostring(math.random(1, 5)) end)
  s = s:gsub("{id}", tostring(g + 1))
  s = s:gsub("{g}", tostring(g))
  s = s:gsub("{n}", n)
  return s
end

function request()
  counter = counter + 1
  local g = math.random(1, users)
  local n = tag .. "-" .. tostring(tid) .. "-" .. tostring(counter)
  local body = nil
  if body_t then
    body = fill(body_t, g, n)
  end
  return wrk.format(method, fill(path_t, g, n), headers, body)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT %.1f %.2f %.2f %d %d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    summary.requests))
end
