# lib.options and lib.modules beyond lib.nix: package options, and the
# modules that rename, remove, alias or change options (imports = [
# (lib.mkRenamedOptionModule [ "a" "b" ] [ "c" "d" ]) ]), made of the module
# system's own pieces: an option declared at the old path whose value is
# defined at the new one.
self:
let
  b = builtins;
  inherit (self) mkOption types setAttrByPath getAttrFromPath mkIf mkMerge
    optional concatStringsSep;

  # Placeholders (<name>, *) stay bare; other names are quoted when needed.
  showOption = path: concatStringsSep "." (b.map (p: if self.isIdentifier p || p == "*" || b.match "<.*>" p != null then p else b.toJSON p) path);

  # The module behind mkRenamedOptionModule and mkAliasOptionModule: the
  # definitions at the old path (with their priority) are definitions of the
  # new one, and reading the old path gives the new option's value.
  doRename = { from, to, visible ? false, warn ? true, use ? (x: x), withPriority ? true, ... }:
    { config, options, ... }:
    let
      fromOpt = getAttrFromPath from options;
      defs = if withPriority then b.map (self.mkOverride fromOpt.highestPrio) fromOpt.definitions else fromOpt.definitions;
    in
    {
      options = setAttrByPath from (mkOption {
        type = types.anything;
        inherit visible;
        description = "Alias of {option}`${showOption to}`.";
        apply = x: use (self.attrByPath to (throw "Renaming error: option `${showOption to}' does not exist.") config);
      });
      config = mkMerge [
        (mkIf (warn && fromOpt.isDefined) {
          warnings = [ "The option `${showOption from}' defined in ${self.showFiles fromOpt.files} has been renamed to `${showOption to}'." ];
        })
        (setAttrByPath to (mkIf fromOpt.isDefined (mkMerge defs)))
      ];
    };

  mkMergedOptionModule = from: to: mergeFn:
    { config, options, ... }:
    let
      unset = "_mkMergedOptionModule";
      isSet = path: getAttrFromPath path config != unset;
    in
    {
      options = b.foldl' (acc: path: self.recursiveUpdate acc (setAttrByPath path (mkOption {
        type = types.anything;
        visible = false;
        default = unset;
      }))) { } from;
      config = mkMerge [
        {
          warnings = b.map (path: "The option `${showOption path}' defined in ${self.showFiles (getAttrFromPath path options).files} has been changed to `${showOption to}' that has a different type. Please read `${showOption to}' documentation and update your configuration accordingly.")
            (b.filter isSet from);
        }
        (setAttrByPath to (mkMerge (optional (b.any isSet from) (mergeFn config))))
      ];
    };
in
{
  inherit showOption doRename mkMergedOptionModule;
  showFiles = files: concatStringsSep " and " (b.map (f: "`${toString f}'") files);
  showDefs = defs: concatStringsSep "\n" (b.map (d: "- In `${d.file}': ${self.generators.toPretty { } d.value}") defs);
  showAttrPath = path: if path == [ ] then "<root attribute path>" else concatStringsSep "." (b.map self.escapeNixIdentifier path);

  mkPackageOption = pkgs: name:
    { nullable ? false, default ? name, example ? null, extraDescription ? "", pkgsText ? "pkgs" }:
    let
      namePath = if b.isList name then name else [ name ];
      defaultPath = if b.isList default then default else [ default ];
      # Read through pkgs itself, so a missing name gets pkgs' own message.
      fromPkgs = path: b.foldl' (set: n: set.${n}) pkgs path;
    in mkOption ({
      type = if nullable then types.nullOr types.package else types.package;
      description = "The ${concatStringsSep "." namePath} package to use." + (if extraDescription == "" then "" else " " + extraDescription);
      default = if default == null then null else fromPkgs defaultPath;
      defaultText = self.literalExpression "${pkgsText}.${concatStringsSep "." defaultPath}";
    } // (if example == null then { } else {
      example = if b.isString example || b.isList example
        then self.literalExpression "${pkgsText}.${concatStringsSep "." (self.toList example)}" else example;
    }));
  mkPackageOptionMD = self.mkPackageOption;

  mkRenamedOptionModule = from: to: doRename { inherit from to; };
  mkRenamedOptionModuleWith = { sinceRelease, from, to }: doRename { inherit from to; warn = self.isInOldestRelease sinceRelease; };
  mkAliasOptionModule = from: to: doRename { inherit from to; visible = true; warn = false; };
  mkAliasOptionModuleMD = self.mkAliasOptionModule;
  mkChangedOptionModule = from: to: changeFn: mkMergedOptionModule [ from ] to changeFn;
  mkRemovedOptionModule = optionName: replacementInstructions:
    { options, ... }:
    {
      options = setAttrByPath optionName (mkOption {
        type = types.anything;
        visible = false;
        apply = x: throw "The option `${showOption optionName}' can no longer be used since it's been removed. ${replacementInstructions}";
      });
      config.assertions = let opt = getAttrFromPath optionName options; in [{
        assertion = !opt.isDefined;
        message = "The option definition `${showOption optionName}' in ${self.showFiles opt.files} no longer has any effect; please remove it.\n${replacementInstructions}";
      }];
    };
  mkAliasDefinitions = self.mkAliasAndWrapDefinitions (x: x);
  mkAliasAndWrapDefinitions = wrap: option: mkIf option.isDefined (wrap (mkMerge option.definitions));
  mkAliasIfDef = option: mkIf (option.isDefined or false);
  mkDerivedConfig = opt: f: f opt.value;

  mergeDefaultOption = loc: defs:
    let list = b.map (d: d.value) defs; in
    if b.length list == 1 then b.head list
    else if b.all b.isFunction list then x: self.mergeDefaultOption loc (b.map (f: f x) list)
    else if b.all b.isList list then b.concatLists list
    else if b.all b.isAttrs list then b.foldl' self.mergeAttrs { } list
    else if b.all b.isBool list then b.any (x: x) list
    else if b.all b.isString list then b.concatStringsSep "" list
    else if b.all b.isInt list && b.all (x: x == b.head list) list then b.head list
    else throw "Cannot merge definitions of `${showOption loc}'.";
  mergeOneOption = loc: defs:
    if defs == [ ] then abort "This case should never happen."
    else if b.length defs != 1 then throw "The unique option `${showOption loc}' is defined multiple times."
    else (b.head defs).value;
  mergeEqualOption = loc: defs:
    if defs == [ ] then abort "This case should never happen."
    else (b.foldl' (first: def:
      if def.value != first.value then throw "The option `${showOption loc}' has conflicting definition values."
      else first) (b.head defs) (b.tail defs)).value;
  getValues = b.map (x: x.value);
  getFiles = b.map (x: x.file);
}
