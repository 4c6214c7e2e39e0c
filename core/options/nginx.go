package options

import m "github.com/nixcsh/nixcsh/core/module"

// services.nginx: the host's nginx (Debian package nginx) under a unit of
// nixcsh's making, configured by an nginx.conf that modules/nginx.nix writes
// from NixOS's options. The names, types and defaults are NixOS's
// (nixos/modules/services/web-servers/nginx); where nixcsh differs, the
// description says how.
var nginxFamily = family{
	name:     "nginx",
	decls:    nginxDecls,
	requires: []requirement{{when: "services.nginx.enable", file: "sbin/nginx", pkg: "nginx"}},
}

func nginxDecls() []Decl {
	const p = "services.nginx."
	ds := []Decl{
		m.Opt(p+"enable", m.Bool(), false, "Whether to enable the Nginx Web Server (the host's /usr/sbin/nginx)."),
		m.Opt(p+"package", m.NullOr(m.Package()), nil, "Accepted for NixOS compatibility: the host's /usr/sbin/nginx (Debian package nginx) is what runs."),
		m.Opt(p+"user", m.Str(), "nginx", "User account under which nginx runs (the user nginx, uid 60, is created when this is its default)."),
		m.Opt(p+"group", m.Str(), "nginx", "Group account under which nginx runs (the group nginx, gid 60, is created when this is its default)."),
		m.Opt(p+"statusPage", m.Bool(), false, "Enable the status page (stub_status), reachable from localhost on http://127.0.0.1/nginx_status."),
		m.Opt(p+"recommendedTlsSettings", m.Bool(), false, "Enable recommended TLS settings."),
		m.Opt(p+"recommendedOptimisation", m.Bool(), false, "Enable recommended optimisation settings (sendfile, tcp_nopush, tcp_nodelay, keepalive_timeout)."),
		m.Opt(p+"recommendedGzipSettings", m.Bool(), false, "Enable recommended gzip settings."),
		m.Opt(p+"recommendedProxySettings", m.Bool(), false, "Whether to enable recommended proxy settings if a location does not specify the option itself."),
		m.Opt(p+"proxyTimeout", m.Str(), "60s", "The proxy timeouts set by recommendedProxySettings."),
		m.Opt(p+"proxyResolveWhileRunning", m.Bool(), false, "Resolve the names of proxyPass targets at run time, not only at start (needs services.nginx.resolver)."),
		m.Opt(p+"defaultListenAddresses", strList(), []any{"0.0.0.0"}, "The addresses virtual hosts listen on when they set neither listen nor listenAddresses. (NixOS adds \"[::0]\" when IPv6 is enabled; a container of nixcsh has IPv4 only.)"),
		m.Opt(p+"defaultHTTPListenPort", m.Port(), int64(80), "The port of HTTP listens when a virtual host does not give one."),
		m.Opt(p+"defaultSSLListenPort", m.Port(), int64(443), "The port of HTTPS listens when a virtual host does not give one."),
		m.Opt(p+"defaultMimeTypes", m.Path(), "/etc/nginx/mime.types", "The MIME types file included in the http block (default: a table nixcsh writes to /etc/nginx/mime.types)."),
		m.Opt(p+"logError", m.Str(), "stderr", "The error_log directive's arguments; stderr goes to the journal."),
		m.Opt(p+"preStart", m.Lines(), "", "Shell commands executed before nginx is started."),
		m.Opt(p+"config", m.Str(), "", "Verbatim nginx.conf, used instead of everything the other options generate except appendConfig, httpConfig and logError."),
		m.Opt(p+"appendConfig", m.Lines(), "", "Configuration lines appended to the generated nginx.conf (main context)."),
		m.Opt(p+"eventsConfig", m.Lines(), "", "Configuration lines inside the events block."),
		m.Opt(p+"httpConfig", m.Lines(), "", "Configuration lines inside the http block, instead of the virtual hosts and recommended*Settings."),
		m.Opt(p+"commonHttpConfig", m.Lines(), "", "Lines in the http block before the servers, for definitions (log_format, resolver, map) they use."),
		m.Opt(p+"commonServerConfig", m.Lines(), "", "Lines added to every server block generated from virtualHosts."),
		m.Opt(p+"appendHttpConfig", m.Lines(), "", "Configuration lines appended to the generated http block."),
		m.Opt(p+"streamConfig", m.Lines(), "", "Configuration lines inside a stream block."),
		m.Opt(p+"enableReload", m.Bool(), false, "Reload nginx when its configuration changes. nixcsh always does: the configuration is /etc/nginx/nginx.conf and a change reloads the service (ExecReload) instead of restarting it."),
		m.Opt(p+"serverTokens", m.Bool(), false, "Show the nginx version in headers and error pages."),
		m.Opt(p+"clientMaxBodySize", m.Str(), "10m", "The http block's client_max_body_size."),
		m.Opt(p+"sslProtocols", m.Str(), "TLSv1.2 TLSv1.3", "Allowed TLS protocol versions."),
		m.Opt(p+"sslCiphers", m.NullOr(m.Str()), "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384", "Ciphers to choose from when negotiating TLS handshakes."),
		m.Opt(p+"sslDhparam", m.NullOr(m.Path()), nil, "Path to DH parameters file (a path literal is copied into the system)."),
		m.Opt(p+"mapHashBucketSize", m.NullOr(m.Int()), nil, "The bucket size of the map variables hash tables."),
		m.Opt(p+"mapHashMaxSize", m.NullOr(m.Int()), nil, "The maximum size of the map variables hash tables."),
		m.Opt(p+"serverNamesHashBucketSize", m.NullOr(m.Int()), nil, "The bucket size of the server names hash tables."),
		m.Opt(p+"serverNamesHashMaxSize", m.NullOr(m.Int()), nil, "The maximum size of the server names hash tables."),
		m.Opt(p+"resolver", m.Submodule(
			m.Opt("addresses", strList(), []any{}, "Name servers used to resolve the names of upstream servers."),
			m.Opt("valid", m.Str(), "", "How long nginx caches answers (empty: their TTL)."),
			m.Opt("ipv6", m.Bool(), true, "Whether to look up IPv6 addresses too."),
		), map[string]any{}, "Name servers used to resolve the names of upstream servers into addresses."),
		m.Opt(p+"upstreams", m.AttrsOf(m.Submodule(
			m.Opt("servers", m.AttrsOf(m.AttrsOf(m.OneOf(m.Bool(), m.Int(), m.Str()))), map[string]any{}, "The upstream's servers and their parameters (weight = 5; backup = true; ...)."),
			m.Opt("extraConfig", m.Lines(), "", "These lines go to the end of the upstream verbatim."),
		)), map[string]any{}, "Groups of servers to use as proxy targets."),
		// security.acme belongs to NixOS's ACME module; nixcsh has no ACME
		// client, but configurations that use enableACME set these.
		m.Opt("security.acme.acceptTerms", m.Bool(), false, "Accept the ACME provider's terms of service (accepted; nixcsh has no ACME client, see services.nginx.virtualHosts.<name>.enableACME)."),
		m.Opt("security.acme.defaults.email", m.NullOr(m.Str()), nil, "Contact e-mail address for the ACME provider (accepted; nixcsh has no ACME client)."),
		m.Opt(p+"virtualHosts", m.AttrsOf(m.Submodule(nginxVhostDecls()...)), map[string]any{"localhost": map[string]any{}}, "Declarative vhost config."),
	}
	return ds
}

