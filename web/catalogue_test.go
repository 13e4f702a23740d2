package web

import "testing"

// Every text of the catalogue is written in both languages: a key missing
// in English would show Spanish to an English reader, one missing in
// Spanish would show its key.
func TestCatalogueSpeaksBothLanguages(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]Lang{{Spanish, English}, {English, Spanish}} {
		for k := range messages[pair[0]] {
			if _, ok := messages[pair[1]][k]; !ok {
				t.Errorf("message %q is in %s but not in %s", k, pair[0], pair[1])
			}
		}
	}
}
