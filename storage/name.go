package storage

import (
	"strings"
	"unicode"
)

// validName reports whether a path element may be used: the gateway's
// users include Windows desktops, and names are shown to people who decide
// from them what to open. Refused:
//   - control, format and line-separator characters (Unicode Cc, Cf, Zl,
//     Zp): bidirectional overrides such as U+202E make "inv\u202efdp.exe"
//     show as "invexe.pdf"; zero-width characters (U+200B–U+200F, U+FEFF,
//     U+2060–U+2064) make two different names look the same;
//   - ':' anywhere: NTFS reads "x.exe::$DATA" or "a:b" as a stream;
//   - a trailing dot or space, which Windows strips ("x.exe." is "x.exe");
//   - the reserved device names (CON, PRN, AUX, NUL, COM0–9, LPT0–9 and
//     their superscript forms, CONIN$, CONOUT$), in any case, alone or
//     with an extension ("con.txt"), since Windows opens the device.
func validName(seg string) bool {
	if strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " ") || strings.ContainsRune(seg, ':') {
		return false
	}
	for _, r := range seg {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return false
		}
	}
	return !isDeviceName(seg)
}

// isDeviceName reports whether Windows takes name for a device: the part
// before the first dot, without trailing spaces, is a reserved name.
func isDeviceName(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if rest, ok := strings.CutPrefix(stem, "COM"); ok {
		return isDeviceDigit(rest)
	}
	if rest, ok := strings.CutPrefix(stem, "LPT"); ok {
		return isDeviceDigit(rest)
	}
	return false
}

func isDeviceDigit(s string) bool {
	switch s {
	case "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
		return true
	}
	return false
}
