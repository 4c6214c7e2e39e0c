-- Run in a session made with Sandbox = true.
local n = require("nixcsh")

function TestUnsafeLibrariesAreGone(t)
  t:eq(io, nil)
  t:eq(os.execute, nil)
  t:eq(dofile, nil)
  t:eq(loadfile, nil)
  t:eq(os.remove, nil)
  t:eq(os.exit, nil)
  t:eq(debug, nil)
  local ok, err = pcall(function() os.execute("touch /tmp/nixcsh-sandbox-escape") end)
  t:eq(ok, false)
  t:ok(tostring(err):find("attempt to call a non-function object", 1, true), err)
end

function TestRequireFindsNoFiles(t)
  -- testdata/helpers_test.lua is reachable through package.path outside the sandbox.
  local ok, err = pcall(require, "testdata.helpers_test")
  t:eq(ok, false)
  t:ok(tostring(err):find("not found"), err)
end

function TestSafePartsWork(t)
  t:eq(string.upper("ok"), "OK")
  t:eq(math.max(1, 2), 2)
  t:eq(type(os.time()), "number")
  assert(n.create("boxed"))
  t:eq(n.list()[1], "boxed")
  t:eq(n.status("boxed"), "down")
end
