#!/usr/bin/env bash
# The lint gate, run by scripts/test.sh: staticcheck (installed by
# scripts/setup.sh) over the whole module with its default checks, where any
# finding fails the run; then the direction of imports that
# docs/architecture.md draws.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:/usr/local/bin:$PATH

if ! command -v staticcheck >/dev/null; then
	echo "staticcheck is not installed: run scripts/setup.sh (as root)" >&2
	exit 1
fi

if ! out=$(staticcheck ./... 2>&1); then
	printf 'staticcheck:\n%s\n' "$out" >&2
	exit 1
fi
echo "staticcheck: no findings"

# The layers of docs/architecture.md: arrows point down only. Each rule is
# "IMPORTER-REGEX FORBIDDEN-REGEX WHY", over the module's packages (not their
# tests) and their imports of this module.
mod=github.com/nixcsh/nixcsh
rules="
^core(/|$) ^(shell|lua|plugins|cmd)(/|$) core_knows_nothing_of_the_front_ends
^core/(nix|module|options|system)(/|$) ^core/(runtime|host|network|engine)(/|$) the_configuration_side_does_not_import_the_running_side
^core/(runtime|host|network)(/|$) ^core/(system|options|module|nix|engine)(/|$) the_running_side_does_not_import_the_configuration_side
^core/nix(/|$) . core/nix_imports_nothing_of_nixcsh
^plugins/(sdk|proto|examples)(/|$) ^(core|shell|lua|cmd)(/|$) plugin_authors_need_only_the_sdk_and_the_protocol
^(core|lua|plugins)(/|$) ^core/engine$ only_shell_wires_a_Manager
^core/(nix|module|options|system|runtime|host|network|conf|fsx)(/|$) ^core$ the_layers_below_the_Manager_do_not_import_it
^core/(fault|layout|revert)$ . leaf_packages_import_nothing_of_nixcsh
"
edges=$(go list -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' ./... |
	awk -v mod="$mod/" '{p=$1; sub(mod, "", p); for (i=2; i<=NF; i++) if (index($i, mod)==1) {q=$i; sub(mod, "", q); print p, q}}')
bad=''
while read -r from to why; do
	[ -n "$from" ] || continue
	while read -r p q; do
		if [[ $p =~ $from && $q =~ $to && $p != "$q" ]]; then
			bad+="$p imports $q: ${why//_/ }"$'\n'
		fi
	done <<<"$edges"
done <<<"$rules"
if [ -n "$bad" ]; then
	printf 'imports against the layers of docs/architecture.md:\n%s' "$bad" >&2
	exit 1
fi
echo "layers: imports point down (docs/architecture.md)"
