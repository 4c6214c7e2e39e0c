package engine

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core"
)

func mysqlConfig(databases ...string) string {
	quoted := make([]string, len(databases))
	for i, d := range databases {
		quoted[i] = nixString(d)
	}
	return `services.mysql = {
    enable = true;
    package = pkgs.mariadb;
    settings.mysqld.skip-name-resolve = true;
    ensureDatabases = [ ` + strings.Join(quoted, " ") + ` ];
    ensureUsers = [ { name = "alice"; ensurePermissions = { "shop.*" = "ALL PRIVILEGES"; }; } ];
    initialDatabases = [ { name = "notes"; schema = pkgs.writeText "notes.sql" "CREATE TABLE n (s TEXT); INSERT INTO n VALUES ('hi');"; } ];
    initialScript = pkgs.writeText "init.sql" ''
      CREATE DATABASE seeded;
      CREATE TABLE seeded.t (x INT);
      INSERT INTO seeded.t VALUES (42);
    '';
  };
  users.users.alice.isNormalUser = true;`
}

// TestServiceMySQL: services.mysql runs the host's MariaDB in the
// container: the first start initialises it, loads initialDatabases' schema
// and runs initialScript, every
// start ensures ensureDatabases and ensureUsers (alice, by unix_socket, with
// her grants), and an update that adds a database keeps the rows written
// before it.
func TestServiceMySQL(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/usr/sbin/mariadbd"); err != nil {
		t.Skip("needs the host's mariadbd (Debian package mariadb-server), which setup.sh installs")
	}
	if _, err := os.Stat("/usr/bin/mariadb"); err != nil {
		t.Skip("needs the host's mariadb client (Debian package mariadb-client), which setup.sh installs")
	}
	t.Parallel()
	r := newTestRoot(t)
	name := r.create("my", mysqlConfig("shop"))
	r.logUnitsOnFailure(name, "mysql")
	r.start(name)
	sql := func(user, query string) string {
		t.Helper()
		argv := []string{"mariadb", "-N", "-B", "-e", query}
		if user != "root" {
			argv = append([]string{"runuser", "-u", user, "--"}, argv...)
		}
		return r.run(name, argv...)
	}
	if err := pollUntil(func() error {
		if code, out, _ := r.runCode(name, "systemctl", "is-active", "mysql.service"); code != 0 {
			return fmt.Errorf("mysql.service is %s", strings.TrimSpace(out))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	dbs := sql("root", "SHOW DATABASES")
	for _, want := range []string{"shop\n", "seeded\n"} {
		if !strings.Contains(dbs, want) {
			t.Errorf("SHOW DATABASES lacks %q:\n%s", want, dbs)
		}
	}
	if got := sql("root", "SELECT x FROM seeded.t"); got != "42\n" {
		t.Errorf("initialScript's row: %q", got)
	}
	if got := sql("root", "SELECT s FROM notes.n"); got != "hi\n" {
		t.Errorf("initialDatabases' schema: %q", got)
	}
	if grants := sql("root", "SHOW GRANTS FOR 'alice'@'localhost'"); !strings.Contains(grants, "GRANT ALL PRIVILEGES ON `shop`.* TO `alice`@`localhost`") {
		t.Errorf("alice's grants:\n%s", grants)
	}
	// alice logs in by unix_socket as herself and uses her database.
	sql("alice", "CREATE TABLE shop.items (name VARCHAR(20)); INSERT INTO shop.items VALUES ('apple')")
	if got := sql("alice", "SELECT CURRENT_USER()"); got != "alice@localhost\n" {
		t.Errorf("alice is %q", got)
	}
	if code, _, _ := r.runCode(name, "runuser", "-u", "alice", "--", "mariadb", "-e", "SELECT * FROM seeded.t"); code == 0 {
		t.Error("alice reads a database she was not granted")
	}

	cfg := mysqlConfig("shop", "blog")
	if _, err := r.M.Update(timeout(t), name, core.UpdateOptions{Config: &cfg}); err != nil {
		t.Fatal(err)
	}
	if dbs := sql("root", "SHOW DATABASES"); !strings.Contains(dbs, "blog\n") {
		t.Errorf("the update did not add the database blog:\n%s", dbs)
	}
	if got := sql("alice", "SELECT name FROM shop.items"); got != "apple\n" {
		t.Errorf("the row written before the update: %q", got)
	}
	if got := sql("root", "SELECT COUNT(*) FROM seeded.t"); got != "1\n" {
		t.Errorf("initialScript ran again on the update: %q rows", got)
	}
}
