{...}: {
     services.httpd = {
      enable = true;
      adminAddr = "foo@example.org";
      };
    }
