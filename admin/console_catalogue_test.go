package admin

import "testing"

// Every text of the console is written in both languages.
func TestConsoleCatalogueSpeaksBothLanguages(t *testing.T) {
	t.Parallel()
	for _, m := range consoleMessages.Missing() {
		t.Errorf("console message %s is missing", m)
	}
}
