package nix

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
)

func registerStrings(reg func(string, int, primFn)) {
	reg("toString", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		return mkStrCtx(ev.coerceCtx(a[0], pos, true, false))
	})
	reg("stringLength", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		return intVal(len(ev.coerceToString(a[0], pos, false, false)))
	})
	reg("substring", 3, func(ev *Evaluator, pos Pos, a []Value) Value {
		start := ev.forceInt(a[0], pos)
		n := ev.forceInt(a[1], pos)
		s, ctx := ev.coerceCtx(a[2], pos, false, false)
		if start < 0 {
			ev.throwf(pos, "negative start position in 'substring'")
		}
		if start >= int64(len(s)) {
			return mkStrCtx("", ctx)
		}
		end := int64(len(s))
		if n >= 0 && n < end-start { // start+n may overflow: a length past the end means to the end
			end = start + n
		}
		return mkStrCtx(s[start:end], ctx) // a piece of a store path still needs it
	})
	reg("concatStringsSep", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		sep, ctx := ev.coerceCtx(a[0], pos, false, false)
		l := ev.forceList(a[1], pos)
		parts := make([]string, len(l.elems))
		total := 0
		for i, e := range l.elems {
			ev.pushCtx(Pos{}, "while evaluating one element of the list of strings to concat passed to builtins.concatStringsSep")
			var c strCtx
			parts[i], c = ev.coerceCtx(e, pos, false, true)
			ctx = mergeCtx(ctx, c)
			ev.popCtx()
			total += len(parts[i]) + len(sep)
			ev.checkStrLen(total, pos)
		}
		return mkStrCtx(strings.Join(parts, sep), ctx)
	})
	reg("replaceStrings", 3, func(ev *Evaluator, pos Pos, a []Value) Value {
		from := ev.forceList(a[0], pos)
		to := ev.forceList(a[1], pos)
		if len(from.elems) != len(to.elems) {
			ev.throwf(pos, "'from' and 'to' arguments passed to builtins.replaceStrings have different lengths")
		}
		fs := make([]string, len(from.elems))
		for i, e := range from.elems {
			ev.pushCtx(Pos{}, "while evaluating one of the strings to replace passed to builtins.replaceStrings")
			fs[i] = ev.forceString(e, pos)
			ev.popCtx()
		}
		sv := ev.forceStr(a[2], pos)
		s, ctx := sv.s, sv.context()
		tos := make([]*string, len(to.elems))
		var b strings.Builder
		for i := 0; i <= len(s); {
			matched := false
			for j, f := range fs {
				if strings.HasPrefix(s[i:], f) {
					if tos[j] == nil {
						t, c := ev.coerceCtx(to.elems[j], pos, false, false)
						ctx = mergeCtx(ctx, c) // only replacements made add their context
						tos[j] = &t
					}
					b.WriteString(*tos[j])
					ev.checkStrLen(b.Len(), pos)
					matched = true
					if f == "" {
						if i < len(s) {
							b.WriteByte(s[i])
						}
						i++
					} else {
						i += len(f)
					}
					break
				}
			}
			if !matched {
				if i < len(s) {
					b.WriteByte(s[i])
				}
				i++
			}
		}
		return mkStrCtx(b.String(), ctx)
	})
	reg("match", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		re := ev.compileRegex(ev.forceString(a[0], pos), pos, true)
		return re.match(ev.forceString(a[1], pos))
	})
	reg("split", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		re := ev.compileRegex(ev.forceString(a[0], pos), pos, false)
		return &listVal{re.split(ev.forceString(a[1], pos))}
	})
	reg("splitVersion", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		s := ev.coerceToString(a[0], pos, false, false)
		var out []Value
		for _, c := range splitVersion(s) {
			out = append(out, mkStr(c))
		}
		return &listVal{out}
	})
	reg("compareVersions", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		return intVal(compareVersions(ev.forceString(a[0], pos), ev.forceString(a[1], pos)))
	})
	reg("parseDrvName", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		s := ev.coerceToString(a[0], pos, false, false)
		name, version := s, ""
		for i := 0; i+1 < len(s); i++ {
			if s[i] == '-' && !(s[i+1] >= 'a' && s[i+1] <= 'z' || s[i+1] >= 'A' && s[i+1] <= 'Z') {
				name, version = s[:i], s[i+1:]
				break
			}
		}
		r := newAttrs(2)
		r.set("name", mkStr(name), Pos{})
		r.set("version", mkStr(version), Pos{})
		return r
	})
	reg("hashString", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		h := ev.hasher(ev.forceString(a[0], pos), pos)
		h.Write([]byte(ev.forceString(a[1], pos)))
		return mkStr(hex.EncodeToString(h.Sum(nil)))
	})
	reg("hashFile", 2, func(ev *Evaluator, pos Pos, a []Value) Value {
		h := ev.hasher(ev.forceString(a[0], pos), pos)
		p := ev.realPath(a[1], pos)
		h.Write([]byte(ev.readFileLimited(p, pos)))
		return mkStr(hex.EncodeToString(h.Sum(nil)))
	})
}

func (ev *Evaluator) hasher(name string, pos Pos) hash.Hash {
	switch name {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	case "sha512":
		return sha512.New()
	}
	ev.throwf(pos, "unknown hash algorithm '%s', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'", name)
	return nil
}

func sha256Sum(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// hashBase32 is Nix's base-32 encoding (omitting e, o, u, t).
func hashBase32(h []byte) string {
	const chars = "0123456789abcdfghijklmnpqrsvwxyz"
	n := (len(h)*8-1)/5 + 1
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b := uint(i * 5)
		j, k := b/8, b%8
		c := uint(h[j]) >> k
		if int(j)+1 < len(h) {
			c |= uint(h[j+1]) << (8 - k)
		}
		out[n-1-i] = chars[c&0x1f]
	}
	return string(out)
}

// splitVersion splits a version into components as Nix does: runs of
// digits, runs of other characters; '.' and '-' separate.
func splitVersion(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '.' || c == '-' {
			i++
			continue
		}
		j := i
		if isDigit(c) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
		} else {
			for j < len(s) && !isDigit(s[j]) && s[j] != '.' && s[j] != '-' {
				j++
			}
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}

func componentLess(a, b string) bool {
	ai, aerr := strconv.ParseUint(a, 10, 64)
	bi, berr := strconv.ParseUint(b, 10, 64)
	aNum, bNum := aerr == nil && a != "", berr == nil && b != ""
	switch {
	case aNum && bNum:
		return ai < bi
	case a == "" && bNum:
		return true
	case a == "pre" && b != "pre":
		return true
	case b == "pre":
		return false
	case bNum:
		return true
	case aNum:
		return false
	}
	return a < b
}

func compareVersions(a, b string) int {
	ca, cb := splitVersion(a), splitVersion(b)
	for i := 0; i < len(ca) || i < len(cb); i++ {
		x, y := "", ""
		if i < len(ca) {
			x = ca[i]
		}
		if i < len(cb) {
			y = cb[i]
		}
		if componentLess(x, y) {
			return -1
		}
		if componentLess(y, x) {
			return 1
		}
	}
	return 0
}
