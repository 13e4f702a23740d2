package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// apiResp is an admin API answer.
type apiResp struct {
	code   int
	header http.Header
	body   []byte
}

// json decodes the answer into a map.
func (r apiResp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v\n%s", r.code, err, r.body)
	}
	return m
}

// api sends one request to the admin API; token "" sends none; body is
// sent as is when a string, as JSON otherwise.
func (tg *testGateway) api(method, path, token string, body any) apiResp {
	tg.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tg.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, "http://"+tg.apiAddr+path, rd)
	if err != nil {
		tg.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		tg.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return apiResp{code: resp.StatusCode, header: resp.Header, body: data}
}

// apiLogin logs in to the admin API and returns the bearer token.
func (tg *testGateway) apiLogin(user string) string {
	tg.t.Helper()
	r := tg.api("POST", "/api/v1/login", "", map[string]string{"username": user, "password": testPassword})
	if r.code != 200 {
		tg.t.Fatalf("%s cannot log in to the admin API: %d %s", user, r.code, r.body)
	}
	tok, _ := r.json(tg.t)["token"].(string)
	if tok == "" {
		tg.t.Fatalf("login answered no token: %s", r.body)
	}
	return tok
}

// wantProblem checks an answer is a problem with the status (and the
// field, when not "").
func wantProblem(t testing.TB, what string, r apiResp, status int, field string) {
	t.Helper()
	if r.code != status || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("%s: %d %s %s, want a %d problem", what, r.code, r.header.Get("Content-Type"), r.body, status)
		return
	}
	if field != "" {
		if got, _ := r.json(t)["field"].(string); got != field {
			t.Errorf("%s: the problem names field %q, want %q\n%s", what, got, field, r.body)
		}
	}
}
