package web_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io/fs"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// A client ticks three PDFs the publisher uploaded over SFTP and downloads
// them as one zip: the bytes are the publisher's, and each file has its
// download row.
func TestBrowserClientDownloadsZipOfThree(t *testing.T) {
	t.Parallel()
	tg := start(t)
	pub := tg.SFTP("pub")
	if err := pub.MkdirAll("/ACME/2026/06"); err != nil {
		t.Fatalf("publisher mkdir: %v", err)
	}
	want := map[string][]byte{}
	for _, name := range []string{"pedimento 26-0001.pdf", "pedimento 26-0002.pdf", "factura A-17.pdf", "no elegido.pdf"} {
		data := append([]byte("%PDF-1.4\n"), make([]byte, 100<<10)...)
		rand.Read(data[9:])
		f, err := pub.Create("/ACME/2026/06/" + name)
		if err != nil {
			t.Fatalf("publisher create %s: %v", name, err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatalf("publisher write %s: %v", name, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("publisher close %s: %v", name, err)
		}
		want[name] = data
	}
	delete(want, "no elegido.pdf")

	ctx := testkit.Browser(t)
	testkit.PortalLogin(t, tg, ctx, "carla")
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(tg.WebURL() + "/f/ACME/2026/06/"),
		chromedp.WaitVisible(chromedp.CSS(`form#zip button`)),
	}
	for name := range want {
		actions = append(actions, chromedp.Click(chromedp.CSS(`input[type="checkbox"][value="/ACME/2026/06/`+name+`"]`)))
	}
	testkit.Step(t, tg, ctx, "tick three PDFs", actions...)
	got := unzip(t, testkit.Download(t, ctx, chromedp.Click(chromedp.CSS(`form#zip button`))))
	if len(got) != len(want) {
		t.Errorf("the zip holds %d files, want the %d ticked", len(got), len(want))
	}
	for name, data := range want {
		if !bytes.Equal(got[name], data) {
			t.Errorf("the zip's %s (%d bytes) is not the file the publisher uploaded (%d bytes)", name, len(got[name]), len(data))
		}
	}
	r := reads(tg, "carla")
	for name, data := range want {
		if row := r["/ACME/2026/06/"+name]; row.Result != store.ResultOK || row.Bytes != int64(len(data)) {
			t.Errorf("carla's download of %s has no web audit row ok with %d bytes: %+v", name, len(data), row)
		}
	}
	if len(r) != len(want) {
		t.Errorf("carla has %d download rows, want %d:\n%s", len(r), len(want), tg.AuditLog("carla", 20))
	}
}

// A staff member makes a folder, renames it, and deletes a file after the
// confirmation page; SFTP sees the result.
func TestBrowserStaffFolderOperations(t *testing.T) {
	t.Parallel()
	tg := start(t)
	tg.Put("departments/operaciones/2026/pedimentos.xlsx", "p")
	tg.Put("departments/operaciones/borrador.docx", "b")
	ctx := testkit.Browser(t)
	testkit.PortalLogin(t, tg, ctx, "ana")
	testkit.Step(t, tg, ctx, "make a folder",
		chromedp.Navigate(tg.WebURL()+"/f/operaciones/"),
		chromedp.WaitVisible(chromedp.CSS(`#mkdir-name`)),
		chromedp.SendKeys(chromedp.CSS(`#mkdir-name`), "informes"),
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`form.mkdir button`))),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/f/operaciones/informes/"]`)),
	)
	testkit.Screenshot(t, ctx, "staff")
	testkit.Step(t, tg, ctx, "rename it",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`a[href="/rename/operaciones/informes"]`))),
		chromedp.WaitVisible(chromedp.CSS(`input#name`)),
		chromedp.SetValue(chromedp.CSS(`input#name`), "informes 2026"),
		testkit.Load(ctx, chromedp.Submit(chromedp.CSS(`input#name`))),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/f/operaciones/informes%202026/"]`)),
	)
	testkit.Step(t, tg, ctx, "delete a file after confirming",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`a[href="/delete/operaciones/borrador.docx"]`))),
		chromedp.WaitVisible(chromedp.CSS(`button.danger`)),
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`button.danger`))),
		chromedp.WaitVisible(chromedp.CSS(`p.notice`)),
	)
	sc := tg.SFTP("ana")
	if fi, err := sc.Stat("/operaciones/informes 2026"); err != nil || !fi.IsDir() {
		t.Errorf("over SFTP the renamed folder is not there: %v", err)
	}
	for _, gone := range []string{"/operaciones/informes", "/operaciones/borrador.docx"} {
		if _, err := sc.Stat(gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("over SFTP %s is still there (%v)", gone, err)
		}
	}
	if _, err := sc.Stat("/operaciones/2026/pedimentos.xlsx"); err != nil {
		t.Errorf("over SFTP a file nobody touched is gone: %v", err)
	}
}
