---@meta nixcsh
-- LuaLS type stubs for nixcsh's Lua module. Generated from the verb table by
-- `go test ./lua -run TestDocs -update`; do not edit. Put this file (or docs/)
-- in your editor's Lua.workspace.library.

---@alias nixcsh.Event "pre-create"|"post-create"|"pre-start"|"post-start"|"pre-stop"|"post-stop"|"pre-update"|"post-update"|"pre-destroy"|"post-destroy"

---@class nixcsh.HookEvent
---@field event nixcsh.Event
---@field container string
---@field attrs table<string, string> the container's settings (HOST_ADDRESS, LOCAL_ADDRESS, ...) and facts such as generation

---@class nixcsh.RunResult
---@field code integer the command's exit code
---@field stdout string
---@field stderr string

---@class nixcsh.Created
---@field name string
---@field hostAddress string
---@field localAddress string
---@field generation? integer

---@class nixcsh.Generation
---@field number integer
---@field storePath string
---@field created string
---@field current boolean

---@class nixcsh.Host
---@field name string
---@field labels? table<string, string>
---@field cores integer
---@field memory integer
---@field subnet? string

---@class nixcsh.Info
---@field name string
---@field status string
---@field hostAddress? string
---@field localAddress? string
---@field hostAddress6? string
---@field localAddress6? string
---@field bridge? string
---@field ports? string
---@field autoStart boolean
---@field settings? table<string, string[]>
---@field generation? integer
---@field pid? integer
---@field uptimeSeconds? integer

---@class nixcsh.Listing
---@field path string
---@field type string
---@field default? any
---@field hasDefault boolean
---@field description string

---@class nixcsh.SwitchReport
---@field restarted string[]
---@field started string[]
---@field stopped string[]
---@field reloaded string[]

---@class nixcsh.Updated
---@field generation integer
---@field reloaded boolean
---@field switch? nixcsh.SwitchReport

---@class nixcsh.CreateFlags
---@field config? string NixOS configuration text, put into configuration.nix verbatim
---@field config_file? string a NixOS module that configuration.nix imports
---@field from? string create or update the containers of a NixOS `containers = { ... }` file
---@field system_path? string use this prebuilt generation of nixcsh's store (e.g. another container's, $(readlink .../per-container/NAME/system)) instead of building; a later update builds from configuration.nix
---@field nixos_path? string accepted for compatibility; nixcsh evaluates configurations itself
---@field flake? string not supported: use --config or --config-file
---@field ensure_unique_name? boolean add -0, -1, ... to the name until it is free, and print the name chosen
---@field auto_start? boolean start the container with 'start --all-autostart' (boot)
---@field bridge? string attach the container to this host bridge
---@field port? string forward host ports: tcp:8080:80[,udp:53...]
---@field host_address? string the host side's address, IPv4 or IPv6 (with --local-address)
---@field local_address? string the container's address, IPv4 or IPv6 (with --host-address)
---@field bind? string|string[] bind-mount a host directory or file read-write (repeatable; CONTAINER defaults to HOST; on update the binds given replace the old ones, '' removes them)
---@field bind_ro? string|string[] bind-mount a host directory or file read-only (repeatable, as --bind)
---@field private_users? string run the container in a user namespace: pick a free UID range, identity, or the range starting at host UID N (a multiple of 65536)
---@field memory? string memory limit of the whole container, swap included, e.g. 512M or 2G ('' removes it); a process that goes over it is killed inside
---@field cpus? string CPU time the container may use, in CPUs, e.g. 1.5 ('' removes the limit)
---@field tasks? integer|string most processes and threads the container may have at once ('' removes the limit)
---@field io_weight? integer|string block I/O weight, 1-10000 (default 100), as systemd's IOWeight ('' removes it)
---@field host_network? boolean share the host's network (no link, addresses or firewall of the container's own; NixOS's privateNetwork = false); --no-host-network gives it a private network again
---@field no_host_network? boolean turn --host-network off
---@field ephemeral? boolean boot from a throwaway copy of the root: nothing the container writes survives a stop (the generation is activated afresh at each start); --no-ephemeral turns it off
---@field no_ephemeral? boolean turn --ephemeral off
---@field tmpfs? string|string[] mount an empty tmpfs at PATH in the container (repeatable; on update the paths given replace the old ones, '' removes them)
---@field tun? boolean let the container make tunnel interfaces: /dev/net/tun and CAP_NET_ADMIN (--no-tun turns it off)
---@field no_tun? boolean turn --tun off
---@field device? string|string[] give the container the host's device node NODE, e.g. /dev/fuse (repeatable; '' removes them; with --private-users the node is nobody's inside, so its mode must let others use it, as udev's 0666)
---@field capability? string|string[] grant the container a capability beyond nspawn's default set, e.g. CAP_NET_ADMIN (repeatable; '' removes them)
---@field extra_veth? string|string[] a second veth pair NAME (host side and container side both named NAME), with KEY one of NixOS's extraVeths options hostAddress, localAddress, hostAddress6, localAddress6 (with an optional /prefix) or hostBridge, e.g. ve2,hostAddress=10.9.0.1,localAddress=10.9.0.2 (repeatable; '' removes them; needs a private network)
---@field macvlan? string|string[] a macvlan on the host's interface IFACE, moved into the container as mv-IFACE (repeatable; '' removes them; needs a private network)