func nginxListen() *m.Type {
	return m.Submodule(
		m.OptNoDefault("addr", m.Str(), "Listen address (IPv6 addresses in brackets)."),
		m.Opt("port", m.NullOr(m.Port()), nil, "Port number to listen on (null: nginx's default, 80)."),
		m.Opt("ssl", m.Bool(), false, "Enable SSL."),
		m.Opt("proxyProtocol", m.Bool(), false, "Enable PROXY protocol."),
		m.Opt("extraParameters", strList(), []any{}, "Extra parameters of this listen directive."),
	)
}

func nginxAuthDecls() []Decl {
	return []Decl{
		m.Opt("basicAuth", m.AttrsOf(m.Str()), map[string]any{}, "Basic Auth users and their passwords (stored in plain text in the system, as on NixOS)."),
		m.Opt("basicAuthFile", m.NullOr(m.Path()), nil, "Basic Auth password file (htpasswd format)."),
	}
}

func nginxVhostDecls() []Decl {
	ds := []Decl{
		m.Opt("serverName", m.NullOr(m.Str()), nil, "Name of this virtual host (default: its attribute name)."),
		m.Opt("serverAliases", strList(), []any{}, "Additional names of virtual hosts served by this virtual host configuration."),
		m.Opt("listen", m.ListOf(nginxListen()), []any{}, "Listen addresses and ports for this virtual host; overrides addSSL and onlySSL."),
		m.Opt("listenAddresses", strList(), []any{}, "Listen addresses for this virtual host, the ports chosen as for defaultListenAddresses."),
		m.Opt("enableACME", m.Bool(), false, "Whether to ask Let's Encrypt to sign a certificate for this vhost. nixcsh has no ACME client: the vhost is served, with a warning, with a self-signed certificate made once in /var/lib/acme/NAME, as NixOS serves it until its client succeeds."),
		m.Opt("useACMEHost", m.NullOr(m.Str()), nil, "A host of an existing ACME certificate to use; in nixcsh, a self-signed one made once in /var/lib/acme/NAME (see enableACME)."),
		m.Opt("acmeRoot", m.NullOr(m.Str()), "/var/lib/acme/acme-challenge", "Directory served at /.well-known/acme-challenge/ for an ACME client of the user's own (public: no keys in it)."),
		m.Opt("acmeFallbackHost", m.NullOr(m.Str()), nil, "Host to proxy ACME challenges to (accepted; nixcsh has no ACME client)."),
		m.Opt("addSSL", m.Bool(), false, "Whether to enable HTTPS in addition to plain HTTP (listens on ports 80 and 443)."),
		m.Opt("onlySSL", m.Bool(), false, "Whether to enable HTTPS and reject plain HTTP connections (listens on port 443)."),
		m.Opt("forceSSL", m.Bool(), false, "Whether to add a server block that redirects (redirectCode, 301) all plain HTTP traffic to HTTPS."),
		m.Opt("rejectSSL", m.Bool(), false, "Whether to listen for and reject all HTTPS connections to this vhost (ssl_reject_handshake)."),
		m.Opt("kTLS", m.Bool(), false, "Whether to enable kTLS support."),
		m.OptNoDefault("sslCertificate", m.Path(), "Path to server SSL certificate: a path literal (./cert.pem) is copied into the system, a string is a path inside the container."),
		m.OptNoDefault("sslCertificateKey", m.Path(), "Path to server SSL certificate key: a path literal is copied into the system (readable by root and the nginx group only), a string is a path inside the container."),
		m.Opt("sslTrustedCertificate", m.NullOr(m.Path()), nil, "Path to root SSL certificate for stapling and client certificates."),
		m.Opt("http2", m.Bool(), true, "Whether to enable the HTTP/2 protocol (on SSL listens)."),
		m.Opt("http3", m.Bool(), true, "Whether to enable HTTP/3 (needs quic, which the host's nginx lacks)."),
		m.Opt("http3_hq", m.Bool(), false, "Whether to enable HTTP/0.9 negotiation over QUIC (needs quic)."),
		m.Opt("quic", m.Bool(), false, "Whether to enable the QUIC transport protocol; Debian's nginx is built without it, so true fails the build."),
		m.Opt("reuseport", m.Bool(), false, "Create an individual listening socket for each worker."),
		m.Opt("root", m.NullOr(m.Path()), nil, "The path of the web root directory."),
		m.Opt("default", m.Bool(), false, "Makes this vhost the default."),
		m.Opt("extraConfig", m.Lines(), "", "These lines go to the end of the vhost verbatim."),
		m.Opt("globalRedirect", m.NullOr(m.Str()), nil, "If set, all requests for this host are redirected (redirectCode) to the given hostname."),
		m.Opt("redirectCode", m.Int(), int64(301), "HTTP status used by globalRedirect and forceSSL (300 to 399)."),
		m.Opt("locations", m.AttrsOf(m.Submodule(nginxLocationDecls()...)), map[string]any{}, "Declarative location config."),
	}
	return append(ds, nginxAuthDecls()...)
}

