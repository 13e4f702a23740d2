package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// uploadPage logs juan in and opens the upload page of /ACME/2026.
func uploadPage(t *testing.T) (*testkit.Gateway, context.Context) {
	t.Helper()
	tg := start(t)
	ctx := testkit.Browser(t)
	testkit.PortalLogin(t, tg, ctx, "juan")
	testkit.Step(t, tg, ctx, "open the upload page",
		chromedp.Navigate(tg.WebURL()+"/u/ACME/2026/"),
		chromedp.WaitVisible(chromedp.CSS(`#drop .drop-hint`)),
	)
	return tg, ctx
}

// lines reads the batch's lines: class|name|message.
func lines(t *testing.T, ctx context.Context) []string {
	t.Helper()
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#progress li"),
		li => li.className + "|" + li.querySelector("label").textContent + "|" + li.querySelector(".msg").textContent)`))
	browse(t, "read the files' lines", err)
	return rows
}

// TestBrowserDropsTwentyFiles: twenty files dropped at once, more than the
// server's cap of unfinished uploads per user (16), all arrive: the page
// sends a few at a time. Each line says received and the receipt names
// all twenty.
func TestBrowserDropsTwentyFiles(t *testing.T) {
	t.Parallel()
	tg, ctx := uploadPage(t)
	var files []upload
	for i := range 20 {
		files = append(files, upload{fmt.Sprintf("factura %02d.xml", i+1), randomBytes(2000 + i)})
	}
	testkit.Step(t, tg, ctx, "drop twenty files and wait for their receipt",
		dropFiles(files...),
		chromedp.WaitVisible(chromedp.CSS(`#receipts section.receipt`)),
	)
	var want []string
	for _, f := range files {
		want = append(want, "ok|"+f.name+"|Recibido")
	}
	if got := lines(t, ctx); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the batch's lines show\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#receipts section.receipt tbody tr").length`))
	browse(t, "count the receipt's rows", err)
	receipt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#receipts section.receipt`)))
	browse(t, "read the receipt", err)
	stored := map[string]bool{}
	for _, e := range tg.Audit("juan", 100) {
		if e.Action == "write" && e.Result == store.ResultOK && e.Protocol == "web" {
			stored[e.VPath+" "+e.SHA256] = true
		}
	}
	for _, f := range files {
		if !strings.Contains(receipt, f.name) {
			t.Errorf("the receipt (%d rows) does not name %s:\n%s", n, f.name, receipt)
		}
		if !stored["/ACME/2026/"+f.name+" "+testkit.SHA256Hex(f.data)] {
			t.Errorf("no ok web audit row of %s with its sha256", f.name)
		}
	}
	wantStored(t, tg, "/ACME/2026/"+files[19].name, files[19].data)
}

// TestBrowserSameFileTwiceIsSentOnce: the same file dropped again while
// it is being sent is not sent a second time (a second upload of it
// would break the first): its second line says so, the first arrives.
func TestBrowserSameFileTwiceIsSentOnce(t *testing.T) {
	t.Parallel()
	tg, ctx := uploadPage(t)
	f := upload{"pedimento 26-24-3173-6000999.pdf", randomBytes(600 << 10)}
	testkit.Step(t, tg, ctx, "drop the same file twice and wait for the receipt",
		run(fmt.Sprintf(`(() => {
			const file = new File([Uint8Array.from(atob(%q), c => c.charCodeAt(0))], %q);
			const zone = document.getElementById("drop");
			for (let i = 0; i < 2; i++) {
				const dt = new DataTransfer();
				dt.items.add(file);
				zone.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
			}
			return true; })()`, base64.StdEncoding.EncodeToString(f.data), f.name)),
		chromedp.WaitVisible(chromedp.CSS(`#receipts section.receipt`)),
	)
	want := []string{"ok|" + f.name + "|Recibido",
		"skipped|" + f.name + "|Este archivo ya se está subiendo desde esta página; no se envía dos veces."}
	if got := lines(t, ctx); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the lines show\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantStored(t, tg, "/ACME/2026/"+f.name, f.data)
}

