{ config, pkgs, lib, ... }: {
      services.httpd.enable = true;
      networking.firewall.allowedTCPPorts = [ 80 ];
    }
