# lib.trivial and lib.fixedPoints: the release nixcsh's options follow,
# small combinators, integers in other bases, function arguments and
# extensible attribute sets.
self:
let
  b = builtins;
  release = "24.11";
  hexDigits = [ "0" "1" "2" "3" "4" "5" "6" "7" "8" "9" "A" "B" "C" "D" "E" "F" ];

  toBaseDigits = base: i:
    let go = i: if i < base then [ i ] else go (i / base) ++ [ (i - (i / base) * base) ]; in
    assert base >= 2; assert i >= 0; go i;

  functionArgs = f:
    if f ? __functor then f.__functionArgs or (functionArgs (f.__functor f))
    else b.functionArgs f;

  extends = overlay: f: final: let prev = f final; in prev // overlay final prev;
  composeExtensions = f: g: final: prev:
    let fApplied = f final prev; in fApplied // g final (prev // fApplied);
  makeExtensibleWithCustomName = extenderName: rattrs:
    self.fix (final: rattrs final // { ${extenderName} = f: makeExtensibleWithCustomName extenderName (extends f rattrs); });
in
{
  # NixOS's release numbering: nixcsh implements the options of this release.
  inherit release;
  version = release;
  versionSuffix = "";
  codeName = "Vicuna";
  oldestSupportedRelease = 2405;
  isInOldestRelease = r: r <= 2405;
  nixpkgsVersion = release;
  inPureEvalMode = false;
  inNixShell = false;

  inherit (b) splitVersion compareVersions readDir unsafeGetAttrPos;
  defaultPriority = 100;
  mkFixStrictness = x: x;
  # Package priorities for buildEnv-like collisions (meta.priority).
  setPrio = priority: drv: drv // { meta = (drv.meta or { }) // { inherit priority; }; };
  lowPrio = self.setPrio 10;
  hiPrio = self.setPrio (-10);

  importJSON = path: b.fromJSON (b.readFile path);
  importTOML = path: b.fromTOML (b.readFile path);

  and = x: y: x && y;
  or = x: y: x || y;
  xor = x: y: (!x) != (!y);
  inherit (b) bitAnd bitOr bitXor;
  bitNot = b.sub (-1);
  concat = x: y: x ++ y;
  mergeAttrs = x: y: x // y;
  mapNullable = f: a: if a == null then a else f a;
  defaultTo = default: maybeValue: if maybeValue != null then maybeValue else default;
  showWarnings = warnings: res: self.foldr (w: x: self.warn w x) res warnings;
  info = msg: b.trace "INFO: ${msg}";
  lessThan = b.lessThan;
  compare = a: c: if a < c then -1 else if a > c then 1 else 0;
  splitByAndCompare = p: yes: no: a: c:
    if p a then (if p c then yes a c else -1) else if p c then 1 else no a c;

  inherit toBaseDigits;
  toHexString = i: b.concatStringsSep "" (b.map (d: b.elemAt hexDigits d) (toBaseDigits 16 i));
  fromHexString = s:
    let m = b.match "(0x)?([0-9a-fA-F]+)" s; in
    if m == null then throw "fromHexString: '${s}' is not a hexadecimal number"
    else (b.fromTOML "v = 0x${self.toLower (b.elemAt m 1)}").v;

  inherit functionArgs;
  setFunctionArgs = f: args: { __functor = _: f; __functionArgs = args; };
  isFunction = f: b.isFunction f || (f ? __functor && self.isFunction (f.__functor f));
  mirrorFunctionArgs = f: g: self.setFunctionArgs g (functionArgs f);
  toFunction = v: if self.isFunction v then v else _: v;

  inherit extends composeExtensions makeExtensibleWithCustomName;
  fix' = f: let x = f x // { __unfix__ = f; }; in x;
  converge = f: x: let x' = f x; in if x' == x then x else self.converge f x';
  composeManyExtensions = b.foldl' (acc: g: composeExtensions acc g) (final: prev: { });
  makeExtensible = makeExtensibleWithCustomName "extend";
  toExtension = f:
    if self.isFunction f then final: prev: let fPrev = f prev; in if self.isFunction fPrev then f final prev else fPrev
    else final: prev: f;

  # nixpkgs' callPackage machinery, reduced to what modules call: the
  # function's named arguments are taken from autoArgs, overridable.
  makeOverridable = f:
    let
      overridable = origArgs:
        let result = f origArgs; in
        if b.isAttrs result then result // {
          override = self.mirrorFunctionArgs f (newArgs: overridable (origArgs // (if self.isFunction newArgs then newArgs origArgs else newArgs)));
        } else result;
    in self.setFunctionArgs overridable (functionArgs f);
  callPackageWith = autoArgs: fn: args:
    let
      f = if self.isFunction fn then fn else import fn;
      fargs = functionArgs f;
    in self.makeOverridable f (b.intersectAttrs fargs autoArgs // args);
}
