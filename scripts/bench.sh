#!/usr/bin/env bash
# Runs the benchmarks of every package with -benchtime values that finish in
# a few minutes, then prints one table: each benchmark's time per operation,
# the floor it is measured against (the raw tool doing the same job, run in
# the same `go test` invocation) and the ratio, plus any reported metrics
# (PSS per container). Root is needed for the container benchmarks; without
# it they skip and the table says so.
#
#   scripts/bench.sh            all of them
#   BENCH_OUT=file scripts/bench.sh   also keep the raw `go test` output
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

out=${BENCH_OUT:-$(mktemp /tmp/nixcsh-bench.XXXXXX)}
: >"$out"

# run PKG BENCHTIME REGEX: one go test invocation; lines are prefixed with the
# package's last element so that equal names in two packages stay apart.
run() {
	local pkg=$1 benchtime=$2 re=$3 short
	short=$(basename "$pkg")
	echo "== $pkg -bench '$re' -benchtime $benchtime" >&2
	go test -run '^$' -count=1 -timeout 15m -bench "$re" -benchtime "$benchtime" "./$pkg" 2>&1 |
		tee /dev/stderr | sed -n "s/^\(Benchmark[^ \t]*\)/$short.\1/p" >>"$out" || true
}

# Containers: one boot costs ~0.3 s, so a few iterations each.
run core/engine 5x 'Benchmark(Start|StartRaw|Stop|StopRaw)$'
run core/engine 200x 'Benchmark(Run|RunRaw)$'
run core/engine 2x 'BenchmarkStart20(Raw)?$'
run core/engine 5x 'Benchmark(Cluster|Local)CreateStart$'
run core/runtime 5x 'Benchmark(Boot|BootRaw|Stop|StopRaw)$'
run core/runtime 200x 'Benchmark(Exec|ExecRaw)$'
run core/network 20x 'Benchmark'
# Pure Go parts: the default time-based runs are short.
run core/nix 1s 'BenchmarkEvalModule$'
run core/nix 5x 'BenchmarkWorkload$'
run core/system 1s 'BenchmarkBuildSeed$'
run core/engine 20x 'BenchmarkCreate(Seed|Services)$'
run plugins 1s 'BenchmarkFire(Subscribed|Unsubscribed)$'
run shell 10x 'BenchmarkShellStartup$'
run lua 1s 'Benchmark'

# The table. Floors: NAME -> NAME+Raw in the same package, and the pairs
# listed in floor[] below; targets are the issue's absolute goals.
awk '
function ms(ns) { return sprintf("%.3f", ns / 1e6) }
BEGIN {
	floor["network.BenchmarkSetupTeardown"] = "network.BenchmarkSetupTeardownIPCommands"
	floor["nix.BenchmarkEvalModule/nixcsh"] = "nix.BenchmarkEvalModule/nix-instantiate"
	floor["engine.BenchmarkClusterCreateStart"] = "engine.BenchmarkLocalCreateStart"
	target["plugins.BenchmarkFireSubscribed"] = "< 2 ms"
	target["engine.BenchmarkCreateServices"] = "< 50 ms"
}
{
	name = $1; sub(/-[0-9]+$/, "", name)
	nsop[name] = $3
	order[++n] = name
	extra = ""
	for (i = 5; i + 1 <= NF; i += 2) extra = extra " " $i " " $(i + 1)
	metrics[name] = extra
}
END {
	printf "%-42s %12s  %-42s %12s %8s  %s\n", "benchmark", "ms/op", "floor", "floor ms/op", "ratio", "metrics / target"
	for (k = 1; k <= n; k++) {
		name = order[k]
		if (name ~ /Raw$/ || name ~ /LocalCreateStart$/ || name ~ /IPCommands$/ || name ~ /nix-instantiate$/) continue
		f = (name in floor) ? floor[name] : name "Raw"
		if (!(name in floor) && name ~ /\/nixcsh$/) { f = name; sub(/\/nixcsh$/, "/nix-instantiate", f) }
		if (f in nsop && nsop[f] > 0)
			printf "%-42s %12s  %-42s %12s %8.2f %s\n", name, ms(nsop[name]), f, ms(nsop[f]), nsop[name] / nsop[f], metrics[name] (metrics[f] != "" ? "  | floor:" metrics[f] : "")
		else
			printf "%-42s %12s  %-42s %12s %8s %s%s\n", name, ms(nsop[name]), "-", "-", "-", metrics[name], (name in target) ? "  target " target[name] : ""
	}
}' "$out"
echo "raw output: $out" >&2
