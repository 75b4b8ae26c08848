-- The request mix of the load benchmark, for wrk.
--   wrk ... -s mix.lua URL -- USERS_FILE MIX
-- USERS_FILE: one line per user, "api_token session_cookie project_id".
-- MIX: "mix" (the realistic mix below), or one endpoint alone: "timer",
-- "entries", "page".
-- Prints one line "RESULT {json}" with throughput, latency and status
-- counts summed over all threads.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  users = {}
  for line in io.lines(args[1]) do
    local token, cookie, project = line:match("^(%S+) (%S+) (%S+)$")
    if token then
      table.insert(users, { token = token, cookie = cookie, project = project })
    end
  end
  if #users == 0 then
    error("no users in " .. tostring(args[1]))
  end
  mix = args[2] or "mix"
  s2, s3, s4, s5, s201 = 0, 0, 0, 0, 0
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

local function api(method, path, user, body)
  local headers = { ["Authorization"] = "Bearer " .. user.token }
  if body then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, path, headers, body)
end

local function page(user)
  return wrk.format("GET", "/", { ["Cookie"] = "tt_session=" .. user.cookie })
end

-- The mix: 40% read the running timer, 10% start, 10% stop,
-- 20% list entries, 20% the dashboard page.
function request()
  local user = users[math.random(#users)]
  if mix == "timer" then
    return api("GET", "/api/v1/timer", user)
  elseif mix == "entries" then
    return api("GET", "/api/v1/time-entries?limit=20", user)
  elseif mix == "page" then
    return page(user)
  end
  local r = math.random(100)
  if r <= 40 then
    return api("GET", "/api/v1/timer", user)
  elseif r <= 50 then
    return api("POST", "/api/v1/timer/start", user, '{"project_id":' .. user.project .. '}')
  elseif r <= 60 then
    return api("POST", "/api/v1/timer/stop", user)
  elseif r <= 80 then
    return api("GET", "/api/v1/time-entries?limit=20", user)
  else
    return page(user)
  end
end

function response(status, headers, body)
  if status == 201 then
    s201 = s201 + 1
  end
  if status >= 500 then
    s5 = s5 + 1
  elseif status >= 400 then
    s4 = s4 + 1
  elseif status >= 300 then
    s3 = s3 + 1
  else
    s2 = s2 + 1
  end
end

function done(summary, latency, requests)
  local t = { s2 = 0, s3 = 0, s4 = 0, s5 = 0, s201 = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
      .. '"s2":%d,"s3":%d,"s4":%d,"s5":%d,"s201":%d,'
      .. '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    t.s2, t.s3, t.s4, t.s5, t.s201,
    e.connect, e.read, e.write, e.timeout))
end
