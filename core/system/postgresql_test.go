package system

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// hostPostgresMajor is the newest PostgreSQL server the host has ("15").
func hostPostgresMajor(t *testing.T) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(found) == 0 {
		t.Skip("needs the host's PostgreSQL server (Debian package postgresql), which setup.sh installs")
	}
	sort.Strings(found) // one major on Debian hosts; enough to name the newest there
	return filepath.Base(filepath.Dir(filepath.Dir(found[len(found)-1])))
}

// pgFile is the generation file of that name that postgresql.conf or the
// unit names (pg_hba.conf lives under pkgs/ with a hash in its name).
func pgFile(t *testing.T, sp, suffix string) string {
	t.Helper()
	found, _ := filepath.Glob(filepath.Join(sp, "pkgs", "*-"+suffix))
	if len(found) != 1 {
		t.Fatalf("the generation has %d files pkgs/*-%s, want 1", len(found), suffix)
	}
	return readFile(t, found[0])
}

// TestPostgresqlRenders: services.postgresql renders NixOS's postgresql.conf
// (defaults from enableTCPIP and port, the user's settings), a pg_hba.conf
// with the user's lines above the default ones, the postgres user, and a
// unit that runs the host's server and applies the ensure* options.
func TestPostgresqlRenders(t *testing.T) {
	major := hostPostgresMajor(t)
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `services.postgresql = {
    enable = true;
    enableTCPIP = true;
    port = 5433;
    ensureDatabases = [ "app" ];
    ensureUsers = [ { name = "app"; ensureDBOwnership = true; ensureClauses.createdb = true; ensureClauses.superuser = false; } ];
    authentication = "host all all 10.0.0.0/8 trust";
    initialScript = pkgs.writeText "init.sql" "CREATE TABLE t (x int);";
    initdbArgs = [ "--data-checksums" ];
    settings.work_mem = "8MB";
    settings.log_connections = true;
    settings.shared_preload_libraries = [ "pg_stat_statements" "auto_explain" ];
    settings.search_path = "it's";
  };`)
	sp, _, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	dataDir := "/var/lib/postgresql/" + major
	bin := "/usr/lib/postgresql/" + major + "/bin"

	conf := pgFile(t, sp, "postgresql.conf")
	for _, want := range []string{"listen_addresses = '*'\n", "port = 5433\n", "log_destination = 'stderr'\n",
		"work_mem = '8MB'\n", "log_connections = yes\n",
		"shared_preload_libraries = 'pg_stat_statements, auto_explain'\n", "search_path = 'it''s'\n", "unix_socket_directories = '/run/postgresql'\n",
		"hba_file = '" + sp + "/pkgs/"} {
		if !strings.Contains(conf, want) {
			t.Errorf("postgresql.conf lacks %q:\n%s", want, conf)
		}
	}
	hba := pgFile(t, sp, "pg_hba.conf")
	user, peer := strings.Index(hba, "host all all 10.0.0.0/8 trust"), strings.Index(hba, "local all all              peer")
	if user < 0 || peer < 0 || user > peer {
		t.Errorf("pg_hba.conf should have the user's line above the default ones:\n%s", hba)
	}

	unit := readFile(t, filepath.Join(sp, "etc/systemd/system/postgresql.service"))
	for _, want := range []string{"ExecStart=" + bin + "/postgres\n", "Type=notify\n", "User=postgres\n", "KillSignal=SIGINT\n",
		"RuntimeDirectory=postgresql\n", "StateDirectory=postgresql postgresql/" + major + "\n", `Environment="PGDATA=` + dataDir + `"`} {
		if !strings.Contains(unit, want) {
			t.Errorf("postgresql.service lacks %q:\n%s", want, unit)
		}
	}
	if _, err := os.Lstat(filepath.Join(sp, "etc/systemd/system/multi-user.target.wants/postgresql.service")); err != nil {
		t.Errorf("postgresql.service is not wanted by multi-user.target: %v", err)
	}
	pre := readFile(t, filepath.Join(sp, "scripts/postgresql-pre-start"))
	for _, want := range []string{bin + "/initdb -U postgres --data-checksums\n", "touch " + dataDir + "/.first_startup\n",
		"ln -sfn " + sp + "/pkgs/"} {
		if !strings.Contains(pre, want) {
			t.Errorf("preStart lacks %q:\n%s", want, pre)
		}
	}
	post := readFile(t, filepath.Join(sp, "scripts/postgresql-post-start"))
	for _, want := range []string{"--port=5433", "-f " + sp + "/pkgs/", `CREATE DATABASE "app"`, `CREATE USER "app"`,
		`ALTER DATABASE "app" OWNER TO "app"`, `ALTER ROLE "app" createdb nosuperuser`} {
		if !strings.Contains(post, want) {
			t.Errorf("postStart lacks %q:\n%s", want, post)
		}
	}
	if i, j := strings.Index(post, "init.sql"), strings.Index(post, "CREATE DATABASE"); i > j {
		t.Errorf("postStart should run initialScript before ensureDatabases:\n%s", post)
	}
	if passwd := readFile(t, filepath.Join(sp, "etc/passwd")); !regexp.MustCompile(`(?m)^postgres:x:71:71:[^:]*:` + dataDir + `:`).MatchString(passwd) {
		t.Errorf("passwd lacks the postgres user (uid 71, home %s):\n%s", dataDir, passwd)
	}
}

