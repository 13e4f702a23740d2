package admin

import (
	"fmt"
	"strconv"
	"time"

	"github.com/oaq/custodia/web/ui"
)

// bytesText is a byte count for people: 512 B, 1.5 KiB, 20.3 MiB.
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[i])
}

// durationText is a duration for people, in its two largest units:
// 45 s, 3 min 5 s, 2 h 10 min, 3 d 4 h (the same in Spanish and English).
func durationText(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", s)
	case s < 3600:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%d h %d min", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%d d %d h", s/86400, s%86400/3600)
}

// localTime is a time in the server's zone, to the minute.
func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04")
}

// dashboardMessages are the dashboard's texts.
var dashboardMessages = ui.Catalogue{
	ui.Spanish: {
		"dashboard.live": "Sesiones activas", "dashboard.protocol": "Protocolo", "dashboard.sessions": "Sesiones",
		"dashboard.total": "Total", "dashboard.none": "No hay sesiones activas.",
		"dashboard.transfers": "Transferencias en curso", "dashboard.transfers.none": "No hay transferencias en curso.",
		"dashboard.user": "Usuario", "dashboard.direction": "Sentido", "dashboard.path": "Archivo",
		"dashboard.up": "Subida", "dashboard.down": "Descarga", "dashboard.bytes": "Transferido",
		"dashboard.elapsed": "Tiempo", "dashboard.rate": "Velocidad media",
		"dashboard.today": "Hoy", "dashboard.today.since": "Desde", "dashboard.today.none": "Hoy no se ha registrado ninguna subida, descarga ni inicio de sesión.",
		"dashboard.uploads": "Subidas", "dashboard.upbytes": "Bytes subidos", "dashboard.downloads": "Descargas",
		"dashboard.downbytes": "Bytes descargados", "dashboard.loginsok": "Inicios de sesión", "dashboard.loginsfailed": "Fallidos",
		"dashboard.security": "Inicios de sesión fallidos y bloqueos", "dashboard.failedtoday": "Inicios de sesión fallidos hoy:",
		"dashboard.bans": "Direcciones bloqueadas ahora:", "dashboard.bans.none": "No hay direcciones bloqueadas.",
		"dashboard.address": "Dirección", "dashboard.until": "Hasta", "dashboard.remaining": "Queda",
		"dashboard.backups": "Respaldos", "dashboard.backups.none": "No hay trabajos de respaldo configurados ni ejecutados.",
		"dashboard.neverrun": "nunca se ha ejecutado",
		"dashboard.job":      "Trabajo", "dashboard.lastrun": "Última ejecución", "dashboard.status": "Estado", "dashboard.kind": "Tipo",
		"dashboard.size": "Tamaño", "dashboard.lastgood": "Último correcto", "dashboard.sincegood": "Hace",
		"dashboard.nogood": "ninguno", "dashboard.error": "Error",
		"dashboard.hooks": "Hooks con fallas", "dashboard.hooks.none": "Ningún hook ha recibido eventos todavía.",
		"dashboard.hooks.ok": "Ningún hook falla.", "dashboard.hooks.known": "Hooks con eventos:",
		"dashboard.hook": "Hook", "dashboard.attempts": "Intentos fallidos del evento actual", "dashboard.lasterror": "Último error",
		"dashboard.deadletters": "Eventos abandonados", "dashboard.changed": "Último cambio",
		"dashboard.disk": "Espacio libre", "dashboard.disk.unknown": "No se pudo leer el espacio libre del disco de los archivos.",
		"dashboard.disk.of": "libres de", "dashboard.disk.low": "Queda poco espacio.",
		"dashboard.charts": "Últimos 7 días, por hora",
		"dashboard.volume": "Volumen transferido por hora", "dashboard.volume.none": "No hubo subidas ni descargas en los últimos 7 días.",
		"dashboard.volume.desc": "Bytes subidos (hacia arriba) y descargados (hacia abajo) por hora y protocolo",
		"dashboard.logins":      "Inicios de sesión por hora", "dashboard.logins.none": "No hubo inicios de sesión en los últimos 7 días.",
		"dashboard.logins.desc": "Inicios de sesión correctos (hacia arriba) y fallidos (hacia abajo) por hora y protocolo",
		"dashboard.chart.from":  "de", "dashboard.chart.to": "a", "dashboard.chart.total": "en total",
		"dashboard.chart.data": "Los datos de la gráfica", "dashboard.hour": "Hora", "dashboard.scale": "Escala",
		"dashboard.ok": "Correctos", "dashboard.failed": "Fallidos",
	},
	ui.English: {
		"dashboard.live": "Live sessions", "dashboard.protocol": "Protocol", "dashboard.sessions": "Sessions",
		"dashboard.total": "Total", "dashboard.none": "No live sessions.",
		"dashboard.transfers": "Transfers in progress", "dashboard.transfers.none": "No transfers in progress.",
		"dashboard.user": "User", "dashboard.direction": "Direction", "dashboard.path": "File",
		"dashboard.up": "Upload", "dashboard.down": "Download", "dashboard.bytes": "Moved",
		"dashboard.elapsed": "Time", "dashboard.rate": "Average rate",
		"dashboard.today": "Today", "dashboard.today.since": "Since", "dashboard.today.none": "No upload, download or login has been recorded today.",
		"dashboard.uploads": "Uploads", "dashboard.upbytes": "Bytes up", "dashboard.downloads": "Downloads",
		"dashboard.downbytes": "Bytes down", "dashboard.loginsok": "Logins", "dashboard.loginsfailed": "Failed",
		"dashboard.security": "Failed logins and bans", "dashboard.failedtoday": "Failed logins today:",
		"dashboard.bans": "Addresses banned now:", "dashboard.bans.none": "No address is banned.",
		"dashboard.address": "Address", "dashboard.until": "Until", "dashboard.remaining": "Left",
		"dashboard.backups": "Backups", "dashboard.backups.none": "No backup job is configured or has run.",
		"dashboard.neverrun": "never run",
		"dashboard.job":      "Job", "dashboard.lastrun": "Last run", "dashboard.status": "Status", "dashboard.kind": "Kind",
		"dashboard.size": "Size", "dashboard.lastgood": "Last good", "dashboard.sincegood": "Ago",
		"dashboard.nogood": "none", "dashboard.error": "Error",
		"dashboard.hooks": "Failing hooks", "dashboard.hooks.none": "No hook has received events yet.",
		"dashboard.hooks.ok": "No hook is failing.", "dashboard.hooks.known": "Hooks with events:",
		"dashboard.hook": "Hook", "dashboard.attempts": "Failed tries of the current event", "dashboard.lasterror": "Last error",
		"dashboard.deadletters": "Events given up", "dashboard.changed": "Last change",
		"dashboard.disk": "Free space", "dashboard.disk.unknown": "The free space of the files' disk could not be read.",
		"dashboard.disk.of": "free of", "dashboard.disk.low": "Space is running low.",
		"dashboard.charts": "The last 7 days, per hour",
		"dashboard.volume": "Volume transferred per hour", "dashboard.volume.none": "No uploads or downloads in the last 7 days.",
		"dashboard.volume.desc": "Bytes uploaded (upwards) and downloaded (downwards) per hour and protocol",
		"dashboard.logins":      "Logins per hour", "dashboard.logins.none": "No logins in the last 7 days.",
		"dashboard.logins.desc": "Successful logins (upwards) and failed ones (downwards) per hour and protocol",
		"dashboard.chart.from":  "from", "dashboard.chart.to": "to", "dashboard.chart.total": "in all",
		"dashboard.chart.data": "The chart's data", "dashboard.hour": "Hour", "dashboard.scale": "Scale",
		"dashboard.ok": "Succeeded", "dashboard.failed": "Failed",
	},
}

// formatInt is an integer in decimal.
func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
