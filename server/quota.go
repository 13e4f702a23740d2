package server

import (
	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// uploadLimits turns the storage settings into what the files tree holds
// every upload to: the accounts' quotas, each role's maximum file size and
// the disk reserve.
func uploadLimits(cfg config.Config, st *store.Store) storage.Limits {
	l := storage.Limits{Accounts: st, MaxFileSize: map[store.Role]int64{}}
	for _, r := range store.Roles() {
		l.MaxFileSize[r] = cfg.Storage.MaxFileSize.For(string(r))
	}
	l.MinFreeBytes, l.MinFreePercent = cfg.Storage.MinFreeReserve()
	return l
}
