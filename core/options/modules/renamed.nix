# Options NixOS renamed, which configurations written for older releases
# still set: each is forwarded to its new name with NixOS's own warning
# (lib.mkRenamedOptionModule), as NixOS's modules do.
{ lib, ... }:
let
  sshd = old: new: lib.mkRenamedOptionModule [ "services" "openssh" old ] [ "services" "openssh" "settings" new ];
in
{
  imports = [
    (sshd "passwordAuthentication" "PasswordAuthentication")
    (sshd "permitRootLogin" "PermitRootLogin")
    (sshd "kbdInteractiveAuthentication" "KbdInteractiveAuthentication")
    (sshd "forwardX11" "X11Forwarding")
    (sshd "logLevel" "LogLevel")
    (sshd "useDns" "UseDns")
    (lib.mkRenamedOptionModule [ "services" "openssh" "challengeResponseAuthentication" ] [ "services" "openssh" "kbdInteractiveAuthentication" ])
  ];
}
