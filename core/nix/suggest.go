package nix

import (
	"sort"
	"strings"
)

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// suggest is Nix's "Did you mean ...?" hint: up to 5 candidates within an
// edit distance of 2, closest first.
func suggest(query string, candidates []string) string {
	type cand struct {
		d int
		s string
	}
	var cs []cand
	for _, c := range candidates {
		if len(c) > len(query)+2 || len(query) > len(c)+2 {
			continue
		}
		if d := levenshtein(query, c); d <= 2 {
			cs = append(cs, cand{d, c})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].s < cs[j].s
	})
	if len(cs) > 5 {
		cs = cs[:5]
	}
	if len(cs) == 1 {
		return "Did you mean " + cs[0].s + "?"
	}
	var b strings.Builder
	b.WriteString("Did you mean one of ")
	for i, c := range cs {
		if i > 0 {
			if i == len(cs)-1 {
				b.WriteString(" or ")
			} else {
				b.WriteString(", ")
			}
		}
		b.WriteString(c.s)
	}
	b.WriteString("?")
	return b.String()
}
