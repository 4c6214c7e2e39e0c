package options

import (
	"crypto/sha256"
	"crypto/sha512"
	"strings"
)

const itoa64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// CryptSHA512 hashes a password in crypt(3)'s SHA-512 format ("$6$salt$..."),
// which pam_unix and login verify. initialPassword needs it; the salt comes
// from saltSeed so that the same configuration renders the same generation.
func CryptSHA512(password, saltSeed string) string {
	sum := sha256.Sum256([]byte(saltSeed + "\x00" + password))
	var salt strings.Builder
	for i := 0; i < 16; i++ {
		salt.WriteByte(itoa64[sum[i]&0x3f])
	}
	return shaCrypt512([]byte(password), []byte(salt.String()), 5000)
}

func shaCrypt512(p, s []byte, rounds int) string {
	b := sha512.New()
	b.Write(p)
	b.Write(s)
	b.Write(p)
	bsum := b.Sum(nil)

	a := sha512.New()
	a.Write(p)
	a.Write(s)
	n := len(p)
	for ; n > 64; n -= 64 {
		a.Write(bsum)
	}
	a.Write(bsum[:n])
	for i := len(p); i > 0; i >>= 1 {
		if i&1 != 0 {
			a.Write(bsum)
		} else {
			a.Write(p)
		}
	}
	asum := a.Sum(nil)

	dp := sha512.New()
	for i := 0; i < len(p); i++ {
		dp.Write(p)
	}
	dpsum := dp.Sum(nil)
	pp := make([]byte, 0, len(p))
	for len(pp) < len(p) {
		k := len(p) - len(pp)
		if k > 64 {
			k = 64
		}
		pp = append(pp, dpsum[:k]...)
	}

	ds := sha512.New()
	for i := 0; i < 16+int(asum[0]); i++ {
		ds.Write(s)
	}
	dssum := ds.Sum(nil)
	ss := dssum[:len(s)]

	prev := asum
	for i := 0; i < rounds; i++ {
		c := sha512.New()
		if i&1 != 0 {
			c.Write(pp)
		} else {
			c.Write(prev)
		}
		if i%3 != 0 {
			c.Write(ss)
		}
		if i%7 != 0 {
			c.Write(pp)
		}
		if i&1 != 0 {
			c.Write(prev)
		} else {
			c.Write(pp)
		}
		prev = c.Sum(nil)
	}

	var out strings.Builder
	out.WriteString("$6$")
	out.Write(s)
	out.WriteByte('$')
	enc := func(b2, b1, b0 byte, n int) {
		w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
		for ; n > 0; n-- {
			out.WriteByte(itoa64[w&0x3f])
			w >>= 6
		}
	}
	order := [][3]int{{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26}, {6, 27, 48},
		{28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13},
		{56, 14, 35}, {15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}}
	for _, o := range order {
		enc(prev[o[0]], prev[o[1]], prev[o[2]], 4)
	}
	enc(0, 0, prev[63], 2)
	return out.String()
}

func readSource(path string) ([]byte, error) { return readRegular(path) }
