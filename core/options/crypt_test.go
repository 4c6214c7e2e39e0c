package options

import (
	"os/exec"
	"strings"
	"testing"
)

func TestCryptSHA512MatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed: no reference implementation to compare with")
	}
	for _, pw := range []string{"hunter2", "a much longer password that exceeds sixty-four bytes in length for sure yes"} {
		got := shaCrypt512([]byte(pw), []byte("saltsaltsaltsalt"), 5000)
		out, err := exec.Command("openssl", "passwd", "-6", "-salt", "saltsaltsaltsalt", pw).Output()
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimSpace(string(out)); got != want {
			t.Errorf("crypt(%q) = %s, openssl says %s", pw, got, want)
		}
	}
}
