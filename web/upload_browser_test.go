package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oaq/custodia/internal/testkit"
)

// dropFiles drops files on the upload page's drop zone as a person
// dragging them from the desktop would: a DataTransfer holding the files,
// and the dragenter, dragover and drop events on the zone.
func dropFiles(files ...upload) chromedp.Action[chromedp.Void] {
	var js strings.Builder
	js.WriteString("(() => { const dt = new DataTransfer();\n")
	for _, f := range files {
		fmt.Fprintf(&js, "dt.items.add(new File([Uint8Array.from(atob(%q), c => c.charCodeAt(0))], %q));\n",
			base64.StdEncoding.EncodeToString(f.data), f.name)
	}
	js.WriteString(`const zone = document.getElementById("drop");
for (const type of ["dragenter", "dragover", "drop"]) {
  zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: dt}));
}
return true; })()`)
	return run(js.String())
}

// run evaluates a script in the page, for what it does.
func run(js string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		return chromedp.Void{}, err
	}
}

// TestBrowserCorrespondentDropsTwoFiles: juan, correspondent of ACME,
// goes from a dossier folder to its upload page, drops two files on it,
// sees both progress bars reach 100 % and the receipt listing both with
// the sha256 of the bytes sent, and downloads the receipt as a PDF that
// names both files and their sha256.
func TestBrowserCorrespondentDropsTwoFiles(t *testing.T) {
	t.Parallel()
	pdftotext := testkit.NeedPdftotext(t)
	tg := start(t)
	ctx := testkit.Browser(t)
	testkit.PortalLogin(t, tg, ctx, "juan")
	testkit.Step(t, tg, ctx, "go to the upload page of a dossier folder",
		chromedp.Navigate(tg.WebURL()+"/f/ACME/2026/"),
		chromedp.WaitVisible(chromedp.CSS(`a.upload`)),
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`a.upload`))),
		chromedp.WaitVisible(chromedp.CSS(`#drop .drop-hint`)),
	)
	files := []upload{{"pedimento 26-24-3173-6000123.pdf", randomBytes(700 << 10)}, {"factura A-1001.xml", []byte("<cfdi:Comprobante/>")}}
	testkit.Step(t, tg, ctx, "drop two files and wait for their receipt",
		dropFiles(files...),
		chromedp.WaitVisible(chromedp.CSS(`#receipts section.receipt`)),
	)
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#progress li"),
		li => li.querySelector("label").textContent + "|" + li.querySelector("progress").value + "|" + li.querySelector(".pct").textContent)`))
	browse(t, "read the progress bars", err)
	want := []string{files[0].name + "|100|100 %", files[1].name + "|100|100 %"}
	if strings.Join(bars, "\n") != strings.Join(want, "\n") {
		t.Errorf("the progress bars show\n%s\nwant\n%s", strings.Join(bars, "\n"), strings.Join(want, "\n"))
	}
	testkit.Screenshot(t, ctx, "upload")
	receipt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#receipts section.receipt`)))
	browse(t, "read the receipt", err)
	for _, f := range files {
		if !strings.Contains(receipt, f.name) || !strings.Contains(receipt, testkit.SHA256Hex(f.data)) {
			t.Errorf("the receipt does not list %s with its sha256:\n%s", f.name, receipt)
		}
		wantStored(t, tg, "/ACME/2026/"+f.name, f.data)
	}

	pdf := testkit.Download(t, ctx, chromedp.Click(chromedp.CSS(`#receipts a.pdf`)))
	name := filepath.Join(t.TempDir(), "acuse.pdf")
	if err := os.WriteFile(name, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", name, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	for _, f := range files {
		if !strings.Contains(string(out), f.name) || !strings.Contains(string(out), testkit.SHA256Hex(f.data)) {
			t.Errorf("the receipt PDF does not name %s with its sha256:\n%s", f.name, out)
		}
	}

	// The receipt as its own page: what the page's script asked for,
	// posted by a form of the page.
	testkit.Step(t, tg, ctx, "open the receipt as a page",
		testkit.Load(ctx, run(`(() => {
			const ids = new URLSearchParams(document.querySelector("#receipts a.pdf").getAttribute("href").split("?")[1]).getAll("id");
			const f = document.createElement("form");
			f.method = "post";
			f.action = "/receipt";
			for (const [k, v] of [["csrf", document.querySelector('meta[name="csrf-token"]').content], ...ids.map(id => ["id", id])]) {
				const i = document.createElement("input");
				i.type = "hidden"; i.name = k; i.value = v;
				f.appendChild(i);
			}
			document.body.appendChild(f);
			f.submit();
			return true;
		})()`)),
		chromedp.WaitVisible(chromedp.CSS(`main section.receipt a.pdf`)),
	)
	testkit.Screenshot(t, ctx, "receipt")
}

// TestBrowserRefusedFileShowsWhy: in one dropped batch, a file the
// dossier refuses shows the server's message beside it, and the good one
// completes and is on the receipt.
func TestBrowserRefusedFileShowsWhy(t *testing.T) {
	t.Parallel()
	tg := start(t)
	ctx := testkit.Browser(t)
	testkit.PortalLogin(t, tg, ctx, "juan")
	good := upload{"certificado de origen.pdf", randomBytes(100 << 10)}
	testkit.Step(t, tg, ctx, "drop a refused and a good file",
		chromedp.Navigate(tg.WebURL()+"/u/ACME/2026/"),
		chromedp.WaitVisible(chromedp.CSS(`#drop .drop-hint`)),
		dropFiles(upload{"instalador.exe", []byte("MZ not a document")}, good, upload{"pedimento.pdf", []byte("%PDF again")}),
		chromedp.WaitVisible(chromedp.CSS(`#receipts section.receipt`)),
	)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#progress li"),
		li => li.className + "|" + li.querySelector("label").textContent + "|" + li.querySelector(".msg").textContent)`))
	browse(t, "read the files' lines", err)
	want := []string{
		"refused|instalador.exe|No se permite subir este archivo aquí: su tipo o la carpeta no lo admiten.",
		"ok|" + good.name + "|Recibido",
		"refused|pedimento.pdf|Ya existe un archivo con este nombre en la carpeta; cambie el nombre y vuelva a subirlo.",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("the batch's lines show\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	receipt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#receipts section.receipt`)))
	browse(t, "read the receipt", err)
	if !strings.Contains(receipt, good.name) || strings.Contains(receipt, "instalador") || strings.Contains(receipt, "pedimento.pdf") {
		t.Errorf("the receipt of the batch shows:\n%s", receipt)
	}
	wantStored(t, tg, "/ACME/2026/"+good.name, good.data)
}
