#!/usr/bin/env bash
# Regenerates core/module/nixos-options.txt: the names of NixOS's options two
# or three levels deep ("services.gitea", "programs.zsh", "boot.loader"), so
# that nixcsh can say "not implemented by nixcsh (it exists in NixOS)" of an
# option it lacks instead of "does not exist".
#
# Usage: scripts/nixos-option-names.sh NIXPKGS [COMMIT] > core/module/nixos-options.txt
#   NIXPKGS is a checkout (or snapshot) of NixOS/nixpkgs; COMMIT, if given, is
#   written in the header. Only nixos/modules/module-list.nix is read.
#
# The names are derived from module file paths, which name the option of
# nearly every service, program, hardware, security and virtualisation
# module (services/databases/postgresql.nix declares services.postgresql).
# Where the path does not (services/networking/ssh/sshd.nix declares
# services.openssh) an alias below says so. Modules whose options do not
# follow their path (config/, system/, tasks/) are covered by the hand-kept
# list of top-level namespaces and their common children at the end. A name
# wrongly listed only changes the wording of a message, never what is accepted.
set -euo pipefail

nixpkgs=${1:?usage: $0 NIXPKGS [COMMIT]}
commit=${2:-}
list="$nixpkgs/nixos/modules/module-list.nix"
[[ -r $list ]] || { echo "$0: no $list; give a NixOS/nixpkgs checkout" >&2; exit 1; }

