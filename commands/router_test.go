package commands

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kindred-bot/kindred/storage/storagetest"
)

// routeGuards is every route Kindred registers and the guards it declares
// ("heavy" after them for a Heavy route). A new route fails TestRouteAudit
// until it is added here: whoever adds it decides, in review, who may use
// it. Routes without a role guard say why a member may use them.
var routeGuards = []struct {
	route  string // "<type> <name>"
	guards string
	why    string // for routes any member may use
}{
	// Server state only facilitators, moderators or admins change.
	{"command kindred/setup", "[guild manage-server]", ""},
	{"command group/create", "[guild facilitator]", ""},
	{"command group/edit", "[guild facilitator]", ""},
	{"command group/archive", "[guild facilitator]", ""},
	{"command meeting/schedule", "[guild facilitator]", ""},
	{"command meeting/cancel", "[guild facilitator]", ""},
	{"command meeting/attendance", "[guild facilitator]", ""},
	{"command pairing/configure", "[guild facilitator]", ""},
	{"command pairing/run", "[guild facilitator]", ""},
	{"command pairing/stats", "[guild facilitator]", ""},
	{"command checkins/summary", "[guild facilitator]", ""},
	{"command warn", "[guild moderator]", ""},
	{"command unwarn", "[guild moderator]", ""},
	{"command escalation/set", "[guild moderator]", ""},
	{"command escalation/list", "[guild moderator]", ""},
	{"command escalation/clear", "[guild moderator]", ""},
	{"command supporter/stats", "[guild moderator]", ""},

	// Peer supporters: members holding the server's supporter role.
	{"command supporter/on", "[guild supporter]", ""},
	{"command supporter/off", "[guild supporter]", ""},
	{"command supporter/status", "[guild supporter]", ""},
	{"component support:take:{request:int}", "[guild supporter]", ""},
	{"command Warn anonymous author", "[guild moderator]", ""},
	{"modal share:warn:{share:int}", "[guild moderator]", ""},
	{"component share:approve:{share:int}", "[guild moderator]", ""},
	{"component share:reject:{share:int}", "[guild moderator]", ""},
	{"modal share:rejectform:{share:int}", "[guild moderator]", ""},
	{"component share:block:{share:int}", "[guild moderator]", ""},
	{"component share:unblock:{share:int}", "[guild moderator]", ""},

	// A member's own things, in a server.
	{"command group/list", "[guild]", "reads the server's public group list"},
	{"command group/info", "[guild]", "reads what a member checks before joining"},
	{"command group/join", "[guild]", "the member's own membership, after they agree"},
	{"command group/leave", "[guild]", "the member's own membership"},
	{"command meeting/list", "[guild]", "reads the public schedule"},
	{"command meeting/info", "[guild]", "reads the public schedule and RSVP counts, never names"},
	{"command meeting/calendar", "[guild] heavy", "reads the public schedule"},
	{"command checkin", "[guild]", "the member's own check-in; sharing posts only what they chose"},
	{"command checkins/history", "[guild] heavy", "the member's own history, ephemeral"},
	{"command checkins/reminder", "[guild]", "the member's own reminder"},
	{"command checkins/reminder-off", "[guild]", "the member's own reminder"},
	{"command buddy/join", "[guild]", "the member's own opt-in"},
	{"command buddy/leave", "[guild]", "the member's own opt-in"},
	{"command buddy/pause", "[guild]", "the member's own pause"},
	{"command buddy/status", "[guild]", "the member's own pairings"},
	{"command buddy/avoid", "[guild]", "the member's own avoid list"},
	{"command buddy/unavoid", "[guild]", "the member's own avoid list"},
	{"command warnings", "[guild]", "own warnings; naming a user asks for a moderator in the handler"},
	{"command Report to moderators", "[guild]", "any member may report; only moderators read it"},
	{"command share", "[guild]", "the member's own share, to a group they joined (checked in the handler)"},
	{"command shares", "[guild]", "the member's own shares, ephemeral"},
	{"component share:delete:{share:int}", "[guild]", "only the share's author can delete it; anyone else gets the same answer as for a deleted one"},
	{"component group:agree:{group:int}", "[guild]", "the presser joins; the group must be in this server"},
	{"component here:{meeting:int}:{start:int}", "[guild]", "the presser's own attendance; the meeting must be in this server"},
	{"component buddy:{answer}:{pairing:int}", "[guild]", "only the pair's members may answer"},
	{"modal report:{channel:id}:{message:id}:{author:id}", "[guild]", "the reporter's own report"},
	{"command support", "[guild]", "the member's own request, in their own private thread"},
	{"component support:close:{request:int}", "[guild]", "only the member who asked, the supporter who took it or a moderator may close; the request must be in this server"},

	// Anywhere: the member's own data, or buttons that arrive by DM.
	{"command kindred/about", "[anywhere]", "describes Kindred"},
	{"command resources", "[anywhere]", "crisis resources must always answer"},
	{"command preferences/timezone", "[anywhere]", "the member's own preferences"},
	{"command preferences/quiet-hours", "[anywhere]", "the member's own preferences"},
	{"command preferences/quiet-hours-off", "[anywhere]", "the member's own preferences"},
	{"command preferences/dms", "[anywhere]", "the member's own preferences"},
	{"command preferences/show", "[anywhere]", "the member's own preferences"},
	{"command mydata/export", "[anywhere] heavy", "the member's own data"},
	{"command mydata/delete", "[anywhere]", "the member's own data, after a confirmation"},
	{"component mydata:delete:{owner:id}:{expires:int}", "[anywhere]", "only its owner's press deletes"},
	{"component checkin:mood:{guild:id}:{mood:int}", "[anywhere]", "arrives by DM; records the presser's own check-in"},
	{"component rsvp:{meeting:int}:{start:int}:{answer}", "[anywhere]", "arrives by DM too; the presser's own answer"},
	{"component support:helped:{request:int}:{answer}", "[anywhere]", "arrives by DM; only the member who asked may answer"},
}

