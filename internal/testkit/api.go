package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// APIResp is an admin API answer.
type APIResp struct {
	Code   int
	Header http.Header
	Body   []byte
}

// JSON decodes the answer into a map.
func (r APIResp) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v\n%s", r.Code, err, r.Body)
	}
	return m
}

// API sends one request to the admin API; token "" sends none; body is
// sent as is when a string, as JSON otherwise.
func (tg *Gateway) API(method, path, token string, body any) APIResp {
	tg.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tg.T.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, "http://"+tg.APIAddr+path, rd)
	if err != nil {
		tg.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		tg.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return APIResp{Code: resp.StatusCode, Header: resp.Header, Body: data}
}

// APILogin logs in to the admin API and returns the bearer token.
func (tg *Gateway) APILogin(user string) string {
	tg.T.Helper()
	r := tg.API("POST", "/api/v1/login", "", map[string]string{"username": user, "password": Password})
	if r.Code != 200 {
		tg.T.Fatalf("%s cannot log in to the admin API: %d %s", user, r.Code, r.Body)
	}
	tok, _ := r.JSON(tg.T)["token"].(string)
	if tok == "" {
		tg.T.Fatalf("login answered no token: %s", r.Body)
	}
	return tok
}

// WantProblem checks an answer is a problem with the status (and the
// field, when not "").
func WantProblem(t testing.TB, what string, r APIResp, status int, field string) {
	t.Helper()
	if r.Code != status || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("%s: %d %s %s, want a %d problem", what, r.Code, r.Header.Get("Content-Type"), r.Body, status)
		return
	}
	if field != "" {
		if got, _ := r.JSON(t)["field"].(string); got != field {
			t.Errorf("%s: the problem names field %q, want %q\n%s", what, got, field, r.Body)
		}
	}
}
