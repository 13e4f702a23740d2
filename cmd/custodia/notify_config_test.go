package main

import (
	"strings"
	"testing"
)

// TestCheckConfigNotify: with notify.smtp set, check-config reports a
// missing sender and a portal link it cannot make (no portal_url, no
// public_host); the password is shown as set, never printed; with
// public_host the link is made and the configuration passes.
func TestCheckConfigNotify(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-smtp-secret"
	base := []string{"CUSTODIA_DATA_DIR=" + t.TempDir(), "CUSTODIA_NOTIFY_SMTP=smtp.example.test:587",
		"CUSTODIA_NOTIFY_USERNAME=portal", "CUSTODIA_NOTIFY_PASSWORD=" + secret}
	out, err := runWith(base, "check-config")
	if err == nil {
		t.Fatalf("check-config accepted notifications with no sender and no portal link:\n%s", out)
	}
	for _, want := range []string{"notify.from (CUSTODIA_NOTIFY_FROM)", "notify.portal_url (CUSTODIA_NOTIFY_PORTAL_URL): empty, and no public_host"} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config does not report %q:\n%s", want, out)
		}
	}
	out, err = runWith(append(base, "CUSTODIA_NOTIFY_FROM=Portal OAQ <portal@oaq.test>", "CUSTODIA_PUBLIC_HOST=archivos.oaq.test"), "check-config")
	if err != nil {
		t.Fatalf("check-config refused a whole notify configuration: %v\n%s", err, out)
	}
	if strings.Contains(out, secret) || !strings.Contains(out, "notify.password") || !strings.Contains(out, "(set)") {
		t.Errorf("check-config shows the SMTP password, or not that it is set:\n%s", out)
	}
	if out, err := runWith(append(base, "CUSTODIA_NOTIFY_FROM=portal@oaq.test", "CUSTODIA_NOTIFY_PORTAL_URL=http://x.test/"), "check-config"); err == nil ||
		!strings.Contains(out, "notify.portal_url") {
		t.Errorf("check-config accepted a plain-http portal link (err %v):\n%s", err, out)
	}
}

// TestCheckConfigHookNamedEmail: "email" is the notifier's hook, whose
// cursor and dead letters a configured hook must not share.
func TestCheckConfigHookNamedEmail(t *testing.T) {
	t.Parallel()
	file := configFile(t, "[[hooks]]\nname = \"email\"\ncommand = [\"/bin/true\"]\n")
	out, err := runWith([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), file}, "check-config")
	if err == nil || !strings.Contains(out, "name email is the e-mail notifier's") {
		t.Errorf("check-config (err %v) accepted a hook named email:\n%s", err, out)
	}
}
