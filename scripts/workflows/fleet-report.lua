-- fleet-report.lua: status, address, generation and uptime of every container.
--
--   nixcsh scripts/workflows/fleet-report.lua [NAME...]
--
-- Prints one row per container (default: all), gathering them concurrently.
local n = require("nixcsh")

local names = #n.args > 0 and n.args or n.list()
if #names == 0 then
  print("no containers")
  return
end

-- A container that is up has an uptime, 0 in its first second (when info
-- leaves uptimeSeconds out).
local function uptime(status, s)
  if status ~= "up" then return "-" end
  s = s or 0
  local d, h, m = math.floor(s / 86400), math.floor(s % 86400 / 3600), math.floor(s % 3600 / 60)
  if d > 0 then return string.format("%dd%02dh", d, h) end
  if h > 0 then return string.format("%dh%02dm", h, m) end
  return string.format("%dm%02ds", m, math.floor(s % 60))
end

local infos, _, errs = n.each(names, function(name) return n.info(name) end, {parallel = 8})
infos, errs = infos or {}, errs or {}

local rows = {{"NAME", "STATUS", "ADDRESS", "GENERATION", "UPTIME", "AUTOSTART", "PORTS"}}
local up = 0
for _, name in ipairs(names) do
  local i = infos[name]
  if i then
    if i.status == "up" then up = up + 1 end
    rows[#rows + 1] = {
      name, i.status, i.localAddress or i.localAddress6 or "-", tostring(i.generation or "-"),
      uptime(i.status, i.uptimeSeconds), i.autoStart and "yes" or "no", i.ports or "-",
    }
  else
    rows[#rows + 1] = {name, "error", errs[name] or "?", "", "", "", ""}
  end
end

local widths = {}
for _, row in ipairs(rows) do
  for c, cell in ipairs(row) do widths[c] = math.max(widths[c] or 0, #cell) end
end
for _, row in ipairs(rows) do
  local cells = {}
  for c, cell in ipairs(row) do
    cells[c] = c == #row and cell or cell .. string.rep(" ", widths[c] - #cell)
  end
  print((table.concat(cells, "  "):gsub("%s+$", "")))
end
print(string.format("%d container%s, %d up", #names, #names == 1 and "" or "s", up))
if next(errs) then os.exit(1) end
