#!/usr/bin/env bash
# Installs what nixcsh needs on a Debian host (as root), builds it and installs
# it as /usr/local/bin/nixcsh with a nixos-container symlink beside it.
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH=/usr/local/go/bin:$PATH
packages=(
	systemd-container # systemd-nspawn: the container engine
	iproute2          # ip, for looking at links (nixcsh itself uses netlink)
	nftables          # nft, for looking at rules (nixcsh uses google/nftables)
	util-linux        # nsenter, su, login
	openssh-server    # services.openssh runs the host's sshd
	apache2           # services.httpd runs the host's Apache
	sudo              # security.sudo writes sudoers for the host's sudo
	mariadb-server    # services.mysql runs the host's mariadbd and mariadb-install-db
	mariadb-client    # services.mysql's ensure* steps and its test use the mariadb client
	redis-server      # services.redis.servers runs the host's redis-server
	redis-tools       # services.redis's test talks to it with redis-cli
	postgresql        # services.postgresql runs the host's server (postgresql-MAJOR, with its psql)
	nginx             # services.nginx runs the host's nginx
	libnginx-mod-stream # services.nginx.streamConfig loads its module
	openssl           # services.nginx makes self-signed certificates for enableACME; its test makes one
	systemd-resolved  # services.resolved runs the host's systemd-resolved (the host's resolv.conf is kept, below)
	curl              # tests fetch pages from containers
	iputils-ping      # tests ping between containers and the host
	tmux              # terminal tests
	zsh               # completion-script tests
	fish              # completion-script tests
	protobuf-compiler # scripts/gen-proto.sh
	etcd-server       # the cluster's store: tests start their own members (core/cluster/etcdtest); never started on the host
	nix-bin           # the floor of the evaluator's benchmarks (nix-instantiate); nixcsh never runs it
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq
	# Services installed for containers must not start on the host itself.
	policy=/usr/sbin/policy-rc.d
	made_policy=0
	if [ ! -e $policy ]; then
		printf '#!/bin/sh\nexit 101\n' >$policy && chmod 755 $policy && made_policy=1
	fi
	# systemd-resolved's postinst turns /etc/resolv.conf into a link to its
	# stub, which is not running on the host: the host's file is put back.
	cp -a /etc/resolv.conf /etc/resolv.conf.nixcsh-keep 2>/dev/null || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	if [ -e /etc/resolv.conf.nixcsh-keep ] || [ -L /etc/resolv.conf.nixcsh-keep ]; then
		mv -f /etc/resolv.conf.nixcsh-keep /etc/resolv.conf
		rm -f /etc/.resolv.conf.systemd-resolved.bak
	fi
	[ $made_policy = 1 ] && rm -f $policy
	# etcd-server's package enables its unit for the next boot: the tests run
	# members of their own, and a cluster's operator configures and enables
	# etcd deliberately (docs/cluster.md).
	if printf '%s\n' "${missing[@]}" | grep -qx etcd-server && [ -d /run/systemd/system ]; then
		systemctl disable etcd >/dev/null 2>&1 || true
	fi
fi

go mod download
# The lint gate of scripts/test.sh. A pinned version that knows this Go;
# GOBIN puts it beside nixcsh, on root's PATH.
GOBIN=/usr/local/bin go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
go build -o /usr/local/bin/nixcsh ./cmd/nixcsh
ln -sf nixcsh /usr/local/bin/nixos-container
# The cluster agent's unit, installed but not enabled (docs/cluster.md).
if [ -d /run/systemd/system ]; then
	install -m 644 scripts/nixcsh-agent.service /etc/systemd/system/nixcsh-agent.service
	systemctl daemon-reload
fi
echo "nixcsh installed: $(command -v nixcsh)"
