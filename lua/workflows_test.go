package lua

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixcsh/nixcsh/core"
	"github.com/nixcsh/nixcsh/core/layout"
	"github.com/nixcsh/nixcsh/core/system"
)

const workflowDir = "../scripts/workflows"

// Every saved workflow parses (a luac -p check): they need real containers
// to run end to end, which the tests below can only partly provide.
func TestWorkflowsParse(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(workflowDir, "*.lua"))
	if len(files) < 3 {
		t.Fatalf("want at least three workflows in %s, found %d", workflowDir, len(files))
	}
	for _, f := range files {
		code, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := compileOnly(string(code)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// runWorkflow runs a workflow against a state root, as `nixcsh FILE.lua ARGS`.
func runWorkflow(t *testing.T, root, name string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := RunScript(context.Background(), filepath.Join(workflowDir, name), args, Options{
		NewManager: func(w io.Writer) (*core.Manager, error) { return core.NewManager(root, w), nil },
		Stdout:     &out,
		Stderr:     &errOut,
	})
	return code, out.String(), errOut.String()
}

// The parts of the workflows that need no running container, for real:
// against a state root whose containers are created but down (no runtime).
func TestFleetReport(t *testing.T) {
	root := t.TempDir()
	code, out, errOut := runWorkflow(t, root, "fleet-report.lua")
	if code != 0 || out != "no containers\n" {
		t.Fatalf("empty fleet: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	m := core.NewManager(root, io.Discard)
	for _, n := range []string{"web", "db"} {
		if _, err := m.Create(context.Background(), n, core.CreateOptions{AutoStart: n == "db", Port: map[string]string{"web": "tcp:8080:80"}[n]}); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut = runWorkflow(t, root, "fleet-report.lua")
	want := "" +
		"NAME  STATUS  ADDRESS     GENERATION  UPTIME  AUTOSTART  PORTS\n" +
		"db    down    10.233.2.2  -           -       yes        -\n" +
		"web   down    10.233.1.2  -           -       no         tcp:8080:80\n" +
		"2 containers, 0 up\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errOut, out, want)
	}
	code, out, _ = runWorkflow(t, root, "fleet-report.lua", "web", "nope")
	if code != 1 || !strings.Contains(out, "nope  error   container 'nope' does not exist") {
		t.Errorf("missing container: exit %d, stdout:\n%s", code, out)
	}
}

func TestRollingUpdate(t *testing.T) {
	root := t.TempDir()
	m := core.NewManager(root, io.Discard)
	for _, n := range []string{"a1", "a2"} {
		if _, err := m.Create(context.Background(), n, core.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runWorkflow(t, root, "rolling-update.lua", "--config", "services.openssh.enable = true;")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if want := "a1           generation 0, not running: not checked\na2           generation 0, not running: not checked\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	for _, n := range []string{"a1", "a2"} {
		text, _ := os.ReadFile(m.Paths.ConfigNix(n))
		if !strings.Contains(string(text), "services.openssh.enable = true;") {
			t.Errorf("%s was not updated:\n%s", n, text)
		}
	}
	code, out, errOut = runWorkflow(t, root, "rolling-update.lua", "a1", "gone", "a2")
	if code != 1 || !strings.Contains(errOut, "gone: container 'gone' does not exist") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "a2           not updated (stopped at the first failure)") {
		t.Errorf("stdout %q does not say a2 was left alone", out)
	}
	code, _, errOut = runWorkflow(t, root, "rolling-update.lua", "--port")
	if code != 1 || !strings.Contains(errOut, "--port needs a value") {
		t.Errorf("bad option: exit %d, stderr %q", code, errOut)
	}
}

// web-and-db needs a runtime; without one it must fail clearly and, with
// --cleanup, leave nothing behind.
func TestWebAndDBWithoutRuntime(t *testing.T) {
	root := t.TempDir()
	code, _, errOut := runWorkflow(t, root, "web-and-db.lua", "--cleanup")
	if code != 1 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// nixcsh switches forwarding on per container link, so the workflow
	// does not demand host-wide ip_forward: it fails at the start.
	if !strings.Contains(errOut, "starting the containers:") || !strings.Contains(errOut, "no container runtime") {
		t.Errorf("stderr %q", errOut)
	}
	names, _ := core.NewManager(root, io.Discard).List(context.Background())
	if len(names) != 0 {
		t.Errorf("left containers behind: %v", names)
	}
}

// systemBuilder builds generations with core/system, as the engine will:
// the workflows' configurations must evaluate with nixcsh's own options.
type systemBuilder struct{}

func (systemBuilder) Build(ctx context.Context, p layout.Paths, name string) (int, []string, error) {
	sp, warnings, err := system.Build(ctx, p, name)
	if err != nil {
		return 0, nil, err
	}
	gen, err := system.NewProfile(p, name).Add(sp)
	return gen, warnings, err
}

// web-and-db --create-only builds both containers for real (evaluating
// their configurations) and wires the web one to the backend's address,
// which --db-address chose.
func TestWebAndDBConfigsBuild(t *testing.T) {
	root := t.TempDir()
	var out, errOut bytes.Buffer
	code := RunScript(context.Background(), filepath.Join(workflowDir, "web-and-db.lua"), []string{"--create-only", "--db-address", "10.234.9.1,10.234.9.2"}, Options{
		NewManager: func(w io.Writer) (*core.Manager, error) {
			m := core.NewManager(root, w)
			m.Builder = systemBuilder{}
			return m, nil
		},
		Stdout: &out,
		Stderr: &errOut,
	})
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out.String(), errOut.String())
	}
	m := core.NewManager(root, io.Discard)
	dbIP, err := m.ShowIP(context.Background(), "db")
	if err != nil {
		t.Fatal(err)
	}
	if dbIP != "10.234.9.2" {
		t.Errorf("--db-address 10.234.9.1,10.234.9.2: db's address is %s", dbIP)
	}
	text, _ := os.ReadFile(m.Paths.ConfigNix("web"))
	if !strings.Contains(string(text), "http://"+dbIP+":7000/") {
		t.Errorf("web's configuration does not reference db's address %s:\n%s", dbIP, text)
	}
	for _, n := range []string{"db", "web"} {
		gens, err := system.NewProfile(m.Paths, n).Generations()
		if err != nil || len(gens) != 1 {
			t.Errorf("%s: generations %v, %v", n, gens, err)
		}
	}
	if !strings.Contains(out.String(), "nixcsh start db && nixcsh start web") {
		t.Errorf("stdout %q", out.String())
	}
}
