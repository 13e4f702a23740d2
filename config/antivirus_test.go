package config_test

import (
	"slices"
	"testing"
	"time"

	"github.com/oaq/custodia/config"
)

// By default nothing is scanned; once clamd is named, unscanned uploads
// are accepted from staff, managers and admins only, and a scan has 2m.
func TestAntivirusDefaultsAndFile(t *testing.T) {
	t.Parallel()
	c, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Antivirus.Enabled() || c.Antivirus.Timeout.Duration != 2*time.Minute ||
		!slices.Equal(c.Antivirus.AllowUnscanned, []string{"staff", "manager", "admin"}) {
		t.Errorf("antivirus defaults: %+v", c.Antivirus)
	}
	file := writeConfig(t, "[antivirus]\nclamd = \"tcp:127.0.0.1:3310\"\ntimeout = \"30s\"\nallow_unscanned = []\n")
	c, err = config.Load(file, []string{"CUSTODIA_ANTIVIRUS_CLAMD=unix:/run/clamav/clamd.ctl"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Antivirus.Clamd != "unix:/run/clamav/clamd.ctl" || c.Antivirus.Timeout.Duration != 30*time.Second || len(c.Antivirus.AllowUnscanned) != 0 {
		t.Errorf("antivirus from file and environment: %+v", c.Antivirus)
	}
}

// A clamd address without its network, an unknown role and a zero
// timeout are each reported under their key.
func TestAntivirusProblems(t *testing.T) {
	t.Parallel()
	_, err := config.Load("", []string{
		"CUSTODIA_ANTIVIRUS_CLAMD=127.0.0.1:3310", "CUSTODIA_ANTIVIRUS_ALLOW_UNSCANNED=staff,boss", "CUSTODIA_ANTIVIRUS_TIMEOUT=0s",
	})
	keys := problemKeys(t, err)
	for _, k := range []string{"antivirus.clamd", "antivirus.allow_unscanned", "antivirus.timeout"} {
		if !slices.Contains(keys, k) {
			t.Errorf("no problem reported for %s: %v", k, err)
		}
	}
}
