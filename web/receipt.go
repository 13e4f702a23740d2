package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/letter"
	"github.com/oaq/custodia/web/ui"
)

// The receipt of a batch of uploads: the files the dossier received,
// each with its size, sha256 and time, as the audit trail recorded them,
// shown as a page and offered as the PDF that `custodia receipt` and the
// admin API make (letter.ReceiptFor, letter.Receipt). A batch is named by
// the ids of its uploads' audit rows; the query is always of the
// session's own user, so ids of anyone else's uploads find nothing.

// receiptPage is the receipt template's data.
type receiptPage struct {
	Files   []receiptRow
	Refused []refused
	Total   string
	Issued  string // RFC 3339, UTC
	Digest  string // letter.Batch.Digest
	PDF     string // the PDF's address
	uploadLinks
}

// uploadLinks lead back from a receipt, when it knows the folder.
type uploadLinks struct{ Folder, Upload string }

// receiptRow is one received file.
type receiptRow struct {
	Name, Folder string
	Size         string
	Bytes        int64
	SHA256       string
	At, ISO      string
}

// receipt renders the receipt of a batch: its stored files (res.ids), if
// any, and its refused ones.
func (s *Server) receipt(w http.ResponseWriter, r *http.Request, q *request, res batchResult, links uploadLinks) {
	p := receiptPage{Refused: res.refused, uploadLinks: links}
	if len(res.ids) > 0 {
		b, err := letter.ReceiptFor(r.Context(), s.o.Store, s.o.Organization, letter.ReceiptQuery{User: q.user.Name, IDs: res.ids})
		switch {
		case errors.Is(err, letter.ErrNoUploads):
			if len(p.Refused) == 0 {
				s.notFound(w, r)
				return
			}
		case err != nil:
			s.log.Error("web receipt", "user", q.user.Name, "session", q.s.ID, "err", err)
			s.serverError(w, r)
			return
		default:
			p.fill(q.lang, b)
		}
	}
	s.pages.Render(w, http.StatusOK, "receipt", q.page(q.lang.T("receipt.title"), p))
}

// fill puts a batch on the page.
func (p *receiptPage) fill(l ui.Text, b letter.Batch) {
	v := url.Values{}
	for _, f := range b.Files {
		p.Files = append(p.Files, receiptRow{Name: path.Base(f.Path), Folder: path.Dir(f.Path), Size: humanSize(l, f.Size),
			Bytes: f.Size, SHA256: f.SHA256, At: f.At.UTC().Format("2006-01-02 15:04:05 UTC"), ISO: f.At.Format(time.RFC3339)})
		v.Add("id", strconv.FormatInt(f.ID, 10))
	}
	p.Total = humanSize(l, b.Bytes())
	p.Issued = b.Issued.Format(time.RFC3339)
	p.Digest = b.Digest()
	p.PDF = "/receipt.pdf?" + v.Encode()
}

// idsOf reads the batch's audit row ids (fields id), at most
// letter.MaxReceiptFiles; false when one is not an id or there are too
// many.
func idsOf(vals []string) ([]int64, bool) {
	if len(vals) == 0 || len(vals) > letter.MaxReceiptFiles {
		return nil, false
	}
	ids := make([]int64, 0, len(vals))
	for _, s := range vals {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 1 {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

// receiptForm answers POST /receipt, the upload page's script asking
// for the receipt of the batch it sent through the resumable uploads:
// the form's token, and the ids the uploads' answers named.
func (s *Server) receiptForm(w http.ResponseWriter, r *http.Request, q *request) {
	if !ui.CheckForm(w, r, q.s.CSRF) {
		s.forbidden(w, r)
		return
	}
	ids, ok := idsOf(r.PostForm["id"])
	if !ok {
		s.notFound(w, r)
		return
	}
	s.receipt(w, r, q, batchResult{ids: ids}, uploadLinks{})
}

// receiptPDF answers GET /receipt.pdf?id=…: the receipt of the user's own
// uploads among the ids, as a PDF attachment. Ids of anyone else's
// uploads, or of none, are a 404.
func (s *Server) receiptPDF(w http.ResponseWriter, r *http.Request, q *request) {
	ids, ok := idsOf(r.URL.Query()["id"])
	if !ok {
		s.notFound(w, r)
		return
	}
	b, err := letter.ReceiptFor(r.Context(), s.o.Store, s.o.Organization, letter.ReceiptQuery{User: q.user.Name, IDs: ids})
	if errors.Is(err, letter.ErrNoUploads) {
		s.notFound(w, r)
		return
	}
	var pdf []byte
	if err == nil {
		pdf, err = letter.Receipt(b)
	}
	if err != nil {
		s.log.Error("web receipt", "user", q.user.Name, "session", q.s.ID, "err", err)
		s.serverError(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", downloadPolicy)
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", gateway.Attachment(fmt.Sprintf("acuse-%s-%s.pdf", b.User, b.Issued.Format("20060102T150405Z"))))
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	w.Write(pdf)
}