---@class nixcsh.EvalFlags
---@field expr? string evaluate this expression
---@field file? string evaluate this file
---@field strict? boolean evaluate deeply
---@field json? boolean print JSON

---@class nixcsh.RollbackFlags
---@field to? integer|string the generation to switch to (default: the previous one)

---@class nixcsh.StartFlags
---@field all_autostart? boolean start every AUTO_START=1 container instead of one

---@class nixcsh.UpdateFlags
---@field config? string new NixOS configuration text
---@field config_file? string a NixOS module that configuration.nix imports
---@field nixos_path? string accepted for compatibility; nixcsh evaluates configurations itself
---@field flake? string not supported: use --config or --config-file
---@field bind? string|string[] bind-mount a host directory or file read-write (repeatable; CONTAINER defaults to HOST; on update the binds given replace the old ones, '' removes them)
---@field bind_ro? string|string[] bind-mount a host directory or file read-only (repeatable, as --bind)
---@field private_users? string run the container in a user namespace: pick a free UID range, identity, or the range starting at host UID N (a multiple of 65536)
---@field memory? string memory limit of the whole container, swap included, e.g. 512M or 2G ('' removes it); a process that goes over it is killed inside
---@field cpus? string CPU time the container may use, in CPUs, e.g. 1.5 ('' removes the limit)
---@field tasks? integer|string most processes and threads the container may have at once ('' removes the limit)
---@field io_weight? integer|string block I/O weight, 1-10000 (default 100), as systemd's IOWeight ('' removes it)
---@field host_network? boolean share the host's network (no link, addresses or firewall of the container's own; NixOS's privateNetwork = false); --no-host-network gives it a private network again
---@field no_host_network? boolean turn --host-network off
---@field ephemeral? boolean boot from a throwaway copy of the root: nothing the container writes survives a stop (the generation is activated afresh at each start); --no-ephemeral turns it off
---@field no_ephemeral? boolean turn --ephemeral off
---@field tmpfs? string|string[] mount an empty tmpfs at PATH in the container (repeatable; on update the paths given replace the old ones, '' removes them)
---@field tun? boolean let the container make tunnel interfaces: /dev/net/tun and CAP_NET_ADMIN (--no-tun turns it off)
---@field no_tun? boolean turn --tun off
---@field device? string|string[] give the container the host's device node NODE, e.g. /dev/fuse (repeatable; '' removes them; with --private-users the node is nobody's inside, so its mode must let others use it, as udev's 0666)
---@field capability? string|string[] grant the container a capability beyond nspawn's default set, e.g. CAP_NET_ADMIN (repeatable; '' removes them)
---@field extra_veth? string|string[] a second veth pair NAME (host side and container side both named NAME), with KEY one of NixOS's extraVeths options hostAddress, localAddress, hostAddress6, localAddress6 (with an optional /prefix) or hostBridge, e.g. ve2,hostAddress=10.9.0.1,localAddress=10.9.0.2 (repeatable; '' removes them; needs a private network)
---@field macvlan? string|string[] a macvlan on the host's interface IFACE, moved into the container as mv-IFACE (repeatable; '' removes them; needs a private network)

