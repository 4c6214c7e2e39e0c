{ config, pkgs, lib, ... }: {
        environment.etc."check".text = lib.mkForce "client_c1";
        services.httpd.enable = true;
        services.httpd.adminAddr = "nixos@example.com";
      }
