# lib.systems: platform descriptions as nixpkgs' stdenv.hostPlatform has
# them, for the systems nixcsh hosts can be (Debian on x86_64, aarch64, ...).
self:
let
  b = builtins;
  cpus = {
    x86_64 = { bits = 64; family = "x86"; linuxArch = "x86_64"; };
    i686 = { bits = 32; family = "x86"; linuxArch = "i386"; };
    aarch64 = { bits = 64; family = "arm"; linuxArch = "arm64"; };
    armv7l = { bits = 32; family = "arm"; linuxArch = "arm"; };
    riscv64 = { bits = 64; family = "riscv"; linuxArch = "riscv"; };
    powerpc64le = { bits = 64; family = "power"; linuxArch = "powerpc"; };
    s390x = { bits = 64; family = "s390"; linuxArch = "s390"; };
  };

  elaborate = args:
    let
      system = if b.isString args then args else args.system or args.config or "x86_64-linux";
      parts = self.splitString "-" system;
      cpuName = b.head parts;
      kernel = self.last parts;
      cpu = cpus.${cpuName} or (throw "lib.systems.elaborate: nixcsh does not know the CPU of '${system}'");
      isLinux = kernel == "linux" || self.hasInfix "-linux" system;
    in
    {
      inherit system;
      config = "${cpuName}-unknown-${if isLinux then "linux-gnu" else kernel}";
      double = system;
      parsed = {
        cpu = { name = cpuName; inherit (cpu) bits family; significantByte.name = "littleEndian"; };
        kernel.name = if isLinux then "linux" else kernel;
        abi.name = "gnu";
        vendor.name = "unknown";
      };
      inherit isLinux;
      isDarwin = kernel == "darwin";
      isFreeBSD = kernel == "freebsd";
      isWindows = false;
      isUnix = true;
      isx86_64 = cpuName == "x86_64";
      isi686 = cpuName == "i686";
      isx86_32 = cpuName == "i686";
      isx86 = cpu.family == "x86";
      isAarch64 = cpuName == "aarch64";
      isAarch32 = cpuName == "armv7l";
      isAarch = cpu.family == "arm";
      isAarch64Linux = cpuName == "aarch64" && isLinux;
      isRiscV = cpu.family == "riscv";
      isRiscV64 = cpuName == "riscv64";
      isPower = cpu.family == "power";
      isPower64 = cpuName == "powerpc64le";
      isS390 = cpu.family == "s390";
      is64bit = cpu.bits == 64;
      is32bit = cpu.bits == 32;
      isLittleEndian = true;
      isBigEndian = false;
      isGnu = isLinux;
      isMusl = false;
      isStatic = false;
      isEfi = b.elem cpuName [ "x86_64" "i686" "aarch64" "armv7l" "riscv64" ];
      libc = "glibc";
      inherit (cpu) linuxArch;
      uname = { system = if isLinux then "Linux" else kernel; processor = cpuName; release = null; };
      canExecute = platform: platform.system == system;
      emulatorAvailable = _: true;
      extensions = { sharedLibrary = ".so"; executable = ""; staticLibrary = ".a"; library = ".so"; };
    } // (if b.isAttrs args then args else { });

  linuxSystems = b.map (c: "${c}-linux") (b.attrNames cpus);
in
{
  systems = {
    inherit elaborate;
    flakeExposed = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
    doubles = { all = linuxSystems; linux = linuxSystems; };
    examples = b.listToAttrs (b.map (s: { name = b.head (self.splitString "-" s); value = { system = s; config = (elaborate s).config; }; }) linuxSystems)
      // { gnu64 = { system = "x86_64-linux"; config = "x86_64-unknown-linux-gnu"; }; };
    equals = a: c: a.system == c.system;
  };
}
