{ config, pkgs, lib, ... }: {
              system.stateVersion = "18.03";
            }
