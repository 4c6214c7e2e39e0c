# The rest of lib that configurations reach for: files under a directory,
# debugging, assertions, sources, and the metadata package definitions carry
# (licenses, platforms), enough for `meta = { license = lib.licenses.mit; }`.
self:
let
  b = builtins;
  license = spdxId: fullName: { inherit spdxId fullName; shortName = spdxId; free = true; redistributable = true; deprecated = false; };
  linux = b.map (c: "${c}-linux") [ "x86_64" "i686" "aarch64" "armv7l" "riscv64" "powerpc64le" "s390x" ];
  darwin = [ "x86_64-darwin" "aarch64-darwin" ];
in
{
  filesystem = {
    listFilesRecursive = dir:
      b.concatLists (self.mapAttrsToList (name: type:
        if type == "directory" then self.filesystem.listFilesRecursive (dir + "/${name}")
        else [ (dir + "/${name}") ]) (b.readDir dir));
    pathType = p: if b.pathExists p then b.readFileType p else throw "lib.filesystem.pathType: ${toString p} does not exist";
    pathIsDirectory = p: b.pathExists p && b.readFileType p == "directory";
    pathIsRegularFile = p: b.pathExists p && b.readFileType p == "regular";
  };

  # Modules given as a function of arguments of the caller's choosing.
  setDefaultModuleLocation = file: m: { _file = file; imports = [ m ]; };
  importApply = modulePath: staticArgs: self.setDefaultModuleLocation modulePath (import modulePath staticArgs);

  traceVal = x: b.trace x x;
  traceValFn = f: x: b.trace (f x) x;
  traceSeq = x: y: b.trace (b.deepSeq x x) y;
  traceValSeq = x: b.trace (b.deepSeq x x) x;
  traceIf = pred: msg: x: if pred then b.trace msg x else x;
  traceSeqN = depth: x: y: b.trace (b.deepSeq x x) y;
  assertOneOf = name: val: xs:
    self.assertMsg (b.elem val xs) "${name} must be one of ${self.generators.toPretty { } xs}, but is: ${self.generators.toPretty { } val}";
  assertEachOneOf = name: vals: xs:
    self.assertMsg (b.all (v: b.elem v xs) vals) "each element in ${name} must be one of ${self.generators.toPretty { } xs}, but is: ${self.generators.toPretty { } vals}";

  cleanSource = src: src;
  cleanSourceWith = { src, filter ? (_: _: true), name ? null }: src;
  sourceByRegex = src: regexes: src;
  sources = { inherit (self) cleanSource cleanSourceWith sourceByRegex; };
  fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  fakeSha256 = "0000000000000000000000000000000000000000000000000000";

  licenses = {
    mit = license "MIT" "MIT License";
    asl20 = license "Apache-2.0" "Apache License 2.0";
    bsd2 = license "BSD-2-Clause" "BSD 2-clause \"Simplified\" License";
    bsd3 = license "BSD-3-Clause" "BSD 3-clause \"New\" or \"Revised\" License";
    isc = license "ISC" "ISC License";
    mpl20 = license "MPL-2.0" "Mozilla Public License 2.0";
    gpl2Only = license "GPL-2.0-only" "GNU General Public License v2.0 only";
    gpl2Plus = license "GPL-2.0-or-later" "GNU General Public License v2.0 or later";
    gpl3Only = license "GPL-3.0-only" "GNU General Public License v3.0 only";
    gpl3Plus = license "GPL-3.0-or-later" "GNU General Public License v3.0 or later";
    lgpl21Only = license "LGPL-2.1-only" "GNU Lesser General Public License v2.1 only";
    lgpl21Plus = license "LGPL-2.1-or-later" "GNU Lesser General Public License v2.1 or later";
    lgpl3Only = license "LGPL-3.0-only" "GNU Lesser General Public License v3.0 only";
    lgpl3Plus = license "LGPL-3.0-or-later" "GNU Lesser General Public License v3.0 or later";
    agpl3Only = license "AGPL-3.0-only" "GNU Affero General Public License v3.0 only";
    agpl3Plus = license "AGPL-3.0-or-later" "GNU Affero General Public License v3.0 or later";
    zlib = license "Zlib" "zlib License";
    unlicense = license "Unlicense" "The Unlicense";
    cc0 = license "CC0-1.0" "Creative Commons Zero v1.0 Universal";
    publicDomain = { shortName = "publicDomain"; fullName = "Public Domain"; free = true; redistributable = true; deprecated = false; };
    free = { shortName = "free"; fullName = "Unspecified free software license"; free = true; redistributable = true; deprecated = false; };
    unfree = { shortName = "unfree"; fullName = "Unfree"; free = false; redistributable = false; deprecated = false; };
    unfreeRedistributable = { shortName = "unfreeRedistributable"; fullName = "Unfree redistributable"; free = false; redistributable = true; deprecated = false; };
  };
  maintainers = { };
  teams = { };
  platforms = {
    inherit linux darwin;
    all = linux ++ darwin;
    unix = linux ++ darwin;
    x86_64 = [ "x86_64-linux" "x86_64-darwin" ];
    aarch64 = [ "aarch64-linux" "aarch64-darwin" ];
    x86 = [ "x86_64-linux" "i686-linux" "x86_64-darwin" ];
    none = [ ];
  };
}
