{...}: {
      services.httpd = {
        enable = true;
        adminAddr = "foo@example.org";
      };
      networking.firewall.allowedTCPPorts = [80];
      system.stateVersion = "24.05";
    }
