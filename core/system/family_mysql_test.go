package system

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func needHostFile(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("needs the host's %s (Debian package %s), which setup.sh installs", path, pkg)
	}
}

// TestMySQLRendersMyCnfAndUnit: services.mysql writes NixOS's my.cnf from
// settings (lists repeat a key), a mysql user and group with NixOS's ids,
// and a unit that runs the host's mariadbd and ensures databases and users.
func TestMySQLRendersMyCnfAndUnit(t *testing.T) {
	needHostFile(t, "/usr/sbin/mariadbd", "mariadb-server")
	paths := testPaths(t)
	writeConfig(t, paths, "db", `services.mysql = {
    enable = true;
    package = pkgs.mariadb;
    settings.mysqld = { bind-address = "0.0.0.0"; skip-name-resolve = true; plugin-load-add = [ "a" "b" ]; };
    settings.client.default-character-set = "utf8mb4";
    ensureDatabases = [ "shop" ];
    ensureUsers = [ { name = "alice"; ensurePermissions = { "shop.*" = "ALL PRIVILEGES"; }; } ];
    initialDatabases = [ { name = "seed"; schema = pkgs.writeText "seed.sql" "CREATE TABLE t (x INT);"; } ];
    initialScript = pkgs.writeText "init.sql" "SELECT 1;";
  };`)
	sp, warnings, err := Build(context.Background(), paths, "db")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings for pkgs.mariadb: %q", warnings)
	}
	cnf := readFile(t, filepath.Join(sp, "etc/my.cnf"))
	for _, want := range []string{"[client]\ndefault-character-set=utf8mb4\n", "[mysqld]\n", "bind-address=0.0.0.0\n",
		"datadir=/var/lib/mysql\n", "plugin-load-add=a\nplugin-load-add=b\n", "port=3306\n", "skip-name-resolve=true\n"} {
		if !strings.Contains(cnf, want) {
			t.Errorf("my.cnf lacks %q:\n%s", want, cnf)
		}
	}
	if passwd := readFile(t, filepath.Join(sp, "etc/passwd")); !strings.Contains(passwd, "mysql:x:84:84:MySQL server user:") {
		t.Errorf("passwd has no mysql user with NixOS's uid 84:\n%s", passwd)
	}
	unit := readFile(t, filepath.Join(sp, "etc/systemd/system/mysql.service"))
	for _, want := range []string{"Type=notify\n", "User=mysql\n", "StateDirectory=mysql\n", "RuntimeDirectory=mysqld\n"} {
		if !strings.Contains(unit, want) {
			t.Errorf("mysql.service lacks %q:\n%s", want, unit)
		}
	}
	if tmp := readFile(t, filepath.Join(sp, "etc/tmpfiles.d/nixos.conf")); !strings.Contains(tmp, "d /var/lib/mysql 0700 mysql mysql -\n") {
		t.Errorf("tmpfiles does not make the data directory:\n%s", tmp)
	}
	if _, err := os.Lstat(filepath.Join(sp, "etc/systemd/system/multi-user.target.wants/mysql.service")); err != nil {
		t.Errorf("mysql.service is not wanted by multi-user.target: %v", err)
	}
	start := readFile(t, filepath.Join(sp, "scripts/mysql-start"))
	if !strings.Contains(start, "exec /usr/sbin/mariadbd --defaults-file=/etc/my.cnf") {
		t.Errorf("mysql-start does not run the host's mariadbd:\n%s", start)
	}
	pre := readFile(t, filepath.Join(sp, "scripts/mysql-pre-start"))
	if !strings.Contains(pre, "/usr/bin/mariadb-install-db --defaults-file=/etc/my.cnf --user=mysql --datadir=/var/lib/mysql") {
		t.Errorf("mysql-pre-start does not initialise the data directory:\n%s", pre)
	}
	post := readFile(t, filepath.Join(sp, "scripts/mysql-post-start"))
	for _, want := range []string{
		"CREATE DATABASE IF NOT EXISTS `shop`;\n",
		"CREATE USER IF NOT EXISTS 'alice'@'localhost' IDENTIFIED WITH unix_socket;\n",
		"GRANT ALL PRIVILEGES ON shop.* TO 'alice'@'localhost';\n",
		"'CREATE DATABASE `seed`;'", "cat /etc/mysql/initial-databases/seed\n",
		"/usr/bin/mariadb -N < /etc/mysql/initial-script.sql\n",
		"\nNIXCSH_SQL\n", // the here-document ends at the start of a line
	} {
		if !strings.Contains(post, want) {
			t.Errorf("mysql-post-start lacks %q:\n%s", want, post)
		}
	}
	if got := readFile(t, filepath.Join(sp, "etc/mysql/initial-script.sql")); got != "SELECT 1;" {
		t.Errorf("initial script in /etc: %q", got)
	}
	if got := readFile(t, filepath.Join(sp, "etc/mysql/initial-databases/seed")); got != "CREATE TABLE t (x INT);" {
		t.Errorf("schema of seed in /etc: %q", got)
	}
}

// TestMySQLWarnsAndRefuses: a MySQL package runs on the host's MariaDB with
// a warning; the removed port option is honoured with one; replication is
// refused by name.
func TestMySQLWarnsAndRefuses(t *testing.T) {
	needHostFile(t, "/usr/sbin/mariadbd", "mariadb-server")
	paths := testPaths(t)
	writeConfig(t, paths, "db", `services.mysql = {
    enable = true;
    package = { name = "mysql-8.0.36"; pname = "mysql80"; version = "8.0.36"; type = "derivation"; outPath = "/usr"; };
    port = 3307;
    bind = "127.0.0.1";
  };`)
	sp, warnings, err := Build(context.Background(), paths, "db")
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(warnings, "\n")
	for _, want := range []string{"services.mysql.package is mysql80 8.0.36, but this host runs MariaDB", "services.mysql.port was removed in NixOS", "services.mysql.bind was removed in NixOS"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q: %q", want, warnings)
		}
	}
	if cnf := readFile(t, filepath.Join(sp, "etc/my.cnf")); !strings.Contains(cnf, "port=3307\n") || !strings.Contains(cnf, "bind-address=127.0.0.1\n") {
		t.Errorf("services.mysql.port and bind not in my.cnf:\n%s", cnf)
	}

	writeConfig(t, paths, "db", `services.mysql = { enable = true; replication.role = "master"; };`)
	if _, _, err := Build(context.Background(), paths, "db"); err == nil || !strings.Contains(err.Error(), "services.mysql.replication.role = \"master\" is not implemented by nixcsh") {
		t.Errorf("replication: %v", err)
	}
}
