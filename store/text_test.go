package store

import "testing"

func TestPrintableAndCSVCell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain año 東京":     "plain año 東京",
		"x\x1b[2J\nforged": `x\x1b[2J\nforged`,
		"a\tb\rc\x00d\x7f": `a\tb\rc\x00d\x7f`,
		"inv\u202efdp.exe": `inv\u202efdp.exe`,
		"z\u200bw\ufeff":   `z\u200bw\ufeff`,
		"c1\u0085\u009b":   `c1\x85\x9b`,
		"ls\u2028ps\u2029": `ls\u2028ps\u2029`,
		"bad\xff\xfe":      `bad\xff\xfe`,
		"tag\U000E0041":    `tag\U000e0041`,
		`back\slash`:       `back\slash`,
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q.", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"=1": "'=1", "+1": "'+1", "-1": "'-1", "@x": "'@x", "\tx": "'\tx", "\rx": "'\rx", "\nx": "'\nx",
		"＝1": "'＝1", "＋1": "'＋1", "－1": "'－1", "＠x": "'＠x",
		"": "", "a=1": "a=1", "/ACME/x.pdf": "/ACME/x.pdf",
	} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q.", in, got, want)
		}
	}
}
