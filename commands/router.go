// Package commands is everything Kindred's members can do: one file per
// feature, each holding its command definitions next to their handlers.
//
// This file is the handler contract. The bot package adapts discordgo
// events to a Request, finds the Route with a Router, and turns the
// returned Response (or error) into Discord's reply. Handlers never talk
// to the interaction endpoints themselves, so a test can call one with a
// literal Request and a real database.
//
// The seams a feature plugs into, each typed so a slip is a compile error
// or a failing test rather than a silent bug:
//   - guards (GuildOnly, Facilitator, Moderator, ManageServer) are declared
//     on the route and checked before its handler runs (guards.go);
//   - Heavy routes run one at a time per member, with a short cool-down
//     (limit.go);
//   - component and modal custom ids are IDPatterns declared with their
//     route, built and parsed by one codec (customid.go);
//   - timed work is a scheduler.JobDef binding a job kind to its payload
//     type, with dedupe keys built in storage/jobkeys.go;
//   - Discord is reached through the Discord port (discord.go): context on
//     every call, typed errors, nobody pinged unless a message says so.
package commands

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// Handler answers one interaction.
type Handler func(ctx context.Context, req *Request) (*Response, error)

// InteractionType is what sort of interaction a route answers.
type InteractionType int

const (
	CommandInteraction InteractionType = iota + 1
	AutocompleteInteraction
	ComponentInteraction
	ModalInteraction
)

func (t InteractionType) String() string {
	switch t {
	case CommandInteraction:
		return "command"
	case AutocompleteInteraction:
		return "autocomplete"
	case ComponentInteraction:
		return "component"
	case ModalInteraction:
		return "modal"
	}
	return "unknown"
}

// Route is a registered handler and how the adapter should treat it.
type Route struct {
	Type InteractionType
	// Name is the command path ("preferences/timezone") or, for components
	// and modals, the custom id pattern. It is also the route's metrics label.
	Name string
	// Pattern is the custom id pattern of a component or modal route.
	Pattern *IDPattern
	// Handler runs the route's guards, then the feature's handler.
	Handler Handler
	// Public routes answer in the channel for everyone to see. Every other
	// route answers ephemerally, which matters when the adapter must defer
	// before the handler has decided: a deferral's visibility can't change.
	Public bool
	// Guards are checked, in order, before the handler runs.
	Guards []Guard
	// Heavy routes run one at a time per member, with a cool-down (limit.go).
	Heavy bool
}

// Option changes how a route is registered: a guard (guards.go), Public,
// or Heavy (limit.go).
type Option func(*Route)

// Options combines options into one, for a subcommand that needs more
// than its guard: Sub{"history", f.history, Options(GuildOnly, Heavy)}.
func Options(opts ...Option) Option {
	return func(r *Route) {
		for _, o := range opts {
			o(r)
		}
	}
}

// Public marks a route whose answer everyone in the channel should see.
func Public(r *Route) { r.Public = true }

// Router maps interactions to routes. Commands and autocomplete are found
// by their full name ("kindred/setup"); components and modals by the
// literal head of their custom id pattern ("rsvp:").
type Router struct {
	definitions []*discordgo.ApplicationCommand
	exact       map[InteractionType]map[string]*Route
	patterned   map[InteractionType][]*Route
	jobs        map[string]scheduler.Runner
	settings    SettingsSource
	// stale answers a component or modal whose id no route understands.
	stale map[InteractionType]*Route
	// heavy is who is running, or has just run, a Heavy route.
	heavy *heavyLimits

	// Now is the clock heavy routes' cool-downs are measured by; nil means
	// time.Now. Set it before the router serves.
	Now func() time.Time
}

// SettingsSource reads a server's settings, for the role guards.
// *storage.DB is one.
type SettingsSource interface {
	GuildSettings(ctx context.Context, guildID string) (storage.GuildSettings, error)
}

// Feature is one file's worth of behaviour.
type Feature interface {
	Register(r *Router)
}

// NewRouter returns a router with every feature registered; settings is
// where the role guards read the server's moderator and facilitator roles.
func NewRouter(settings SettingsSource, features ...Feature) *Router {
	r := &Router{
		exact:     map[InteractionType]map[string]*Route{CommandInteraction: {}, AutocompleteInteraction: {}},
		patterned: map[InteractionType][]*Route{},
		jobs:      map[string]scheduler.Runner{},
		settings:  settings,
		stale:     map[InteractionType]*Route{},
		heavy:     newHeavyLimits(),
	}
	for _, t := range []InteractionType{ComponentInteraction, ModalInteraction} {
		r.stale[t] = &Route{Type: t, Name: "unknown", Guards: []Guard{guardAnywhere}, Handler: func(context.Context, *Request) (*Response, error) {
			return nil, (*IDPattern)(nil).Stale()
		}}
	}
	for _, f := range features {
		f.Register(r)
	}
	for _, routes := range r.patterned {
		// Longest literal head first, so "checkin:mood:" wins over "checkin:".
		sort.Slice(routes, func(i, j int) bool { return len(routes[i].Pattern.Prefix()) > len(routes[j].Pattern.Prefix()) })
	}
	return r
}

// Define adds an application command to the set Kindred registers with Discord.
func (r *Router) Define(cmd *discordgo.ApplicationCommand) {
	r.definitions = append(r.definitions, cmd)
}

