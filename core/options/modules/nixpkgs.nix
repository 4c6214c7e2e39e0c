# nixpkgs.*: accepted for NixOS compatibility; nixcsh runs the host's
# packages, so one warning says that none of them has an effect.
{ options, lib, ... }:
let
  set = builtins.filter (n: options.nixpkgs.${n}.isDefined)
    [ "config" "pkgs" "overlays" "hostPlatform" "buildPlatform" "system" "localSystem" ];
in
{
  config.warnings = lib.optional (set != [ ])
    "${lib.concatMapStringsSep ", " (n: "nixpkgs.${n}") set} ignored: nixcsh uses the host's packages (its /usr); install Debian packages on the host instead";
}
