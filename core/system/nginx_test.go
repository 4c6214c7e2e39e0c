package system

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nginxBuild builds config and returns the generation's nginx.conf and
// nginx.service.
func nginxBuild(t *testing.T, config string) (sp, conf, unit string) {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
		t.Skip("needs the host's nginx (Debian package nginx), which setup.sh installs")
	}
	paths := testPaths(t)
	writeConfig(t, paths, "foo", config)
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	return sp, readFile(t, filepath.Join(sp, "etc/nginx/nginx.conf")), readFile(t, filepath.Join(sp, "etc/systemd/system/nginx.service"))
}

// nginxAccepts runs the host's `nginx -t` on conf, the container's paths
// resolved into the generation sp (needs root: nginx -t opens its logs).
func nginxAccepts(t *testing.T, sp, conf string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	dir := t.TempDir()
	hostConf := strings.ReplaceAll(conf, "/etc/nginx/", filepath.Join(sp, "etc/nginx")+"/")
	hostConf = strings.ReplaceAll(hostConf, "/var/cache/nginx/", dir+"/")
	hostConf = strings.ReplaceAll(hostConf, "/run/nginx/", dir+"/")
	p := filepath.Join(dir, "nginx.conf")
	os.WriteFile(p, []byte(hostConf), 0o644)
	if out, err := exec.Command("/usr/sbin/nginx", "-t", "-c", p).CombinedOutput(); err != nil || !strings.Contains(string(out), "test is successful") {
		t.Errorf("nginx -t: %v\n%s\n%s", err, out, hostConf)
	}
}

// selfSigned makes a certificate for name and its key, in PEM.
func selfSigned(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

func wantLines(t *testing.T, what, text string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(text, l) {
			t.Errorf("%s lacks %q:\n%s", what, l, text)
		}
	}
}