// Definitions is the full command set, in registration order.
func (r *Router) Definitions() []*discordgo.ApplicationCommand {
	return r.definitions
}

// Command routes a slash command, a subcommand ("group/create") or a
// context-menu command (by its display name). Every command declares who
// may use it and where: at least one Guard.
func (r *Router) Command(name string, h Handler, opts ...Option) {
	r.add(&Route{Type: CommandInteraction, Name: name}, h, opts)
}

// Sub is one subcommand of a command, its handler and its guard (with
// any other option, through Options).
type Sub struct {
	Name    string
	Handler Handler
	Guard   Option
}

// Subcommands routes each sub as "command/name" with its guard and, when
// autocomplete is not nil, its autocomplete requests too. Autocomplete
// only suggests, so it works for any member in the server.
func (r *Router) Subcommands(command string, autocomplete Handler, subs ...Sub) {
	for _, s := range subs {
		r.Command(command+"/"+s.Name, s.Handler, s.Guard)
		if autocomplete != nil {
			r.Autocomplete(command+"/"+s.Name, autocomplete, GuildOnly)
		}
	}
}

// Autocomplete routes autocomplete requests for a command or subcommand;
// the handler reads which option is focused from the request. A request
// its guards refuse gets no suggestions.
func (r *Router) Autocomplete(name string, h Handler, opts ...Option) {
	r.add(&Route{Type: AutocompleteInteraction, Name: name}, h, opts)
}

// Component routes buttons and selects whose custom id has the pattern's
// shape; the handler reads the id's fields from req.Parts.
func (r *Router) Component(p *IDPattern, h Handler, opts ...Option) {
	r.add(&Route{Type: ComponentInteraction, Name: p.String(), Pattern: p}, h, opts)
}

// Modal routes modal submissions whose custom id has the pattern's shape.
func (r *Router) Modal(p *IDPattern, h Handler, opts ...Option) {
	r.add(&Route{Type: ModalInteraction, Name: p.String(), Pattern: p}, h, opts)
}

// Job registers how a kind of timed work runs (a reminder, a prompt): the
// feature that enqueues it also runs it. Build the runner from the kind's
// scheduler.JobDef, so producer and consumer share one payload type.
func (r *Router) Job(run scheduler.Runner) {
	if _, dup := r.jobs[run.Kind]; dup || run.Kind == "" {
		panic("commands: job kind empty or registered twice: " + run.Kind)
	}
	r.jobs[run.Kind] = run
}

// Jobs are the registered kinds of timed work, for the scheduler.
func (r *Router) Jobs() map[string]scheduler.Runner {
	return r.jobs
}

// Routes lists every registered route, for audits and tests.
func (r *Router) Routes() []*Route {
	var out []*Route
	for _, t := range []InteractionType{CommandInteraction, AutocompleteInteraction} {
		for _, route := range r.exact[t] {
			out = append(out, route)
		}
	}
	for _, t := range []InteractionType{ComponentInteraction, ModalInteraction} {
		out = append(out, r.patterned[t]...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func (r *Router) add(route *Route, h Handler, opts []Option) {
	for _, o := range opts {
		o(route)
	}
	if len(route.Guards) == 0 {
		panic(fmt.Sprintf("commands: %s %s declares no guard: say who may use it (GuildOnly, Anywhere, Facilitator, Moderator, ManageServer)", route.Type, route.Name))
	}
	route.Handler = r.guarded(route, h)
	if exact, ok := r.exact[route.Type]; ok {
		if _, dup := exact[route.Name]; dup {
			panic("commands: route registered twice: " + route.Type.String() + " " + route.Name)
		}
		exact[route.Name] = route
		return
	}
	for _, other := range r.patterned[route.Type] {
		if other.Pattern.Prefix() == route.Pattern.Prefix() {
			panic("commands: two routes share the custom id head " + route.Pattern.Prefix())
		}
	}
	r.patterned[route.Type] = append(r.patterned[route.Type], route)
}

// Find returns the route for a request's type and name (or custom id). A
// component or modal whose id no route understands gets a route that
// answers that the button no longer works; other unknown names get nil.
func (r *Router) Find(t InteractionType, name string) *Route {
	if exact, ok := r.exact[t]; ok {
		return exact[name]
	}
	for _, route := range r.patterned[t] {
		if route.Pattern.matchesLiteral(name) {
			return route
		}
	}
	return r.stale[t]
}

func (r *Router) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

// guarded wraps a feature's handler with what its route declares: the
// custom id is parsed into req.Parts, then every guard must pass, then a
// heavy route must be within the member's limits.
func (r *Router) guarded(route *Route, h Handler) Handler {
	return func(ctx context.Context, req *Request) (*Response, error) {
		if route.Pattern != nil {
			parts, ok := route.Pattern.Parse(req.Route)
			if !ok {
				return nil, route.Pattern.Stale()
			}
			req.Parts = parts
		}
		for _, g := range route.Guards {
			if err := g.check(ctx, r.settings, req); err != nil {
				if route.Type == AutocompleteInteraction {
					if _, refused := AsUserError(err); refused {
						return Choices(nil), nil
					}
				}
				return nil, err
			}
		}
		if route.Heavy {
			return r.runHeavy(ctx, route, h, req)
		}
		return h(ctx, req)
	}
}