func nginxLocationDecls() []Decl {
	ds := []Decl{
		m.Opt("proxyPass", m.NullOr(m.Str()), nil, "Adds proxy_pass directive and sets recommended proxy headers if recommendedProxySettings is enabled."),
		m.Opt("proxyWebsockets", m.Bool(), false, "Whether to support proxying websocket connections with HTTP/1.1."),
		m.Opt("recommendedProxySettings", m.NullOr(m.Bool()), nil, "Whether to set the recommended proxy headers here (null: services.nginx.recommendedProxySettings, NixOS's default)."),
		m.Opt("index", m.NullOr(m.Str()), nil, "Adds index directive."),
		m.Opt("tryFiles", m.NullOr(m.Str()), nil, "Adds try_files directive."),
		m.Opt("root", m.NullOr(m.Path()), nil, "Root directory for requests."),
		m.Opt("alias", m.NullOr(m.Path()), nil, "Alias directory for requests."),
		m.Opt("return", m.NullOr(m.Either(m.Str(), m.Int())), nil, "Adds a return directive, for e.g. redirections."),
		m.Opt("fastcgiParams", m.AttrsOf(m.Either(m.Str(), m.Path())), map[string]any{}, "FastCGI parameters to override (the usual ones are set too when this is not empty)."),
		m.Opt("extraConfig", m.Lines(), "", "These lines go to the end of the location verbatim."),
		m.Opt("priority", m.Int(), int64(1000), "Order of this location block in relation to the others in the vhost (smaller first, as lib.mkOrder)."),
	}
	return append(ds, nginxAuthDecls()...)
}
