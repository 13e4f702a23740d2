package config_test

import (
	"slices"
	"testing"

	"github.com/oaq/custodia/config"
)

func TestWebSettings(t *testing.T) {
	t.Parallel()
	c, err := config.Load("", []string{"CUSTODIA_WEB_LISTEN=off"})
	if err != nil || config.Enabled(c.Web.Listen) {
		t.Errorf("web.listen = off must disable the portal: %q, %v", c.Web.Listen, err)
	}
	_, err = config.Load("", []string{"CUSTODIA_WEB_LISTEN=nowhere", "CUSTODIA_WEB_IDLE_TIMEOUT=9h", "CUSTODIA_WEB_READ_TIMEOUT=0s"})
	keys := problemKeys(t, err)
	for _, want := range []string{"web.listen", "web.idle_timeout", "web.read_timeout"} {
		if !slices.Contains(keys, want) {
			t.Errorf("a bad %s was not reported: %v", want, err)
		}
	}
}
