package nix

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// storeCases are expressions and what Debian's nix-instantiate 2.8 prints
// for them (`nix-instantiate --eval --strict --expr`), with SRC standing
// for a directory holding the tree storeTestTree makes: derivations (plain,
// multiple outputs, fixed-output flat and recursive in every hash notation,
// structured attrs, dependencies, passAsFile, __ignoreNulls), sources
// copied by interpolation, builtins.path, filterSource and toFile, and
// string context.
var storeCases = []struct{ expr, want string }{
	{`(derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }).drvPath`,
		`"/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv"`},
	{`(derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = ["out" "dev" "lib"]; }).dev.outPath`,
		`"/nix/store/9zx1xzwjq677767xqwdmlv8wbwmwnmc4-x-dev"`},
	{`(derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = ["out" "dev" "lib"]; }).drvPath`,
		`"/nix/store/jvda84qihsyv45h7cpvwqb1lik1yh3qq-x.drv"`},
	{`(derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; args = ["-c" "echo \"hi\"\n\ttab\\ back"]; FOO = "bar"; n = 1; b = true; f = false; nu = null; l = [1 "a" [2]]; fl = 1.5; }).drvPath`,
		`"/nix/store/jk4z27fq5db6pckdqk2vc1924rrmfxnp-x.drv"`},
	{`(derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; __ignoreNulls = true; nu = null; }).drvPath`,
		`"/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv"`},
	{`(derivation { name = "fod"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }).outPath`,
		`"/nix/store/4yfk9q43irhw1r79i1pvbva1zd0677j1-fod"`},
	{`(derivation { name = "fod"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }).drvPath`,
		`"/nix/store/c2lqp3mv556mp61rbjhr5p3sj68viqcz-fod.drv"`},
	{`(derivation { name = "fod"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; outputHashAlgo = "sha256"; outputHashMode = "recursive"; }).outPath`,
		`"/nix/store/awyplyl8y8yhm3g2ds39a7lg4w2x98lk-fod"`},
	{`(derivation { name = "fod"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "0sg9f58l1jj88w6pdrfdpj5x9b1zrwszk84j81zvby36q9whhhqa"; outputHashAlgo = "sha256"; outputHashMode = "flat"; }).drvPath`,
		`"/nix/store/j9k3rbz7idxc5l778h7j0pvmap4f2h5g-fod.drv"`},
	{`(derivation { name = "fod"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "da39a3ee5e6b4b0d3255bfef95601890afd80709"; outputHashAlgo = "sha1"; }).outPath`,
		`"/nix/store/vv57r1pmh6d9z66pi1kp01l5ifmzsh4f-fod"`},
	{`(derivation { name = "fod"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "da39a3ee5e6b4b0d3255bfef95601890afd80709"; outputHashAlgo = "sha1"; outputHashMode = "recursive"; }).outPath`,
		`"/nix/store/w1mhmlq1iwkrkcbvzkzx8mdf6xxg97sn-fod"`},
	{`(derivation { name = "fod"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="; outputHashMode = "recursive"; }).drvPath`,
		`"/nix/store/b54fs1rbypd2ddbd67l5853mmh0y8gjf-fod.drv"`},
	{`let a = derivation { name = "a"; builder = "/bin/sh"; system = "x86_64-linux"; }; in (derivation { name = "b"; builder = "/bin/sh"; system = "x86_64-linux"; dep = a; }).drvPath`,
		`"/nix/store/g2wnwbbdkb6ww7124j7y0a2zhrfxs714-b.drv"`},
	{`let a = derivation { name = "a"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = ["out" "bin"]; }; in (derivation { name = "b"; builder = "${a.bin}/bin/sh"; system = "x86_64-linux"; dep = "${a}"; }).outPath`,
		`"/nix/store/fs64bi1nh7lvkaq6affsnksv6s1kr08l-b"`},
	{`let f1 = derivation { name = "f"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; x = "1"; }; f2 = derivation { name = "f"; builder = "/bin/sh"; system = "x86_64-linux"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; x = "2"; }; in [ (derivation { name = "c"; builder = "/bin/sh"; system = "x86_64-linux"; a = f1; }).outPath (derivation { name = "c"; builder = "/bin/sh"; system = "x86_64-linux"; a = f2; }).outPath (derivation { name = "c"; builder = "/bin/sh"; system = "x86_64-linux"; a = f1; b = f2; }).drvPath ]`,
		`[ "/nix/store/1dqqp27jj8fl3dx52r7qlk9yr4ls7hhk-c" "/nix/store/1dqqp27jj8fl3dx52r7qlk9yr4ls7hhk-c" "/nix/store/npdqxh66q1957cq2n2lsd91kmklf1zh0-c.drv" ]`},
	{`(derivation { name = "s"; builder = "/bin/sh"; system = "x86_64-linux"; __structuredAttrs = true; a = 1; b = [ "x" SRC/a.txt { c = null; d = 1.5; } ]; outputs = [ "out" "doc" ]; }).doc.outPath`,
		`"/nix/store/ylkgwp81ai6p4a3k60gk5gy8izqs6zas-s-doc"`},
	{`(derivation { name = "s"; builder = "/bin/sh"; system = "x86_64-linux"; __structuredAttrs = true; dep = derivation { name = "d"; builder = "/bin/sh"; system = "x86_64-linux"; }; s = "é\n\"\t"; }).drvPath`,
		`"/nix/store/5p9igky762b4f6dz7cpxzj9xabfjlqp8-s.drv"`},
	{`(derivation { name = "p"; builder = "/bin/sh"; system = "x86_64-linux"; passAsFile = [ "text" ]; text = "hello"; }).drvPath`,
		`"/nix/store/df1cl7gddi6ngzzl308s25fp15md7y0i-p.drv"`},
	{`(derivation { name = "x"; builder = SRC/run.sh; system = "x86_64-linux"; src = SRC; }).drvPath`,
		`"/nix/store/qi2lwi7wca1y4vbrng88z8d28hx28w0m-x.drv"`},
	{`"${SRC}"`,
		`"/nix/store/flln2zigrjrh48x3p7cigvl35gkjg26y-src"`},
	{`"${SRC/a.txt}"`,
		`"/nix/store/z3n6ml62lc6l9glpaz6fq7fvi2rks9vq-a.txt"`},
	{`"${SRC/run.sh}"`,
		`"/nix/store/hgl6cwhlhzpznapan2nfnls2nyyv4lqb-run.sh"`},
	{`"${SRC/link}"`,
		`"/nix/store/hsfpb0gqgq1qhwi2c1pgrb4vhawrwxld-link"`},
	{`"${SRC/empty}"`,
		`"/nix/store/lx5i78a4izwk2qj1nq8rdc07y8zrwy90-empty"`},
	{`"${SRC/sub}"`,
		`"/nix/store/2h7j7cc9rdsm2asm8xny255q1d57lmlw-sub"`},
	{`builtins.toFile "a" "b"`,
		`"/nix/store/g76zcpqc540lrc8i6g7xy6ip0npn2hnp-a"`},
	{`builtins.toFile "with-ref" "see ${SRC/a.txt} and ${builtins.toFile "b" "c"}"`,
		`"/nix/store/r58sgw7m0zkw15x8pb5cllpkpwi4zbpx-with-ref"`},
	{`builtins.path { path = SRC; }`,
		`"/nix/store/flln2zigrjrh48x3p7cigvl35gkjg26y-src"`},
	{`builtins.path { path = SRC; name = "renamed"; }`,
		`"/nix/store/rxd9flzf4k9afc2q48r8gwgj6mwrfg1w-renamed"`},
	{`builtins.path { path = SRC/a.txt; recursive = false; }`,
		`"/nix/store/fdwm55r4skpypx1gwzb7x69ckav1rv09-a.txt"`},
	{`builtins.path { path = SRC/a.txt; recursive = false; name = "flat"; }`,
		`"/nix/store/hrzh64qwa6kpxv4ik12aiyppb3r0njks-flat"`},
	{`builtins.path { path = SRC; filter = p: t: t != "symlink"; }`,
		`"/nix/store/bwwhbw1kr9acp4b1j28vcq76h2aw7lz7-src"`},
	{`builtins.path { path = SRC; filter = p: t: baseNameOf p != "sub"; }`,
		`"/nix/store/slxpp6m7r7lzxgk56hfa6zfj7qhkc9j2-src"`},
	{`builtins.filterSource (p: t: t == "directory" || baseNameOf p == "b") SRC`,
		`"/nix/store/bymy99ci9rijyvw43a47wgkx7yg16x6q-src"`},
	{`builtins.filterSource (p: t: true) SRC`,
		`"/nix/store/flln2zigrjrh48x3p7cigvl35gkjg26y-src"`},
	{`builtins.toJSON { a = SRC/a.txt; }`,
		`"{\"a\":\"/nix/store/z3n6ml62lc6l9glpaz6fq7fvi2rks9vq-a.txt\"}"`},
	{`builtins.placeholder "out"`,
		`"/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"`},
	{`builtins.placeholder "dev"`,
		`"/02qcpld1y6xhs5gz9bchpxaw0xdhmsp5dv88lh25r2ss44kh8dxz"`},
	{`builtins.getContext "${SRC/a.txt}"`,
		`{ "/nix/store/z3n6ml62lc6l9glpaz6fq7fvi2rks9vq-a.txt" = { path = true; }; }`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = ["out" "dev"]; }; in builtins.attrNames (builtins.getContext "${d.dev}${d.drvPath}${d}")`,
		`[ "/nix/store/gk9jafzyszc4y6jy0ib8cllh4g3d7jd1-x.drv" ]`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = ["out" "dev"]; }; in builtins.attrValues (builtins.getContext "${d.dev}${d.drvPath}${d}")`,
		`[ { allOutputs = true; outputs = [ "dev" "out" ]; } ]`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }; in builtins.attrValues (builtins.getContext (builtins.unsafeDiscardOutputDependency d.drvPath))`,
		`[ { path = true; } ]`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }; in builtins.hasContext (builtins.unsafeDiscardStringContext d.outPath)`,
		`false`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }; in builtins.attrNames d`,
		`[ "all" "builder" "drvAttrs" "drvPath" "name" "out" "outPath" "outputName" "system" "type" ]`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = ["out" "dev"]; }; in [ d.outputName d.dev.outputName (builtins.length d.all) d.type (builtins.attrNames d.drvAttrs) d.dev.dev.outPath ]`,
		`[ "out" "dev" 2 "derivation" [ "builder" "name" "outputs" "system" ] "/nix/store/3qb5aqi3wxx9cipz0418a9w1nvqjsx4m-x-dev" ]`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }; in builtins.toJSON d`,
		`"\"/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x\""`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }; in builtins.hasContext (builtins.toJSON d)`,
		`true`},
	{`builtins.storePath "/nix/store/g76zcpqc540lrc8i6g7xy6ip0npn2hnp-a"`,
		`"/nix/store/g76zcpqc540lrc8i6g7xy6ip0npn2hnp-a"`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }; in (derivation { name = "y"; builder = "/bin/sh"; system = "x86_64-linux"; s = builtins.substring 0 20 "${d}"; r = builtins.replaceStrings ["a"] ["b"] "${d}"; c = builtins.concatStringsSep "," [ "${d}" ]; }).drvPath`,
		`"/nix/store/n88q546m02kfbr8m7lcq6pbsvckqhpkg-y.drv"`},
	{`(derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; args = [ SRC/a.txt 1 null true ]; }).drvPath`,
		`"/nix/store/wx95k43m3l87q6x87anrq56z56lpkabp-x.drv"`},
	{`(derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; p = builtins.placeholder "out"; }).drvPath`,
		`"/nix/store/b21mydx8nhsask7gvxb7hrvalg0kjfj1-x.drv"`},
	{`builtins.path { path = SRC/a.txt; sha256 = "sha256-WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="; recursive = false; }`,
		`"/nix/store/fdwm55r4skpypx1gwzb7x69ckav1rv09-a.txt"`},
	{`let d = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }; in d == d.out`,
		`true`},
	{`builtins.getContext (builtins.appendContext "x" { "/nix/store/g76zcpqc540lrc8i6g7xy6ip0npn2hnp-a.drv" = { outputs = ["out" "bin"]; allOutputs = true; path = true; }; })`,
		`{ "/nix/store/g76zcpqc540lrc8i6g7xy6ip0npn2hnp-a.drv" = { allOutputs = true; outputs = [ "bin" "out" ]; path = true; }; }`},
	{`builtins.attrNames (builtins.derivationStrict { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = ["a" "b"]; })`,
		`[ "a" "b" "drvPath" ]`},
	{`builtins.getContext (builtins.derivationStrict { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = ["a" "b"]; }).a`,
		`{ "/nix/store/ppgxy0vj42a79rzrxdfrnlxm06k8z58d-x.drv" = { outputs = [ "a" ]; }; }`},
	{`derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }`,
		`{ all = [ «repeated» ]; builder = "/bin/sh"; drvAttrs = { builder = "/bin/sh"; name = "x"; system = "x86_64-linux"; }; drvPath = "/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv"; name = "x"; out = «repeated»; outPath = "/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x"; outputName = "out"; system = "x86_64-linux"; type = "derivation"; }`},
	{`{ a = derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; }; }`,
		`{ a = { all = [ «repeated» ]; builder = "/bin/sh"; drvAttrs = { builder = "/bin/sh"; name = "x"; system = "x86_64-linux"; }; drvPath = "/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv"; name = "x"; out = «repeated»; outPath = "/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x"; outputName = "out"; system = "x86_64-linux"; type = "derivation"; }; }`},
	{`builtins.placeholder "out" + builtins.placeholder ""`,
		`"/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9/171rf4jhx57xqz3p7swniwkig249cif71pa08p80mgaf0mqz5bmr"`},
	{`(derivation { name = "hello-2.12"; builder = "/bin/sh"; system = "aarch64-linux"; outputs = [ "out" "man" "info" ]; src = builtins.toFile "src.tar" "data"; }).info.outPath`,
		`"/nix/store/bn2jkhp3gplx9457vfxak7wj7yz0y85d-hello-2.12-info"`},
	{`let fod = derivation { name = "src.tar.gz"; builder = "/bin/sh"; system = "x86_64-linux"; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "1b9ifs1dnp7ibx3kkpfdrr2idb0lmlmmd4ba1kc7c6n0s0q2wfas"; }; in (derivation { name = "b"; builder = "/bin/sh"; system = "x86_64-linux"; src = fod; }).drvPath`,
		`"/nix/store/npkgvynpv553ikxk3ynwnxirzby9nlbx-b.drv"`},
	{`(derivation { name = "x"; builder = "/bin/sh"; system = "x86_64-linux"; __ignoreNulls = false; a = null; }).drvPath`,
		`"/nix/store/qc9s9485vikda9cx7202a8g2qdc9qih4-x.drv"`},
	{`"${builtins.toFile "x" "y"}/bin"`,
		`"/nix/store/lfngsssysp6h1v4ccqg23c52s9sjl779-x/bin"`},
}

// storeTestTree makes the files the cases hash (their names and contents
// are part of the expected store paths).
func storeTestTree(t *testing.T) string {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for _, d := range []string{src, filepath.Join(src, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]struct {
		data string
		mode os.FileMode
	}{
		"a.txt":  {"hello\n", 0o644},
		"run.sh": {"#!/bin/sh\necho hi\n", 0o755},
		"sub/b":  {"x\n", 0o644},
		"empty":  {"", 0o644},
	}
	for name, f := range files {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // not reduced by the umask
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.txt", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStorePathsAsNix(t *testing.T) {
	dir := storeTestTree(t)
	for _, c := range storeCases {
		expr := strings.ReplaceAll(c.expr, "SRC", filepath.Join(dir, "src"))
		var out, errb bytes.Buffer
		code := Instantiate([]string{"--eval", "--strict", "--expr", expr}, nil, &out, &errb, nil, dir)
		if code != 0 {
			t.Errorf("%s\nexit %d: %s", c.expr, code, errb.String())
			continue
		}
		if got := strings.TrimSuffix(out.String(), "\n"); got != c.want {
			t.Errorf("%s\n got: %s\nwant: %s", c.expr, got, c.want)
		}
	}
}

// What nixcsh adds where Nix would need its store: a file builtins.toFile
// made can be read back, and a drvPath's context brings in the whole
// closure of the derivation it names.
func TestStoreWithoutStore(t *testing.T) {
	const a = `a = derivation { name = "a"; builder = "/bin/sh"; system = "x86_64-linux"; src = builtins.toFile "s" "x"; };`
	for src, want := range map[string]string{
		`builtins.readFile (builtins.toFile "x" "hello")`:                                       `"hello"`,
		`import (builtins.toFile "x.nix" "1 + 1")`:                                              `2`,
		`import "${builtins.toFile "x.nix" "{ a = 1; }"}"`:                                      `{ a = 1; }`,
		`let ` + a + ` in builtins.attrNames (builtins.getContext a.drvPath)`:                   `[ "/nix/store/06f1w09sswxxhnhjdw2f41w8wn7pffvf-a.drv" ]`,
		`let ` + a + ` in builtins.getContext a.outPath`:                                        `{ "/nix/store/06f1w09sswxxhnhjdw2f41w8wn7pffvf-a.drv" = { outputs = [ "out" ]; }; }`,
		`let ` + a + ` in builtins.hasContext (builtins.unsafeDiscardStringContext a)`:          `false`,
		`let ` + a + ` in builtins.hasContext (builtins.substring 0 1 "${a}")`:                  `true`,
		`builtins.hasContext (builtins.replaceStrings ["x"] ["${builtins.toFile "f" ""}"] "x")`: `true`,
	} {
		expectPrinted(t, src, want)
	}
}

// A drvPath in a derivation's attributes makes the whole closure of that
// .drv an input: the .drv itself and its sources as inputSrcs, the .drv
// with all its outputs as an input derivation (Nix reads this from its
// store; nixcsh remembers the derivations it computed).
func TestDrvPathContextTakesTheClosure(t *testing.T) {
	ev := NewEvaluator(Options{})
	v, err := ev.EvalString(`let
	  a = derivation { name = "a"; builder = "/bin/sh"; system = "x86_64-linux"; outputs = [ "out" "dev" ]; src = builtins.toFile "s" "x"; };
	in (derivation { name = "b"; builder = "/bin/sh"; system = "x86_64-linux"; d = a.drvPath; }).drvPath`, "/t.nix")
	if err == nil {
		err = ev.ForceDeep(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	// aDrv from nix-instantiate 2.8
	const aDrv, src = "/nix/store/f3shq21l7bp4jnabvmg7085c4slbdmbg-a.drv", "/nix/store/qi890a9493c7dwya6c1v4f88ijm3hz8i-s"
	s, _ := AsString(v)
	d := ev.store.drvs[s]
	if d == nil {
		t.Fatalf("no derivation recorded for %s", s)
	}
	if got := strings.Join(d.inputSrcs, " "); got != aDrv+" "+src {
		t.Errorf("inputSrcs = %s, want %s %s", got, aDrv, src)
	}
	if got := d.inputDrvs[aDrv]; len(d.inputDrvs) != 1 || strings.Join(got, " ") != "dev out" {
		t.Errorf("inputDrvs = %v, want %s with dev and out", d.inputDrvs, aDrv)
	}
}

// Errors whose message nix-instantiate 2.8 prints the same way (its
// traces differ; the message is compared).
func TestStoreErrorsAsNix(t *testing.T) {
	dir := storeTestTree(t)
	for expr, want := range map[string]string{
		`builtins.path { path = SRC; name = "a b"; }`:                                                        `store path 'fpmwgnhsdpmx6ds95y6gc81j9zziwnp1-a b' contains illegal character ' '`,
		`builtins.toFile "a/b" "c"`:                                                                          `store path '5dw7wrvlsrgxnazj941dch7y41lxc4hr-a/b' contains illegal character '/'`,
		`(derivation { name = "x y"; builder = "/bin/sh"; system = "x86_64-linux"; }).outPath`:               `store path 'pn630icfzjg9awq3rhfx0ixr9w376j39-x y' contains illegal character ' '`,
		`/tmp + "${builtins.toFile "a" "b"}"`:                                                                `a string that refers to a store path cannot be appended to a path`,
		`/tmp/${builtins.toFile "a" "b"}`:                                                                    `a string that refers to a store path cannot be appended to a path`,
		`builtins.path { path = SRC; foo = 1; }`:                                                             `unsupported argument 'foo' to 'addPath'`,
		`(derivation { name = "x"; builder = "/bin/sh"; }).outPath`:                                          `required attribute 'system' missing`,
		`(derivation { name = "x"; system = "x"; }).outPath`:                                                 `required attribute 'builder' missing`,
		`(derivation { name = "x"; builder = "/bin/sh"; system = "x"; outputs = [ "out" "out" ]; }).outPath`: `duplicate derivation output 'out'`,
		`(derivation { name = "x"; builder = "/bin/sh"; system = "x"; outputHash = "abc"; }).outPath`:        `hash 'abc' does not include a type, nor is the type otherwise known from context`,
		`(derivation { name = "x"; builder = "/bin/sh"; system = "x"; outputs = [ "out" "dev" ]; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; }).outPath`: `multiple outputs are not supported in fixed-output derivations`,
	} {
		expr = strings.ReplaceAll(expr, "SRC", filepath.Join(dir, "src"))
		var out, errb bytes.Buffer
		if code := Instantiate([]string{"--eval", "--strict", "--expr", expr}, nil, &out, &errb, nil, dir); code != 1 {
			t.Errorf("%s: exit %d, want 1", expr, code)
		}
		if got := finalErrorLine(errb.String()); got != want {
			t.Errorf("%s\n got: %s\nwant: %s", expr, got, want)
		}
	}
}
