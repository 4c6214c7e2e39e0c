{ config, pkgs, ... }:
  {
    services.gitea = {
      enable = true;
      user = "root";
      stateDir = "/gitea";
      domain = "gitea.local";
      rootUrl = "http://gitea.local";
      httpAddress = "127.0.0.2";
      httpPort = 80;
    };
  }