// services.nginx renders NixOS's options into a self-contained nginx.conf:
// vhosts with their listens, locations in priority order, SSL with the
// certificate files copied into the system, forceSSL's redirect server.
func TestNginxConfig(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM, keyPEM := selfSigned(t, "secure.test")
	os.WriteFile(cert, certPEM, 0o644)
	os.WriteFile(key, keyPEM, 0o600)
	public := filepath.Join(dir, "public")
	os.Mkdir(public, 0o755)
	os.WriteFile(filepath.Join(public, "index.html"), []byte("static page\n"), 0o644)
	sp, conf, unit := nginxBuild(t, `services.nginx.enable = true;
  services.nginx.statusPage = true;
  services.nginx.recommendedGzipSettings = true;
  services.nginx.recommendedProxySettings = true;
  services.nginx.clientMaxBodySize = "64m";
  services.nginx.appendHttpConfig = "# appended to http";
  services.nginx.commonHttpConfig = "log_format plain '$remote_addr';";
  services.nginx.virtualHosts."site.test" = {
    default = true;
    serverAliases = [ "www.site.test" ];
    root = "/etc/www";
    locations."/api/" = { proxyPass = "http://127.0.0.1:8080/"; proxyWebsockets = true; };
    locations."/files/" = { priority = 10; alias = "/srv/files/"; };
    locations."= /gone".return = 410;
    extraConfig = "add_header X-Site site;";
  };
  services.nginx.virtualHosts.secure = {
    serverName = "secure.test";
    forceSSL = true;
    sslCertificate = `+cert+`;
    sslCertificateKey = `+key+`;
    locations."/".tryFiles = "$uri =404";
  };
  services.nginx.virtualHosts.static.root = `+public+`;`)
	wantLines(t, "nginx.conf", conf,
		"daemon off;", "pid /run/nginx/nginx.pid;", "error_log stderr;",
		"include /etc/nginx/mime.types;", "gzip on;", "client_max_body_size 64m;", "server_tokens off;",
		"log_format plain '$remote_addr';", "# appended to http",
		"location /nginx_status {", "stub_status on;",
		"listen 0.0.0.0:80 default_server;", "server_name site.test www.site.test;", "root /etc/www;",
		"proxy_pass http://127.0.0.1:8080/;", "proxy_set_header Upgrade $http_upgrade;",
		"include /etc/nginx/recommended-proxy-headers.conf;", "alias /srv/files/;", "return 410;", "add_header X-Site site;",
		"listen 0.0.0.0:443 http2 ssl;", "server_name secure.test;", "return 301 https://$host$request_uri;",
		"ssl_certificate /etc/nginx/files/", "try_files $uri =404;")
	if n := strings.Count(conf, "server_name localhost;"); n != 1 {
		t.Errorf("server_name localhost %d times, want once (the status page; the default vhost goes when vhosts are given):\n%s", n, conf)
	}
	if strings.Index(conf, "location /files/") > strings.Index(conf, "location /api/") {
		t.Errorf("priority 10 should put /files/ before /api/:\n%s", conf)
	}
	// forceSSL: the server with the certificate listens on 443 only.
	at := strings.Index(conf, "ssl_certificate ")
	if head := conf[strings.LastIndex(conf[:at], "server {"):at]; strings.Contains(head, ":80") || !strings.Contains(head, ":443") {
		t.Errorf("forceSSL's server listens as:\n%s", head)
	}
	// The certificate files are copied in, the key readable by the nginx group only.
	var keyCopy string
	for _, l := range strings.Split(conf, "\n") {
		if k, ok := strings.CutPrefix(strings.TrimSpace(l), "ssl_certificate_key "); ok {
			keyCopy = strings.TrimSuffix(k, ";")
		}
	}
	if got := readFile(t, filepath.Join(sp, keyCopy)); got != string(keyPEM) {
		t.Errorf("%s holds %q, want the key", keyCopy, got)
	}
	m, _ := LoadManifest(sp)
	if e := m.Etc[strings.TrimPrefix(keyCopy, "/etc/")]; e.Copy != "0440" || e.Group != "nginx" {
		t.Errorf("the key's copy: %+v, want copy 0440, group nginx", e)
	}
	// A root given as a path literal is copied in as well.
	i := strings.Index(conf, "server_name static;")
	root, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(conf[i+len("server_name static;"):]), "root "), ";")
	if !strings.HasPrefix(root, "/etc/nginx/files/") || readFile(t, filepath.Join(sp, root, "index.html")) != "static page\n" {
		t.Errorf("static's root %q does not hold the directory's index.html:\n%s", root, conf)
	}
	if mt := readFile(t, filepath.Join(sp, "etc/nginx/mime.types")); !strings.Contains(mt, "text/html html htm") {
		t.Errorf("mime.types:\n%s", mt)
	}
	wantLines(t, "nginx.service", unit, "ExecStart=/usr/sbin/nginx -c /etc/nginx/nginx.conf\n",
		"ExecReload=/bin/kill -HUP $MAINPID\n", "User=nginx\n", "RuntimeDirectory=nginx\n", "CacheDirectory=nginx\n")
	if pre := readFile(t, filepath.Join(sp, "scripts/nginx-pre-start")); !strings.Contains(pre, "/usr/sbin/nginx -c /etc/nginx/nginx.conf -t") {
		t.Errorf("preStart does not test the configuration:\n%s", pre)
	}
	if pw := readFile(t, filepath.Join(sp, "etc/passwd")); !strings.Contains(pw, "nginx:x:60:60:") {
		t.Errorf("no nginx user with uid 60:\n%s", pw)
	}

	nginxAccepts(t, sp, conf)
}

// The shapes real configurations take (all recommended settings, upstreams,
// PHP through FastCGI, explicit listens, redirects, verbatim events and
// stream blocks) give a configuration the host's nginx accepts.
func TestNginxCommonShapes(t *testing.T) {
	if _, err := os.Stat("/usr/lib/nginx/modules/ngx_stream_module.so"); err != nil {
		t.Skip("needs the host's nginx stream module (Debian package libnginx-mod-stream), which setup.sh installs")
	}
	sp, conf, _ := nginxBuild(t, `services.nginx = {
    enable = true;
    recommendedGzipSettings = true;
    recommendedOptimisation = true;
    recommendedProxySettings = true;
    recommendedTlsSettings = true;
    serverTokens = true;
    eventsConfig = "worker_connections 512;";
    appendHttpConfig = ''
      server_names_hash_bucket_size 64;
    '';
    appendConfig = "worker_processes 2;";
    streamConfig = ''
      server { listen 127.0.0.1:5353; proxy_pass 127.0.0.1:53; }
    '';
    upstreams.app.servers = { "127.0.0.1:3000" = { weight = 5; }; "127.0.0.1:3001" = { backup = true; }; };
    virtualHosts = {
      "app.example.org" = {
        listen = [ { addr = "0.0.0.0"; port = 8080; } { addr = "127.0.0.1"; port = 8443; ssl = false; } ];
        serverAliases = [ "app" ];
        locations."/" = { proxyPass = "http://app"; proxyWebsockets = true; };
        locations."~ \\.php$" = { root = "/var/www"; extraConfig = "fastcgi_pass unix:/run/phpfpm/web.sock;"; fastcgiParams.APP_ENV = "prod"; };
        locations."/static/" = { alias = "/var/www/static/"; index = "index.html"; };
      };
      "old.example.org".globalRedirect = "app.example.org";
      "internal" = { listenAddresses = [ "127.0.0.1" ]; locations."/".return = "200 'ok'"; basicAuth.admin = "pw"; };
    };
  };`)
	wantLines(t, "nginx.conf", conf, "upstream app {", "server 127.0.0.1:3000 weight=5;", "server 127.0.0.1:3001 backup;",
		"location ~ \\.php$ {", "fastcgi_pass unix:/run/phpfpm/web.sock;", "fastcgi_param APP_ENV \"prod\";", "fastcgi_param SCRIPT_FILENAME",
		"listen 0.0.0.0:8080;", "listen 127.0.0.1:8443;", "return 301 http://app.example.org$request_uri;",
		"listen 127.0.0.1:80;", "worker_connections 512;", "stream {", "worker_processes 2;", "ssl_session_cache shared:SSL:10m;",
		"sendfile on;", "server_tokens on;")
	nginxAccepts(t, sp, conf)
}

