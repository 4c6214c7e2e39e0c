#!/usr/bin/env bash
# Runs every check CI runs: formatting, vet, scripts/lint.sh (staticcheck and
# the layers' imports) and all tests (the root-only ones boot real containers
# when run as root, and skip with a reason otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" $unformatted >&2
	exit 1
fi
go vet ./...
bash scripts/lint.sh
# One package at a time (-p 1): the root tests boot real containers and share
# the host's network; in parallel they would only compete for two cores.
go test -p 1 -count=1 -timeout 12m ./... "$@"
# The evaluator must not crash on any input: fuzz it for a bounded time on
# top of its seed corpus (which includes every input that once crashed it).
go test -run '^$' -fuzz '^FuzzEval$' -fuzztime "${NIXCSH_FUZZTIME:-20s}" ./core/nix/