// TestBrowserResumeKeptForTheTabOnly: where an upload is, to resume it
// (its folder and file name), is kept in sessionStorage, never in
// localStorage, where the next user of a shared computer would find it;
// once the upload is done it is gone from there too.
func TestBrowserResumeKeptForTheTabOnly(t *testing.T) {
	t.Parallel()
	tg, ctx := uploadPage(t)
	testkit.Step(t, tg, ctx, "watch the storages, drop a file, wait for its receipt",
		run(`(() => {
			window.kept = [];
			const set = Storage.prototype.setItem;
			Storage.prototype.setItem = function (k, v) {
				if (String(k).startsWith("tus::")) {
					window.kept.push(this === window.localStorage ? "local" : this === window.sessionStorage ? "session" : "other");
				}
				return set.call(this, k, v);
			};
			return true; })()`),
		dropFiles(upload{"lista de empaque.pdf", randomBytes(300 << 10)}),
		chromedp.WaitVisible(chromedp.CSS(`#receipts section.receipt`)),
	)
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.kept`))
	browse(t, "read where the upload was kept", err)
	if strings.Join(kept, ",") != "session" {
		t.Errorf("the upload's URL was kept in %v, want [session] once", kept)
	}
	left, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[localStorage, sessionStorage].map(s => Object.keys(s).filter(k => k.startsWith("tus::")).length).reduce((a, b) => a + b)`))
	browse(t, "read what is left in the storages", err)
	if left != 0 {
		t.Errorf("%d upload URLs left in the storages after the upload", left)
	}
}

// TestBrowserDropBesideTheZoneStays: a file dropped beside the drop zone
// does not make the browser leave the page for it (the page cancels the
// drop), and leaving the page while files are being sent asks first.
func TestBrowserDropBesideTheZoneStays(t *testing.T) {
	t.Parallel()
	tg, ctx := uploadPage(t)
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["x"], "aside.pdf"));
		return ["dragover", "drop"].map(type => !document.body.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: dt})));
	})()`))
	browse(t, "drop a file beside the zone", err)
	if len(kept) != 2 || !kept[0] || !kept[1] {
		t.Errorf("dragover, drop beside the zone cancelled: %v, want both (or the browser opens the file)", kept)
	}
	asks := `!window.dispatchEvent(new Event("beforeunload", {cancelable: true}))`
	during, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array(2 << 20)], "grande.pdf"));
		document.getElementById("drop").dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
		return `+asks+`;
	})()`))
	browse(t, "drop a file and try to leave while it is sent", err)
	testkit.Step(t, tg, ctx, "wait for the receipt", chromedp.WaitVisible(chromedp.CSS(`#receipts section.receipt`)))
	after, err := chromedp.Run(ctx, chromedp.Evaluate[bool](asks))
	browse(t, "try to leave after the batch", err)
	if !during || after {
		t.Errorf("leaving asks first while sending: %v, after the batch: %v; want true, false", during, after)
	}
}

// TestBrowserWaitsForAPlace: uploads a closed tab abandoned hold the
// places of the server's cap of unfinished uploads (16 per user); a file
// dropped then waits and tries again (ERR_TOO_MANY_UPLOADS is retried),
// and goes through once a place is free.
func TestBrowserWaitsForAPlace(t *testing.T) {
	t.Parallel()
	tg, ctx := uploadPage(t)
	c := tg.Web()
	if resp, tok := c.Login("juan", testkit.Password); tok == "" {
		t.Fatalf("juan cannot log in to the portal: %d", resp.StatusCode)
	}
	_, page := c.Get("/f/")
	token := csrfMeta(page)
	enc := base64.StdEncoding.EncodeToString
	var abandoned []string
	for i := range 16 {
		resp, body := c.Do("POST", "/uploads/", nil, http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {"100"},
			"Origin": {c.URL}, csrfHeader: {token},
			"Upload-Metadata": {"filename " + enc(fmt.Appendf(nil, "abandonada %d.pdf", i)) + ",folder " + enc([]byte("/ACME/2026"))}})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d: %d %s", i, resp.StatusCode, body)
		}
		abandoned = append(abandoned, resp.Header.Get("Location"))
	}
	f := upload{"guia de embarque.pdf", randomBytes(50 << 10)}
	testkit.Step(t, tg, ctx, "drop a file while the places are taken", dropFiles(f), chromedp.Sleep(1500*time.Millisecond))
	loc := abandoned[0][strings.Index(abandoned[0], "/uploads/"):]
	if resp, body := c.Do("DELETE", loc, nil, http.Header{"Tus-Resumable": {"1.0.0"}, "Origin": {c.URL}, csrfHeader: {token}}); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE an abandoned upload: %d %s", resp.StatusCode, body)
	}
	testkit.Step(t, tg, ctx, "wait for the file's end",
		chromedp.WaitVisible(chromedp.CSS(`#receipts section.receipt, #progress li.refused`)))
	if got, want := lines(t, ctx), []string{"ok|" + f.name + "|Recibido"}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the lines show\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBrowserStoredWithoutReceiptIdIsFlagged: a file the server stored
