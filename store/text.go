package store

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable is s safe to print on a terminal, one value of one row: every
// control character (Unicode Cc: ESC, newline, tab, NUL, C1…), every
// invisible or bidirectional format character (Cf: U+202E, U+200B…), the
// line and paragraph separators and every byte that is not UTF-8 is
// written as a Go-style escape (\n, \t, \r, \x1b, \u202e), so a user name
// or path from a stranger can neither move the cursor nor add a row.
// Backslashes are left alone: an escape in the output may also be one the
// stranger typed, but it cannot act.
func Printable(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case escaped(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case escaped(r) && r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		case escaped(r):
			fmt.Fprintf(&b, `\U%08x`, r)
		default:
			b.WriteRune(r)
		}
		i += n
	}
	return b.String()
}

func escaped(r rune) bool { return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) }

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || escaped(r) {
			return true
		}
		i += n
	}
	return false
}

// CSVCell is s as a CSV cell that a spreadsheet shows as text: a cell
// starting with = + - @, a tab, a CR or LF, or their full-width forms
// (＝ ＋ － ＠, which some spreadsheets fold to ASCII) would be read as a
// formula, so it gets a leading '. encoding/csv quotes the rest.
func CSVCell(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	switch r {
	case '=', '+', '-', '@', '\t', '\r', '\n', '＝', '＋', '－', '＠':
		return "'" + s
	}
	return s
}