// A user's systemd.services.nginx.serviceConfig merges with the module's,
// as on NixOS.
func TestNginxUserServiceConfigMerges(t *testing.T) {
	_, conf, unit := nginxBuild(t, `services.nginx.enable = true;
  systemd.services.nginx.serviceConfig.LimitNOFILE = 65536;
  systemd.services.nginx.serviceConfig.RestartSec = lib.mkForce "2s";`)
	wantLines(t, "nginx.conf", conf, "listen 0.0.0.0:80;\n    server_name localhost;\n") // NixOS's default vhost
	wantLines(t, "nginx.service", unit, "LimitNOFILE=65536\n", "RestartSec=2s\n", "User=nginx\n")
	if strings.Contains(unit, "RestartSec=10s") {
		t.Errorf("mkForce did not replace RestartSec:\n%s", unit)
	}
}

// enableACME, which nixcsh cannot honour (no ACME client), is accepted with
// a warning and a self-signed certificate made by a unit of its own.
func TestNginxACMEIsSelfSignedWithAWarning(t *testing.T) {
	if _, err := os.Stat("/usr/bin/openssl"); err != nil {
		t.Skip("needs the host's openssl (Debian package openssl), which setup.sh installs")
	}
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `services.nginx.enable = true;
  security.acme.acceptTerms = true;
  security.acme.defaults.email = "admin@example.org";
  services.nginx.virtualHosts."example.org" = { enableACME = true; forceSSL = true; locations."/".proxyPass = "http://127.0.0.1:3000"; };
  services.nginx.virtualHosts."www.example.org" = { useACMEHost = "example.org"; addSSL = true; };`)
	sp, warnings, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(warnings, "\n"); !strings.Contains(w, "services.nginx.virtualHosts.example.org.enableACME: nixcsh has no ACME client") ||
		!strings.Contains(w, "services.nginx.virtualHosts.www.example.org.useACMEHost") {
		t.Errorf("warnings: %q", warnings)
	}
	conf := readFile(t, filepath.Join(sp, "etc/nginx/nginx.conf"))
	wantLines(t, "nginx.conf", conf, "ssl_certificate /var/lib/acme/example.org/fullchain.pem;",
		"ssl_certificate_key /var/lib/acme/example.org/key.pem;", "location ^~ /.well-known/acme-challenge/ {")
	unit := readFile(t, filepath.Join(sp, "etc/systemd/system/nginx.service"))
	wantLines(t, "nginx.service", unit, "acme-selfsigned-example.org.service")
	if _, err := os.Stat(filepath.Join(sp, "etc/systemd/system/acme-selfsigned-example.org.service")); err != nil {
		t.Errorf("no unit makes the certificate: %v", err)
	}
}

// The cost of services.nginx in a build (issue 12 asks that a configuration
// with nginx, postgresql and 3 users be created in under 50 ms).
func BenchmarkEvalRenderNginx(b *testing.B) {
	paths := testPaths(b)
	writeConfig(b, paths, "foo", `services.nginx = {
    enable = true;
    recommendedProxySettings = true;
    virtualHosts."a.example.org" = { root = "/etc/www"; locations."/api/".proxyPass = "http://127.0.0.1:3000"; };
    virtualHosts."b.example.org".locations."/".return = "200 b";
  };
  users.users.alice.isNormalUser = true;
  users.users.bob.isNormalUser = true;
  users.users.carol.isNormalUser = true;`)
	for i := 0; i < b.N; i++ {
		if _, _, err := evalAndRender(context.Background(), "foo", paths.ConfigNix("foo")); err != nil {
			b.Fatal(err)
		}
	}
}
