# Options whose subject a nixcsh container lacks (see inert.go): accepted,
# and one warning names those that were set.
{ options, lib, ... }:
let
  paths = [ "nix" "documentation" "console" "services.getty" "environment.defaultPackages" ];
  defined = p: (lib.attrByPath (lib.splitString "." p) { } options).isDefined or false;
  set = builtins.filter defined paths;
in
{
  config.warnings = lib.optional (set != [ ])
    "${lib.concatStringsSep ", " set} ignored: a nixcsh container has no Nix daemon, console, gettys or documentation of its own";
}
