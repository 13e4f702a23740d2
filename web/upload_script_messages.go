package web

// uploadScriptMessages are the texts the upload page's script shows
// (upload.js reads them from the form's data- attributes).
var uploadScriptMessages = map[Lang]map[string]string{
	Spanish: {
		"upload.twice":   "Este archivo ya se está subiendo desde esta página; no se envía dos veces.",
		"upload.missing": "Archivos guardados que no aparecen en este acuse: %d. Revise la carpeta o pida el acuse a su contacto.",
	},
	English: {
		"upload.twice":   "This file is already being uploaded from this page; it is not sent twice.",
		"upload.missing": "Stored files missing from this receipt: %d. Check the folder or ask your contact for the receipt.",
	},
}
