// Package jsonstr appends JSON string literals without reflection, for the
// hot paths that build JSON by hand (action arguments, Streamer.bot requests).
package jsonstr

import "unicode/utf8"

const lowerHex = "0123456789abcdef"

// jsonPlain[b] is true for the ASCII bytes that appear in a JSON string as
// themselves. It leaves out '"', '\\', the control characters (RFC 8259
// section 7) and, as encoding/json does by default, '<', '>' and '&'.
var jsonPlain = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()

// Append appends s as a JSON string (RFC 8259), byte for byte as
// encoding/json writes it: the two-letter escapes for '"', '\\', \b, \f, \n,
// \r and \t; \u00XX for every other control character and for '<', '>', '&';
// \u2028 and \u2029 escaped; each byte of invalid UTF-8 replaced by \ufffd.
func Append(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0 // s[start:i] is pending, to be copied unchanged
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonPlain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', lowerHex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
