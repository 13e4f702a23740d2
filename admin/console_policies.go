package admin

import (
	"cmp"
	"net/http"
	"slices"
	"strings"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// ruleGroup is the rules of one subject (a role, department:NAME or
// user:NAME), with the roles whose rights a role has too.
type ruleGroup struct {
	Subject  string
	Inherits []string
	Rules    []ruleRow
}

// ruleRow is a rule as the page shows it: its actions one by one, so that
// a long list can break between them.
type ruleRow struct {
	authz.Rule
	ActionList []string
}

// explained is the explain form's answer.
type explained struct {
	Allow bool
	Rule  string // the deciding policy line, "" when no rule matched
}

// policiesPage is the rules, the form that adds one, and the explain form.
type policiesPage struct {
	Groups        []ruleGroup
	Roles         []store.Role   // for the subject field's suggestions
	Actions       []authz.Action // for the explain form's action field
	Notice        string
	Rule          ruleJSON // the add form's values, kept after an error
	RuleProblem   string
	Explain       explainRequest // the explain form's values
	ExplainResult *explained     // nil before a question, or after a bad one
	Problem       string         // what was wrong with the explain form
}

// policies lists the rules per subject: the roles first, in their order,
// then departments and users.
func (c *console) policies(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	var p policiesPage
	switch r.URL.Query().Get("done") {
	case "added":
		p.Notice = q.L.T("policies.added")
	case "removed":
		p.Notice = q.L.T("policies.removed")
	}
	c.renderPolicies(w, r, q, http.StatusOK, p)
}

func (c *console) renderPolicies(w http.ResponseWriter, r *http.Request, q *consoleRequest, status int, p policiesPage) {
	pol, err := c.s.o.Enforcer.Policy()
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	by := map[string]*ruleGroup{}
	group := func(subject string) *ruleGroup {
		g := by[subject]
		if g == nil {
			g = &ruleGroup{Subject: subject}
			by[subject] = g
		}
		return g
	}
	for _, ru := range pol.Rules {
		g := group(ru.Subject)
		g.Rules = append(g.Rules, ruleRow{ru, strings.Split(ru.Actions, "|")})
	}
	for _, in := range pol.Inheritance {
		g := group(in.Role)
		g.Inherits = append(g.Inherits, in.Parent)
	}
	rank := func(subject string) int {
		if i := slices.Index(store.Roles(), store.Role(subject)); i >= 0 {
			return i
		}
		if strings.HasPrefix(subject, "department:") {
			return len(store.Roles())
		}
		return len(store.Roles()) + 1
	}
	for _, g := range by {
		p.Groups = append(p.Groups, *g)
	}
	slices.SortFunc(p.Groups, func(a, b ruleGroup) int {
		return cmp.Or(cmp.Compare(rank(a.Subject), rank(b.Subject)), cmp.Compare(a.Subject, b.Subject))
	})
	p.Roles, p.Actions = store.Roles(), authz.Actions()
	if p.Rule.Effect == "" {
		p.Rule.Effect = string(authz.Allow)
	}
	c.pages.Render(w, status, "policies", q.page(q.L.T("nav.policies"), "/admin/policies", p))
}

// ruleOfForm is the rule a form sends, as the API's body would.
func ruleOfForm(r *http.Request) ruleJSON {
	return ruleJSON{Subject: strings.TrimSpace(r.PostFormValue("subject")), Object: strings.TrimSpace(r.PostFormValue("object")),
		Actions: strings.TrimSpace(r.PostFormValue("actions")), Effect: r.PostFormValue("effect")}
}

// addRule adds a rule through the API's own code (checkRule, addRule).
func (c *console) addRule(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	req := ruleOfForm(r)
	ru, err := checkRule(req)
	if err == nil {
		err = c.s.addRule(r.Context(), q.caller(), ru)
	}
	c.ruleChanged(w, r, q, req, "added", err)
}

// removeRule removes a rule through the API's own code (checkRule,
// removeRule).
func (c *console) removeRule(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	req := ruleOfForm(r)
	ru, err := checkRule(req)
	if err == nil {
		err = c.s.removeRule(r.Context(), q.caller(), ru)
	}
	c.ruleChanged(w, r, q, ruleJSON{}, "removed", err) // the form for a new rule starts empty
}

// ruleChanged answers a change of the rules: back to the list, or the
// list with what was wrong.
func (c *console) ruleChanged(w http.ResponseWriter, r *http.Request, q *consoleRequest, req ruleJSON, done string, err error) {
	if err == nil {
		http.Redirect(w, r, "/admin/policies?done="+done, http.StatusSeeOther)
		return
	}
	status, problem, ok := consoleProblem(q.L, "policies", err)
	if !ok {
		c.serverError(w, r, q, err)
		return
	}
	c.renderPolicies(w, r, q, status, policiesPage{Rule: req, RuleProblem: problem})
}

// explain answers the explain form (a GET: it changes nothing) through
// the API's own code (decide): allow or deny, and the deciding rule.
func (c *console) explain(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	v := r.URL.Query()
	req := explainRequest{User: strings.TrimSpace(v.Get("user")), Action: v.Get("action"), Path: strings.TrimSpace(v.Get("path"))}
	p := policiesPage{Explain: req}
	if req == (explainRequest{}) {
		c.renderPolicies(w, r, q, http.StatusOK, p)
		return
	}
	d, err := c.s.decide(r.Context(), req)
	if err != nil {
		status, problem, ok := consoleProblem(q.L, "policies", err)
		if !ok {
			c.serverError(w, r, q, err)
			return
		}
		p.Problem = problem
		c.renderPolicies(w, r, q, status, p)
		return
	}
	p.ExplainResult = &explained{Allow: d.Allow, Rule: d.Rule}
	c.renderPolicies(w, r, q, http.StatusOK, p)
}

// policiesMessages are the texts of the policies page.
var policiesMessages = ui.Catalogue{
	ui.Spanish: {
		"nav.policies":          "Políticas",
		"policies.rules":        "Reglas por sujeto",
		"policies.inherits":     "Tiene además los permisos de",
		"policies.subject":      "Sujeto",
		"policies.subject.hint": "Un rol (client, correspondent, staff, manager, publisher, admin), department:NOMBRE o user:NOMBRE.",
		"policies.object":       "Ruta (patrón)",
		"policies.object.hint":  "Patrón sobre rutas de almacenamiento, p. ej. /dossiers/{client}/**/*.pdf.",
		"policies.actions":      "Acciones",
		"policies.actions.hint": "Separadas por |, p. ej. list|read, o * para todas.",
		"policies.effect":       "Efecto", "policies.allow": "permitir", "policies.deny": "denegar",
		"policies.remove": "Quitar", "policies.add": "Añadir regla", "policies.new": "Nueva regla",
		"policies.added": "Regla añadida.", "policies.removed": "Regla quitada.",
		"policies.norules":      "Sin reglas propias.",
		"policies.explain":      "Explicar una decisión",
		"policies.explain.hint": "Lo que el gateway decidiría para el usuario, la acción y la ruta de almacenamiento (p. ej. /clients/ACME/2026/factura.pdf; una carpeta termina en /).",
		"policies.user":         "Usuario", "policies.action": "Acción", "policies.path": "Ruta de almacenamiento",
		"policies.ask":     "Explicar",
		"policies.allowed": "Permitido", "policies.denied": "Denegado",
		"policies.decided":      "Regla que decide:",
		"policies.nomatch":      "Ninguna regla lo permite (se deniega por omisión).",
		"policies.problem.rule": "La regla no es válida.", "policies.problem.exists": "Esa regla ya existe.",
		"policies.problem.missing": "Esa regla no existe.",
		"policies.problem.action":  "La acción no existe.", "policies.problem.path": "La ruta no es una ruta de almacenamiento limpia.",
		"policies.problem.user": "El usuario no existe.",
	},
	ui.English: {
		"nav.policies":          "Policies",
		"policies.rules":        "Rules per subject",
		"policies.inherits":     "Also has the rights of",
		"policies.subject":      "Subject",
		"policies.subject.hint": "A role (client, correspondent, staff, manager, publisher, admin), department:NAME or user:NAME.",
		"policies.object":       "Path (pattern)",
		"policies.object.hint":  "A glob over storage paths, e.g. /dossiers/{client}/**/*.pdf.",
		"policies.actions":      "Actions",
		"policies.actions.hint": "Separated by |, e.g. list|read, or * for all.",
		"policies.effect":       "Effect", "policies.allow": "allow", "policies.deny": "deny",
		"policies.remove": "Remove", "policies.add": "Add rule", "policies.new": "New rule",
		"policies.added": "Rule added.", "policies.removed": "Rule removed.",
		"policies.norules":      "No rules of its own.",
		"policies.explain":      "Explain a decision",
		"policies.explain.hint": "What the gateway would decide for the user, the action and the storage path (e.g. /clients/ACME/2026/factura.pdf; a folder ends in /).",
		"policies.user":         "User", "policies.action": "Action", "policies.path": "Storage path",
		"policies.ask":     "Explain",
		"policies.allowed": "Allowed", "policies.denied": "Denied",
		"policies.decided":      "Deciding rule:",
		"policies.nomatch":      "No rule allows it (denied by default).",
		"policies.problem.rule": "The rule is not valid.", "policies.problem.exists": "That rule exists already.",
		"policies.problem.missing": "That rule does not exist.",
		"policies.problem.action":  "No such action.", "policies.problem.path": "The path is not a clean storage path.",
		"policies.problem.user": "No such user.",
	},
}
