package testkit

// MatrixRow is one expectation of the role matrix: what a user gets for
// an operation on a virtual path, and the authz request behind it.
type MatrixRow struct {
	User   string
	Op     string // ls, stat, get, put, mkdir, rm, rmdir, rename
	VPath  string
	Target string // rename only
	Want   string // ok, denied, notfound
	Action string // for `policy test`
	SPath  string // storage path for `policy test`
}

// RoleMatrix is the role matrix, one table run through every protocol
// after Fixture. It runs in order: earlier rows create what later rows see.
func RoleMatrix() []MatrixRow {
	return []MatrixRow{
		{"carla", "ls", "/ACME/2026", "", "ok", "list", "/clients/ACME/2026/"},
		{"carla", "get", "/ACME/2026/factura.pdf", "", "ok", "read", "/clients/ACME/2026/factura.pdf"},
		{"carla", "get", "/ACME/2026/notas.txt", "", "notfound", "read", "/clients/ACME/2026/notas.txt"},
		{"carla", "stat", "/ACME/2026/notas.txt", "", "notfound", "list", "/clients/ACME/2026/notas.txt"},
		{"carla", "put", "/ACME/2026/new.pdf", "", "denied", "write", "/clients/ACME/2026/new.pdf"},
		{"carla", "rm", "/ACME/2026/factura.pdf", "", "denied", "delete", "/clients/ACME/2026/factura.pdf"},
		{"carla", "mkdir", "/ACME/2027", "", "denied", "mkdir", "/clients/ACME/2027/"},
		{"carla", "ls", "/BETA", "", "notfound", "list", "/clients/BETA/"},
		{"carla", "rename", "/ACME/2026/factura.pdf", "/ACME/2026/f2.pdf", "denied", "rename", "/clients/ACME/2026/factura.pdf"},
		{"juan", "ls", "/ACME", "", "ok", "list", "/dossiers/ACME/"},
		{"juan", "put", "/ACME/2026/nuevo.pdf", "", "ok", "write", "/dossiers/ACME/2026/nuevo.pdf"},
		{"juan", "put", "/ACME/2026/pedimento.pdf", "", "denied", "overwrite", "/dossiers/ACME/2026/pedimento.pdf"},
		{"juan", "get", "/ACME/2026/pedimento.pdf", "", "denied", "read", "/dossiers/ACME/2026/pedimento.pdf"},
		{"juan", "rm", "/ACME/2026/pedimento.pdf", "", "denied", "delete", "/dossiers/ACME/2026/pedimento.pdf"},
		{"juan", "rename", "/ACME/2026/pedimento.pdf", "/ACME/2026/p2.pdf", "denied", "rename", "/dossiers/ACME/2026/pedimento.pdf"},
		{"juan", "mkdir", "/ACME/2027", "", "ok", "mkdir", "/dossiers/ACME/2027/"},
		{"juan", "rmdir", "/ACME/2027", "", "denied", "delete", "/dossiers/ACME/2027/"},
		{"juan", "ls", "/BETA", "", "notfound", "list", "/dossiers/BETA/"},
		{"juan", "put", "/BETA/x.pdf", "", "notfound", "write", "/dossiers/BETA/x.pdf"},
		{"ana", "ls", "/operaciones", "", "ok", "list", "/departments/operaciones/"},
		{"ana", "get", "/operaciones/reporte.xlsx", "", "ok", "read", "/departments/operaciones/reporte.xlsx"},
		{"ana", "put", "/operaciones/nuevo.docx", "", "ok", "write", "/departments/operaciones/nuevo.docx"},
		{"ana", "put", "/operaciones/setup.exe", "", "denied", "write", "/departments/operaciones/setup.exe"},
		{"ana", "put", "/operaciones/reporte.xlsx", "", "ok", "overwrite", "/departments/operaciones/reporte.xlsx"},
		{"ana", "rename", "/operaciones/nuevo.docx", "/operaciones/final.docx", "ok", "rename", "/departments/operaciones/nuevo.docx"},
		{"ana", "rm", "/operaciones/final.docx", "", "ok", "delete", "/departments/operaciones/final.docx"},
		{"ana", "get", "/dossiers/ACME/2026/pedimento.pdf", "", "ok", "read", "/dossiers/ACME/2026/pedimento.pdf"},
		{"ana", "put", "/dossiers/ACME/2026/z.pdf", "", "denied", "write", "/dossiers/ACME/2026/z.pdf"},
		{"ana", "ls", "/trafico", "", "notfound", "list", "/departments/trafico/"},
		{"tomas", "get", "/trafico/guia.docx", "", "ok", "read", "/departments/trafico/guia.docx"},
		{"tomas", "ls", "/dossiers", "", "notfound", "list", "/dossiers/"},
		{"tomas", "put", "/trafico/song.MP3", "", "denied", "write", "/departments/trafico/song.MP3"},
		{"mario", "put", "/trafico/plan.docx", "", "ok", "write", "/departments/trafico/plan.docx"},
		{"mario", "rm", "/trafico/plan.docx", "", "ok", "delete", "/departments/trafico/plan.docx"},
		{"mario", "get", "/operaciones/reporte.xlsx", "", "notfound", "read", "/departments/operaciones/reporte.xlsx"},
		{"pub", "ls", "/BETA", "", "ok", "list", "/clients/BETA/"},
		{"pub", "put", "/BETA/2026.pdf", "", "ok", "write", "/clients/BETA/2026.pdf"},
		{"pub", "put", "/ACME/2026/factura.pdf", "", "ok", "overwrite", "/clients/ACME/2026/factura.pdf"},
		{"pub", "put", "/ACME/x.txt", "", "denied", "write", "/clients/ACME/x.txt"},
		{"pub", "rm", "/ACME/2026/factura.pdf", "", "denied", "delete", "/clients/ACME/2026/factura.pdf"},
		{"pub", "mkdir", "/BETA/2027", "", "ok", "mkdir", "/clients/BETA/2027/"},
		{"sys", "get", "/clients/ACME/2026/notas.txt", "", "ok", "read", "/clients/ACME/2026/notas.txt"},
		{"sys", "put", "/departments/trafico/tool.exe", "", "ok", "write", "/departments/trafico/tool.exe"},
		{"sys", "rm", "/departments/trafico/tool.exe", "", "ok", "delete", "/departments/trafico/tool.exe"},
		{"sys", "mkdir", "/dossiers/BETA/nuevo", "", "ok", "mkdir", "/dossiers/BETA/nuevo/"},
		{"sys", "rename", "/dossiers/BETA/x.pdf", "/clients/BETA/x.pdf", "ok", "rename", "/dossiers/BETA/x.pdf"},
	}
}
