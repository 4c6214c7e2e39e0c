-- rolling-update.lua: update containers one at a time, checking each answers.
--
--   nixcsh scripts/workflows/rolling-update.lua [--config-file F | --config TEXT]
--          [--port P] [--timeout S] [NAME...]
--
-- For each container (default: all), in order: update it (with the new
-- configuration, or rebuilt from its own configuration.nix), then, if it runs,
-- wait until port P (default 80) answers. On the first failure stop: roll that
-- container back to its previous generation (when the update made one), check
-- the rollback answers, and leave the remaining containers untouched.
-- Exit status 0 when every container was updated, 1 otherwise.
local n = require("nixcsh")

local usage = "usage: rolling-update.lua [--config-file F | --config TEXT] [--port P] [--timeout S] [NAME...]"
local opts = {port = 80, timeout = 60}
local names = {}
local i = 1
while i <= #n.args do
  local a = n.args[i]
  local function value()
    i = i + 1
    if n.args[i] == nil then error(a .. " needs a value; " .. usage, 0) end
    return n.args[i]
  end
  if a == "--config-file" then opts.config_file = value()
  elseif a == "--config" then opts.config = value()
  elseif a == "--port" then opts.port = tonumber(value()) or error("--port takes a number; " .. usage, 0)
  elseif a == "--timeout" then opts.timeout = tonumber(value()) or error("--timeout takes seconds; " .. usage, 0)
  elseif a:sub(1, 2) == "--" then error("unknown option " .. a .. "; " .. usage, 0)
  else names[#names + 1] = a end
  i = i + 1
end
if #names == 0 then names = n.list() end
if #names == 0 then
  print("no containers to update")
  return
end

local flags = {}
if opts.config_file then flags.config_file = opts.config_file end
if opts.config then flags.config = opts.config end

local report = {}
local function note(name, what) report[#report + 1] = {name, what} end
local function print_report()
  for _, row in ipairs(report) do print(string.format("%-12s %s", row[1], row[2])) end
end

local failed
for idx, name in ipairs(names) do
  local before, ierr = n.info(name)
  if not before then
    failed = name .. ": " .. ierr
    note(name, "cannot update: " .. ierr)
    break
  end
  n.log(string.format("[%d/%d] updating %s (generation %s, %s)", idx, #names, name, before.generation or "-", before.status))
  local u, err = n.update(name, flags)
  if not u then
    -- A failed update changes nothing: there is nothing to roll back.
    failed = name .. ": update failed, left as it was: " .. err
    note(name, "update failed (unchanged)")
    break
  end
  if before.status ~= "up" then
    note(name, string.format("generation %s, not running: not checked", u.generation))
  else
    local ok, werr = n.wait_port(name, opts.port, opts.timeout)
    if ok then
      note(name, string.format("generation %s, port %d answers", u.generation, opts.port))
    else
      n.log(name .. " does not answer after the update: " .. werr .. "; rolling back")
      local rb, rerr = n.rollback(name)
      if not rb then
        failed = string.format("%s: does not answer on port %d after the update (%s), and the rollback failed: %s",
          name, opts.port, werr, rerr)
        note(name, "FAILED, rollback failed")
      else
        local back = n.wait_port(name, opts.port, opts.timeout)
        failed = string.format("%s: does not answer on port %d after the update (%s); rolled back to generation %s%s",
          name, opts.port, werr, rb.generation, back and ", which answers" or ", which does not answer either")
        note(name, "FAILED, rolled back to generation " .. rb.generation)
      end
    end
  end
  if failed then break end
end

for idx = #report + 1, #names do note(names[idx], "not updated (stopped at the first failure)") end
print_report()
if failed then error(failed, 0) end
