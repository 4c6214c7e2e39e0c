# lib.lists beyond lib.nix: searching, prefixes, grouping, products.
self:
let
  b = builtins;
  inherit (self) take drop;

  # The index of the first element pred accepts, or null. Elements after
  # the match are not looked at; a fold, not recursion, so long lists do
  # not exhaust the call depth.
  firstIndex = pred: list:
    b.foldl' (found: i: if found != null then found else if pred (b.elemAt list i) then i else null)
      null (b.genList (i: i) (b.length list));
in
{
  findFirstIndex = pred: default: list:
    let i = firstIndex pred list; in if i == null then default else i;
  findFirst = pred: default: list:
    let i = firstIndex pred list; in if i == null then default else b.elemAt list i;
  findSingle = pred: default: multiple: list:
    let found = b.filter pred list; n = b.length found; in
    if n == 0 then default else if n != 1 then multiple else b.head found;
  ifilter0 = pred: list: b.concatLists (b.genList (i: let x = b.elemAt list i; in if pred i x then [ x ] else [ ]) (b.length list));
  replicate = n: x: b.genList (_: x) n;
  takeEnd = n: list: let l = b.length list; in drop (if n >= l then 0 else l - n) list;
  dropEnd = n: list: let l = b.length list; in take (if n >= l then 0 else l - n) list;
  # Only as lib.lists.X: lib.X are the string functions of the same names.
  lists = {
    hasPrefix = list1: list2: take (b.length list1) list2 == list1;
    removePrefix = list1: list2:
      if take (b.length list1) list2 == list1 then drop (b.length list1) list2
      else throw "lib.lists.removePrefix: the first argument is not a prefix of the second";
  };
  commonPrefix = list1: list2:
    let
      n = self.min (b.length list1) (b.length list2);
      i = firstIndex (j: b.elemAt list1 j != b.elemAt list2 j) (b.genList (j: j) n);
    in take (if i == null then n else i) list1;
  replaceElemAt = list: idx: newElem:
    assert idx >= 0 && idx < b.length list || throw "lib.lists.replaceElemAt: index ${toString idx} is out of range";
    b.genList (i: if i == idx then newElem else b.elemAt list i) (b.length list);
  allUnique = list: b.length (self.unique list) == b.length list;
  uniqueStrings = list: b.attrNames (b.listToAttrs (b.map (s: { name = s; value = null; }) list));
  sortOn = f: list:
    b.map (p: p.v) (b.sort (x: y: x.k < y.k) (b.map (v: { inherit v; k = f v; }) list));
  groupBy' = op: nul: pred: list:
    b.mapAttrs (_: b.foldl' op nul) (b.groupBy pred list);
  crossLists = f: foldr: b.foldl' (fs: args: b.concatMap (f: b.map f args) fs) [ f ] foldr;
  cartesianProduct = attrsOfLists:
    b.foldl' (acc: name: b.concatMap (as: b.map (v: as // { ${name} = v; }) attrsOfLists.${name}) acc)
      [ { } ] (b.attrNames attrsOfLists);
  cartesianProductOfSets = self.cartesianProduct;
  mapCartesianProduct = f: attrsOfLists: b.map f (self.cartesianProduct attrsOfLists);
  listDfs = stopOnCycles: before: list:
    let
      dfs' = us: visited: rest:
        let
          c = b.filter (x: before x us) visited;
          b' = self.partition (x: before x us) rest;
        in if stopOnCycles && (b.length c > 0)
          then { cycle = us; loops = c; inherit visited rest; }
          else if b.length b'.right == 0
            then { minimal = us; inherit visited rest; }
            else dfs' (b.head b'.right) ([ us ] ++ visited) (b.tail b'.right ++ b'.wrong);
    in dfs' (b.head list) [ ] (b.tail list);
  toposort = before: list:
    let
      dfsthis = self.listDfs true before list;
      toporest = self.toposort before (dfsthis.visited ++ dfsthis.rest);
    in if b.length list < 2 then { result = list; }
      else if dfsthis ? cycle then { cycle = self.reverseList ([ dfsthis.cycle ] ++ dfsthis.visited); inherit (dfsthis) loops; }
      else if toporest ? cycle then toporest
      else { result = [ dfsthis.minimal ] ++ toporest.result; };
  compareLists = cmp: a: c:
    if a == [ ] then (if c == [ ] then 0 else -1)
    else if c == [ ] then 1
    else let rel = cmp (b.head a) (b.head c); in
      if rel == 0 then self.compareLists cmp (b.tail a) (b.tail c) else rel;
  naturalSort = list:
    let
      vectorise = s: b.map (x: if b.isList x then b.fromJSON (b.head x) else x) (b.split "(0|[1-9][0-9]*)" s);
      prepared = b.map (x: [ (vectorise x) x ]) list;
      less = a: c: self.compareLists self.compare (b.head a) (b.head c) < 0;
    in b.map (x: b.elemAt x 1) (b.sort less prepared);
  inherit (b) partition;
  last = list: assert list != [ ] || throw "lists.last: list must not be empty!"; b.elemAt list (b.length list - 1);
  init = list: assert list != [ ] || throw "lists.init: list must not be empty!"; take (b.length list - 1) list;
}
