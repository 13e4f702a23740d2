package authz

import "github.com/oaq/custodia/store"

// PoliciesVersion is the version of DefaultRules. A data dir seeded with
// an older version gets each later version's replacements once, at start.
const PoliciesVersion = 2

// upgrades brings the rules of a data dir seeded with an older version of
// DefaultRules up to date. Each step replaces a shipped rule with its new
// form only where the old rule is still there word for word: a rule an
// administrator removed or changed is left as the administrator left it.
func upgrades() []store.PolicyUpgrade {
	return []store.PolicyUpgrade{{
		Version: 2, // issue 13: Windows executables and shortcut types; a type allow-list for dossiers
		Replace: []store.PolicyReplacement{
			{
				Old: Rule{"staff", "/departments/**/*.{exe,bat,cmd,com,msi,scr,ps1,vbs,jar,dll,sh,mp3,mp4,m4a,avi,mkv,mov,wmv,wav,flac}",
					"write|overwrite|rename", Deny}.line(),
				New: [][]string{Rule{"staff", "/departments/**/*." + refusedInDepartments, "write|overwrite|rename", Deny}.line()},
			},
			{
				Old: Rule{"correspondent", "/dossiers/{client}/**", "list|write|mkdir", Allow}.line(),
				New: [][]string{
					Rule{"correspondent", "/dossiers/{client}/**", "list|mkdir", Allow}.line(),
					Rule{"correspondent", "/dossiers/{client}/**/", "write", Allow}.line(),
					Rule{"correspondent", "/dossiers/{client}/**/*." + acceptedInDossiers, "write", Allow}.line(),
				},
			},
		},
	}}
}

// line is the rule as the store keeps it: "p" and its fields.
func (r Rule) line() []string { return append([]string{"p"}, r.fields()...) }
