package module

import (
	"strings"
	"testing"
)

func TestPkgsTableIsWellFormedAndSorted(t *testing.T) {
	entries, err := parsePkgsTable(pkgsTable)
	if err != nil {
		t.Fatalf("pkgs.tsv: %v", err)
	}
	if len(entries) < 300 {
		t.Fatalf("pkgs.tsv has %d entries, want at least 300", len(entries))
	}
	byName := map[string]pkgEntry{}
	for _, e := range entries {
		byName[e.Attr] = e
	}
	for attr, deb := range map[string]string{"openssh": "openssh-server", "apacheHttpd": "apache2", "nginx": "nginx",
		"postgresql_15": "postgresql-15", "postgresql": "postgresql", "mariadb": "mariadb-server", "redis": "redis-server",
		"coreutils": "coreutils", "python3": "python3", "iproute2": "iproute2", "dnsutils": "bind9-dnsutils", "fd": "fd-find"} {
		if byName[attr].Deb != deb {
			t.Errorf("pkgs.%s is Debian's %q, want %q", attr, byName[attr].Deb, deb)
		}
	}
	if unimplemented["fetchFromGitHub"] == "" || byName["fetchFromGitHub"].Deb != "" {
		t.Errorf("fetchFromGitHub must be a function nixcsh lacks, not a package")
	}
	for n := range unimplemented {
		if _, ok := byName[n]; ok {
			t.Errorf("%s is both a package of pkgs.tsv and an unimplemented function", n)
		}
	}
}

func TestPkgsTableRefusesBadLines(t *testing.T) {
	for text, want := range map[string]string{
		"b\tbb\tb\na\taa\ta\n": "out of order",
		"a\taa\ta\na\taa\ta\n": "out of order or repeated",
		"a\taa\n":              "2 columns",
		"a b\taa\ta\n":         "not a nixpkgs attribute name",
		"a\tA_b\ta\n":          "not a Debian package name",
		"a\taa\tbin/a\n":       "must be a file name",
		"# c\n\na\taa\t-\n":    "",
		"x.y.z\tzz\tz\n":       "not a nixpkgs attribute name",
		"a\taa\ta\nb\tbb\tb\n": "",
		"a\taa\ta\tx\n":        "4 columns",
		"ab\tab\t-\naa\taa\t-": "out of order",
	} {
		_, err := parsePkgsTable(text)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", text, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
}

func TestUpstreamVersion(t *testing.T) {
	for deb, want := range map[string]string{"1:9.2p1-2+deb12u3": "9.2p1", "7.88.1-10+deb12u14": "7.88.1", "15+248": "15",
		"1.2.3+dfsg-1": "1.2.3", "9.1-1": "9.1", "2.0": "2.0", "1:2.39.2-1.1": "2.39.2", "5.2.15-2+b8": "5.2.15"} {
		if got := upstreamVersion(deb); got != want {
			t.Errorf("upstreamVersion(%q) = %q, want %q", deb, got, want)
		}
	}
}
