{ config, pkgs, lib, ... }: {
        environment.etc."check".text = "client_base";
      }
