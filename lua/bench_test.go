package lua

import (
	"context"
	"testing"
)

// BenchmarkVerbCall measures one verb call from Lua (argument checks, the
// worker goroutine, the result conversion): n.status on a created container.
func BenchmarkVerbCall(b *testing.B) {
	s, _ := testSession(b, false, nil, nil)
	ctx := context.Background()
	if err := s.Exec(ctx, `assert(nixcsh.create("b"))`, "setup"); err != nil {
		b.Fatal(err)
	}
	code := `for i = 1, ` + itoa(b.N) + ` do assert(nixcsh.status("b") == "down") end`
	b.ResetTimer()
	if err := s.Exec(ctx, code, "bench"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkParallelVerbCalls measures the scheduler: b.N n.status calls
// spread over 8 coroutines with n.each.
func BenchmarkParallelVerbCalls(b *testing.B) {
	s, _ := testSession(b, false, nil, nil)
	ctx := context.Background()
	if err := s.Exec(ctx, `assert(nixcsh.create("b"))`, "setup"); err != nil {
		b.Fatal(err)
	}
	code := `local per = math.ceil(` + itoa(b.N) + ` / 8)
		assert(nixcsh.each({1, 2, 3, 4, 5, 6, 7, 8}, function()
			for i = 1, per do assert(nixcsh.status("b") == "down") end
			return true
		end))`
	b.ResetTimer()
	if err := s.Exec(ctx, code, "bench"); err != nil {
		b.Fatal(err)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}
