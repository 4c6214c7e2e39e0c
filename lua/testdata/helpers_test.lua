-- Helpers: parallel, each, wait_port, sleep, env.
local n = require("nixcsh")

function TestParallelResults(t)
  assert(n.create("one"))
  assert(n.create("two"))
  local res = assert(n.parallel(
    function() return "plain" end,
    function() n.sleep(0.01); return "slept" end,
    function() return n.status("one") end,                 -- a verb in tail position
    function() local ok, ip = pcall(n.ip, "two"); return ip end)) -- a verb under pcall (blocks, still right)
  t:eq(res[1], "plain")
  t:eq(res[2], "slept")
  t:eq(res[3], "down")
  t:eq(res[4], "10.233.2.2")
end

function TestParallelCollectsErrors(t)
  local res, msg, errs = n.parallel(
    function() return true end,
    function() error("boom") end,
    function() return n.ip("missing") end)
  t:eq(res, nil)
  t:ok(msg:find("2 of 3 failed", 1, true), msg)
  t:ok(errs[2]:find("boom", 1, true), errs[2])
  t:eq(errs[3], "container 'missing' does not exist")
  t:eq(errs[1], nil)
end

function TestParallelTakesATable(t)
  local res = assert(n.parallel({function() return 1 end, function() return 2 end}))
  t:eq(res[1] + res[2], 3)
end

function TestEach(t)
  local names = {"e1", "e2", "e3", "e4"}
  local made = assert(n.each(names, function(name, i)
    local c = assert(n.create(name))
    return c.localAddress
  end, {parallel = 2}))
  t:eq(#n.list(), 4)
  for _, name in ipairs(names) do t:eq(made[name], n.ip(name)) end
  local ok, msg, errs = n.each({"e1", "nope"}, function(name) return n.ip(name) end)
  t:eq(ok, nil)
  t:eq(errs.nope, "container 'nope' does not exist")
  t:eq(errs.e1, nil)
  t:eq(next(assert(n.each({}, function() end))), nil)
end

function TestNestedParallel(t)
  local res = assert(n.parallel(function()
    local inner = assert(n.parallel(function() n.sleep(0); return 1 end, function() return 2 end))
    return inner[1] + inner[2]
  end, function() n.sleep(0); return 10 end))
  t:eq(res[1], 3)
  t:eq(res[2], 10)
end

function TestCoroutinesInsideTasks(t)
  assert(n.create("c"))
  local res = assert(n.parallel(
    function() coroutine.yield(); return "resumed" end,
    function()
      local co = coroutine.wrap(function() coroutine.yield(n.status("c")) end)
      return co()
    end))
  t:eq(res[1], "resumed")
  t:eq(res[2], "down")
end

function TestHooksInParallel(t)
  local seen = 0
  n.on("pre-create", function(ev)
    seen = seen + 1
    if ev.container == "veto" then return false, "no" end
  end)
  local ok, msg, errs = n.parallel(function() return n.create("p1") end, function() return n.create("veto") end)
  t:eq(ok, nil)
  t:eq(seen, 2)
  t:eq(errs[2], "lua hook: no")
  t:eq(#n.list(), 1)
  t:eq(n.list()[1], "p1")
end

function TestWaitPort(t)
  local ok, err = n.wait_port("missing", 80, 1)
  t:eq(ok, nil)
  t:eq(err, "container 'missing' does not exist")
  ok, err = n.wait_port("127.0.0.1", 1, 0)
  t:eq(ok, nil)
  t:ok(err:find("port 1 of 127.0.0.1 did not answer within 0s", 1, true), err)
end

function TestEnv(t)
  t:eq(n.env.LISTED, "yes")
  t:eq(n.env.NIXCSH_TEST_VAR, "hello")
  t:eq(n.env.NOT_THERE, nil)
end

function TestTailCallsInsideTasks(t)
  assert(n.create("tc"))
  local function status_of(name) return n.status(name) end -- tail call one level down
  local res = assert(n.parallel(
    function() local s = status_of("tc"); return s .. "!" end,
    function() return status_of("tc") end,
    function() return n.sleep(0) end))
  t:eq(res[1], "down!")
  t:eq(res[2], "down")
  t:eq(res[3], nil)
end
