package web

// uploadMessages are the texts of the upload page and the receipt.
var uploadMessages = map[Lang]map[string]string{
	Spanish: {
		"upload.here": "Subir archivos aquí", "upload.title": "Subir archivos", "upload.into": "Los archivos se guardan en la carpeta",
		"upload.choose": "Elija los archivos", "upload.drop": "Arrastre los archivos a este recuadro, o elíjalos con el botón.",
		"upload.send": "Subir", "upload.back": "Volver a la carpeta", "upload.none": "Elija al menos un archivo.",
		"upload.broken":         "La subida se interrumpió antes de terminar. Revise la carpeta y vuelva a subir lo que falte.",
		"upload.too_many":       "Demasiados archivos en un envío: se tomaron los primeros %d; suba este y los siguientes en otro envío.",
		"upload.form_too_large": "El envío no es el formulario de esta página (demasiados campos o nombres demasiado largos); no se tomó nada más.",
		"upload.files":          "Archivos de este envío", "upload.done": "Recibido",
		"upload.failed":  "No se pudo subir; revise su conexión e inténtelo de nuevo.",
		"upload.waiting": "Preparando el acuse de recibo…",
		"receipt.title":  "Acuse de recibo",
		"receipt.intro":  "El portal recibió completos y guardó estos archivos. Cada uno se identifica por su huella SHA-256: el mismo contenido da siempre la misma huella.",
		"receipt.sha256": "SHA-256", "receipt.at": "Recibido", "receipt.total": "Total", "receipt.issued": "Emitido",
		"receipt.digest": "Huella del listado", "receipt.pdf": "Descargar el acuse (PDF)",
		"receipt.refused": "Archivos rechazados", "receipt.none": "Ningún archivo se guardó.",
		"receipt.more": "Subir más archivos",
	},
	English: {
		"upload.here": "Upload files here", "upload.title": "Upload files", "upload.into": "The files are stored in the folder",
		"upload.choose": "Choose the files", "upload.drop": "Drag the files onto this box, or choose them with the button.",
		"upload.send": "Upload", "upload.back": "Back to the folder", "upload.none": "Choose at least one file.",
		"upload.broken":         "The upload was cut off before it ended. Check the folder and upload again what is missing.",
		"upload.too_many":       "Too many files in one batch: the first %d were taken; upload this one and the rest in another batch.",
		"upload.form_too_large": "The post is not this page's form (too many fields or names too long); nothing more was taken.",
		"upload.files":          "Files of this batch", "upload.done": "Received",
		"upload.failed":  "The upload failed; check your connection and try again.",
		"upload.waiting": "Preparing the receipt…",
		"receipt.title":  "Receipt",
		"receipt.intro":  "The portal received these files whole and stored them. Each is identified by its SHA-256 fingerprint: the same content always gives the same fingerprint.",
		"receipt.sha256": "SHA-256", "receipt.at": "Received", "receipt.total": "Total", "receipt.issued": "Issued",
		"receipt.digest": "Digest of the list", "receipt.pdf": "Download the receipt (PDF)",
		"receipt.refused": "Files refused", "receipt.none": "No file was stored.",
		"receipt.more": "Upload more files",
	},
}