{
	# ./services/web-servers/nginx/default.nix -> services nginx; one path a line.
	grep -o '\./[A-Za-z0-9_./-]*' "$list" | sed -e 's|^\./||' -e 's|\.nix$||' -e 's|/default$||' |
		awk -F/ '
		BEGIN {
			# path name -> option name, where they differ
			alias["apache-httpd"] = "httpd"; alias["sshd"] = "openssh"; alias["avahi-daemon"] = "avahi"
			alias["cupsd"] = "printing"; alias["nfsd"] = "nfs"; alias["ntpd"] = "ntp"
			alias["nixos-containers"] = "-"; alias["container-config"] = "-"
			alias["networkmanager"] = "-"; alias["wpa_supplicant"] = "-"; alias["mail"] = "-"
		}
		function name(n) { return (n in alias) ? alias[n] : n }
		function emit(ns, n) {
			n = name(n)
			if (n != "-" && n !~ /^(firewall|nat)(-|$)/) print ns "." n
		}
		$1 == "services" && NF == 2 { emit("services", $2) }
		$1 == "services" && NF >= 3 {
			emit("services", $NF)
			if (NF >= 4) { emit("services", $3); if ($NF != $3) print "services." $3 "." $NF }
		}
		$1 == "programs" { emit("programs", $NF); if (NF >= 3 && $2 != "wayland") emit("programs", $2) }
		$1 == "hardware" { emit("hardware", $NF); if (NF >= 3) emit("hardware", $2) }
		$1 == "security" && $NF != "default" && $NF != "misc" { emit("security", $NF) }
		$1 == "virtualisation" && $NF !~ /-options$/ { emit("virtualisation", $NF) }
		'

	# Top-level namespaces and the children real configurations use most,
	# for the modules whose file names are not their options.
	cat <<'EOF'
appstream.enable
assertions
boot.binfmt boot.blacklistedKernelModules boot.cleanTmpDir boot.consoleLogLevel boot.enableContainers
boot.extraModprobeConfig boot.extraModulePackages boot.growPartition boot.initrd boot.isContainer
boot.kernel boot.kernelModules boot.kernelPackages boot.kernelParams boot.kernelPatches boot.loader
boot.plymouth boot.postBootCommands boot.readOnlyNixStore boot.resumeDevice boot.specialFileSystems
boot.supportedFilesystems boot.swraid boot.tmp boot.tmpOnTmpfs boot.zfs
console.colors console.earlySetup console.enable console.font console.keyMap console.packages console.useXkbConfig
containers
documentation.dev documentation.doc documentation.enable documentation.info documentation.man documentation.nixos
environment.binsh environment.defaultPackages environment.enableAllTerminfo environment.etc
environment.extraInit environment.extraOutputsToInstall environment.homeBinInPath environment.interactiveShellInit
environment.localBinInPath environment.loginShellInit environment.memoryAllocator environment.noXlibs
environment.pathsToLink environment.profiles environment.sessionVariables environment.shellAliases
environment.shells environment.systemPackages environment.variables environment.wordlist
fileSystems
fonts.enableDefaultPackages fonts.fontDir fonts.fontconfig fonts.fonts fonts.packages
gtk.iconCache
i18n.defaultLocale i18n.extraLocaleSettings i18n.extraLocales i18n.glibcLocales i18n.inputMethod i18n.supportedLocales
image
isSpecialisation
krb5
location.latitude location.longitude location.provider
meta
networking.bonds networking.bridges networking.defaultGateway networking.defaultGateway6 networking.dhcpcd
networking.domain networking.enableIPv6 networking.extraHosts networking.firewall.allowPing
networking.firewall.allowedTCPPortRanges networking.firewall.allowedUDPPortRanges networking.firewall.backend
networking.firewall.checkReversePath networking.firewall.extraCommands networking.firewall.extraInputRules
networking.firewall.extraStopCommands networking.firewall.interfaces networking.firewall.logRefusedConnections
networking.firewall.package networking.firewall.rejectPackets networking.firewall.trustedInterfaces
networking.hostId networking.hosts networking.interfaces networking.localCommands networking.macvlans
networking.nameservers networking.nat networking.networkmanager networking.nftables networking.proxy
networking.resolvconf networking.search networking.tempAddresses networking.timeServers
networking.useHostResolvConf networking.useNetworkd networking.usePredictableInterfaceNames networking.vlans
networking.wg-quick networking.wireguard networking.wireless
nix.buildMachines nix.channel nix.daemonCPUSchedPolicy nix.distributedBuilds nix.enable nix.extraOptions
nix.gc nix.nixPath nix.optimise nix.package nix.registry nix.settings nix.sshServe
nixpkgs.buildPlatform nixpkgs.config nixpkgs.crossSystem nixpkgs.flake nixpkgs.hostPlatform
nixpkgs.localSystem nixpkgs.overlays nixpkgs.pkgs nixpkgs.system
powerManagement.cpuFreqGovernor powerManagement.enable powerManagement.powertop powerManagement.resumeCommands
qt.enable qt.platformTheme qt.style
security.acme security.loginDefs security.pki
services.journald services.logind services.resolved services.timesyncd services.userdbd services.homed
specialisation
swapDevices
system.activationScripts system.autoUpgrade system.build system.configurationRevision system.copySystemConfiguration
system.etc system.extraDependencies system.name system.nixos system.stateVersion system.switch system.userActivationScripts
systemd.additionalUpstreamSystemUnits systemd.automounts systemd.coredump systemd.enableEmergencyMode
systemd.extraConfig systemd.mounts systemd.network systemd.oomd systemd.packages systemd.paths systemd.services
systemd.shutdown systemd.sleep systemd.slices systemd.sockets systemd.suppressedSystemUnits systemd.targets
systemd.timers systemd.tmpfiles systemd.user systemd.watchdog
time.hardwareClockInLocalTime time.timeZone
users.allowNoPasswordLogin users.defaultUserShell users.enforceIdUniqueness users.extraGroups users.extraUsers
users.groups users.ldap users.motd users.motdFile users.mutableUsers users.users
virtualisation.oci-containers
warnings
xdg.autostart xdg.icons xdg.menus xdg.mime xdg.portal xdg.sounds xdg.terminal-exec
zramSwap.enable
EOF
} | tr ' ' '\n' | grep -v '^$' | LC_ALL=C sort -u | {
	echo "# NixOS option names two or three levels deep, from nixpkgs' nixos/modules${commit:+ at $commit}."
	echo "# Generated by scripts/nixos-option-names.sh; do not edit by hand."
	cat
}
