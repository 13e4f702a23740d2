package ftp

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// clientFor builds the FTP filesystem of a client user over a real store,
// the shipped policies and a real files tree.
func clientFor(t *testing.T) (*client, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	enf, err := authz.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	files, err := storage.OpenFiles(filepath.Join(dir, "files"), []string{"operaciones"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	for _, id := range []string{"ACME", "BETA"} {
		if _, err := st.CreateClient(ctx, id, id); err != nil {
			t.Fatal(err)
		}
		if err := files.AddClient(id); err != nil {
			t.Fatal(err)
		}
	}
	hash, _ := gateway.HashPassword("Correct-Horse-9-Battery")
	u, err := st.CreateUser(ctx, store.NewUser{Name: "carla", Role: store.RoleClient, Clients: []string{"ACME"}, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	core, err := gateway.New(gateway.Options{Store: st, Files: files, Decider: enf})
	if err != nil {
		t.Fatal(err)
	}
	view, err := core.View(ctx, u, storage.Session{ID: "t", Protocol: "ftp"})
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "files", "clients", "ACME", "notas.txt")
	os.WriteFile(secret, []byte("internal"), 0o640)
	return &client{ctx: ctx, view: view, log: slog.New(slog.DiscardHandler), track: func() func() { return func() {} }}, secret
}

// Every afero.Fs method of the FTP filesystem, and every extension,
// refuses a user with no rights on the path: the guard implements each
// one itself, so a method added to afero.Fs cannot pass through unguarded.
func TestEveryMethodDeniesWithoutRights(t *testing.T) {
	t.Parallel()
	c, secret := clientFor(t)
	fsType := reflect.TypeOf((*afero.Fs)(nil)).Elem()
	cv := reflect.ValueOf(c)
	for _, target := range []string{"/ACME/notas.txt", "/BETA/x.pdf", "/ACME/nuevo.pdf"} {
		for i := range fsType.NumMethod() {
			m := fsType.Method(i)
			if m.Name == "Name" {
				continue
			}
			args := make([]reflect.Value, m.Type.NumIn())
			strs := 0
			for j := range args {
				switch in := m.Type.In(j); in {
				case reflect.TypeOf(""):
					args[j] = reflect.ValueOf(target)
					if strs++; strs == 2 {
						args[j] = reflect.ValueOf("/ACME/renamed.pdf")
					}
				case reflect.TypeOf(time.Time{}):
					args[j] = reflect.ValueOf(time.Now())
				default:
					args[j] = reflect.Zero(in)
				}
			}
			out := cv.MethodByName(m.Name).Call(args)
			if err := out[len(out)-1]; err.IsNil() {
				t.Errorf("%s(%s) succeeded for a client user", m.Name, target)
			}
		}
		if _, err := c.ReadDir(target); err == nil {
			t.Errorf("ReadDir(%s) succeeded", target)
		}
		if err := c.RemoveDir(target); err == nil {
			t.Errorf("RemoveDir(%s) succeeded", target)
		}
		for _, flags := range []int{os.O_WRONLY | os.O_CREATE | os.O_TRUNC, os.O_WRONLY | os.O_APPEND} {
			if _, err := c.GetHandle(target, flags, 0); err == nil {
				t.Errorf("GetHandle(%s, write) succeeded", target)
			}
		}
		if _, err := c.ComputeHash(target, ftpserver.HASHAlgoSHA256, 0, 1); err == nil {
			t.Errorf("ComputeHash(%s) succeeded", target)
		}
	}
	if got, _ := os.ReadFile(secret); string(got) != "internal" {
		t.Errorf("a refused call changed the hidden file: %q", got)
	}
}
