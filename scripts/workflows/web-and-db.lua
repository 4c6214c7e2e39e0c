-- web-and-db.lua: a web server and a database-like backend, wired by address.
--
--   nixcsh scripts/workflows/web-and-db.lua [WEB] [DB] [--cleanup] [--create-only]
--          [--web-address HOST,LOCAL] [--db-address HOST,LOCAL]
--
-- DB runs a small record store: a systemd service answering HTTP on port 7000
-- with the records of /etc/records/data. WEB runs Apache; its configuration
-- gets DB's address (in /etc/records/backend) and a service that copies the
-- records from DB into Apache's document root every few seconds. The script
-- checks, from inside WEB, that http://127.0.0.1/records.txt serves DB's
-- records, and prints where to look. With --cleanup it destroys both
-- containers at the end, whatever happened. With --create-only it creates
-- (and builds) both, wired, and stops there: start them later.
-- --web-address and --db-address give a container its host-side and its own
-- address (create's --host-address and --local-address); without them create
-- picks free ones.
--
-- WEB reaches DB through this host: nixcsh switches forwarding on for the
-- containers' links while they run. Needs perl (Debian's perl-base), curl and
-- apache2 on the host: containers run the host's /usr.
local n = require("nixcsh")

local usage = "usage: web-and-db.lua [WEB] [DB] [--cleanup] [--create-only] [--web-address HOST,LOCAL] [--db-address HOST,LOCAL]"
local web, db, cleanup, create_only = "web", "db", false, false
local addresses = {}
local positional = {}
local i = 1
while i <= #n.args do
  local a = n.args[i]
  if a == "--cleanup" then cleanup = true
  elseif a == "--create-only" then create_only = true
  elseif a == "--web-address" or a == "--db-address" then
    i = i + 1
    local host, loc = (n.args[i] or ""):match("^([^,]+),([^,]+)$")
    if not host then error(a .. " takes HOST,LOCAL (two addresses); " .. usage, 0) end
    addresses[a:match("^%-%-(%a+)")] = {host_address = host, local_address = loc}
  elseif a:sub(1, 2) == "--" then
    error("unknown option " .. a .. "; " .. usage, 0)
  else positional[#positional + 1] = a end
  i = i + 1
end
web, db = positional[1] or web, positional[2] or db
local BACKEND_PORT = 7000

-- create's flags for a container: its configuration and, if given, addresses.
local function create_flags(which, config)
  local flags = {config = config, ensure_unique_name = true}
  for k, v in pairs(addresses[which] or {}) do flags[k] = v end
  return flags
end

-- The backend: a record store served over HTTP by a perl one-file server.
local db_config = [==[
  environment.etc."records/data".text = ''
    alice  42  engineering
    bob    17  operations
    carol  23  research
  '';
  systemd.services.records = {
    description = "record store on port 7000";
    wantedBy = [ "multi-user.target" ];
    script = ''
      exec /usr/bin/perl -MIO::Socket::INET -e '
        my $srv = IO::Socket::INET->new(LocalPort => 7000, Listen => 16, ReuseAddr => 1)
          or die "records: cannot listen on port 7000: $!\n";
        while (my $c = $srv->accept) {
          while (my $line = <$c>) { last if $line =~ /^\r?\n$/ }
          my $body = "";
          if (open(my $f, "<", "/etc/records/data")) { local $/; $body = <$f>; close $f }
          print $c "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " . length($body) . "\r\n\r\n" . $body;
          close $c;
        }'
    '';
  };
  networking.firewall.allowedTCPPorts = [ 7000 ];
]==]

-- The web server: Apache, plus a service that fetches the records from the
-- backend whose address the configuration was given.
local function web_config(backend_ip)
  return string.format([==[
  services.httpd.enable = true;
  services.httpd.adminAddr = "webmaster@example.org";
  services.httpd.documentRoot = "/var/lib/www";
  systemd.tmpfiles.rules = [ "d /var/lib/www 0755 root root -" ];
  networking.firewall.allowedTCPPorts = [ 80 ];
  environment.etc."records/backend".text = "http://%s:%d/";
  systemd.services.records-sync = {
    description = "copy the backend's records into the web root";
    wantedBy = [ "multi-user.target" ];
    script = ''
      mkdir -p /var/lib/www
      url=$(cat /etc/records/backend)
      while true; do
        if /usr/bin/curl -sf --max-time 5 "$url" -o /var/lib/www/records.txt.new; then
          mv /var/lib/www/records.txt.new /var/lib/www/records.txt
        fi
        sleep 2
      done
    '';
  };
]==], backend_ip, BACKEND_PORT)
end

local made = {}
local function finish(ok, msg)
  if cleanup then
    for _, name in ipairs(made) do
      local gone, err = n.destroy(name)
      if not gone then n.log("could not destroy " .. name .. ": " .. err) end
    end
  end
  if not ok then error(msg, 0) end
end

-- Create both (ensure_unique_name: never touch a container that exists).
local c_db, err = n.create(db, create_flags("db", db_config))
if not c_db then finish(false, "creating the backend: " .. err) end
made[#made + 1] = c_db.name
local c_web
c_web, err = n.create(web, create_flags("web", web_config(c_db.localAddress)))
if not c_web then finish(false, "creating the web server: " .. err) end
made[#made + 1] = c_web.name
db, web = c_db.name, c_web.name
n.log(string.format("created %s (%s) and %s (%s)", db, c_db.localAddress, web, c_web.localAddress))
if create_only then
  print(string.format("%s (%s) serves records on port %d; %s (%s) fetches them from it. Start them with:",
    db, c_db.localAddress, BACKEND_PORT, web, c_web.localAddress))
  print(string.format("  nixcsh start %s && nixcsh start %s", db, web))
  finish(true)
  return
end

-- Boot both at once; each is ready when its service answers.
local ok, msg = n.parallel(
  function() assert(n.start(db)); return n.wait_port(db, BACKEND_PORT, 60) end,
  function() assert(n.start(web)); return n.wait_port(web, 80, 60) end)
if not ok then finish(false, "starting the containers: " .. msg) end
n.log("both are up; waiting for " .. web .. " to fetch the records from " .. db)

-- The check: the web server serves what the backend holds.
local served
for _ = 1, 30 do
  local r = n.run(web, {"/usr/bin/curl", "-sf", "http://127.0.0.1/records.txt"})
  if r and r.code == 0 and r.stdout:find("alice", 1, true) then
    served = r.stdout
    break
  end
  n.sleep(1)
end
if not served then
  local url = string.format("http://%s:%d/", c_db.localAddress, BACKEND_PORT)
  local direct = n.run(web, {"/usr/bin/curl", "-sS", "--max-time", "5", url})
  local why = (direct and direct.code == 0) and "it reaches the backend, so see: nixcsh run " .. web ..
    " -- systemctl status records-sync" or string.format("it cannot reach the backend at %s (%s); " ..
    "is forwarding on for the containers' links (sysctl net.ipv4.conf.all.forwarding)?", url,
    direct and (direct.stderr:gsub("%s+$", "")) or "nixcsh.run failed")
  finish(false, string.format("%s does not serve the records of %s at http://127.0.0.1/records.txt: %s", web, db, why))
end

print(string.format("%s serves http://%s/records.txt with the records of %s (%s:%d):",
  web, c_web.localAddress, db, c_db.localAddress, BACKEND_PORT))
io.write(served)
finish(true)