---@class nixcsh
---@field args string[] the script's arguments
---@field env table<string, string> the environment
local nixcsh = {}

--- Print a bash, zsh or fish completion script
---@param shell? string
---@return true|nil result
---@return string? err why it failed
function nixcsh.completion(shell) end

--- Create a container from a NixOS configuration
---@param name? string the new container's name
---@param flags? nixcsh.CreateFlags flags, by their Lua names
---@return nixcsh.Created|nil result
---@return string? err why it failed
function nixcsh.create(name, flags) end

--- Terminate the container if it runs and remove it
---@param name string an existing container's name
---@return true|nil result
---@return string? err why it failed
function nixcsh.destroy(name) end

--- Evaluate a Nix expression or file (nix-instantiate --eval)
---@param ... string the words, as on the command line
---@return true|nil result
---@return string? err why it failed
function nixcsh.eval(...) end

--- Remove system generations no container uses
---@return string[]|nil result
---@return string? err why it failed
function nixcsh.gc() end

--- List the container's system generations
---@param name string an existing container's name
---@return nixcsh.Generation[]|nil result
---@return string? err why it failed
function nixcsh.generations(name) end

--- List the hosts of the cluster (with --cluster URL)
---@return nixcsh.Host[]|nil result
---@return string? err why it failed
function nixcsh.hosts() end

--- Show the container's settings, state and generation
---@param name string an existing container's name
---@return nixcsh.Info|nil result
---@return string? err why it failed
function nixcsh.info(name) end

--- List all containers
---@return string[]|nil result
---@return string? err why it failed
function nixcsh.list() end

--- List the NixOS options nixcsh implements
---@param prefix? string an option path, e.g. services.httpd.enable
---@return nixcsh.Listing[]|nil result
---@return string? err why it failed
function nixcsh.options(prefix) end

--- List plugins (name, version, events, state); 'plugins reload' rediscovers them
---@param reload? string
---@return true|nil result
---@return string? err why it failed
function nixcsh.plugins(reload) end

--- Stop and start the container
---@param name string an existing container's name
---@return true|nil result
---@return string? err why it failed
function nixcsh.restart(name) end

--- Switch the container back to an earlier generation
---@param name string an existing container's name
---@param flags? nixcsh.RollbackFlags flags, by their Lua names
---@return nixcsh.Updated|nil result
---@return string? err why it failed
function nixcsh.rollback(name, flags) end

--- Run a command in the container
---@param name string an existing container's name
---@param args string[]|string the command: an array of words, or a string run with sh -c
---@return nixcsh.RunResult|nil result
---@return string? err why it failed
function nixcsh.run(name, args) end

--- Print the evaluated configuration, or one option's value
---@param name string an existing container's name
---@param option? string an option path, e.g. services.httpd.enable
---@return any|nil result
---@return string? err why it failed
function nixcsh.show_config(name, option) end

--- Print the container's public ssh host key
---@param name string an existing container's name
---@return string|nil result
---@return string? err why it failed
function nixcsh.show_host_key(name) end

--- Print the container's IP address
---@param name string an existing container's name
---@return string|nil result
---@return string? err why it failed
function nixcsh.show_ip(name) end

--- Print the container's IP address
---@param name string an existing container's name
---@return string|nil result
---@return string? err why it failed
function nixcsh.ip(name) end

