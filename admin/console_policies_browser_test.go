package admin_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oaq/custodia/internal/testkit"
)

// An admin in a real browser explains two denials on the policies page:
// carla (a client) writing into her own client's folder, which no rule
// allows, and ana (staff) writing an executable into her department,
// which the staff's deny rule refuses, shown as the deciding rule.
func TestBrowserConsoleExplainDenial(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	ctx := testkit.Browser(t)
	if err := testkit.ConsoleLogin(ctx, tg, "sys", testkit.Password); err != nil {
		t.Fatalf("sys logs in to the console: %v", err)
	}
	ask := func(user, action, path string) (result, rule string) {
		t.Helper()
		testkit.Step(t, tg, ctx, "explain "+user+" "+action+" "+path,
			chromedp.Navigate(tg.ConsoleURL()+"policies"),
			chromedp.WaitVisible(chromedp.CSS(`#explain-user`)),
			chromedp.SendKeys(chromedp.CSS(`#explain-user`), user),
			chromedp.SetValue(chromedp.CSS(`#explain-action`), action),
			chromedp.SendKeys(chromedp.CSS(`#explain-path`), path),
			testkit.Load(ctx, chromedp.Click(chromedp.CSS(`#explain button[type="submit"]`))),
			chromedp.WaitVisible(chromedp.CSS(`#verdict`)),
		)
		v, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#verdict`), "data-result"))
		rule, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#deciding-rule`)))
		return v.Value, strings.TrimSpace(rule)
	}
	if result, rule := ask("carla", "write", "/clients/ACME/2026/x.pdf"); result != "deny" || !strings.Contains(rule, "Ninguna regla lo permite") {
		t.Errorf("carla writing /clients/ACME/2026/x.pdf: %q by %q, want deny as no rule allows it", result, rule)
	}
	result, rule := ask("ana", "write", "/departments/operaciones/setup.exe")
	if result != "deny" || !strings.HasPrefix(rule, "p, staff, /departments/**/*.{exe,") || !strings.HasSuffix(rule, "write|overwrite|rename, deny") {
		t.Errorf("ana writing setup.exe: %q by %q, want deny by the staff's rule against executables", result, rule)
	}
	testkit.Screenshot(t, ctx, "console-policies")
}
