package admin_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// sysConsole is a console client logged in as sys, and its CSRF token.
func sysConsole(t *testing.T, tg *testkit.Gateway) (*testkit.WebClient, string) {
	t.Helper()
	c := tg.Console()
	if _, tok := c.Login("sys", testkit.Password); tok != "" {
		return c, tok
	}
	t.Fatal("sys cannot log in to the console")
	return nil, ""
}

// publicKey is a new ed25519 public key in authorized_keys form.
func publicKey(t *testing.T, comment string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k))) + " " + comment
}

// listed are the user names of a list page, in order.
func listed(page string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<tr data-user="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

// The list's filters (role, client, department, status, last login) pick
// the users they name, a bad filter is a message, and a long list comes
// a page at a time with the filters kept on the next page's link.
func TestConsoleUsersFilters(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	if conn, err := tg.Dial("ana", testkit.Password); err != nil {
		t.Fatalf("ana logs in over SFTP: %v", err)
	} else {
		conn.Close()
	}
	if err := tg.Store().SetStatus(context.Background(), "tomas", store.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	c, _ := sysConsole(t, tg)
	for query, want := range map[string][]string{
		"":                                {"admin", "ana", "carla", "juan", "mario", "pub", "sys", "tomas"},
		"?role=correspondent":             {"juan"},
		"?client=acme":                    {"carla", "juan"},
		"?department=trafico":             {"mario", "tomas"},
		"?role=staff&department=trafico":  {"tomas"},
		"?status=disabled":                {"tomas"},
		"?status=active&role=staff":       {"ana"},
		"?login=never&role=staff":         {"tomas"},
		"?login=idle&days=1&role=staff":   {"tomas"},
		"?login=idle&days=30&department=": {"admin", "carla", "juan", "mario", "pub", "tomas"}, // sys is logged in now
	} {
		resp, page := c.Get("/admin/users" + query)
		if got := listed(page); resp.StatusCode != http.StatusOK || !slices.Equal(got, want) {
			t.Errorf("GET /admin/users%s: %d lists %v, want %v", query, resp.StatusCode, got, want)
		}
	}
	// the form shows the filters asked
	if _, page := c.Get("/admin/users?role=staff&status=disabled"); !strings.Contains(page, `<option value="staff" selected>`) ||
		!strings.Contains(page, `<option value="disabled" selected>`) {
		t.Errorf("the filter form forgets the filters asked:\n%s", page)
	}
	for _, bad := range []string{"?role=boss", "?login=idle&days=0", "?login=idle&days=x", "?status=gone"} {
		resp, page := c.Get("/admin/users" + bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `role="alert"`) || len(listed(page)) != 0 {
			t.Errorf("GET /admin/users%s: %d, want 400 with a message and no list:\n%s", bad, resp.StatusCode, page)
		}
	}

	// 60 more publishers: 50 on the first page, the rest on the next.
	for i := range 60 {
		if _, err := tg.Store().CreateUser(context.Background(), store.NewUser{Name: fmt.Sprintf("p%02d", i), Role: store.RolePublisher}); err != nil {
			t.Fatal(err)
		}
	}
	_, page := c.Get("/admin/users?role=publisher")
	first := listed(page)
	m := regexp.MustCompile(`<a rel="next" href="([^"]+)"`).FindStringSubmatch(page)
	if len(first) != 50 || m == nil {
		t.Fatalf("the first page of 61 publishers lists %d, next link %v", len(first), m)
	}
	_, page = c.Get(strings.ReplaceAll(m[1], "&amp;", "&"))
	second := listed(page)
	if len(second) != 11 || !slices.Contains(second, "pub") || slices.Contains(second, first[49]) ||
		slices.ContainsFunc(second, func(n string) bool { return !strings.HasPrefix(n, "p") }) {
		t.Errorf("the second page lists %v (the first ended with %s)", second, first[49])
	}
	if strings.Contains(page, `rel="next"`) || !strings.Contains(page, `<a rel="first" href="/admin/users?role=publisher">`) {
		t.Errorf("the last page links a next page, or no first page with the filter:\n%s", page)
	}
}

// A form that the API's checks refuse comes back with a message naming
// what is wrong and the values as entered; nothing is created.
func TestConsoleUsersCreateErrors(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c, tok := sysConsole(t, tg)
	key := publicKey(t, "laptop")
	for _, tc := range []struct {
		name  string
		form  url.Values
		want  string
		field string
	}{
		{"a duplicate name", url.Values{"username": {"juan"}, "role": {"correspondent"}, "clients": {"ACME"}, "login": {"password"}, "keys": {key}},
			"Ya existe un usuario con ese nombre.", "username"},
		{"a bad role", url.Values{"username": {"nuevo"}, "role": {"boss"}, "clients": {"ACME"}, "login": {"password"}, "keys": {key}},
			"Elija un rol de la lista.", "role"},
		{"a bad key", url.Values{"username": {"nuevo"}, "role": {"correspondent"}, "clients": {"ACME"}, "login": {"key"}, "keys": {"ssh-ed25519 AAAAnotakey laptop"}},
			"no es una clave pública SSH aceptada", "keys"},
		{"a private key", url.Values{"username": {"nuevo"}, "role": {"correspondent"}, "clients": {"ACME"}, "login": {"key"}, "keys": {"-----BEGIN OPENSSH PRIVATE KEY-----"}},
			"no es una clave pública SSH aceptada", "keys"},
		{"an unknown client", url.Values{"username": {"nuevo"}, "role": {"correspondent"}, "clients": {"ACME, NOPE"}, "login": {"password"}},
			"Revise los clientes", "clients"},
		{"a staff member without a department", url.Values{"username": {"nuevo"}, "role": {"staff"}, "login": {"password"}},
			"Revise el departamento", "department"},
		{"a key login without a key", url.Values{"username": {"nuevo"}, "role": {"publisher"}, "login": {"key"}},
			"pegue al menos una clave pública", "keys"},
	} {
		tc.form.Set("csrf", tok)
		resp, page := c.Post("/admin/users/new", tc.form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, tc.want) {
			t.Errorf("%s: %d, want 422 saying %q:\n%s", tc.name, resp.StatusCode, tc.want, page)
			continue
		}
		if !regexp.MustCompile(`id="` + tc.field + `"[^>]*aria-invalid="true"`).MatchString(page) {
			t.Errorf("%s: the field %s is not marked invalid", tc.name, tc.field)
		}
		if want := `value="` + tc.form.Get("username") + `"`; !strings.Contains(page, want) {
			t.Errorf("%s: the form lost the user name (%s)", tc.name, want)
		}
		if ks := tc.form.Get("keys"); ks != "" && !strings.Contains(html.UnescapeString(page), ">"+ks+"</textarea>") {
			t.Errorf("%s: the form lost the keys as pasted", tc.name)
		}
		if cl := tc.form.Get("clients"); cl != "" && !strings.Contains(page, `value="`+cl+`"`) {
			t.Errorf("%s: the form lost the clients", tc.name)
		}
		if tc.form.Get("role") == "correspondent" && !strings.Contains(page, `<option value="correspondent" selected>`) {
			t.Errorf("%s: the form lost the role", tc.name)
		}
	}
	if _, err := tg.Store().UserByName(context.Background(), "nuevo"); err == nil {
		t.Error("a refused form created the user")
	}
}

// A new password comes on a letter that is the answer to a POST: the
// letter's password logs in, the old one does not, no page shows it, and
// no audit row carries it.
func TestConsoleUsersResetPassword(t *testing.T) {
	t.Parallel()
	testkit.NeedPdftotext(t) // skip before the work, not at its end
	tg := testkit.Start(t)
	tg.Fixture()
	c, tok := sysConsole(t, tg)
	resp, page := c.Get("/admin/user/juan")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="/admin/user/juan/letter"`) {
		t.Fatalf("juan's page: %d\n%s", resp.StatusCode, page)
	}
	resp, body := c.Post("/admin/user/juan/letter", url.Values{"csrf": {tok}, "kind": {"password"}})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
		resp.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("the letter: %d %v\n%.300s", resp.StatusCode, resp.Header, body)
	}
	pw := letterPassword(t, testkit.PDFText(t, []byte(body), false))
	if conn, err := tg.Dial("juan", pw); err != nil {
		t.Errorf("the letter's password does not log in: %v", err)
	} else {
		conn.Close()
	}
	if _, err := tg.Dial("juan", testkit.Password); err == nil {
		t.Error("juan's old password still logs in after the letter")
	}
	if _, page := c.Get("/admin/user/juan"); strings.Contains(page, pw) {
		t.Error("juan's page shows the letter's password")
	}
	if log := tg.AuditLog("", 200); strings.Contains(log, pw) {
		t.Errorf("the audit trail carries the password:\n%s", log)
	}
	rows := tg.AuditLog("sys", 10)
	for _, want := range []string{"admin.user.password\t/api/v1/users/juan", "admin.user.letter\t/api/v1/users/juan"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the reset is not audited as %q:\n%s", want, rows)
		}
	}
	// The console's admin cannot reset their own password with a letter.
	if resp, page := c.Post("/admin/user/sys/letter", url.Values{"csrf": {tok}, "kind": {"password"}}); resp.StatusCode == http.StatusOK ||
		!strings.Contains(page, "pídalo a otro administrador") {
		t.Errorf("sys's own letter: %d\n%.500s", resp.StatusCode, page)
	}
}

// Keys: add one (listed, audited), a bad one is a message with the text
// kept, the same one again is taken, remove it.
func TestConsoleUsersKeys(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c, tok := sysConsole(t, tg)
	key := publicKey(t, "laptop-juan")
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	fp := ssh.FingerprintSHA256(pk)

	resp, _ := c.Post("/admin/user/juan/keys", url.Values{"csrf": {tok}, "key": {key + "\n"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/user/juan?done=keyadded" {
		t.Fatalf("adding a key: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := c.Get("/admin/user/juan?done=keyadded"); !strings.Contains(html.UnescapeString(page), fp) || !strings.Contains(page, "laptop-juan") ||
		!strings.Contains(page, "Clave agregada.") {
		t.Errorf("juan's page does not list the key %s:\n%s", fp, page)
	}
	if rows := tg.AuditLog("sys", 5); !strings.Contains(rows, "admin.user.key.add\t/api/v1/users/juan/keys/"+fp) {
		t.Errorf("the key is not audited:\n%s", rows)
	}
	for name, tc := range map[string]struct{ text, want string }{
		"a bad key":        {"ssh-rsa AAAA nope", "No es una clave pública SSH aceptada"},
		"the same key":     {key, "Esa clave ya está registrada."},
		"a private key":    {"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----", "nunca la privada"},
		"a key of carla's": {key, "Esa clave ya está registrada."},
	} {
		path := "/admin/user/juan/keys"
		if name == "a key of carla's" {
			path = "/admin/user/carla/keys"
		}
		resp, page := c.Post(path, url.Values{"csrf": {tok}, "key": {tc.text}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, tc.want) ||
			!strings.Contains(html.UnescapeString(page), `aria-invalid="true">`+tc.text+"</textarea>") {
			t.Errorf("%s: %d, want 422 saying %q with the text kept:\n%s", name, resp.StatusCode, tc.want, page)
		}
	}
	resp, _ = c.Post("/admin/user/juan/keys/remove", url.Values{"csrf": {tok}, "fingerprint": {fp}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing the key: %d", resp.StatusCode)
	}
	if _, page := c.Get("/admin/user/juan"); strings.Contains(html.UnescapeString(page), fp) || !strings.Contains(page, "Sin claves SSH.") {
		t.Errorf("juan's page still lists the removed key:\n%s", page)
	}
	if resp, page := c.Post("/admin/user/juan/keys/remove", url.Values{"csrf": {tok}, "fingerprint": {fp}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "El usuario no tiene esa clave.") {
		t.Errorf("removing it again: %d\n%s", resp.StatusCode, page)
	}
	if rows := tg.AuditLog("sys", 5); !strings.Contains(rows, "admin.user.key.remove\t/api/v1/users/juan/keys/"+fp) {
		t.Errorf("the removal is not audited:\n%s", rows)
	}
}

// Delete asks first: the GET is a confirmation page that changes
// nothing; its POST deletes. An admin cannot delete themselves.
func TestConsoleUsersDelete(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c, tok := sysConsole(t, tg)
	_, page := c.Get("/admin/user/carla")
	if !strings.Contains(page, `href="/admin/user/carla/delete"`) {
		t.Fatalf("carla's page has no delete link:\n%s", page)
	}
	resp, page := c.Get("/admin/user/carla/delete")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Eliminar definitivamente") ||
		!strings.Contains(page, `action="/admin/user/carla/delete"`) {
		t.Fatalf("the confirmation page: %d\n%s", resp.StatusCode, page)
	}
	if _, err := tg.Store().UserByName(context.Background(), "carla"); err != nil {
		t.Fatalf("the confirmation page deleted carla: %v", err)
	}
	resp, _ = c.Post("/admin/user/carla/delete", url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/users?done=deleted" {
		t.Fatalf("the delete: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := tg.Store().UserByName(context.Background(), "carla"); err == nil {
		t.Error("carla is still there")
	}
	if _, page := c.Get("/admin/users?done=deleted"); !strings.Contains(page, "Usuario eliminado.") || slices.Contains(listed(page), "carla") {
		t.Errorf("the list after the delete:\n%s", page)
	}
	if resp, _ := c.Get("/admin/user/carla"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("carla's page after the delete: %d, want 404", resp.StatusCode)
	}
	if rows := tg.AuditLog("sys", 5); !strings.Contains(rows, "admin.user.delete\t/api/v1/users/carla") {
		t.Errorf("the delete is not audited:\n%s", rows)
	}
	if _, page := c.Get("/admin/user/sys/delete"); strings.Contains(page, `action="/admin/user/sys/delete"`) {
		t.Error("sys's own confirmation page offers to delete sys")
	}
	if resp, _ := c.Post("/admin/user/sys/delete", url.Values{"csrf": {tok}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("sys deleting sys: %d, want 422", resp.StatusCode)
	}
}

// Every POST of the section without the session's token is refused, and
// changes nothing.
func TestConsoleUsersPostWithoutToken(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c, tok := sysConsole(t, tg)
	for path, form := range map[string]url.Values{
		"/admin/users/new":             {"username": {"nuevo"}, "role": {"publisher"}, "login": {"password"}},
		"/admin/user/juan/status":      {"status": {"disabled"}},
		"/admin/user/juan/keys":        {"key": {publicKey(t, "x")}},
		"/admin/user/juan/keys/remove": {"fingerprint": {"SHA256:x"}},
		"/admin/user/juan/letter":      {"kind": {"password"}},
		"/admin/user/juan/delete":      {},
	} {
		wrong := "x" + tok[1:]
		if wrong == tok {
			wrong = "y" + tok[1:]
		}
		for name, token := range map[string][]string{"no token": nil, "a wrong token": {wrong}} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if token != nil {
				f["csrf"] = token
			}
			if resp, _ := c.Post(path, f); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %s: %d, want 403", path, name, resp.StatusCode)
			}
		}
	}
	u, err := tg.Store().UserByName(context.Background(), "juan")
	if err != nil || u.Status != store.StatusActive {
		t.Errorf("juan after the refused POSTs: %v %+v", err, u)
	}
	if conn, err := tg.Dial("juan", testkit.Password); err != nil {
		t.Errorf("juan's password changed: %v", err)
	} else {
		conn.Close()
	}
	if _, err := tg.Store().UserByName(context.Background(), "nuevo"); err == nil {
		t.Error("a refused POST created a user")
	}
}

// A change from the console is the same audit row as the same change
// from the API: create, letter, disable, enable, key add and remove,
// delete; the rows differ only in the user's name and the times.
func TestConsoleUsersAuditMatchesAPI(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	key := publicKey(t, "k")
	pk, _, _, _, _ := ssh.ParseAuthorizedKey([]byte(key))
	fp := ssh.FingerprintSHA256(pk)

	api := tg.APILogin("sys")
	mark := len(tg.Audit("sys", 1000))
	for _, step := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/users", map[string]any{"username": "nuevo", "role": "correspondent", "clients": []string{"ACME"}}},
		{"POST", "/api/v1/users/nuevo/letter", nil},
		{"PATCH", "/api/v1/users/nuevo", map[string]any{"status": "disabled"}},
		{"PATCH", "/api/v1/users/nuevo", map[string]any{"status": "active"}},
		{"POST", "/api/v1/users/nuevo/keys", map[string]any{"key": key}},
		{"DELETE", "/api/v1/users/nuevo/keys/" + url.PathEscape(fp), nil},
		{"DELETE", "/api/v1/users/nuevo", nil},
	} {
		if r := tg.API(step.method, step.path, api, step.body); r.Code >= 300 {
			t.Fatalf("API %s %s: %d %s", step.method, step.path, r.Code, r.Body)
		}
	}
	apiRows := tg.Audit("sys", 1000)[mark:]

	c, tok := sysConsole(t, tg)
	mark = len(tg.Audit("sys", 1000))
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{"/admin/users/new", url.Values{"username": {"nuevo"}, "role": {"correspondent"}, "clients": {"ACME"}, "login": {"password"}}},
		{"/admin/user/nuevo/letter", url.Values{"kind": {"password"}}},
		{"/admin/user/nuevo/status", url.Values{"status": {"disabled"}}},
		{"/admin/user/nuevo/status", url.Values{"status": {"active"}}},
		{"/admin/user/nuevo/keys", url.Values{"key": {key}}},
		{"/admin/user/nuevo/keys/remove", url.Values{"fingerprint": {fp}}},
		{"/admin/user/nuevo/delete", url.Values{}},
	} {
		step.form.Set("csrf", tok)
		if resp, page := c.Post(step.path, step.form); resp.StatusCode >= 400 {
			t.Fatalf("console POST %s: %d\n%s", step.path, resp.StatusCode, page)
		}
	}
	consoleRows := tg.Audit("sys", 1000)[mark:]

	times := regexp.MustCompile(`"\d{4}-\d\d-\d\dT[^"]+"`)
	norm := func(rows []store.AuditEntry) []string {
		var out []string
		for _, r := range rows {
			if r.Action == "login" || r.Action == "logout" || strings.HasPrefix(r.Action, "admin.login") {
				continue // the API's token login and the console's session login differ, as they should
			}
			out = append(out, strings.Join([]string{r.User, string(r.Role), r.Protocol, r.Remote, r.Action, r.VPath,
				string(r.Result), times.ReplaceAllString(r.Reason, `"T"`)}, " | "))
		}
		return out
	}
	a, b := norm(apiRows), norm(consoleRows)
	if len(a) < 7 || !slices.Equal(a, b) {
		t.Errorf("the API's rows and the console's differ:\nAPI:\n%s\nconsole:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}
