package storage

import (
	"path"
	"sort"

	"github.com/oaq/custodia/store"
)

// Mount maps a virtual folder of a user's view onto a storage path.
type Mount struct {
	Virtual string // "/ACME"
	Storage string // "/dossiers/ACME"
}

// MountsFor builds the mounts DESIGN.md gives each role. allClients is
// every client id; the publisher gets one mount per client.
func MountsFor(u *store.User, allClients []string) []Mount {
	var ms []Mount
	perClient := func(area string, ids []string) {
		for _, id := range ids {
			ms = append(ms, Mount{Virtual: "/" + id, Storage: path.Join(area, id)})
		}
	}
	switch u.Role {
	case store.RoleClient:
		perClient(store.AreaClients, u.Clients)
	case store.RoleCorrespondent:
		perClient(store.AreaDossiers, u.Clients)
	case store.RoleStaff, store.RoleManager:
		if u.Department != "" {
			ms = append(ms, Mount{Virtual: "/" + u.Department, Storage: path.Join(store.AreaDepartments, u.Department)})
		}
	case store.RolePublisher:
		perClient(store.AreaClients, allClients)
	case store.RoleAdmin:
		for _, a := range []string{store.AreaClients, store.AreaDossiers, store.AreaDepartments, store.AreaRestores} {
			ms = append(ms, Mount{Virtual: a, Storage: a})
		}
	}
	sortMounts(ms)
	return ms
}

func sortMounts(ms []Mount) {
	sort.Slice(ms, func(i, j int) bool { return ms[i].Virtual < ms[j].Virtual })
}
