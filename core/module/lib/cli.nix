# lib.cli: command lines from attribute sets ({ retry = 3; verbose = true; }
# -> [ "--retry" "3" "--verbose" ]).
self:
let
  b = builtins;
  toGNUCommandLine =
    { mkOptionName ? (k: if b.stringLength k == 1 then "-${k}" else "--${k}")
    , mkBool ? (k: v: self.optional v (mkOptionName k))
    , mkList ? (k: v: b.concatMap (mkOption k) v)
    , mkOption ? (k: v:
        if v == null then [ ]
        else if optionValueSeparator == null then [ (mkOptionName k) (self.generators.mkValueStringDefault { } v) ]
        else [ "${mkOptionName k}${optionValueSeparator}${self.generators.mkValueStringDefault { } v}" ])
    , optionValueSeparator ? null
    }:
    options:
    let render = k: v: if b.isBool v then mkBool k v else if b.isList v then mkList k v else mkOption k v;
    in b.concatLists (self.mapAttrsToList render options);
in
{
  cli = {
    inherit toGNUCommandLine;
    toGNUCommandLineShell = options: attrs: self.escapeShellArgs (toGNUCommandLine options attrs);
  };
}
