# services.nginx: NixOS's nginx options, for the host's /usr/sbin/nginx.
#
# The configuration is /etc/nginx/nginx.conf in the container (the host's
# /etc/nginx is not seen there), self-contained: its MIME types, proxy
# headers and the files given as path literals (certificates, password files)
# are written beside it. nginx runs in the foreground as the nginx user, as
# on NixOS; a change of the configuration reloads it.
{ config, lib, ... }:
let
  cfg = config.services.nginx;
  nginx = "/usr/sbin/nginx -c /etc/nginx/nginx.conf";

  # Files given as path literals are host files: they are copied into the
  # system under /etc/nginx/files, and the configuration names the copy. A
  # string is a path inside the container and is used as it is.
  fileName = p: "nginx/files/${builtins.substring 0 12 (builtins.hashString "sha256" (toString p))}-${baseNameOf p}";
  inContainer = p: if builtins.isPath p then "/etc/${fileName p}" else toString p;
  # Secrets (certificates, keys, password files) are readable by nginx's
  # group only; content (roots, aliases) by everyone.
  pathsOf = f: builtins.filter builtins.isPath (lib.unique (lib.concatMap (v: f v
    ++ lib.concatMap f (builtins.attrValues v.locations)) (builtins.attrValues virtualHosts)));
  secretFiles = pathsOf (z:
    lib.optional (z.basicAuthFile != null) z.basicAuthFile
    ++ lib.optionals (z ? sslCertificate && hasSSL z) ([ z.sslCertificate z.sslCertificateKey ]
      ++ lib.optional (z.sslTrustedCertificate != null) z.sslTrustedCertificate))
    ++ lib.optional (builtins.isPath cfg.sslDhparam) cfg.sslDhparam;
  contentFiles = pathsOf (z: builtins.filter (x: x != null) [ z.root (z.alias or null) ]);

  hasSSL = v: v.onlySSL || v.addSSL || v.forceSSL;

  # ACME: nixcsh has no ACME client. A vhost that asks for one is served as
  # NixOS serves it until its client has succeeded: with a self-signed
  # certificate in /var/lib/acme/NAME, made once by a unit of its own.
  usesACME = v: v.enableACME || v.useACMEHost != null;
  certName = name: v: builtins.replaceStrings [ "*" ] [ "_" ]
    (if v.useACMEHost != null then v.useACMEHost else serverName name v);
  acmeDir = c: "/var/lib/acme/${c}";
  virtualHosts = lib.mapAttrs (name: v: v // lib.optionalAttrs (usesACME v) {
    sslCertificate = "${acmeDir (certName name v)}/fullchain.pem";
    sslCertificateKey = "${acmeDir (certName name v)}/key.pem";
  }) cfg.virtualHosts;
  acmeVhosts = lib.filterAttrs (_: usesACME) cfg.virtualHosts;
  certNames = lib.unique (lib.mapAttrsToList certName acmeVhosts);
  selfSigned = c: {
    description = "Self-signed certificate for ${c} (nixcsh has no ACME client)";
    wantedBy = [ "multi-user.target" ];
    before = [ "nginx.service" ];
    serviceConfig = { Type = "oneshot"; RemainAfterExit = true; };
    script = ''
      d=${acmeDir c}
      if [ ! -s "$d/fullchain.pem" ]; then
        mkdir -p "$d"
        # The container has no /etc/ssl/openssl.cnf: req gets a minimal one.
        /usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
          -subj "/CN=${c}" -addext "subjectAltName=DNS:${c}" -keyout "$d/key.pem" -out "$d/fullchain.pem" \
          -config <(printf '[req]\ndistinguished_name = dn\n[dn]\n')
        chown root:${cfg.group} "$d" "$d/key.pem"
        chmod 750 "$d"
        chmod 640 "$d/key.pem"
      fi
    '';
  };
  onOff = b: if b then "on" else "off";
  serverName = name: v: if v.serverName != null then v.serverName else name;

  # The MIME types nixcsh gives nginx (NixOS takes mailcap's).
  mimeTypes = {
    "text/html" = "html htm shtml";
    "text/css" = "css";
    "text/xml" = "xml";
    "text/plain" = "txt text conf log";
    "text/csv" = "csv";
    "text/markdown" = "md markdown";
    "text/calendar" = "ics";
    "text/vcard" = "vcf";
    "text/vtt" = "vtt";
    "text/javascript" = "js mjs";
    "application/json" = "json";
    "application/ld+json" = "jsonld";
    "application/manifest+json" = "webmanifest";
    "application/atom+xml" = "atom";
    "application/rss+xml" = "rss";
    "application/xhtml+xml" = "xhtml";
    "application/wasm" = "wasm";
    "application/pdf" = "pdf";
    "application/zip" = "zip";
    "application/gzip" = "gz";
    "application/x-tar" = "tar";
    "application/x-bzip2" = "bz2";
    "application/x-xz" = "xz";
    "application/zstd" = "zst";
    "application/x-7z-compressed" = "7z";
    "application/java-archive" = "jar war ear";
    "application/octet-stream" = "bin exe dll deb iso img msi dmg";
    "application/rtf" = "rtf";
    "application/msword" = "doc";
    "application/vnd.ms-excel" = "xls";
    "application/vnd.ms-powerpoint" = "ppt";
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document" = "docx";
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" = "xlsx";
    "application/vnd.openxmlformats-officedocument.presentationml.presentation" = "pptx";
    "application/vnd.oasis.opendocument.text" = "odt";
    "application/vnd.oasis.opendocument.spreadsheet" = "ods";
    "application/vnd.ms-fontobject" = "eot";
    "application/x-shockwave-flash" = "swf";
    "application/x-x509-ca-cert" = "der pem crt";
    "application/x-sh" = "sh";
    "application/xml" = "xsl xsd";
    "font/woff" = "woff";
    "font/woff2" = "woff2";
    "font/ttf" = "ttf";
    "font/otf" = "otf";
    "image/gif" = "gif";
    "image/jpeg" = "jpeg jpg";
    "image/png" = "png";
    "image/webp" = "webp";
    "image/avif" = "avif";
    "image/svg+xml" = "svg svgz";
    "image/bmp" = "bmp";
    "image/tiff" = "tif tiff";
    "image/vnd.microsoft.icon" = "ico";
    "audio/mpeg" = "mp3";
    "audio/ogg" = "ogg oga";
    "audio/wav" = "wav";
    "audio/flac" = "flac";
    "audio/aac" = "aac";
    "audio/webm" = "weba";
    "video/mp4" = "mp4 m4v";
    "video/mpeg" = "mpeg mpg";
    "video/webm" = "webm";
    "video/ogg" = "ogv";
    "video/quicktime" = "mov";
    "video/x-matroska" = "mkv";
    "video/x-msvideo" = "avi";
  };

  # The types gzip compresses ("text/html" always is).
  compressTypes = [
    "application/atom+xml" "application/geo+json" "application/json" "application/ld+json"
    "application/manifest+json" "application/rss+xml" "application/vnd.ms-fontobject"
    "application/wasm" "application/xhtml+xml" "application/xml" "font/otf" "font/ttf"
    "image/bmp" "image/svg+xml" "image/vnd.microsoft.icon" "text/calendar" "text/css"
    "text/csv" "text/javascript" "text/markdown" "text/plain" "text/vcard" "text/vtt" "text/xml"
  ];

  # The CGI/1.1 variables, as Debian's fastcgi.conf sets them.
  fastcgiDefaults = {
    SCRIPT_FILENAME = "$document_root$fastcgi_script_name";
    QUERY_STRING = "$query_string";
    REQUEST_METHOD = "$request_method";
    CONTENT_TYPE = "$content_type";
    CONTENT_LENGTH = "$content_length";
    SCRIPT_NAME = "$fastcgi_script_name";
    REQUEST_URI = "$request_uri";
    DOCUMENT_URI = "$document_uri";
    DOCUMENT_ROOT = "$document_root";
    SERVER_PROTOCOL = "$server_protocol";
    REQUEST_SCHEME = "$scheme";
    HTTPS = "$https if_not_empty";
    GATEWAY_INTERFACE = "CGI/1.1";
    SERVER_SOFTWARE = "nginx/$nginx_version";
    REMOTE_ADDR = "$remote_addr";
    REMOTE_PORT = "$remote_port";
    SERVER_ADDR = "$server_addr";
    SERVER_PORT = "$server_port";
    SERVER_NAME = "$server_name";
    REDIRECT_STATUS = "200";
  };

  # Basic auth: a password file of the user's, or one written from basicAuth.
  authFile = zone: "nginx/htpasswd-${builtins.substring 0 12 (builtins.hashString "sha256" (builtins.toJSON zone.basicAuth))}";
  basicAuth = zone:
    lib.optionalString (zone.basicAuthFile != null || zone.basicAuth != { }) ''
      auth_basic secured;
      auth_basic_user_file ${if zone.basicAuthFile != null then inContainer zone.basicAuthFile else "/etc/${authFile zone}"};
    '';
  authZones = lib.concatMap (v: [ v ] ++ builtins.attrValues v.locations) (builtins.attrValues virtualHosts);

  # block "server" [ lines... ]: a block of directives, its lines (each may
  # hold several, e.g. a user's extraConfig) indented and the empty ones dropped.
  block = head: body:
    let lines = builtins.filter (x: builtins.match "[[:space:]]*" x == null)
      (lib.splitString "\n" (lib.concatStringsSep "\n" body));
    in "${head} {\n" + lib.concatMapStrings (x: "  ${x}\n") lines + "}\n";
  when = cond: x: lib.optionalString cond x;

  location = path: l: block "location ${path}" ([
    (when (l.proxyPass != null && !cfg.proxyResolveWhileRunning) "proxy_pass ${l.proxyPass};")
    (when (l.proxyPass != null && cfg.proxyResolveWhileRunning) "set $nix_proxy_target \"${l.proxyPass}\";\nproxy_pass $nix_proxy_target;")
    (when l.proxyWebsockets "proxy_http_version 1.1;\nproxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection $connection_upgrade;")
  ] ++ lib.mapAttrsToList (n: v: "fastcgi_param ${n} \"${toString v}\";")
    (lib.optionalAttrs (l.fastcgiParams != { }) (fastcgiDefaults // l.fastcgiParams))
  ++ [
    (when (l.index != null) "index ${l.index};")
    (when (l.tryFiles != null) "try_files ${l.tryFiles};")
    (when (l.root != null) "root ${inContainer l.root};")
    (when (l.alias != null) "alias ${inContainer l.alias};")
    (when (l.return != null) "return ${toString l.return};")
    l.extraConfig
    (when (l.proxyPass != null && (if l.recommendedProxySettings != null then l.recommendedProxySettings else cfg.recommendedProxySettings))
      "include /etc/nginx/recommended-proxy-headers.conf;")
    (basicAuth l)
  ]);
  # Locations in the order of their priority, then of their paths.
  locations = ls:
    let sorted = builtins.sort (a: b: a.priority < b.priority)
      (lib.mapAttrsToList (path: l: l // { inherit path; }) ls);
    in lib.concatMapStrings (l: location l.path l) sorted;

  vhost = name: v:
    let
      listens =
        if v.listen != [ ] then v.listen
        else
          let addrs = if v.listenAddresses != [ ] then v.listenAddresses else cfg.defaultListenAddresses;
          in lib.concatMap (addr:
            lib.optional (hasSSL v || v.rejectSSL) { inherit addr; port = cfg.defaultSSLListenPort; ssl = true; }
            ++ lib.optional (!v.onlySSL) { inherit addr; port = cfg.defaultHTTPListenPort; ssl = false; }) addrs;
      hostListens = if v.forceSSL then builtins.filter (l: l.ssl) listens else listens;
      redirectListens = builtins.filter (l: !l.ssl) listens;
      listen = l:
        "listen ${l.addr}${when (l.port != null) ":${toString l.port}"}"
        + when (l.ssl && v.http2) " http2"
        + when l.ssl " ssl"
        + when v.default " default_server"
        + when v.reuseport " reuseport"
        + when (l.proxyProtocol or false) " proxy_protocol"
        + lib.concatMapStrings (x: " " + x) (l.extraParameters or [ ])
        + ";";
      names = "server_name ${serverName name v}${lib.concatMapStrings (a: " " + a) v.serverAliases};";
    in
    when v.forceSSL (block "server" (map listen redirectListens ++ [
      names
      (block "location /" [ "return ${toString v.redirectCode} https://$host$request_uri;" ])
    ]))
    + block "server" (map listen hostListens ++ [
      names
      cfg.commonServerConfig
      (when (usesACME v && v.acmeRoot != null) (block "location ^~ /.well-known/acme-challenge/" [
        "root ${v.acmeRoot};"
        "auth_basic off;"
      ]))
      (when (v.root != null) "root ${inContainer v.root};")
      (when (v.globalRedirect != null) (block "location /"
        [ "return ${toString v.redirectCode} http${when (hasSSL v) "s"}://${v.globalRedirect}$request_uri;" ]))
      (when (hasSSL v) "ssl_certificate ${inContainer v.sslCertificate};\nssl_certificate_key ${inContainer v.sslCertificateKey};")
      (when (hasSSL v && v.sslTrustedCertificate != null) "ssl_trusted_certificate ${inContainer v.sslTrustedCertificate};")
      (when v.rejectSSL "ssl_reject_handshake on;")
      (when (hasSSL v && v.kTLS) "ssl_conf_command Options KTLS;")
      (basicAuth v)
      (locations v.locations)
      v.extraConfig
    ]);

  upstreams = lib.concatStrings (lib.mapAttrsToList (name: u: ''
    upstream ${name} {
    ${lib.concatStrings (lib.mapAttrsToList (server: params: "  server ${server}${lib.concatStrings (lib.mapAttrsToList (k: x:
        if builtins.isBool x then lib.optionalString x " ${k}" else " ${k}=${toString x}") params)};\n") u.servers)}${u.extraConfig}
    }
  '') cfg.upstreams);

  # Where nginx keeps request bodies and proxied responses (Debian's build
  # points at /var/lib/nginx, which the unit does not make).
  tempPaths = lib.concatMapStrings (t: "${t}_temp_path /var/cache/nginx/${t};\n")
    [ "client_body" "proxy" "fastcgi" "uwsgi" "scgi" ];

  commonHttp = [
    "include ${toString cfg.defaultMimeTypes};"
    "types_hash_max_size 4096;"
    "default_type application/octet-stream;"
    tempPaths
  ];

  # Debian builds the stream module as a module of its own package.
  streamModule = "/usr/lib/nginx/modules/ngx_stream_module.so";

  optionalNumber = directive: n: when (n != null) "${directive} ${toString n};";

  generatedHttp = block "http" (commonHttp ++ [
    (when (cfg.resolver.addresses != [ ]) ("resolver ${toString cfg.resolver.addresses}"
      + when (cfg.resolver.valid != "") " valid=${cfg.resolver.valid}" + when (!cfg.resolver.ipv6) " ipv6=off" + ";"))
    upstreams
    (when cfg.recommendedOptimisation ''
      sendfile on;
      tcp_nopush on;
      tcp_nodelay on;
      keepalive_timeout 65;
    '')
    "ssl_protocols ${cfg.sslProtocols};"
    (when (cfg.sslCiphers != null) "ssl_ciphers ${cfg.sslCiphers};")
    (when (cfg.sslDhparam != null) "ssl_dhparam ${inContainer cfg.sslDhparam};")
    (when cfg.recommendedTlsSettings ''
      ssl_session_timeout 1d;
      ssl_session_cache shared:SSL:10m;
      ssl_session_tickets off;
      ssl_prefer_server_ciphers off;
      ssl_stapling on;
      ssl_stapling_verify on;
    '')
    (when cfg.recommendedGzipSettings ''
      gzip on;
      gzip_static on;
      gzip_vary on;
      gzip_comp_level 5;
      gzip_min_length 256;
      gzip_proxied expired no-cache no-store private auth;
      gzip_types ${toString compressTypes};
    '')
    (when cfg.recommendedProxySettings ''
      proxy_redirect off;
      proxy_connect_timeout ${cfg.proxyTimeout};
      proxy_send_timeout ${cfg.proxyTimeout};
      proxy_read_timeout ${cfg.proxyTimeout};
      proxy_http_version 1.1;
      proxy_set_header "Connection" "";
      include /etc/nginx/recommended-proxy-headers.conf;
    '')
    (optionalNumber "map_hash_bucket_size" cfg.mapHashBucketSize)
    (optionalNumber "map_hash_max_size" cfg.mapHashMaxSize)
    (optionalNumber "server_names_hash_bucket_size" cfg.serverNamesHashBucketSize)
    (optionalNumber "server_names_hash_max_size" cfg.serverNamesHashMaxSize)
    # $connection_upgrade, for websocket proxying
    (block "map $http_upgrade $connection_upgrade" [ "default upgrade;" "'' close;" ])
    "client_max_body_size ${cfg.clientMaxBodySize};"
    "server_tokens ${onOff cfg.serverTokens};"
    cfg.commonHttpConfig
    (when cfg.statusPage (block "server" [
      "listen ${toString cfg.defaultHTTPListenPort};"
      "server_name localhost;"
      (block "location /nginx_status" [ "stub_status on;" "access_log off;" "allow 127.0.0.1;" "allow ::1;" "deny all;" ])
    ]))
  ] ++ lib.mapAttrsToList vhost virtualHosts ++ [ cfg.appendHttpConfig ]);

  configText = lib.concatStringsSep "\n" (builtins.filter (x: x != "") [
    "# Generated by nixcsh from services.nginx"
    (when (cfg.streamConfig != "") "load_module ${streamModule};")
    "pid /run/nginx/nginx.pid;"
    "error_log ${cfg.logError};"
    "daemon off;"
    cfg.config
    (when (cfg.eventsConfig != "" || cfg.config == "") (block "events" [ cfg.eventsConfig ]))
    (when (cfg.httpConfig == "" && cfg.config == "") generatedHttp)
    (when (cfg.httpConfig != "") (block "http" (commonHttp ++ [ cfg.httpConfig ])))
    (when (cfg.streamConfig != "") (block "stream" [ cfg.streamConfig ]))
    cfg.appendConfig
  ]) + "\n";

  vhostList = lib.mapAttrsToList (name: v: v // { inherit name; }) virtualHosts;
  vhostsWhere = pred: map (v: v.name) (builtins.filter pred vhostList);
  mustNot = pred: what: {
    assertion = vhostsWhere pred == [ ];
    message = "services.nginx.virtualHosts.${builtins.concatStringsSep ", " (vhostsWhere pred)}: ${what}";
  };
in
{
  config = lib.mkIf cfg.enable (lib.mkMerge [{
    assertions = [
      {
        assertion = acmeVhosts == { } || builtins.pathExists "/usr/bin/openssl";
        message = "services.nginx.virtualHosts.<name>.enableACME: the self-signed certificate nixcsh makes in its place needs the host's openssl; install the Debian package 'openssl'";
      }
      {
        assertion = cfg.streamConfig == "" || builtins.pathExists streamModule;
        message = "services.nginx.streamConfig needs the host's nginx stream module (${streamModule}); install the Debian package 'libnginx-mod-stream'";
      }
      (mustNot (v: v.enableACME && v.useACMEHost != null)
        "enableACME and useACMEHost are mutually exclusive.")
      (mustNot (v: lib.count (x: x) [ v.addSSL v.onlySSL v.forceSSL v.rejectSSL ] > 1)
        "addSSL, onlySSL, forceSSL and rejectSSL are mutually exclusive.")
      (mustNot (v: v.quic)
        "quic is not available: the host's nginx (Debian package nginx) is built without HTTP/3.")
      (mustNot (v: lib.any (l: l.root != null && l.alias != null) (builtins.attrValues v.locations))
        "only one of root or alias can be specified on a location.")
      (mustNot (v: v.redirectCode < 300 || v.redirectCode > 399)
        "redirectCode must be between 300 and 399.")
    ];

    warnings = lib.mapAttrsToList (name: v:
      "services.nginx.virtualHosts.${name}.${if v.enableACME then "enableACME" else "useACMEHost"}: nixcsh has no ACME client; "
      + "${serverName name v} is served with a self-signed certificate (made once in ${acmeDir (certName name v)} in the container). "
      + "Give a real one with sslCertificate and sslCertificateKey.") acmeVhosts;

    users.users = lib.mkIf (cfg.user == "nginx") {
      nginx = { group = cfg.group; isSystemUser = true; uid = 60; description = "Nginx web server user"; };
    };
    users.groups = lib.mkIf (cfg.group == "nginx") { nginx.gid = 60; };

    environment.etc = {
      "nginx/nginx.conf".text = configText;
      "nginx/mime.types".text =
        "types {\n" + lib.concatStrings (lib.mapAttrsToList (t: exts: "  ${t} ${exts};\n") mimeTypes) + "}\n";
      "nginx/recommended-proxy-headers.conf".text = ''
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
        proxy_set_header X-Forwarded-Server $host;
      '';
    }
    // builtins.listToAttrs (map (p: lib.nameValuePair (fileName p) {
      source = p; mode = "0440"; group = cfg.group;
    }) secretFiles)
    // builtins.listToAttrs (map (p: lib.nameValuePair (fileName p) { source = p; }) contentFiles)
    // builtins.listToAttrs (map (z: lib.nameValuePair (authFile z) {
      text = lib.concatStrings (lib.mapAttrsToList (user: password: "${user}:{PLAIN}${password}\n") z.basicAuth);
      mode = "0440"; group = cfg.group;
    }) (builtins.filter (z: z.basicAuth != { }) authZones));

    systemd.services = lib.listToAttrs (map (c: lib.nameValuePair "acme-selfsigned-${c}" (selfSigned c)) certNames);
  }
  {
    systemd.services.nginx = {
      description = "Nginx Web Server";
      wantedBy = [ "multi-user.target" ];
      wants = map (c: "acme-selfsigned-${c}.service") certNames;
      after = [ "network.target" ] ++ map (c: "acme-selfsigned-${c}.service") certNames;
      preStart = ''
        ${cfg.preStart}
        ${nginx} -t
      '';
      # The configuration's path never changes, so the unit does not: a new
      # configuration, or a new certificate given as a file, reloads nginx
      # instead of restarting it.
      reloadTriggers = [ configText ] ++ map (builtins.hashFile "sha256") secretFiles;
      serviceConfig = {
        ExecStart = nginx;
        ExecReload = [ "${nginx} -t" "/bin/kill -HUP $MAINPID" ];
        Restart = "always";
        RestartSec = "10s";
        User = cfg.user;
        Group = cfg.group;
        RuntimeDirectory = "nginx";
        RuntimeDirectoryMode = "0750";
        CacheDirectory = "nginx";
        CacheDirectoryMode = "0750";
        LogsDirectory = "nginx";
        LogsDirectoryMode = "0750";
        UMask = "0027";
        AmbientCapabilities = [ "CAP_NET_BIND_SERVICE" "CAP_SYS_RESOURCE" ];
        CapabilityBoundingSet = [ "CAP_NET_BIND_SERVICE" "CAP_SYS_RESOURCE" ];
        NoNewPrivileges = true;
        # Not PrivateTmp or ProtectHome as on NixOS: the system (its scripts,
        # its /etc files) lives under nixcsh's root, which may be anywhere,
        # /tmp or /home included.
        ProtectSystem = "strict";
        RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" ];
        LockPersonality = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
      };
    };
  }]);
}
