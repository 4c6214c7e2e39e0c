-- Run with a fake runtime (lua/fakeruntime_test.go): containers really
-- "start", run answers with a transcript of the call.
local n = require("nixcsh")

function TestStartStatusStop(t)
  assert(n.create("web"))
  t:eq(n.status("web"), "down")
  t:eq(n.start("web"), true)
  t:eq(n.status("web"), "up")
  local info = n.info("web")
  t:eq(info.status, "up")
  t:eq(info.pid, 4242)
  t:ok(info.uptimeSeconds >= 90, info.uptimeSeconds)
  t:eq(n.stop("web"), true)
  t:eq(n.status("web"), "down")
end

function TestRunResults(t)
  assert(n.create("web"))
  local r, err = n.run("web", {"uname", "-a"})
  t:eq(r, nil)
  t:ok(err:find("is not running", 1, true), err)
  assert(n.start("web"))
  r = assert(n.run("web", {"uname", "-a"}))
  t:eq(r.code, 0)
  t:eq(r.stdout, "ran: uname|-a")
  t:eq(r.stderr, "on web")
  r = assert(n.run("web", "echo hi && fail"))   -- a string goes through the container's shell
  t:eq(r.stdout, "ran: sh|-c|echo hi && fail")
  t:eq(r.code, 3)                               -- a non-zero exit is a result, not a failure
end

function TestUpdateSwitchesRunningContainer(t)
  assert(n.create("web"))
  assert(n.start("web"))
  local u = assert(n.update("web", {config = "services.httpd.enable = true;"}))
  t:eq(u.reloaded, true)
  t:eq(u.switch.restarted[1], "httpd.service")
end

function TestStartHooks(t)
  local seen = {}
  n.on("pre-start", function(ev)
    if ev.container == "locked" then return false, "locked for maintenance" end
  end)
  n.on("post-start", function(ev) seen[#seen + 1] = "up " .. ev.container end)
  n.on("post-stop", function(ev) seen[#seen + 1] = "down " .. ev.container end)
  assert(n.create("locked"))
  assert(n.create("free"))
  local ok, err = n.start("locked")
  t:eq(ok, nil)
  t:eq(err, "lua hook: locked for maintenance")
  t:eq(n.status("locked"), "down")
  assert(n.start("free"))
  assert(n.stop("free"))
  t:eq(table.concat(seen, ", "), "up free, down free")
end

function TestWaitPortOnContainerAddress(t)
  -- The container's address is 127.0.0.1 here, so a listener of the test
  -- stands in for its service.
  assert(n.create("svc", {host_address = "127.0.0.2", local_address = "127.0.0.1"}))
  assert(n.start("svc"))
  local port = t:listen()
  t:eq(n.wait_port("svc", port, 10), true)
end

function TestWaitPortNeedsTheContainerUp(t)
  -- Something answers at the address of a container that is down (here a
  -- listener of the test; on some hosts a proxy behind the default route):
  -- that is not the container's port.
  assert(n.create("idle", {host_address = "127.0.0.2", local_address = "127.0.0.1"}))
  local port = t:listen()
  local ok, err = n.wait_port("idle", port, 0.3)
  t:eq(ok, nil)
  t:eq(err, "port " .. port .. " of container 'idle' (127.0.0.1) did not answer within 300ms: container 'idle' is not running")
  -- Started in another branch while the wait goes on: it answers then.
  local res = assert(n.parallel(
    function() return n.wait_port("idle", port, 10) end,
    function() n.sleep(0.2); return n.start("idle") end))
  t:eq(res[1], true)
  t:eq(n.status("idle"), "up")
end

function TestParallelStartsAndRuns(t)
  local names = {"p1", "p2", "p3"}
  for _, name in ipairs(names) do assert(n.create(name)) end
  assert(n.each(names, function(name) return n.start(name) end))
  local out = assert(n.each(names, function(name)
    local r = assert(n.run(name, {"hostname"}))
    return r.stderr
  end, {parallel = 2}))
  for _, name in ipairs(names) do
    t:eq(n.status(name), "up")
    t:eq(out[name], "on " .. name)
  end
end