// but whose answer names no audit row (here the page's XMLHttpRequest
// hides the header, as a server that failed to name it would) shows as
// received, and the page says that a stored file is missing from the
// receipt instead of leaving it out silently.
func TestBrowserStoredWithoutReceiptIdIsFlagged(t *testing.T) {
	t.Parallel()
	tg, ctx := uploadPage(t)
	f := upload{"constancia.pdf", randomBytes(20 << 10)}
	testkit.Step(t, tg, ctx, "drop a file whose answer names no audit row",
		run(`(() => {
			const get = XMLHttpRequest.prototype.getResponseHeader;
			XMLHttpRequest.prototype.getResponseHeader = function (name) {
				return /^custodia-audit-id$/i.test(name) ? null : get.call(this, name);
			};
			return true; })()`),
		dropFiles(f),
		chromedp.WaitVisible(chromedp.CSS(`#receipts .alert`)),
	)
	if got, want := lines(t, ctx), []string{"ok|" + f.name + "|Recibido"}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the lines show\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	alert, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#receipts .alert`)))
	browse(t, "read the alert", err)
	if want := "Archivos guardados que no aparecen en este acuse: 1."; !strings.HasPrefix(alert, want) {
		t.Errorf("the page says %q, want %q…", alert, want)
	}
	wantStored(t, tg, "/ACME/2026/"+f.name, f.data)
}

// TestBrowserUploadsWhenStorageCannotBeRead: a browser whose storage
// refuses to be read (a privacy setting) still uploads: looking for an
// earlier upload to resume fails, and the file starts anew instead of
// hanging at 0 %.
func TestBrowserUploadsWhenStorageCannotBeRead(t *testing.T) {
	t.Parallel()
	tg, ctx := uploadPage(t)
	f := upload{"manifiesto.pdf", randomBytes(20 << 10)}
	testkit.Step(t, tg, ctx, "drop a file while the storage cannot be read",
		run(`(() => {
			const refuse = function () { throw new DOMException("storage is disabled", "SecurityError"); };
			for (const m of ["getItem", "key"]) {
				Storage.prototype[m] = refuse;
			}
			Object.defineProperty(Storage.prototype, "length", {get: refuse});
			return true; })()`),
		dropFiles(f),
		chromedp.WaitVisible(chromedp.CSS(`#receipts section.receipt`)),
	)
	if got, want := lines(t, ctx), []string{"ok|" + f.name + "|Recibido"}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the lines show\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBrowserOffsetMismatchIsRetried: when the server and the page
// disagree on the offset (409 ERR_MISMATCHED_OFFSET; here the page's
// first PATCH claims a wrong one), the page asks the offset again and
// goes on, as tus-js-client's own rule does, instead of giving up.
func TestBrowserOffsetMismatchIsRetried(t *testing.T) {
	t.Parallel()
	tg, ctx := uploadPage(t)
	f := upload{"carta porte.pdf", randomBytes(40 << 10)}
	testkit.Step(t, tg, ctx, "drop a file whose first PATCH claims a wrong offset",
		run(`(() => {
			const set = XMLHttpRequest.prototype.setRequestHeader;
			let once = true;
			XMLHttpRequest.prototype.setRequestHeader = function (name, value) {
				if (once && /^upload-offset$/i.test(name)) {
					once = false;
					value = "7";
				}
				return set.call(this, name, value);
			};
			return true; })()`),
		dropFiles(f),
		chromedp.WaitVisible(chromedp.CSS(`#receipts section.receipt, #progress li.refused`)),
	)
	if got, want := lines(t, ctx), []string{"ok|" + f.name + "|Recibido"}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the lines show\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	wantStored(t, tg, "/ACME/2026/"+f.name, f.data)
}
