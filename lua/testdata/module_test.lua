-- The nixcsh module against a temporary state root with no builder and no
-- runtime: create writes files, status says "down", start fails.
local n = require("nixcsh")

local function readfile(path)
  local f = io.open(path)
  if not f then return nil end
  local text = f:read("*a")
  f:close()
  return text
end

function TestGlobalIsModule(t)
  t:eq(nixcsh, n)
  t:eq(type(n.create), "function")
  t:eq(type(n.show_ip), "function")
  t:eq(type(n.ip), "function")
  t:eq(n["show-ip"], nil)
end

function TestCreateListInfoDestroy(t)
  t:eq(#n.list(), 0)
  local c = assert(n.create("web", {config = [[services.httpd.enable = true;]], port = "tcp:8080:80"}))
  t:eq(c.name, "web")
  t:eq(c.hostAddress, "10.233.1.1")
  t:eq(c.localAddress, "10.233.1.2")
  local l = n.list()
  t:eq(#l, 1)
  t:eq(l[1], "web")
  t:eq(n.status("web"), "down")
  t:eq(n.ip("web"), "10.233.1.2")
  t:eq(n.show_ip("web"), "10.233.1.2")
  local info = assert(n.info("web"))
  t:eq(info.name, "web")
  t:eq(info.status, "down")
  t:eq(info.localAddress, "10.233.1.2")
  t:eq(info.hostAddress, "10.233.1.1")
  t:eq(info.ports, "tcp:8080:80")
  t:eq(info.autoStart, false)
  local text = readfile(t:root() .. "/var/lib/containers/web/etc/nixos/configuration.nix")
  t:ok(text and text:find("services.httpd.enable = true;", 1, true), text)
  t:eq(n.destroy("web"), true)
  t:eq(#n.list(), 0)
  t:eq(readfile(t:root() .. "/etc/containers/web.conf"), nil)
end

function TestFlagsUseUnderscores(t)
  local c = assert(n.create("db", {ensure_unique_name = true, auto_start = true}))
  t:eq(c.name, "db")
  local c2 = assert(n.create("db", {ensure_unique_name = true, auto_start = false}))
  t:eq(c2.name, "db-0")
  t:eq(n.info("db").autoStart, true)
  t:eq(n.info("db-0").autoStart, false)
  local c3 = assert(n.create("fixed", {host_address = "10.250.0.1", local_address = "10.250.0.2"}))
  t:eq(n.ip("fixed"), "10.250.0.2")
end

function TestUpdateRewritesConfig(t)
  assert(n.create("web"))
  local u = assert(n.update("web", {config = "services.openssh.enable = true;"}))
  t:eq(type(u), "table")
  t:eq(u.reloaded, false)
  local text = readfile(t:root() .. "/var/lib/containers/web/etc/nixos/configuration.nix")
  t:ok(text:find("services.openssh.enable = true;", 1, true), text)
end

function TestOperationalFailureReturnsNilMessage(t)
  local ip, err = n.show_ip("missing")
  t:eq(ip, nil)
  t:eq(err, "container 'missing' does not exist")
  local st, err2 = n.status("missing")
  t:eq(st, nil)
  t:eq(err2, "container 'missing' does not exist")
  local info, err3 = n.info("missing")
  t:eq(info, nil)
  t:eq(err3, "container 'missing' does not exist")
  assert(n.create("web"))
  local again, err4 = n.create("web")
  t:eq(again, nil)
  t:eq(err4, "container 'web' already exists")
  local started, err5 = n.start("web")
  t:eq(started, nil)
  t:ok(err5:find("no container runtime", 1, true), err5)
  local ran, err6 = n.run("web", {"uname", "-a"})
  t:eq(ran, nil)
  t:eq(type(err6), "string")
  local bad, err7 = n.create("bad name!")
  t:eq(bad, nil)
  t:eq(err7, "invalid container name")
end

function TestWrongArgumentsRaise(t)
  local function raises(want, f, ...)
    local ok, err = pcall(f, ...)
    t:eq(ok, false, want)
    t:ok(tostring(err):find(want, 1, true), tostring(err) .. " -- should say: " .. want)
  end
  raises("nixcsh.start: argument #1 'name' must be a string, got number", n.start, 42)
  raises("nixcsh.status: argument #1 'name' is missing", n.status)
  raises("nixcsh.create: unknown flag 'colour'", n.create, "x", {colour = "red"})
  raises("nixcsh.create: flag 'config' must be a string, got table", n.create, "x", {config = {}})
  raises("nixcsh.create: flag 'auto_start' must be a boolean, got string", n.create, "x", {auto_start = "yes"})
  raises("nixcsh.create: argument #2 'flags' must be a table, got string", n.create, "x", "y")
  raises("nixcsh.stop: too many arguments (usage: nixcsh.stop(name))", n.stop, "x", "y")
  raises("nixcsh.run: argument #2 'args' is missing", n.run, "x")
  raises("nixcsh.run: argument #2 'args': element 2 must be a string, got boolean", n.run, "x", {"a", true})
  raises("nixcsh.wait_port: argument #2 'port' must be a number, got table", n.wait_port, "x", {})
  raises("nixcsh.sleep: argument #1 'seconds' must be a number, got table", n.sleep, {})
  raises("nixcsh.on: argument #1 'event': unknown event 'pre-nothing'", n.on, "pre-nothing", function() end)
  raises("nixcsh.on: argument #2 'fn' must be a function, got number", n.on, "pre-start", 1)
  raises("nixcsh.parallel: argument #2 must be a function, got string", n.parallel, function() end, "x")
  raises("nixcsh.each: option 'parallel' must be a whole number >= 1", n.each, {}, function() end, {parallel = 0})
  raises("nixcsh.each: argument #1 'list' must be a table", n.each, "x", function() end)
  t:eq(#n.list(), 0, "nothing was made by the wrong calls")
end

function TestInteractiveVerbsRefused(t)
  for _, f in ipairs({n.login, n.root_login}) do
    local ok, err = pcall(f, "web")
    t:eq(ok, false)
    t:ok(tostring(err):find("needs the user's terminal", 1, true), err)
  end
end

function TestVetoPreCreate(t)
  n.on("pre-create", function(ev)
    if ev.container == "forbidden" then return false, "not on my watch" end
  end)
  local ok, err = n.create("forbidden")
  t:eq(ok, nil)
  t:eq(err, "lua hook: not on my watch")
  t:eq(#n.list(), 0)
  t:eq(readfile(t:root() .. "/etc/containers/forbidden.conf"), nil)
  t:eq(readfile(t:root() .. "/var/lib/containers/forbidden/etc/nixos/configuration.nix"), nil)
  t:ok(n.create("allowed"))
  t:eq(n.list()[1], "allowed")
end

function TestHookErrorVetoes(t)
  n.on("pre-destroy", function(ev) error("refusing " .. ev.container) end)
  assert(n.create("keep"))
  local ok, err = n.destroy("keep")
  t:eq(ok, nil)
  t:ok(err:find("^lua hook: .*refusing keep"), err)
  t:eq(n.list()[1], "keep")
end

function TestPostHooksSeeEvents(t)
  local seen = {}
  n.on("post-create", function(ev) seen[#seen + 1] = ev.event .. " " .. ev.container .. " gen " .. (ev.attrs.generation or "none") end)
  n.on("post-destroy", function(ev) seen[#seen + 1] = ev.event .. " " .. ev.container end)
  assert(n.create("a"))
  assert(n.destroy("a"))
  -- This Manager builds no generations (no system layer), so there is none to tell.
  t:eq(table.concat(seen, ", "), "post-create a gen none, post-destroy a")
end

function TestHookMayCallVerbs(t)
  local status
  n.on("post-create", function(ev) status = n.status(ev.container) end)
  assert(n.create("x"))
  t:eq(status, "down")
end

function TestOptionalNameWithFlag(t)
  -- start's name may be left out with all_autostart; the table is then the flags.
  local ok, err = n.start({all_autostart = true})
  t:eq(ok, true, err) -- no container has AUTO_START=1: nothing to start
  local ok2, err2 = pcall(n.start)
  t:eq(ok2, false)
  t:ok(tostring(err2):find("nixcsh.start: argument #1 'name' is missing", 1, true), err2)
  local ok3, err3 = pcall(n.start, {})
  t:eq(ok3, false)
  t:ok(tostring(err3):find("argument #1 'name' is missing", 1, true), err3)
end
