-- The database paths of the projects service, one per run, chosen by BENCH_SCENARIO:
--   projects  GET /projects (the caller's first page)
--   project   GET /projects/{id}
--   tasks     GET /projects/{id}/tasks
--   create    POST /projects
--   patch     PATCH /projects/{id}/tasks/{task} (the title)
--
-- BENCH_USERS is the file bench/wrk/scenario.lua reads (token, project, task, email,
-- password). At the end one line starting with BENCH_RESULT carries the figures as JSON.

local scenario = os.getenv("BENCH_SCENARIO") or "projects"
local users = {}
local counter = 0

local function load_users(path)
  local list = {}
  local file = assert(io.open(path, "r"), "cannot open BENCH_USERS " .. tostring(path))
  for line in file:lines() do
    local token, project, task = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t")
    if token then
      list[#list + 1] = { auth = "Bearer " .. token, project = project, task = task }
    end
  end
  file:close()
  assert(#list > 0, "no users in " .. path)
  return list
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  users = load_users(os.getenv("BENCH_USERS"))
  counter = id * 7919
  statuses = {}
end

-- Non-2xx answers by status, to tell shedding (503) from failures.
function response(status, headers, body)
  if status >= 300 then
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
  end
end

local function send(method, path, user, body)
  return wrk.format(method, path,
    { ["Authorization"] = user.auth, ["Content-Type"] = "application/json" }, body)
end

function request()
  counter = counter + 1
  local user = users[counter % #users + 1]
  if scenario == "projects" then return send("GET", "/projects", user) end
  if scenario == "project" then return send("GET", "/projects/" .. user.project, user) end
  if scenario == "tasks" then
    return send("GET", "/projects/" .. user.project .. "/tasks", user)
  end
  if scenario == "create" then
    return send("POST", "/projects", user, string.format('{"name":"Load %d"}', counter))
  end
  if scenario == "patch" then
    return send("PATCH", "/projects/" .. user.project .. "/tasks/" .. user.task, user,
      string.format('{"title":"Edited %d"}', counter))
  end
  error("unknown BENCH_SCENARIO " .. scenario)
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local found = thread:get("statuses")
    if found then
      for k, v in pairs(found) do counts[k] = (counts[k] or 0) + v end
    end
  end
  local mix = {}
  for k, v in pairs(counts) do mix[#mix + 1] = string.format('"%s":%d', k, v) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f},' ..
    '"mix":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, table.concat(mix, ",")))
end
