# lib.generators: configuration file formats from Nix values, as nixpkgs
# names and shapes them (toINI, toKeyValue, toGitINI, toPretty, ...).
self:
let
  b = builtins;
  inherit (self) escape concatStrings concatStringsSep mapAttrsToList
    isDerivation boolToString hasInfix splitString replaceStrings
    escapeNixIdentifier functionArgs last init;

  mkValueStringDefault = { }: v:
    let err = t: throw "generators.mkValueStringDefault: ${t} not supported: ${toPretty { } v}"; in
    if b.isInt v then toString v
    else if isDerivation v || (b.isAttrs v && v ? outPath) then toString v
    else if b.isString v then v
    else if true == v then "true"
    else if false == v then "false"
    else if null == v then "null"
    else if b.isFloat v then toString v
    else if b.isPath v then toString v
    else if b.isList v then err "lists"
    else if b.isAttrs v then err "attrsets"
    else if b.isFunction v then err "functions"
    else err "this value is";

  mkKeyValueDefault = { mkValueString ? mkValueStringDefault { } }: sep: k: v:
    "${escape [ sep ] k}${sep}${mkValueString v}";

  toKeyValue = { mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false, indent ? "" }:
    let
      line = k: v: "${indent}${mkKeyValue k v}\n";
      lines = k: v: if listsAsDuplicateKeys && b.isList v then b.map (line k) v else [ (line k v) ];
    in attrs: concatStrings (b.concatLists (mapAttrsToList lines attrs));

  toINI = { mkSectionName ? (name: escape [ "[" "]" ] name), mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }:
    attrsOfAttrs:
    let section = name: values:
      "[${mkSectionName name}]\n" + toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } values;
    in concatStringsSep "\n" (mapAttrsToList section attrsOfAttrs);

  toINIWithGlobalSection = { mkSectionName ? (name: escape [ "[" "]" ] name), mkKeyValue ? mkKeyValueDefault { } "=", listsAsDuplicateKeys ? false }:
    { globalSection, sections ? { } }:
    (if globalSection == { } then "" else toKeyValue { inherit mkKeyValue listsAsDuplicateKeys; } globalSection + "\n")
    + toINI { inherit mkSectionName mkKeyValue listsAsDuplicateKeys; } sections;

  # git-config(1): nested sets are subsections ([url "https://..."]), string
  # values are quoted, keys indented by a tab.
  toGitINI = attrs:
    let
      sectionName = name:
        let parts = splitString "." name; in
        if hasInfix "\"" name || b.length parts == 1 then name
        else ''${b.head parts} "${concatStringsSep "." (b.tail parts)}"'';
      gitValue = v:
        if b.isString v then ''"${replaceStrings [ "\\" "\"" "\n" "\t" ] [ "\\\\" "\\\"" "\\n" "\\t" ] v}"''
        else mkValueStringDefault { } v;
      isSection = v: b.isAttrs v && !isDerivation v;
      # { a.b.c = 1; } -> { "a.b" = { c = 1; }; }
      flatten = prefix: set:
        let
          here = self.filterAttrs (k: v: !isSection v) set;
          below = mapAttrsToList (k: v: flatten (prefix ++ [ k ]) v) (self.filterAttrs (k: v: isSection v) set);
        in b.foldl' (acc: x: acc // x) (if here == { } || prefix == [ ] then { } else { ${concatStringsSep "." prefix} = here; }) below;
    in toINI {
      mkSectionName = sectionName;
      mkKeyValue = k: v: "\t" + mkKeyValueDefault { mkValueString = gitValue; } " = " k v;
      listsAsDuplicateKeys = true;
    } (flatten [ ] attrs);

  toJSON = { }: b.toJSON;
  # YAML is a superset of JSON.
  toYAML = { }: b.toJSON;

  withRecursion = { depthLimit, throwOnDepthLimit ? true }:
    let
      special = [ "__functor" "__functionArgs" "__toString" "__pretty" ];
      cut = depth:
        if depthLimit != null && depth > depthLimit then
          (if throwOnDepthLimit then throw "Exceeded maximum eval-depth limit of ${toString depthLimit} while trying to evaluate with `generators.withRecursion'!" else _: "<unevaluated>")
        else x: x;
      go = depth: v:
        let next = x: go (depth + 1) (cut (depth + 1) x); in
        if b.isAttrs v then b.mapAttrs (n: x: if b.elem n special then x else next x) v
        else if b.isList v then b.map next v
        else cut (depth + 1) v;
    in go 0;

  toPretty = { allowPrettyValues ? false, multiline ? true, indent ? "" }:
    let
      inner = indent + "  ";
      nl = if multiline then "\n" + inner else " ";
      outro = if multiline then "\n" + indent else " ";
      sub = toPretty { inherit allowPrettyValues multiline; indent = inner; };
      showString = s:
        let
          lines = splitString "\n" (replaceStrings [ "''" "\${" ] [ "'''" "''\${" ] s);
          lastLine = last lines;
        in
        if multiline && b.length lines > 1 then
          "''" + "\n" + inner + concatStringsSep ("\n" + inner) (init lines)
          + (if lastLine == "" then "\n" + indent else "\n" + inner + lastLine) + "''"
        else "\"" + replaceStrings [ "\\" "\"" "\n" "\r" "\t" "\${" ] [ "\\\\" "\\\"" "\\n" "\\r" "\\t" "\\\${" ] s + "\"";
      showFunction = f:
        let args = functionArgs f; names = b.attrNames args; in
        if names == [ ] then "<function>"
        else "<function, args: {${concatStringsSep ", " (b.map (n: if args.${n} then n + "?" else n) names)}}>";
    in v:
    if b.isInt v then toString v
    else if b.isFloat v then b.toJSON v
    else if b.isString v then showString v
    else if true == v then "true"
    else if false == v then "false"
    else if null == v then "null"
    else if b.isPath v then toString v
    else if b.isList v then
      (if v == [ ] then "[ ]" else "[" + nl + concatStringsSep nl (b.map sub v) + outro + "]")
    else if b.isFunction v || (b.isAttrs v && v ? __functor) then showFunction v
    else if b.isAttrs v then
      (if allowPrettyValues && v ? __pretty && v ? val then v.__pretty v.val
       else if v == { } then "{ }"
       else if isDerivation v then "<derivation ${v.name or "???"}>"
       else "{" + nl + concatStringsSep nl (mapAttrsToList (n: x: "${escapeNixIdentifier n} = ${sub x};") v) + outro + "}")
    else abort "generators.toPretty: should never happen (v = ${v})";
in
{
  generators = {
    inherit mkValueStringDefault mkKeyValueDefault toKeyValue toINI
      toINIWithGlobalSection toGitINI toJSON toYAML toPretty withRecursion;
  };
}
