# nixcsh's `lib`: the part of nixpkgs' lib that NixOS configurations use.
# This file is its core; lib/*.nix add the rest, one namespace a file, and
# override names defined here (lib.go joins them).
# The module system (Go) reads the `_type` attributes made here: "override",
# "if", "merge", "order" (properties), "option" (declarations) and
# "option-type" (types).
let
  b = builtins;

  mkType = name: attrs: { _type = "option-type"; inherit name; } // attrs;

  between = lo: hi: mkType "between" { min = lo; max = hi; };

  lib = rec {
    # --- the module system -------------------------------------------------
    mkOverride = priority: content: { _type = "override"; inherit priority content; };
    mkOptionDefault = mkOverride 1500;
    mkDefault = mkOverride 1000;
    mkImageMediaOverride = mkOverride 60;
    mkForce = mkOverride 50;
    mkVMOverride = mkOverride 10;
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    mkOrder = priority: content: { _type = "order"; inherit priority content; };
    mkBefore = mkOrder 500;
    mkAfter = mkOrder 1500;
    defaultOrderPriority = 1000;
    defaultOverridePriority = 100;

    mkOption = attrs: attrs // { _type = "option"; };
    mkEnableOption = name: mkOption {
      default = false;
      example = true;
      description = "Whether to enable ${name}.";
      type = types.bool;
    };
    mkSinkUndeclaredOptions = attrs: mkOption ({ type = types.anything; default = null; } // attrs);
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    literalExample = literalExpression;
    literalMD = text: { _type = "literalMD"; inherit text; };
    mdDoc = x: x;
    isOption = x: (x._type or "") == "option";
    isType = t: x: (x._type or "") == t;

    types = rec {
      bool = mkType "bool" { };
      int = mkType "int" { };
      float = mkType "float" { };
      number = mkType "number" { };
      str = mkType "str" { };
      string = str;
      singleLineStr = mkType "singleLineStr" { };
      nonEmptyStr = mkType "nonEmptyStr" { };
      separatedString = sep: mkType "separatedString" { inherit sep; };
      lines = separatedString "\n";
      commas = separatedString ",";
      envVar = separatedString ":";
      path = mkType "path" { };
      pathInStore = path;
      package = mkType "package" { };
      shellPackage = package;
      anything = mkType "anything" { };
      unspecified = mkType "unspecified" { };
      raw = mkType "raw" { };
      attrs = mkType "attrs" { };
      port = mkType "port" { };
      ints = {
        inherit between;
        unsigned = mkType "unsigned" { };
        positive = mkType "positive" { };
        u8 = between 0 255 // { description = "8 bit unsigned integer; between 0 and 255 (both inclusive)"; };
        u16 = port;
        u32 = between 0 4294967295 // { description = "32 bit unsigned integer; between 0 and 4294967295 (both inclusive)"; };
        s8 = between (-128) 127;
        s16 = between (-32768) 32767;
        s32 = between (-2147483648) 2147483647;
        s64 = int;
        u64 = mkType "unsigned" { };
      };
      listOf = elemType: mkType "listOf" { inherit elemType; };
      nonEmptyListOf = elemType: mkType "listOf" { inherit elemType; nonEmpty = true; };
      attrsOf = elemType: mkType "attrsOf" { inherit elemType; };
      lazyAttrsOf = elemType: mkType "attrsOf" { inherit elemType; };
      nullOr = elemType: mkType "nullOr" { inherit elemType; };
      uniq = elemType: mkType "uniq" { inherit elemType; };
      unique = { message ? "" }: elemType: mkType "uniq" { inherit elemType; };
      functionTo = elemType: mkType "functionTo" { inherit elemType; };
      either = a: c: mkType "either" { alts = [ a c ]; };
      oneOf = ts: mkType "oneOf" { alts = ts; };
      enum = values: mkType "enum" { inherit values; };
      strMatching = pattern: mkType "strMatching" { inherit pattern; };
      submodule = module: mkType "submodule" { modules = if b.isList module then module else [ module ]; };
      submoduleWith = { modules, specialArgs ? { }, shorthandOnlyDefinesConfig ? false, ... }:
        mkType "submodule" { inherit modules specialArgs shorthandOnlyDefinesConfig; };
      deferredModule = mkType "unspecified" { };
      passwdEntry = t: t;
      coercedTo = from: coerce: to: mkType "coercedTo" { inherit from coerce to; };
      mkOptionType = { name, description ? null, check ? (x: true), merge ? null, ... }@t:
        mkType "custom" ({ typeName = name; inherit check merge; } // (if description == null then { description = name; } else { inherit description; }));
      addCheck = t: check: t // { extraCheck = check; };
      numbers = {
        between = lo: hi: addCheck number (x: x >= lo && x <= hi) // {
          description = "integer or floating point number between ${toString lo} and ${toString hi} (both inclusive)";
        };
        nonnegative = addCheck number (x: x >= 0) // { description = "non-negative integer or floating point number, meaning >=0"; };
        positive = addCheck number (x: x > 0) // { description = "positive integer or floating point number, meaning >0"; };
      };
      attrsWith = { elemType, lazy ? false, ... }: attrsOf elemType;
      pathWith = { ... }: path;
      inherit isType;
      isOptionType = isType "option-type";
    };

    # --- trivial ---------------------------------------------------------------
    id = x: x;
    const = x: _: x;
    flip = f: a: c: f c a;
    pipe = b.foldl' (x: f: f x);
    fix = f: let x = f x; in x;
    inherit (b) isList isAttrs isString isInt isBool isFloat isPath typeOf
      trace seq deepSeq tryEval toJSON fromJSON readFile pathExists toString
      length head tail elem elemAt filter map concatLists concatMap genList
      attrNames attrValues hasAttr getAttr listToAttrs mapAttrs removeAttrs intersectAttrs
      catAttrs zipAttrsWith foldl' sort replaceStrings substring stringLength split match
      baseNameOf dirOf any all partition groupBy;
    warn = msg: v: b.trace "warning: ${msg}" v;
    warnIf = c: msg: if c then warn msg else x: x;
    throwIf = c: msg: if c then throw msg else x: x;
    throwIfNot = c: msg: if c then x: x else throw msg;
    assertMsg = pred: msg: pred || throw msg;
    boolToString = x: if x then "true" else "false";
    versionAtLeast = v1: v2: b.compareVersions v1 v2 >= 0;
    versionOlder = v1: v2: b.compareVersions v2 v1 > 0;
    mod = base: int: base - (int * (base / int));
    min = x: y: if x < y then x else y;
    max = x: y: if x > y then x else y;
    isDerivation = x: (x.type or null) == "derivation";
    getName = x: x.pname or x.name or x;

    # --- lists -----------------------------------------------------------------
    optional = cond: elem: if cond then [ elem ] else [ ];
    optionals = cond: elems: if cond then elems else [ ];
    toList = x: if b.isList x then x else [ x ];
    singleton = x: [ x ];
    foldl = op: nul: list: b.foldl' op nul list;
    foldr = op: nul: list:
      let len = b.length list;
          go = n: if n == len then nul else op (b.elemAt list n) (go (n + 1));
      in go 0;
    fold = foldr;
    forEach = xs: f: b.map f xs;
    imap0 = f: list: b.genList (n: f n (b.elemAt list n)) (b.length list);
    imap1 = f: list: b.genList (n: f (n + 1) (b.elemAt list n)) (b.length list);
    flatten = x: if b.isList x then b.concatMap flatten x else [ x ];
    remove = e: b.filter (x: x != e);
    count = pred: b.foldl' (c: x: if pred x then c + 1 else c) 0;
    take = n: list: b.genList (b.elemAt list) (min n (b.length list));
    drop = n: list: let len = b.length list; in if n >= len then [ ] else b.genList (i: b.elemAt list (i + n)) (len - n);
    sublist = start: n: list: take n (drop start list);
    range = first: last: if first > last then [ ] else b.genList (n: first + n) (last - first + 1);
    reverseList = xs: let l = b.length xs; in b.genList (n: b.elemAt xs (l - n - 1)) l;
    unique = b.foldl' (acc: e: if b.elem e acc then acc else acc ++ [ e ]) [ ];
    naturalSort = b.sort b.lessThan;
    zipListsWith = f: fst: snd: b.genList (n: f (b.elemAt fst n) (b.elemAt snd n)) (min (b.length fst) (b.length snd));
    zipLists = zipListsWith (fst: snd: { inherit fst snd; });
    subtractLists = e: b.filter (x: !(b.elem x e));
    intersectLists = e: b.filter (x: b.elem x e);
    mutuallyExclusive = a: c: b.length a == 0 || !(b.any (x: b.elem x c) a);
    concatMapAttrs = f: v: b.foldl' (acc: n: acc // (f n v.${n})) { } (b.attrNames v);

    # --- attribute sets ------------------------------------------------------
    nameValuePair = name: value: { inherit name value; };
    mapAttrs' = f: set: b.listToAttrs (b.map (attr: f attr set.${attr}) (b.attrNames set));
    mapAttrsToList = f: attrs: b.map (name: f name attrs.${name}) (b.attrNames attrs);
    attrsToList = mapAttrsToList nameValuePair;
    filterAttrs = pred: set: b.listToAttrs (b.concatMap (name: let v = set.${name}; in if pred name v then [ (nameValuePair name v) ] else [ ]) (b.attrNames set));
    genAttrs = names: f: b.listToAttrs (b.map (n: nameValuePair n (f n)) names);
    attrByPath = attrPath: default: e:
      if attrPath == [ ] then e
      else let attr = b.head attrPath; in
        if e ? ${attr} then attrByPath (b.tail attrPath) default e.${attr} else default;
    hasAttrByPath = attrPath: e:
      if attrPath == [ ] then true
      else let attr = b.head attrPath; in if e ? ${attr} then hasAttrByPath (b.tail attrPath) e.${attr} else false;
    getAttrFromPath = attrPath: set: attrByPath attrPath (throw "cannot find attribute '${concatStringsSep "." attrPath}'") set;
    setAttrByPath = attrPath: value:
      if attrPath == [ ] then value else { ${b.head attrPath} = setAttrByPath (b.tail attrPath) value; };
    recursiveUpdateUntil = pred: lhs: rhs:
      let f = attrPath: b.zipAttrsWith (n: values:
            let here = attrPath ++ [ n ]; in
            if b.length values == 1 || pred here (b.elemAt values 1) (b.head values)
            then b.head values
            else f here values);
      in f [ ] [ rhs lhs ];
    recursiveUpdate = recursiveUpdateUntil (path: lhs: rhs: !(b.isAttrs lhs && b.isAttrs rhs));
    mapAttrsRecursiveCond = cond: f: set:
      let recurse = path: mapAttrs (name: value:
            if b.isAttrs value && cond value then recurse (path ++ [ name ]) value else f (path ++ [ name ]) value);
      in recurse [ ] set;
    mapAttrsRecursive = mapAttrsRecursiveCond (as: true);
    collect = pred: attrs:
      if pred attrs then [ attrs ]
      else if b.isAttrs attrs then b.concatMap (collect pred) (b.attrValues attrs)
      else [ ];
    foldAttrs = op: nul: list_of_attrs:
      b.foldl' (acc: el: b.foldl' (a: n: a // { ${n} = op el.${n} (a.${n} or nul); }) acc (b.attrNames el)) { } (reverseList list_of_attrs);
    zipAttrs = b.zipAttrsWith (name: values: values);
    optionalAttrs = cond: as: if cond then as else { };
    getAttrs = names: attrs: genAttrs names (n: attrs.${n});
    filterAttrsRecursive = pred: set:
      b.listToAttrs (b.concatMap (name:
        let v = set.${name}; in
        if pred name v then [ (nameValuePair name (if b.isAttrs v then filterAttrsRecursive pred v else v)) ] else [ ])
        (b.attrNames set));

    # --- strings ---------------------------------------------------------------
    concatStrings = b.concatStringsSep "";
    concatStringsSep = b.concatStringsSep;
    concatMapStrings = f: list: concatStrings (b.map f list);
    concatMapStringsSep = sep: f: list: b.concatStringsSep sep (b.map f list);
    concatImapStrings = f: list: concatStrings (imap1 f list);
    concatImapStringsSep = sep: f: list: b.concatStringsSep sep (imap1 f list);
    concatLines = list: concatMapStrings (s: s + "\n") list;
    intersperse = separator: list:
      if list == [ ] || b.length list == 1 then list
      else b.tail (b.concatMap (x: [ separator x ]) list);
    optionalString = cond: string: if cond then string else "";
    hasPrefix = pref: str: b.substring 0 (b.stringLength pref) str == pref;
    hasSuffix = suffix: content:
      let lenContent = b.stringLength content; lenSuffix = b.stringLength suffix;
      in lenContent >= lenSuffix && b.substring (lenContent - lenSuffix) lenContent content == suffix;
    hasInfix = infix: content: b.match ".*${escapeRegex infix}.*" "${content}" != null;
    removePrefix = prefix: str:
      if hasPrefix prefix str then b.substring (b.stringLength prefix) (-1) str else str;
    removeSuffix = suffix: str:
      let sl = b.stringLength str; xl = b.stringLength suffix; in
      if hasSuffix suffix str then b.substring 0 (sl - xl) str else str;
    stringToCharacters = s: b.genList (p: b.substring p 1 s) (b.stringLength s);
    escapeRegex = s: b.replaceStrings (stringToCharacters "\\[{()^$?*+|.") (b.map (c: "\\" + c) (stringToCharacters "\\[{()^$?*+|.")) s;
    splitString = sep: s: b.filter b.isString (b.split (escapeRegex sep) (toString s));
    toLower = b.replaceStrings (stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ") (stringToCharacters "abcdefghijklmnopqrstuvwxyz");
    toUpper = b.replaceStrings (stringToCharacters "abcdefghijklmnopqrstuvwxyz") (stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    escape = list: b.replaceStrings list (b.map (c: "\\${c}") list);
    fixedWidthString = width: filler: str:
      let strw = b.stringLength str; in
      if strw >= width then str else fixedWidthString width filler (filler + str);
    fixedWidthNumber = width: n: fixedWidthString width "0" (toString n);
    trim = s: let m = b.match "[[:space:]]*(.*[^[:space:]])[[:space:]]*" s; in if m == null then "" else b.head m;
    makeSearchPath = subDir: paths: b.concatStringsSep ":" (b.map (p: "${toString p}/${subDir}") (b.filter (x: x != null) paths));
    makeBinPath = makeSearchPath "bin";
    makeLibraryPath = makeSearchPath "lib";
    fileContents = file: removeSuffix "\n" (b.readFile file);
    isStringLike = x: b.isString x || b.isPath x || x ? outPath || x ? __toString;
  };
in lib
