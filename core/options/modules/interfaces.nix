# networking.interfaces and networking.defaultGateway: NixOS's
# network-addresses-IFACE and network-setup services, run inside the
# container with the host's ip(8). The container has one link, eth0, which
# the host configures before boot (LOCAL_ADDRESS); these add to it.
{ config, lib, ... }:
let
  cfg = config.networking;
  ifaces = builtins.attrValues cfg.interfaces;
  addrs = i: i.ipv4.addresses ++ i.ipv6.addresses;
  routes = i: i.ipv4.routes ++ i.ipv6.routes;
  configured = builtins.filter (i: addrs i != [ ] || routes i != [ ] || i.mtu != null) ifaces;
  # The interfaces a container has; addresses elsewhere cannot be honoured.
  known = n: n == "eth0" || n == "lo";
  cidr = a: "${a.address}/${toString a.prefixLength}";
  gateway = g: if builtins.isString g then { address = g; interface = null; metric = null; source = null; } else g;
  gateways = builtins.filter (g: g != null) [ cfg.defaultGateway cfg.defaultGateway6 ];
  routeCmd = family: g:
    let x = gateway g; in
    "ip ${family} route replace default via ${x.address}"
    + lib.optionalString (x.interface != null) " dev ${x.interface}"
    + lib.optionalString (x.metric != null) " metric ${toString x.metric}"
    + lib.optionalString (x.source != null) " src ${x.source}";
  # The addresses and routes a unit added are recorded (as NixOS does, in
  # /run/nixos/network/{addresses,routes}/IFACE) and only those are taken
  # away on stop or before a new start: an address already there (the
  # host's LOCAL_ADDRESS) stays, and an update that drops one removes it
  # even though the unit is restarted with its new definition.
  stateFile = kind: i: "/run/nixos/network/${kind}/${i.name}";
  # One line: it is also a unit's ExecStop. Routes go first (they may use
  # the addresses).
  forgetOne = kind: del: i: "if [ -f ${stateFile kind i} ]; then while read -r x; do ${del} || true; done < ${stateFile kind i}; rm -f ${stateFile kind i}; fi; ";
  forget = i: forgetOne "routes" "ip route del $x dev ${i.name}" i
    + forgetOne "addresses" "ip addr del \"$x\" dev ${i.name}" i + "\n";
  # A route as ip-route(8) names it: [TYPE] PREFIX [via NEXTHOP].
  routeSpec = r: lib.optionalString (r.type != null) "${r.type} " + cidr r
    + lib.optionalString (r.via != null) " via ${r.via}";
  addressService = i: lib.nameValuePair "network-addresses-${i.name}" {
    description = "Address configuration of ${i.name}";
    wantedBy = [ "network.target" "multi-user.target" ];
    before = [ "network.target" ];
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
      ExecStop = "/bin/sh -c ${lib.escapeShellArg (builtins.replaceStrings [ "$" "\n" ] [ "$$" "" ] (forget i))}";
    };
    script = forget i + ''
      mkdir -p /run/nixos/network/addresses /run/nixos/network/routes
    '' + lib.optionalString (i.mtu != null) ''
      ip link set dev ${i.name} mtu ${toString i.mtu}
    '' + lib.concatMapStrings (a: ''
      if ! ip -o addr show dev ${i.name} | grep -qF " ${cidr a} "; then
        ip addr add ${cidr a} dev ${i.name}
        echo ${cidr a} >> ${stateFile "addresses" i}
      fi
    '') (addrs i) + lib.concatMapStrings (r: ''
      ip route replace ${routeSpec r} dev ${i.name}${lib.concatStrings (lib.mapAttrsToList (k: v: " ${k} ${v}") r.options)}
      echo ${lib.escapeShellArg (routeSpec r)} >> ${stateFile "routes" i}
    '') (routes i);
  };
in
{
  config = {
    assertions =
      map (i: {
        assertion = known i.name;
        message = "networking.interfaces.${i.name}: a nixcsh container has only the interface eth0 (and lo), which links it to the host; set the addresses on networking.interfaces.eth0 instead";
      }) configured
      ++ map (g: {
        assertion = (gateway g).interface == null || known (gateway g).interface;
        message = "networking.defaultGateway: interface '${toString (gateway g).interface}' does not exist in a nixcsh container (it has eth0)";
      }) gateways;
    warnings = map (i: "networking.interfaces.${i.name}.useDHCP: nixcsh runs no DHCP client; the container's address comes from the host (LOCAL_ADDRESS) and networking.interfaces.${i.name}.ipv4.addresses")
      (builtins.filter (i: i.useDHCP == true) ifaces);
    systemd.services = builtins.listToAttrs (map addressService (builtins.filter (i: known i.name) configured))
      // lib.optionalAttrs (gateways != [ ]) {
        network-setup = {
          description = "Networking setup (default gateway)";
          wantedBy = [ "network.target" "multi-user.target" ];
          before = [ "network.target" ];
          after = map (i: "network-addresses-${i.name}.service") configured;
          serviceConfig = { Type = "oneshot"; RemainAfterExit = true; };
          script = lib.optionalString (cfg.defaultGateway != null) (routeCmd "-4" cfg.defaultGateway + "\n")
            + lib.optionalString (cfg.defaultGateway6 != null) (routeCmd "-6" cfg.defaultGateway6 + "\n");
        };
      };
  };
}
