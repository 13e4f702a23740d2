package store

// Storage areas under files/: the folders every role's view and every
// backup job is made of.
const (
	AreaClients     = "/clients"
	AreaDossiers    = "/dossiers"
	AreaDepartments = "/departments"
	AreaRestores    = "/restores" // restored backups, one folder per restore request
)
