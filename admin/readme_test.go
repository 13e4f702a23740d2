package admin

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEAPITableListsEveryRoute: the README's API table names every
// route the server serves (a path in full, or "…" and its end after a
// path of the same row), with its method in the same row; and the rows of
// the routes that create or change a user, a client or a restore name
// every field their body takes.
func TestREADMEAPITableListsEveryRoute(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "\n| endpoint | what |\n")
	if !ok {
		t.Fatal("README.md has no API table (| endpoint | what |)")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := strings.Split(table, "\n")
	bodies := map[string]any{
		"POST /api/v1/users":         createUserRequest{},
		"PATCH /api/v1/users/{name}": updateUserRequest{},
		"POST /api/v1/clients":       createClientRequest{},
		"PATCH /api/v1/clients/{id}": updateClientRequest{},
		"POST /api/v1/restores":      restoreRequestBody{},
	}
	for _, rt := range (&Server{}).routes() {
		method := regexp.MustCompile(`\b` + rt.method + `\b`)
		row := ""
		for _, r := range rows {
			if !method.MatchString(r) {
				continue
			}
			if strings.Contains(r, "`"+rt.pattern+"`") || strings.Contains(r, " "+rt.pattern+"`") {
				row = r
				break
			}
			for i := 1; i < len(rt.pattern); i++ {
				if rt.pattern[i] == '/' && strings.Contains(r, "…"+rt.pattern[i:]+"`") {
					row = r
				}
			}
		}
		if row == "" {
			t.Errorf("README's API table has no row for %s %s", rt.method, rt.pattern)
			continue
		}
		body, ok := bodies[rt.method+" "+rt.pattern]
		if !ok {
			continue
		}
		typ := reflect.TypeOf(body)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if !strings.Contains(row, `"`+name+`"`) && !strings.Contains(row, "`"+name+"`") {
				t.Errorf("README's row for %s %s does not name the field %q:\n%s", rt.method, rt.pattern, name, row)
			}
		}
	}
}
