# lib.strings beyond lib.nix: escaping for other languages, case, version
# strings, edit distance, and the configure/CMake/Meson flag helpers.
self:
let
  b = builtins;
  inherit (self) stringToCharacters concatStrings concatStringsSep concatMapStrings
    escapeShellArg hasPrefix substring toLower toUpper;
  lower = "abcdefghijklmnopqrstuvwxyz";
  upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

  isIdentifier = s: b.match "[a-zA-Z_][a-zA-Z0-9_'-]*" s != null
    && !(b.elem s [ "assert" "else" "if" "in" "inherit" "let" "or" "rec" "then" "with" ]);

  # Byte value of one ASCII character.
  asciiTable = b.listToAttrs (b.genList (i: { name = b.fromJSON ''"\u${fixedHex (i + 1)}"''; value = i + 1; }) 127);
  fixedHex = i: self.fixedWidthString 4 "0" (self.toHexString i);
  charToInt = c: asciiTable.${c} or (throw "lib.strings.charToInt: '${c}' is not an ASCII character");

  commonPrefixLength = a: c:
    let
      m = if b.stringLength a < b.stringLength c then b.stringLength a else b.stringLength c;
      go = i: if i < m && substring i 1 a == substring i 1 c then go (i + 1) else i;
    in go 0;
  commonSuffixLength = a: c:
    let
      la = b.stringLength a; lc = b.stringLength c;
      m = if la < lc then la else lc;
      go = i: if i < m && substring (la - i - 1) 1 a == substring (lc - i - 1) 1 c then go (i + 1) else i;
    in go 0;

  # Wagner–Fischer, one row at a time.
  levenshtein = a: c:
    let
      xs = stringToCharacters a;
      ys = stringToCharacters c;
      first = b.genList (j: j) (b.length ys + 1);
      step = prev: x:
        b.foldl' (row: j:
          let
            del = b.elemAt prev (j + 1) + 1;
            ins = b.elemAt row j + 1;
            sub = b.elemAt prev j + (if x == b.elemAt ys j then 0 else 1);
          in row ++ [ (self.min del (self.min ins sub)) ])
          [ (b.head prev + 1) ] (b.genList (j: j) (b.length ys));
    in self.last (b.foldl' step first xs);
in
{
  inherit charToInt commonPrefixLength commonSuffixLength levenshtein isIdentifier;
  levenshteinAtMost = n: a: c:
    let d = b.stringLength a - b.stringLength c; in
    if (if d < 0 then -d else d) > n then false else levenshtein a c <= n;

  replaceString = from: to: b.replaceStrings [ from ] [ to ];
  join = b.concatStringsSep;
  stringAsChars = f: s: concatMapStrings f (stringToCharacters s);
  escapeNixString = s: self.escape [ "$" ] (b.toJSON s);
  escapeNixIdentifier = s: if isIdentifier s then s else self.escapeNixString s;
  escapeXML = b.replaceStrings [ "\"" "'" "<" ">" "&" ] [ "&quot;" "&apos;" "&lt;" "&gt;" "&amp;" ];
  escapeURL =
    let
      unreserved = stringToCharacters "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
      toEscape = b.filter (c: !(b.elem c unreserved)) (b.genList (i: b.fromJSON ''"\u${fixedHex (i + 1)}"'') 126);
    in b.replaceStrings toEscape (b.map (c: "%" + self.fixedWidthString 2 "0" (self.toHexString (charToInt c))) toEscape);
  escapeC = list: b.replaceStrings list (b.map (c: "\\x" + toLower (self.fixedWidthString 2 "0" (self.toHexString (charToInt c)))) list);
  toShellVar = name: value:
    assert self.isValidPosixName name || throw "toShellVar: ${name} is not a valid shell variable name";
    if b.isAttrs value && !self.isStringLike value then
      "declare -A ${name}=(${concatStringsSep " " (self.mapAttrsToList (n: v: "[${self.escapeShellArg n}]=${self.escapeShellArg v}") value)})"
    else if b.isList value then "declare -a ${name}=(${self.escapeShellArgs value})"
    else "${name}=${self.escapeShellArg value}";
  toShellVars = vars: concatStringsSep "\n" (self.mapAttrsToList self.toShellVar vars);
  isValidPosixName = name: b.match "[a-zA-Z_][a-zA-Z0-9_]*" name != null;
  normalizePath = s: b.foldl' (x: y: if y == "/" && self.hasSuffix "/" x then x else x + y) "" (stringToCharacters s);
  # Quotes only when the shell would otherwise split or interpret the word.
  escapeShellArg = arg:
    let s = toString arg; in
    if b.match "[[:alnum:],._+:@%/-]+" s == null then "'${b.replaceStrings [ "'" ] [ "'\\''" ] s}'" else s;
  escapeShellArgs = list: concatStringsSep " " (b.map self.escapeShellArg list);
  addContextFrom = src: target: target;
  isCoercibleToString = self.isStringLike;
  isStorePath = x:
    if !(b.isString x || b.isPath x || x ? outPath) then false
    else let s = toString x; in
      hasPrefix "${b.storeDir}/" s && b.match "[^/]+" (substring (b.stringLength b.storeDir + 1) (-1) s) != null;
  floatToString = toString;
  toSentenceCase = s:
    if !b.isString s then throw "toSentenceCase: expected a string" else
    toUpper (substring 0 1 s) + toLower (substring 1 (-1) s);
  toCamelCase = s:
    if !b.isString s then throw "toCamelCase: expected a string" else
    let
      words = b.filter (w: w != "") (self.splitStringBy (prev: cur: b.elem cur [ "-" "_" " " ] || (b.match "[a-z]" prev != null && b.match "[A-Z]" cur != null)) true s);
      clean = b.map (w: b.replaceStrings [ "-" "_" " " ] [ "" "" "" ] w) words;
      parts = b.filter (w: w != "") clean;
    in if parts == [ ] then "" else toLower (b.head parts) + concatMapStrings self.toSentenceCase (b.tail parts);
  # Splits before each character `pred prev cur` accepts; keepSplit keeps it.
  splitStringBy = pred: keepSplit: s:
    let
      chars = stringToCharacters s;
      n = b.length chars;
      step = acc: i:
        let cur = b.elemAt chars i; prev = if i == 0 then "" else b.elemAt chars (i - 1); in
        if pred prev cur then { done = acc.done ++ [ acc.cur ]; cur = if keepSplit then cur else ""; }
        else { inherit (acc) done; cur = acc.cur + cur; };
      r = b.foldl' step { done = [ ]; cur = ""; } (b.genList (i: i) n);
    in r.done ++ [ r.cur ];
  trimWith = { start ? false, end ? false }: s:
    let
      re =
        if start && end then "[[:space:]]*(.*[^[:space:]])[[:space:]]*"
        else if start then "[[:space:]]*(.*)"
        else if end then "(.*[^[:space:]])[[:space:]]*"
        else "(.*)";
      m = b.match re s;
    in if m == null then "" else b.head m;
  toIntBase10 = s:
    let m = b.match "[[:space:]]*(-?)0*([0-9]+)[[:space:]]*" s; in
    if m == null then throw "toIntBase10: could not convert '${s}' to an integer"
    else (if b.head m == "-" then -1 else 1) * b.fromJSON (b.elemAt m 1);
  toInt = s:
    let m = b.match "[[:space:]]*(-?(0|[1-9][0-9]*))[[:space:]]*" s; in
    if m == null then throw "toInt: could not convert '${s}' to an integer" else b.fromJSON (b.head m);
  makeIncludePath = self.makeSearchPathOutput "dev" "include";
  makeSearchPathOutput = output: subDir: pkgs: self.makeSearchPath subDir (b.map (self.getOutput output) pkgs);
  getOutput = output: pkg: if pkg.outputSpecified or false then pkg else pkg.${output} or pkg.out or pkg;
  getDev = self.getOutput "dev";
  getLib = self.getOutput "lib";
  getMan = self.getOutput "man";
  getBin = self.getOutput "bin";
  # nixcsh's host packages have outPath /usr for every output, and Debian
  # keeps daemons in /usr/sbin: a program found only there is taken there.
  getExe = x: self.getExe' x (x.meta.mainProgram or (self.getName x));
  getExe' = x: y:
    let dir = toString (self.getBin x); in
    if dir == "/usr" && !(b.pathExists "/usr/bin/${y}") && b.pathExists "/usr/sbin/${y}"
    then "/usr/sbin/${y}" else "${dir}/bin/${y}";
  getName = x: let parse = d: (b.parseDrvName d).name; in
    if b.isString x then parse x else x.pname or (parse x.name);
  getVersion = x: let parse = d: (b.parseDrvName d).version; in
    if b.isString x then parse x else x.version or (parse x.name);
  nameFromURL = url: sep:
    let components = self.splitString "/" url; filename = self.last components;
        name = b.head (self.splitString sep filename);
    in assert name != filename; name;
  enableFeature = flag: feature: "--${if flag then "enable" else "disable"}-${feature}";
  enableFeatureAs = flag: feature: value: self.enableFeature flag feature + self.optionalString flag "=${value}";
  withFeature = flag: feature: "--${if flag then "with" else "without"}-${feature}";
  withFeatureAs = flag: feature: value: self.withFeature flag feature + self.optionalString flag "=${value}";
  cmakeOptionType = type: feature: value: "-D${feature}:${toUpper type}=${value}";
  cmakeBool = condition: flag: self.cmakeOptionType "bool" condition (if flag then "TRUE" else "FALSE");
  cmakeFeature = feature: value: self.cmakeOptionType "string" feature value;
  mesonOption = feature: value: "-D${feature}=${value}";
  mesonBool = condition: flag: self.mesonOption condition (self.boolToString flag);
  mesonEnable = feature: flag: self.mesonOption feature (if flag then "enabled" else "disabled");
  concatMapAttrsStringSep = sep: f: attrs: concatStringsSep sep (self.mapAttrsToList f attrs);
  sanitizeDerivationName =
    let okRegex = b.match "[[:alnum:]+_?=-][[:alnum:]+._?=-]*"; in
    s:
    if b.stringLength s <= 207 && okRegex s != null then s
    else let
      noDots = b.head (b.match "\\.*(.*)" s);
      replaced = concatStrings (b.map (x: if b.isList x then "-" else x) (b.split "[^[:alnum:]+._?=-]+" noDots));
      long = b.stringLength replaced;
      cut = if long > 207 then substring (long - 207) 207 replaced else replaced;
    in if cut == "" then "unknown" else cut;
  strings = {
    replicate = n: s: concatStrings (self.lists.replicate n s);
  };
  versions = {
    inherit (b) splitVersion;
    majorMinor = v: let p = b.splitVersion v; in "${b.elemAt p 0}.${b.elemAt p 1}";
    major = v: b.elemAt (b.splitVersion v) 0;
    minor = v: b.elemAt (b.splitVersion v) 1;
    patch = v: b.elemAt (b.splitVersion v) 2;
    pad = n: version:
      let
        numeric = self.head (self.splitString "-" version);
        rest = substring (b.stringLength numeric) (-1) version;
        parts = b.splitVersion numeric;
        padded = self.take n (parts ++ b.genList (_: "0") n);
      in concatStringsSep "." padded + rest;
  };
}