// A route that changes server state must declare a role guard; every other
// route must say why any member may use it. Autocomplete only suggests
// (never changes anything) and must declare where it works.
func TestRouteAudit(t *testing.T) {
	want := map[string]string{}
	for _, g := range routeGuards {
		want[g.route] = g.guards
		role := strings.Contains(g.guards, "facilitator") || strings.Contains(g.guards, "moderator") || strings.Contains(g.guards, "manage-server") || strings.Contains(g.guards, "supporter")
		if !role && g.why == "" {
			t.Errorf("%s: no role guard and no reason why any member may use it", g.route)
		}
	}
	r := NewRouter(storagetest.Open(t), Features(testEnv(t))...)
	seen := map[string]bool{}
	for _, route := range r.Routes() {
		got := fmt.Sprint(route.Guards)
		if route.Heavy {
			got += " heavy"
		}
		if route.Type == AutocompleteInteraction {
			if got != "[guild]" && got != "[anywhere]" {
				t.Errorf("autocomplete %s declares %s, want [guild] or [anywhere]", route.Name, got)
			}
			continue
		}
		key := route.Type.String() + " " + route.Name
		seen[key] = true
		w, ok := want[key]
		switch {
		case !ok:
			t.Errorf("%s is not in the route audit: declare its guards and add it to routeGuards", key)
		case got != w:
			t.Errorf("%s declares %s, the audit expects %s", key, got, w)
		}
	}
	for key := range want {
		if !seen[key] {
			t.Errorf("the audit lists %s, which is not registered", key)
		}
	}
}

// Forgetting to declare a guard is caught at registration, so Kindred
// doesn't start (and no test passes) with an unguarded route.
func TestRouteWithoutGuardIsRefused(t *testing.T) {
	for name, register := range map[string]func(r *Router){
		"command":   func(r *Router) { r.Command("oops", nil) },
		"component": func(r *Router) { r.Component(NewIDPattern("oops:{n:int}"), nil) },
		"modal":     func(r *Router) { r.Modal(NewIDPattern("oops:{n:int}"), nil, Public) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s without a guard was registered", name)
				}
			}()
			NewRouter(nil, featureFunc(register))
		}()
	}
}

type featureFunc func(r *Router)

func (f featureFunc) Register(r *Router) { f(r) }

// sampleValue is the longest value a field can carry, so the round trip
// also checks Discord's 100-character limit.
func sampleValue(f idField) string {
	switch f.kind {
	case fieldInt:
		return "-9223372036854775808"
	case fieldSnowflake:
		return "18446744073709551615"
	}
	return "notyet"
}

// Every registered pattern builds ids within Discord's limit that route
// back to it and parse to the same fields.
func TestCustomIDsRoundTrip(t *testing.T) {
	r := NewRouter(storagetest.Open(t), Features(testEnv(t))...)
	n := 0
	for _, route := range r.Routes() {
		if route.Pattern == nil {
			continue
		}
		n++
		values := make([]any, len(route.Pattern.fields))
		for i, f := range route.Pattern.fields {
			values[i] = sampleValue(f)
		}
		id := route.Pattern.ID(values...)
		if l := utf8.RuneCountInString(id); l > maxCustomID {
			t.Errorf("%s: %q is %d characters, Discord allows %d", route.Name, id, l, maxCustomID)
		}
		if found := r.Find(route.Type, id); found != route {
			t.Errorf("%s: %q routes to %v", route.Name, id, found.Name)
		}
		parts, ok := route.Pattern.Parse(id)
		if !ok {
			t.Fatalf("%s: %q does not parse", route.Name, id)
		}
		for i, f := range route.Pattern.fields {
			if got := parts.String(f.name); got != values[i] {
				t.Errorf("%s: field %s = %q, want %q", route.Name, f.name, got, values[i])
			}
		}
	}
	if n < 7 {
		t.Errorf("only %d component and modal routes found", n)
	}
}

