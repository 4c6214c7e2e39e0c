package engine

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nixcsh/nixcsh/core"
)

// hostPsql is the host's psql of the newest installed PostgreSQL client.
func hostPsql(t *testing.T) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	if len(found) == 0 {
		t.Skip("needs the host's PostgreSQL (Debian packages postgresql, postgresql-client), which setup.sh installs")
	}
	sort.Strings(found)
	if servers, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres"); len(servers) == 0 {
		t.Skip("needs the host's PostgreSQL server (Debian package postgresql), which setup.sh installs")
	}
	return found[len(found)-1]
}

// pgConfig is the container's configuration: the database app owned by the
// role app, reachable over TCP from the test subnet without a password, an
// initialScript that must run once only, and extra text for the update.
func pgConfig(extra string) string {
	return `services.postgresql = {
    enable = true;
    enableTCPIP = true;
    ensureDatabases = [ "app" ` + extra + ` ];
    ensureUsers = [ { name = "app"; ensureDBOwnership = true; } ];
    authentication = "host all all 10.234.0.0/16 trust";
    initialScript = pkgs.writeText "init.sql" "CREATE TABLE boots (n int); INSERT INTO boots VALUES (1);";
  };
  networking.firewall.allowedTCPPorts = [ 5432 ];`
}

// TestServicePostgresql: services.postgresql runs the host's server in a
// container: psql inside (as postgres, over the socket) sees the database
// app owned by app, psql from the host over TCP writes to it, and an update
// that adds a database and changes a setting keeps the data, creates the
// database and does not run initialScript again, nor does a restart.
func TestServicePostgresql(t *testing.T) {
	needRoot(t)
	psql := hostPsql(t)
	t.Parallel()
	r := newTestRoot(t)
	// The whole test (two server starts, an update, a restart) under one
	// bound longer than a single step's.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	host, local := uniqueAddresses(t)
	c, err := r.M.Create(ctx, uniqueName("pg"), core.CreateOptions{Config: pgConfig(""), HostAddress: host, LocalAddress: local})
	if err != nil {
		t.Fatal(err)
	}
	name := c.Name
	r.start(name)

	// Inside: the superuser over the unix socket, by peer authentication.
	inside := func(sql string) (string, error) {
		code, out, errb := r.runCode(name, "runuser", "-u", "postgres", "--", "psql", "-tA", "-d", "postgres", "-c", sql)
		if code != 0 {
			return out, fmt.Errorf("psql %q in the container: exit %d: %s", sql, code, errb)
		}
		return strings.TrimSpace(out), nil
	}
	mustInside := func(sql, want string) {
		t.Helper()
		var got string
		err := pollUntil(func() (err error) {
			if got, err = inside(sql); err == nil && got != want {
				err = fmt.Errorf("%q gave %q, want %q", sql, got, want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	const owners = "SELECT datname || ':' || pg_get_userbyid(datdba) FROM pg_database WHERE datname NOT LIKE 'template%' ORDER BY datname"
	// The server itself is the unit's main process, and told systemd it was ready.
	props := r.run(name, "systemctl", "show", "-p", "ActiveState,Type,MainPID,InvocationID", "postgresql.service")
	if !strings.Contains(props, "ActiveState=active\n") || !strings.Contains(props, "Type=notify\n") {
		t.Errorf("postgresql.service: %s", props)
	}
	if pid := strings.TrimSpace(r.run(name, "systemctl", "show", "-P", "MainPID", "postgresql.service")); strings.TrimSpace(r.run(name, "cat", "/proc/"+pid+"/comm")) != "postgres" {
		t.Errorf("the main process %s of postgresql.service is not postgres", pid)
	}
	mustInside(owners, "app:app\npostgres:postgres")
	mustInside("SELECT count(*) FROM boots", "1")

	// From the host over TCP, as the role app into its own database.
	tcp := func(sql string) (string, error) {
		cmd := exec.CommandContext(ctx, psql, "-h", local, "-U", "app", "-d", "app", "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql)
		cmd.Env = append(os.Environ(), "PGCONNECT_TIMEOUT=5")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("host psql %q to %s: %v: %s", sql, local, err, out)
		}
		return strings.TrimSpace(string(out)), nil
	}
	if out, err := tcp("CREATE TABLE items (name text); INSERT INTO items VALUES ('kept')"); err != nil {
		t.Fatalf("%v (%s)", err, out)
	}
	if out, _ := tcp("SELECT current_user || '@' || current_database()"); out != "app@app" {
		t.Errorf("connected over TCP as %q, want app@app", out)
	}
	if out, _ := inside("SHOW work_mem"); out != "4MB" {
		t.Errorf("work_mem before the update = %q, want PostgreSQL's default 4MB", out)
	}

	// update: a second database and a setting; the server restarts with them.
	cfg := pgConfig(`"extra"`) + ` services.postgresql.settings.work_mem = "7MB";`
	if _, err := r.M.Update(ctx, name, core.UpdateOptions{Config: &cfg}); err != nil {
		t.Fatal(err)
	}
	if after := r.run(name, "systemctl", "show", "-p", "ActiveState,Type,MainPID,InvocationID", "postgresql.service"); after == props {
		t.Errorf("postgresql.service was not restarted by the update: %s", after)
	}
	mustInside(owners, "app:app\nextra:postgres\npostgres:postgres")
	mustInside("SHOW work_mem", "7MB")
	mustInside("SELECT count(*) FROM boots", "1") // initialScript ran once only
	var rows string
	if err := pollUntil(func() (err error) { rows, err = tcp("SELECT name FROM items"); return err }); err != nil || rows != "kept" {
		t.Errorf("after the update the row is %q (%v), want kept", rows, err)
	}

	// A stop and a start (a clean shutdown by SIGINT, then the existing
	// data directory) keep everything, and initialScript still ran once.
	if err := r.M.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	r.start(name)
	mustInside("SELECT count(*) FROM boots", "1")
	if err := pollUntil(func() (err error) { rows, err = tcp("SELECT name FROM items"); return err }); err != nil || rows != "kept" {
		t.Errorf("after a restart the row is %q (%v), want kept", rows, err)
	}
}
