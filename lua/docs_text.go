package lua

// The hand-written parts of docs/lua.md; the rest is generated (docs.go).

const mdIntro = `# Lua scripting

<!-- Generated from the verb table by ` + "`go test ./lua -run TestDocs -update`" + `; edit lua/docs*.go, not this file. -->

nixcsh embeds Lua 5.1 (gopher-lua) to automate containers.

` + "```" + `
nixcsh FILE.lua [ARGS...]        run a saved script (exit status 0, or 1 on an error; os.exit(N) sets it)
nixcsh> lua CODE                 run a line in the shell's Lua state; an expression's value is printed
nixcsh> source FILE.lua [ARGS]   run a file in the shell's Lua state
` + "```" + `

In the shell a line that is not finished (an open ` + "`function`, `do`, `{`, `[[`" + `) continues on the next prompt.
The shell keeps one Lua state for its whole life: globals, and hooks registered with ` + "`nixcsh.on`" + `, stay from one
` + "`lua`/`source`" + ` to the next, and those hooks also fire for the verbs typed at the prompt.
` + "`nixcsh FILE.lua`" + ` runs the script in a state of its own; ` + "`nixcsh.args`" + ` (and the global ` + "`arg`" + `, with ` + "`arg[0]`" + ` the script)
hold its arguments.

## The module

` + "```lua" + `
local n = require("nixcsh")     -- in the shell also the global ` + "`nixcsh`" + `
local c = assert(n.create("web", {config = [[services.httpd.enable = true;]], port = "tcp:8080:80"}))
assert(n.start("web"))
local r = n.run("web", {"uname", "-a"})     -- {code = 0, stdout = "Linux ...", stderr = ""}
print(n.ip("web"), n.status("web"))        -- 10.233.1.2   up
for _, name in ipairs(n.list()) do print(name, n.info(name).generation) end
` + "```" + `

- **One function per verb**, generated from the verb table (the same one the command line, the shell, completion
  and ` + "`help`" + ` use): positional arguments as on the command line, then an optional table of flags. Flag and verb names
  use ` + "`_`" + ` for ` + "`-`" + ` (` + "`show_ip`, `root_login`, `ensure_unique_name`" + `). Switches take booleans, other flags strings
  (or numbers). ` + "`run`" + ` takes the command as an array of words, or as a string that runs through the container's shell
  (` + "`{\"sh\", \"-c\", str}`" + `).
- **Results are Lua values**: strings, arrays, and tables for struct results, keyed by their JSON names (the same
  as ` + "`--json`" + ` prints). A verb that has nothing to return returns ` + "`true`" + `.
- **Failures return ` + "`nil, message`" + `**: a missing container, a refused hook, a configuration that does not build, a
  container that is not running... The message is the one the command line prints. Wrap a call in ` + "`assert()`" + ` to
  stop the script on failure.
- **Wrong arguments raise an error** naming the function and the argument, at the script's line:
  ` + "`web.lua:3: nixcsh.start: argument #1 'name' must be a string, got number`" + `.
- ` + "`login`" + ` and ` + "`root_login`" + ` need your terminal and raise an error; use ` + "`nixcsh.run`" + `.

## Errors, interruption, sandbox

- An error that stops a script prints ` + "`FILE:LINE: message`" + ` and nothing of Go; ` + "`nixcsh FILE.lua`" + ` then exits 1.
- Ctrl-C in the shell, or SIGINT to ` + "`nixcsh FILE.lua`" + `, cancels the verb that is running (it stops cleanly, leaving
  nothing half-made), ends the script with ` + "`interrupted`" + `, and also ends ` + "`nixcsh.sleep`" + `, ` + "`nixcsh.wait_port`" + ` and busy Lua loops.
- ` + "`os.exit(N)`" + ` ends the script (not the shell) with status N.
- With ` + "`--sandbox`" + ` only the safe libraries are opened: base (without ` + "`dofile`, `loadfile`" + `), string, table, math,
  coroutine and os without ` + "`execute`, `exit`, `remove`, `rename`, `tmpname`, `setenv`, `setlocale`" + `; no ` + "`io`" + `, no
  ` + "`debug`" + `, and ` + "`require`" + ` finds only the ` + "`nixcsh`" + ` module, never files. The nixcsh verbs stay available.

## Running things at once: nixcsh.parallel and nixcsh.each

` + "```lua" + `
local ok, msg, errs = n.parallel(
  function() return n.start("web") end,
  function() return n.start("db") end)
if not ok then error(msg) end               -- "1 of 2 failed: 2: failed to start container 'db': ..."

local ips = assert(n.each({"a", "b", "c"}, function(name) assert(n.start(name)); return n.ip(name) end,
                          {parallel = 2}))  -- ips.a, ips.b, ips.c
` + "```" + `

How it works, and why. A Lua state (gopher-lua's LState) must never be used by two goroutines at once, and
gopher-lua cannot move a closure from one state to another, so functions cannot be shipped to fresh states. What is
slow in a workflow is not Lua but the Go work it asks for: building a system, booting a container, stopping one,
waiting for a port. So ` + "`parallel`" + ` and ` + "`each`" + ` run their functions as **coroutines of the same state**, and every slow call
(each verb, ` + "`wait_port`" + `, ` + "`sleep`" + `) made inside one of them **yields**: its Go work starts on a goroutine of its own and
the scheduler resumes another coroutine; when the work finishes, the scheduler resumes the coroutine that asked for
it with the results. The Go work of all the functions runs concurrently; their Lua code takes turns, so plain Lua
variables can be shared between them without locks. Consequences:

- A function fails when it raises or returns ` + "`nil, message`" + `; the others still run to the end. ` + "`parallel`" + ` returns the
  first result of each function by position, ` + "`each`" + ` by item; on failure both return ` + "`nil`, a summary, and a table of\n  messages" + `.
- A slow call made under ` + "`pcall`" + `, inside a metamethod or a callback of a Go function (` + "`string.gsub`" + `, ` + "`table.sort`" + `), or
  inside a coroutine of your own, cannot yield (gopher-lua cannot yield across those): it blocks, and is correct but
  does not overlap with the others. Return ` + "`nil, message`" + ` instead of raising, and call verbs directly.
- A busy Lua loop without any slow call holds up the other functions (as any coroutine would).
- ` + "`parallel`" + ` inside ` + "`parallel`" + ` works; the inner one runs its functions to the end before the outer function continues.
- Hooks (` + "`nixcsh.on`" + `) fired by the verbs of these functions run between the coroutines' turns, on the same state.
- Ctrl-C stops all of them: the running verbs are cancelled and waited for, then the script ends with ` + "`interrupted`" + `.

## Hooks: nixcsh.on

` + "```lua" + `
n.on("pre-start", function(ev)             -- ev = {event = "pre-start", container = "web", attrs = {HOST_ADDRESS = ...}}
  if ev.container:match("^prod") and not n.env.I_MEAN_IT then
    return false, "set I_MEAN_IT=1 to start production containers"
  end
end)
n.on("post-update", function(ev) n.log(ev.container, "now at generation", ev.attrs.generation) end)
` + "```" + `

Hooks get the events plugins get, before the plugins. A ` + "`pre-*`" + ` hook that returns ` + "`false, \"reason\"`" + ` (or raises) refuses
the verb: it fails with ` + "`lua hook: reason`" + ` and changes nothing. A ` + "`post-*`" + ` hook's error is printed as a warning. Hooks
may call verbs, but not on the container whose event they are handling (it is locked by the verb in progress).
`

const mdOutro = `
## Saved workflows

` + "`scripts/workflows/`" + ` holds complete examples, each runnable as ` + "`nixcsh scripts/workflows/NAME.lua`" + `:

- ` + "`web-and-db.lua [WEB] [DB] [--cleanup] [--create-only]`" + `: a backend container serving records on a port (a
  systemd service) and a web container (Apache) whose configuration gets the backend's address and copies its records
  into the web root; checks, from inside the web container, that the page serves the backend's records. The web
  container reaches the backend through the host, which must forward IPv4 (` + "`sysctl -w net.ipv4.ip_forward=1`" + `).
- ` + "`rolling-update.lua NAME...`" + `: updates containers one at a time, checks each answers, and stops at the first failure,
  rolling that container back.
- ` + "`fleet-report.lua`" + `: status, address, generation and uptime of every container, as a table.

Editors: ` + "`docs/nixcsh.d.lua`" + ` holds LuaLS type annotations for the whole module (add ` + "`docs/`" + ` to
` + "`Lua.workspace.library`" + `).
`
