package ftpserver

import (
	"slices"
	"testing"
)

// getMessageLines splits a reply's message into its lines as a
// bufio.Scanner with ScanLines did (a final newline ends the last line,
// \r before \n is dropped, an empty message is one empty line), without
// the scanner's 4 KiB buffer for every reply.
func TestGetMessageLines(t *testing.T) {
	for msg, want := range map[string][]string{
		"":                    {""},
		"Using transfer mode": {"Using transfer mode"},
		"one\r\ntwo\n":        {"one", "two"},
		"one\n\nthree":        {"one", "", "three"},
		"\n":                  {""},
	} {
		if got := getMessageLines(msg); !slices.Equal(got, want) {
			t.Errorf("getMessageLines(%q) = %q, want %q", msg, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { getMessageLines("Entering Extended Passive Mode (|||40000|)") }); n > 1 {
		t.Errorf("a one-line message takes %v allocations, want at most 1", n)
	}
}