// TestPostgresqlOptions: mkForce replaces the default pg_hba rules, a
// dataDir of the user's own is made by tmpfiles, an initialScript given as
// a path literal is copied into the generation, a named version picks the
// host's directory, and the errors name what to do.
func TestPostgresqlOptions(t *testing.T) {
	major := hostPostgresMajor(t)
	paths := testPaths(t)
	writeConfig(t, paths, "foo", `services.postgresql.enable = true;
  services.postgresql.package = { type = "derivation"; pname = "postgresql_`+major+`"; outPath = "/usr"; };
  services.postgresql.dataDir = "/srv/pg";
  services.postgresql.authentication = lib.mkForce "local all all trust\n";
  services.postgresql.initialScript = ./init.sql;`)
	// A path literal names a host file: it is copied into the generation.
	if err := os.WriteFile(filepath.Join(filepath.Dir(paths.ConfigNix("foo")), "init.sql"), []byte("CREATE TABLE once (x int);\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sp, warnings, err := Build(context.Background(), paths, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings without extensions: %q", warnings)
	}
	if hba := pgFile(t, sp, "pg_hba.conf"); hba != "local all all trust\n" {
		t.Errorf("pg_hba.conf with mkForce = %q", hba)
	}
	if got := pgFile(t, sp, "init.sql"); got != "CREATE TABLE once (x int);\n" {
		t.Errorf("the initialScript copied into the generation holds %q", got)
	}
	if post := readFile(t, filepath.Join(sp, "scripts/postgresql-post-start")); !strings.Contains(post, "-f "+sp+"/pkgs/") {
		t.Errorf("postStart does not run the copied initialScript:\n%s", post)
	}
	unit := readFile(t, filepath.Join(sp, "etc/systemd/system/postgresql.service"))
	if !strings.Contains(unit, `PGDATA=/srv/pg"`) || strings.Contains(unit, "StateDirectory=") {
		t.Errorf("a dataDir of the user's own: unit\n%s", unit)
	}
	if tmp := readFile(t, filepath.Join(sp, "etc/tmpfiles.d/nixos.conf")); !strings.Contains(tmp, "d /srv/pg 0700 postgres postgres -") {
		t.Errorf("tmpfiles lacks /srv/pg:\n%s", tmp)
	}

	// Extensions, as NixOS's function of the package set: a warning, not an error.
	writeConfig(t, paths, "foo", `services.postgresql.enable = true; services.postgresql.extensions = ps: [ ps.postgis ];`)
	if _, warnings, err := Build(context.Background(), paths, "foo"); err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "postgresql-"+major+"-postgis-3") {
		t.Errorf("extensions: warnings %q, %v", warnings, err)
	}

	for _, c := range []struct{ config, want string }{
		{`services.postgresql.enable = true; services.postgresql.package = { type = "derivation"; name = "postgresql-99.1"; outPath = "/usr"; };`,
			"services.postgresql.package asks for PostgreSQL 99, which the host lacks (it has " + major + "); install the Debian package postgresql-99"},
		{`services.postgresql.enable = true; services.postgresql.package = { type = "derivation"; pname = "postgresql"; version = "98.2"; outPath = "/usr"; };`,
			"install the Debian package postgresql-98"},
		{`services.postgresql.enable = true; services.postgresql.ensureUsers = [ { name = "x"; ensureDBOwnership = true; } ];`,
			"x has ensureDBOwnership, but there is no database x in services.postgresql.ensureDatabases"},
	} {
		writeConfig(t, paths, "foo", c.config)
		if _, _, err := Build(context.Background(), paths, "foo"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\ngave %v\nwant %q", c.config, err, c.want)
		}
	}
}
