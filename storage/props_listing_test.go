package storage_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// TestReadDirPropsReadsABoundedAmount: a listing gives its entries' dead
// properties while they are few; past the bound it gives none (each
// entry's are then read when asked), so a folder whose files each hold
// the most properties cannot make every listing hold them all at once.
//
// Not parallel: it lowers the package's bound.
func TestReadDirPropsReadsABoundedAmount(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	v := e.view(t, "ana", store.RoleAdmin)
	value := []byte("<x>" + strings.Repeat("p", 1000) + "</x>")
	for i := range 10 {
		name := fmt.Sprintf("departments/operaciones/f%02d.txt", i)
		e.write(t, name, "x")
		name = "/" + name
		if err := v.SetDeadProps(ctx, name, map[string][]byte{"{urn:t}x": value}); err != nil {
			t.Fatal(err)
		}
	}
	fis, props, err := v.ReadDirProps(ctx, "/departments/operaciones")
	if err != nil || len(fis) != 10 || len(props) != 10 {
		t.Fatalf("under the bound: %d entries, properties of %d, %v; want 10 and 10", len(fis), len(props), err)
	}
	storage.SetMaxListedProps(t, 5000) // about five entries' worth
	fis, props, err = v.ReadDirProps(ctx, "/departments/operaciones")
	if err != nil || len(fis) != 10 || props != nil {
		t.Fatalf("past the bound: %d entries, properties of %d (nil: %v), %v; want 10 entries and no properties",
			len(fis), len(props), props == nil, err)
	}
	if got, err := v.DeadProps(ctx, "/departments/operaciones/f07.txt"); err != nil || string(got["{urn:t}x"]) != string(value) {
		t.Fatalf("DeadProps past the bound: %q, %v", got, err)
	}
}
