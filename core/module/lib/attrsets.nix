# lib.attrsets beyond lib.nix.
self:
let
  b = builtins;
  inherit (self) nameValuePair mapAttrsToList;
in
{
  mergeAttrsList = list: b.foldl' (acc: x: acc // x) { } list;
  overrideExisting = old: new: b.mapAttrs (name: value: new.${name} or value) old;
  foldlAttrs = f: init: set: b.foldl' (acc: name: f acc name set.${name}) init (b.attrNames set);
  mapAttrsFlatten = mapAttrsToList;
  attrVals = nameList: set: b.map (x: set.${x}) nameList;
  zipAttrsWithNames = names: f: sets:
    b.listToAttrs (b.map (name: nameValuePair name (f name (b.catAttrs name sets))) names);
  genAttrs' = xs: f: b.listToAttrs (b.map f xs);
  recurseIntoAttrs = attrs: attrs // { recurseForDerivations = true; };
  dontRecurseIntoAttrs = attrs: attrs // { recurseForDerivations = false; };
  unionOfDisjoint = x: y:
    let common = b.intersectAttrs x y; in
    if common == { } then x // y
    else throw "unionOfDisjoint: collision on ${b.concatStringsSep ", " (b.attrNames common)}";
  matchAttrs = pattern: attrs:
    assert b.isAttrs pattern;
    b.all (name:
      let pat = pattern.${name}; in
      attrs ? ${name} && (if b.isAttrs pat then b.isAttrs attrs.${name} && self.matchAttrs pat attrs.${name} else pat == attrs.${name}))
      (b.attrNames pattern);
  longestValidPathPrefix = attrPath: v:
    let
      n = b.length attrPath;
      go = i: set:
        if i >= n || !b.isAttrs set then i
        else let name = b.elemAt attrPath i; in
          if set ? ${name} then go (i + 1) set.${name} else i;
    in self.take (go 0 v) attrPath;
  mapAttrsToListRecursiveCond = pred: f: set:
    let
      go = path: s: b.concatLists (mapAttrsToList (name: value:
        let p = path ++ [ name ]; in
        if b.isAttrs value && pred p value then go p value else [ (f p value) ]) s);
    in go [ ] set;
  mapAttrsToListRecursive = self.mapAttrsToListRecursiveCond (_: _: true);
  # Each update's path is applied after the updates below it, in list order.
  updateManyAttrsByPath = updates: value:
    let
      go = prefixLen: value: updates:
        let
          split = b.partition (u: b.length u.path == prefixLen) updates;
          deeper = split.wrong;
          here = split.right;
          afterDeeper =
            if deeper == [ ] then value
            else if !(b.isAttrs value) && value != null then
              throw "updateManyAttrsByPath: path '${self.showAttrPath (b.head deeper).path}' does not match: the value at '${self.showAttrPath (self.take prefixLen (b.head deeper).path)}' is not an attribute set"
            else
              let byName = b.groupBy (u: b.elemAt u.path prefixLen) deeper; in
              let set = if value == null then { } else value; in
              set // b.mapAttrs (name: us: go (prefixLen + 1) (set.${name} or null) us) byName;
          # Lazily: an update that ignores its argument leaves earlier ones unevaluated.
          applyAll = v: us: if us == [ ] then v else applyAll ((b.head us).update v) (b.tail us);
        in applyAll afterDeeper here;
    in go 0 value updates;
  chooseDevOutputs = b.map self.getDev;
  isDerivation = value: (value.type or null) == "derivation";
  toDerivation = path: { type = "derivation"; name = b.baseNameOf (toString path); outPath = path; outputs = [ "out" ]; };
  lazyDerivation = { derivation, meta ? null, passthru ? { }, outputs ? [ "out" ] }:
    {
      type = "derivation";
      outPath = derivation.outPath;
      drvPath = derivation.drvPath;
      name = derivation.name;
      system = derivation.system;
      outputName = derivation.outputName;
      out = derivation.out;
      inherit outputs;
      meta = if meta == null then derivation.meta or { } else meta;
    } // passthru;
}
