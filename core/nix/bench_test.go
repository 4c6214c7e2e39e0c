package nix

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// genModule writes a configuration.nix-style module of about n lines: a
// let block of helpers, then services, users and files built with lib-like
// functions, string interpolation, merges and conditionals.
func genModule(n int) string {
	var b strings.Builder
	b.WriteString(`{ config ? { }, lib ? { }, pkgs ? { }, ... }:
let
  mkService = name: port: extra: {
    enable = true;
    description = "service ${name} on port ${toString port}";
    inherit port;
    settings = { listen = "0.0.0.0:${toString port}"; workers = port - 8000 + 1; } // extra;
    after = [ "network.target" ] ++ (if port > 8050 then [ "late.target" ] else [ ]);
  };
  mkUser = name: uid: {
    isNormalUser = true;
    inherit uid;
    home = "/home/${name}";
    extraGroups = [ "users" ] ++ builtins.filter (g: g != "") [ (if uid < 1010 then "wheel" else "") ];
  };
  upper = s: builtins.replaceStrings [ "a" "e" "o" ] [ "A" "E" "O" ] s;
in
{
  networking.hostName = "bench";
  networking.firewall.allowedTCPPorts = builtins.genList (i: 8000 + i) 20;
`)
	lines := strings.Count(b.String(), "\n")
	for i := 0; lines < n-3; i++ {
		block := fmt.Sprintf(`  services.svc%d = mkService "svc%d" %d {
    mode = if %d / 2 * 2 == %d then "even" else "odd";
    label = upper "service number %d";
    tags = map (t: "${t}-%d") [ "a" "b" "c" ];
  };
  users.users.user%d = mkUser "user%d" %d;
  environment.etc."svc%d.conf".text = ''
    # generated
    port = ${toString %d}
    name = svc%d
  '';
`, i, i, 8000+i, i, i, i, i, i, i, 1000+i, i, 8000+i, i)
		b.WriteString(block)
		lines += strings.Count(block, "\n")
	}
	b.WriteString(`  system.stateVersion = "24.05";
}
`)
	return b.String()
}

func BenchmarkEvalModule(b *testing.B) {
	src := genModule(1000)
	dir := b.TempDir()
	file := filepath.Join(dir, "configuration.nix")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	b.Run("nixcsh", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ev := NewEvaluator(Options{})
			v, err := ev.EvalString(src, file)
			if err == nil {
				v, err = ev.Call(v, Attrs(nil))
			}
			if err == nil {
				err = ev.ForceDeep(v)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("nix-instantiate", func(b *testing.B) {
		prog, err := exec.LookPath("nix-instantiate")
		if err != nil {
			b.Skip("nix-instantiate is not installed; only nixcsh was measured")
		}
		for i := 0; i < b.N; i++ {
			start := time.Now()
			if out, err := exec.Command(prog, "--eval", "--strict", file).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms/run")
		}
	})
}

func TestGeneratedModuleEvaluates(t *testing.T) {
	src := genModule(1000)
	if n := strings.Count(src, "\n"); n < 950 || n > 1050 {
		t.Fatalf("generated %d lines", n)
	}
	ev := NewEvaluator(Options{})
	v, err := ev.EvalString(src, "/bench/configuration.nix")
	if err == nil {
		v, err = ev.Call(v, Attrs(nil))
	}
	if err == nil {
		err = ev.ForceDeep(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	out := Print(v)
	for _, want := range []string{`svc3 = { after = [ "network.target" ]; description = "service svc3 on port 8003"; enable = true; port = 8003; settings = { label = "sErvicE numbEr 3"; listen = "0.0.0.0:8003"; mode = "odd"; tags = [ "a-3" "b-3" "c-3" ]; workers = 4; }; };`,
		`"svc2.conf" = { text = "# generated\nport = 8002\nname = svc2\n"; };`, `user1 = { extraGroups = [ "users" "wheel" ]; home = "/home/user1"; isNormalUser = true; uid = 1001; };`} {
		if !strings.Contains(out, want) {
			t.Errorf("result lacks %s", want)
		}
	}
}

// workloads are the sustained evaluations issue 14 compares with Nix:
// function calls, list builtins over 50,000 elements, sorting 100,000
// integers, and a 50,000-attribute set.
var workloads = map[string]string{
	"fib27": `let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib 27`,
	"list50k": `let l = builtins.genList (i: i * 7 - 3) 50000; in
		builtins.foldl' (a: b: a + b) 0 (map (x: x * 2) (builtins.filter (x: x / 2 * 2 == x) l))`,
	"sort100k": `let l = builtins.genList (i: (i * 7919) - (i / 13) * 100003) 100000; in
		builtins.length (builtins.sort (a: b: a < b) l)`,
	"attrs50k": `let s = builtins.listToAttrs (builtins.genList (i: { name = "a${toString i}"; value = i; }) 50000); in
		builtins.length (builtins.attrNames (builtins.mapAttrs (n: v: v + 1) s))`,
}

// BenchmarkWorkload runs each workload in nixcsh's evaluator and, as the
// floor, in nix-instantiate when it is installed (its ms/run includes the
// process start, about 10 ms; nixcsh's "process" variant does too).
func BenchmarkWorkload(b *testing.B) {
	for _, name := range []string{"fib27", "list50k", "sort100k", "attrs50k"} {
		src := workloads[name]
		b.Run(name+"/nixcsh", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ev := NewEvaluator(Options{})
				v, err := ev.EvalString(src, "/bench/w.nix")
				if err == nil {
					err = ev.ForceDeep(v)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/nix-instantiate", func(b *testing.B) {
			prog, err := exec.LookPath("nix-instantiate")
			if err != nil {
				b.Skip("nix-instantiate is not installed (Debian package nix-bin); only nixcsh was measured")
			}
			for i := 0; i < b.N; i++ {
				if out, err := exec.Command(prog, "--eval", "--strict", "--expr", src).CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
			}
		})
	}
}
