{ config, pkgs, ... }: {
      services.nginx = {
        enable = true;
        # config = ''
        # server {
          # listen 80 default_server;
        #   server_name localhost;
        
        #   location / {
        #     root /usr/share/nginx/html;
        #     index index.html index.htm;
        #   }
        # }
        # '';
        # virtualHosts = {
          # "partywizard.pl" = { };
        # };
      };
      networking.firewall.allowedTCPPorts = [ 80 ];
    }
