-- One wrk script for every scenario, chosen by BENCH_SCENARIO:
--   projects  GET /projects (the caller's first page)
--   project   GET /projects/{id}
--   tasks     GET /projects/{id}/tasks
--   validate  GET /auth/validate
--   path      GET BENCH_PATH (a ceiling: the bare endpoint, a static file)
--   login     POST /auth/login
--   mix       70 % reads, 20 % task writes, 5 % project writes, 5 % logins
--
-- BENCH_USERS names a file of tab-separated lines: token, project id, task id, email,
-- password. Requests rotate over its users, each with its own bearer token, so caches
-- keyed per user see as many users as the file holds. At the end one line starting
-- with BENCH_RESULT carries the figures as JSON.

local scenario = os.getenv("BENCH_SCENARIO") or "projects"
local fixed_path = os.getenv("BENCH_PATH") or "/"
local users = {}
local threads = {}
local counter = 0

local function load_users(path)
  local list = {}
  local file = assert(io.open(path, "r"), "cannot open BENCH_USERS " .. tostring(path))
  for line in file:lines() do
    local token, project, task, email, password = line:match(
      "^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
    if token then
      list[#list + 1] = {
        auth = "Bearer " .. token, project = project, task = task,
        email = email, password = password,
      }
    end
  end
  file:close()
  assert(#list > 0, "no users in " .. path)
  return list
end

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  users = load_users(os.getenv("BENCH_USERS"))
  -- Threads start at different users; the seed makes each thread's mix its own.
  counter = id * 7919
  math.randomseed(id * 104729 + 1)
  kinds = { read = 0, task_write = 0, project_write = 0, login = 0 }
end

local json = "application/json"

local function get(path, user)
  return wrk.format("GET", path, { ["Authorization"] = user.auth })
end

local function send(method, path, user, body)
  return wrk.format(method, path,
    { ["Authorization"] = user.auth, ["Content-Type"] = json }, body)
end

local function login(user)
  kinds.login = kinds.login + 1
  return wrk.format("POST", "/auth/login", { ["Content-Type"] = json },
    string.format('{"email":"%s","password":"%s"}', user.email, user.password))
end

local function mixed(user)
  local r = math.random()
  if r < 0.70 then
    kinds.read = kinds.read + 1
    local which = counter % 3
    if which == 0 then return get("/projects", user) end
    if which == 1 then return get("/projects/" .. user.project, user) end
    return get("/projects/" .. user.project .. "/tasks", user)
  elseif r < 0.90 then
    kinds.task_write = kinds.task_write + 1
    if math.random() < 0.5 then
      return send("POST", "/projects/" .. user.project .. "/tasks", user,
        string.format('{"title":"Load task %d"}', counter))
    end
    return send("PATCH", "/projects/" .. user.project .. "/tasks/" .. user.task, user,
      math.random() < 0.5 and '{"done":true}' or '{"done":false}')
  elseif r < 0.95 then
    kinds.project_write = kinds.project_write + 1
    return send("PATCH", "/projects/" .. user.project, user,
      string.format('{"description":"Edited under load, %d"}', counter))
  end
  return login(user)
end

function request()
  counter = counter + 1
  local user = users[counter % #users + 1]
  if scenario == "projects" then return get("/projects", user) end
  if scenario == "project" then return get("/projects/" .. user.project, user) end
  if scenario == "tasks" then return get("/projects/" .. user.project .. "/tasks", user) end
  if scenario == "validate" then return get("/auth/validate", user) end
  if scenario == "path" then return get(fixed_path, user) end
  if scenario == "login" then return login(user) end
  if scenario == "mix" then return mixed(user) end
  error("unknown BENCH_SCENARIO " .. scenario)
end

function done(summary, latency, requests)
  local mix = { read = 0, task_write = 0, project_write = 0, login = 0 }
  for _, thread in ipairs(threads) do
    local counts = thread:get("kinds")
    if counts then
      for k, v in pairs(counts) do mix[k] = mix[k] + v end
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f},' ..
    '"mix":{"read":%d,"task_write":%d,"project_write":%d,"login":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean,
    mix.read, mix.task_write, mix.project_write, mix.login))
end
