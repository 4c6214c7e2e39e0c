#!/bin/sh
# Regenerates plugins/proto/*.pb.go from plugins/proto/hooks.proto.
# The generated files are committed, so building nixcsh never needs protoc.
#
# Needs protoc (Debian: apt-get install protobuf-compiler; made with libprotoc 3.21.12).
# Generators, pinned:
#   protoc-gen-go       google.golang.org/protobuf v1.36.12 (the version in go.mod)
#   protoc-gen-go-grpc  google.golang.org/grpc/cmd/protoc-gen-go-grpc v1.5.1
#                       (its own module; the code it writes needs grpc >= 1.64, go.mod has v1.85.0)
set -eu

PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.5.1

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

command -v protoc >/dev/null || { echo "gen-proto.sh: protoc not found; apt-get install protobuf-compiler" >&2; exit 1; }

GOBIN=$bin go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
GOBIN=$bin go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"

cd "$repo/plugins/proto"
PATH=$bin:$PATH protoc \
	--proto_path=. \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	hooks.proto
echo "gen-proto.sh: regenerated plugins/proto/hooks.pb.go and hooks_grpc.pb.go"
