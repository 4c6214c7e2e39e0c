package nix

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

var hashSizes = map[string]int{"md5": 16, "sha1": 20, "sha256": 32, "sha512": 64}

const nix32Chars = "0123456789abcdfghijklmnpqrsvwxyz"

func decodeNix32(s string, size int) ([]byte, bool) {
	h := make([]byte, size)
	n := len(s)
	for k := 0; k < n; k++ {
		c := s[n-k-1]
		d := strings.IndexByte(nix32Chars, c)
		if d < 0 {
			return nil, false
		}
		b := k * 5
		i, j := b/8, uint(b%8)
		if i >= size {
			return nil, false
		}
		h[i] |= byte(d << j)
		if carry := d >> (8 - j); carry != 0 {
			if i+1 >= size {
				return nil, false
			}
			h[i+1] |= byte(carry)
		}
	}
	return h, true
}

// parseHash reads a hash in base16, nix32, base64 or SRI form.
func (ev *Evaluator) parseHash(s, algo string, pos Pos) ([]byte, string) {
	if i := strings.IndexByte(s, '-'); i > 0 && hashSizes[s[:i]] > 0 {
		if algo != "" && algo != s[:i] {
			ev.throwf(pos, "hash '%s' should have type '%s'", s, algo)
		}
		algo = s[:i]
		h, err := base64.StdEncoding.DecodeString(s[i+1:])
		if err != nil || len(h) != hashSizes[algo] {
			ev.throwf(pos, "invalid SRI hash '%s'", s)
		}
		return h, algo
	}
	if i := strings.IndexByte(s, ':'); i > 0 && hashSizes[s[:i]] > 0 {
		if algo != "" && algo != s[:i] {
			ev.throwf(pos, "hash '%s' should have type '%s'", s, algo)
		}
		algo = s[:i]
		s = s[i+1:]
	}
	size, ok := hashSizes[algo]
	if !ok {
		if algo == "" {
			ev.throwf(pos, "hash '%s' does not include a type, nor is the type otherwise known from context", s)
		}
		ev.throwf(pos, "unknown hash algorithm '%s', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'", algo)
	}
	switch len(s) {
	case size * 2:
		if h, err := hex.DecodeString(s); err == nil {
			return h, algo
		}
	case (size*8-1)/5 + 1:
		if h, ok := decodeNix32(s, size); ok {
			return h, algo
		}
	case base64.StdEncoding.EncodedLen(size):
		if h, err := base64.StdEncoding.DecodeString(s); err == nil {
			return h, algo
		}
	}
	ev.throwf(pos, "hash '%s' has wrong length for hash algorithm '%s'", s, algo)
	return nil, ""
}

func registerHashes(reg func(string, int, primFn)) {
	reg("convertHash", 1, func(ev *Evaluator, pos Pos, a []Value) Value {
		args := ev.forceAttrs(a[0], pos, "")
		get := func(k string, required bool) string {
			v, ok := args.m[k]
			if !ok {
				if required {
					ev.throwf(pos, "attribute '%s' missing", k)
				}
				return ""
			}
			return ev.forceString(v.v, pos)
		}
		hash := get("hash", true)
		algo := get("hashAlgo", false)
		format := get("toHashFormat", true)
		h, algo := ev.parseHash(hash, algo, pos)
		switch format {
		case "base16":
			return mkStr(hex.EncodeToString(h))
		case "base32":
			fmt.Fprintf(ev.opts.Trace, "warning: \"base32\" is a deprecated alias for hash format \"nix32\".\n")
			fallthrough
		case "nix32":
			return mkStr(hashBase32(h))
		case "base64":
			return mkStr(base64.StdEncoding.EncodeToString(h))
		case "sri":
			return mkStr(algo + "-" + base64.StdEncoding.EncodeToString(h))
		}
		ev.throwf(pos, "unknown hash format '%s', expect 'base16', 'base32', 'base64', or 'sri'", format)
		return nil
	})
}