--- Boot the container; returns once it reached multi-user.target
---@param name? string an existing container's name
---@param flags? nixcsh.StartFlags flags, by their Lua names
---@return true|nil result
---@return string? err why it failed
function nixcsh.start(name, flags) end

--- Print up or down
---@param name string an existing container's name
---@return string|nil result
---@return string? err why it failed
function nixcsh.status(name) end

--- Power the container off cleanly
---@param name string an existing container's name
---@return true|nil result
---@return string? err why it failed
function nixcsh.stop(name) end

--- Kill the container at once
---@param name string an existing container's name
---@return true|nil result
---@return string? err why it failed
function nixcsh.terminate(name) end

--- Rebuild the container's system and switch a running container to it
---@param name string an existing container's name
---@param flags? nixcsh.UpdateFlags flags, by their Lua names
---@return nixcsh.Updated|nil result
---@return string? err why it failed
function nixcsh.update(name, flags) end

--- Not available from Lua: login needs the user's terminal (raises an error).
---@deprecated
function nixcsh.login(name) end

--- Not available from Lua: root-login needs the user's terminal (raises an error).
---@deprecated
function nixcsh.root_login(name) end

--- Wait until a TCP port of the container answers. Connects to the container's address (show_ip) again and again until the port accepts a connection or the timeout passes. An answer counts only while the container is up, so a container that is still starting (in another nixcsh.parallel branch) may be waited on.
---@param name string a container name, or an IP address
---@param port integer the TCP port
---@param timeout_s? number seconds to keep trying (default 30)
---@return true|nil r1
---@return string? r2 why it did not answer
function nixcsh.wait_port(name, port, timeout_s) end

--- Run functions concurrently and collect their results. A function fails when it raises an error or returns nil, message. All functions run to the end even when some fail.
---@param ... fun(): any functions (or one table of functions)
---@return table|nil r1 the first result of each function, by position
---@return string? r2 a summary of the failures
---@return table? r3 position -> message, for each failed function
function nixcsh.parallel(...) end

--- Call fn for every item concurrently. As parallel, for one function over a list; results and errors are keyed by item.
---@param list any[] the items (usually container names)
---@param fn fun(item: any, i: integer): any called once per item
---@param options? {parallel?: integer} at most `parallel` calls at a time (default: all at once)
---@return table|nil r1 item -> the first result of fn
---@return string? r2 a summary of the failures
---@return table? r3 item -> message, for each failed item
function nixcsh.each(list, fn, options) end

--- Register a Lua hook for a lifecycle event. The hook sees the same events plugins get, from every verb of this session (and of the REPL). A pre-* hook may return false, "reason" (or raise) to refuse the verb, which then fails with "lua hook: reason" and changes nothing; a post-* hook's error is a warning.
---@param event nixcsh.Event a lifecycle event, e.g. "pre-start"
---@param fn fun(ev: nixcsh.HookEvent): (boolean|nil, string?) called on every such event
function nixcsh.on(event, fn) end

--- Print a timestamped line on stderr
---@param ... any values, joined by tabs
function nixcsh.log(...) end

--- Wait; Ctrl-C (or SIGINT to nixcsh FILE.lua) interrupts it. Inside parallel/each only the calling function waits.
---@param seconds number
function nixcsh.sleep(seconds) end

--- The cluster forms of the verbs (docs/cluster.md). Each function takes the arguments and flags of the verb of the same name, as with `nixcsh --cluster URL VERB`; create also takes host, label, memory and restart_elsewhere. Failures return nil, message.
---@param url string the cluster's etcd members, URL[,URL...]
---@param options? {etcd_cert?: string, etcd_key?: string, etcd_ca?: string, insecure?: boolean} TLS files; insecure allows plain http:// off this host
---@return table r1 create, update, start, stop, destroy, list, status, show_ip and hosts acting on the cluster
function nixcsh.cluster(url, options) end

return nixcsh
