{ config, pkgs, lib, ... }: {
        environment.etc."check".text = lib.mkForce "client_c2";
        services.nginx.enable = true;
      }