// Buttons already posted in servers by earlier versions keep working: the
// patterns keep the ids' old shapes.
func TestOldCustomIDsStillRoute(t *testing.T) {
	r := NewRouter(storagetest.Open(t), Features(testEnv(t))...)
	for id, pattern := range map[string]string{
		"rsvp:12:1764093600:going":                    "rsvp:{meeting:int}:{start:int}:{answer}",
		"rsvp:12:1764093600:no":                       "rsvp:{meeting:int}:{start:int}:{answer}",
		"here:12:1764093600":                          "here:{meeting:int}:{start:int}",
		"checkin:mood:100000000000000001:3":           "checkin:mood:{guild:id}:{mood:int}",
		"group:agree:7":                               "group:agree:{group:int}",
		"buddy:talked:5":                              "buddy:{answer}:{pairing:int}",
		"buddy:notyet:5":                              "buddy:{answer}:{pairing:int}",
		"mydata:delete:200000000000000001:1764093600": "mydata:delete:{owner:id}:{expires:int}",
		"report:300000000000000001:500000000000000001:200000000000000002": "report:{channel:id}:{message:id}:{author:id}",
	} {
		typ := ComponentInteraction
		if strings.HasPrefix(id, "report:") {
			typ = ModalInteraction
		}
		route := r.Find(typ, id)
		if route == nil || route.Name != pattern {
			t.Errorf("%q routes to %v, want %s", id, route, pattern)
			continue
		}
		if _, ok := route.Pattern.Parse(id); !ok {
			t.Errorf("%q no longer parses as %s", id, pattern)
		}
	}
}

// A malformed or unknown id gets one answer, whatever route it resembles:
// the button no longer works. The handler never runs.
func TestMalformedCustomIDsGetOneAnswer(t *testing.T) {
	env := testEnv(t)
	r := NewRouter(env.DB, Features(env)...)
	cases := map[string]InteractionType{
		"rsvp:12:1764093600":                              ComponentInteraction, // a field short
		"rsvp:12:1764093600:going:extra":                  ComponentInteraction, // a field too many
		"rsvp:twelve:1764093600:going":                    ComponentInteraction, // not a number
		"rsvp:012:1764093600:going":                       ComponentInteraction, // not canonical
		"rsvp:12:1764093600:go ing":                       ComponentInteraction, // not a word
		"checkin:mood:guild:3":                            ComponentInteraction, // not a snowflake
		"checkin:mood:100000000000000001:":                ComponentInteraction, // empty
		"group:agree:7:7":                                 ComponentInteraction,
		"mydata:delete:200000000000000001:soon":           ComponentInteraction,
		"mydata:delete:" + strings.Repeat("1", 90) + ":1": ComponentInteraction, // over 100 characters
		"buddy:talked:":                                   ComponentInteraction,
		"nonsense:1":                                      ComponentInteraction, // no such route
		"":                                                ComponentInteraction,
		"report:1:2":                                      ModalInteraction,
		"feedback:1":                                      ModalInteraction,
	}
	for id, typ := range cases {
		route := r.Find(typ, id)
		if route == nil {
			t.Errorf("%q: no route at all", id)
			continue
		}
		req := &Request{Type: typ, Route: id, GuildID: guildID, UserID: aliceID}
		_, err := route.Handler(context.Background(), req)
		ue, ok := AsUserError(err)
		if !ok || !strings.HasPrefix(ue.Message, "This button no longer works") {
			t.Errorf("%q: err = %v, want the button-no-longer-works answer", id, err)
		}
	}
}

func FuzzIDPatterns(f *testing.F) {
	patterns := []*IDPattern{rsvpButton, hereButton, checkinMoodButton, groupAgreeButton, buddyAnswerButton, myDataDeleteButton, reportModal}
	for _, seed := range []string{"rsvp:12:1764093600:going", "checkin:mood:100000000000000001:3", "buddy:talked:5", "report:1:2:3", "here:-1:0", "group:agree:{x}"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		for _, p := range patterns {
			parts, ok := p.Parse(id)
			if !ok {
				continue
			}
			// What parses rebuilds to exactly the same id.
			values := make([]any, len(parts.values))
			for i, v := range parts.values {
				values[i] = v
			}
			if again := p.ID(values...); again != id {
				t.Fatalf("%s: %q parsed and rebuilt as %q", p, id, again)
			}
		}
	})
}
