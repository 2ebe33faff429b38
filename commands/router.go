// Package commands is everything Kindred's members can do: one file per
// feature, each holding its command definitions next to their handlers.
//
// This file is the handler contract. The bot package adapts discordgo
// events to a Request, finds the Handler with a Router, and turns the
// returned Response (or error) into Discord's reply. Handlers never talk
// to the interaction endpoints themselves, so a test can call one with a
// literal Request and a real database.
package commands

import (
	"context"
	"sort"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/scheduler"
)

// Handler answers one interaction.
type Handler func(ctx context.Context, req *Request) (*Response, error)

// Kind is what sort of interaction a route answers.
type Kind int

const (
	KindCommand Kind = iota + 1
	KindAutocomplete
	KindComponent
	KindModal
)

func (k Kind) String() string {
	switch k {
	case KindCommand:
		return "command"
	case KindAutocomplete:
		return "autocomplete"
	case KindComponent:
		return "component"
	case KindModal:
		return "modal"
	}
	return "unknown"
}

// Route is a registered handler and how the adapter should treat it.
type Route struct {
	Kind    Kind
	Name    string // "preferences/timezone", or a custom id prefix such as "rsvp:"
	Handler Handler
	// Public routes answer in the channel for everyone to see. Every other
	// route answers ephemerally, which matters when the adapter must defer
	// before the handler has decided: a deferral's visibility can't change.
	Public bool
}

// Option changes how a route is registered.
type Option func(*Route)

// Public marks a route whose answer everyone in the channel should see.
func Public(r *Route) { r.Public = true }

// Router maps interactions to handlers. Commands and autocomplete are
// found by their full name ("kindred/setup"); components and modals by the
// longest registered prefix of their custom id.
type Router struct {
	definitions []*discordgo.ApplicationCommand
	exact       map[Kind]map[string]*Route
	prefixed    map[Kind][]*Route
	jobs        map[string]scheduler.Kind
}

// Feature is one file's worth of behaviour.
type Feature interface {
	Register(r *Router)
}

// NewRouter returns a router with every feature registered.
func NewRouter(features ...Feature) *Router {
	r := &Router{
		exact:    map[Kind]map[string]*Route{KindCommand: {}, KindAutocomplete: {}},
		prefixed: map[Kind][]*Route{},
		jobs:     map[string]scheduler.Kind{},
	}
	for _, f := range features {
		f.Register(r)
	}
	for _, routes := range r.prefixed {
		// Longest prefix first, so "checkin:mood:" wins over "checkin:".
		sort.Slice(routes, func(i, j int) bool { return len(routes[i].Name) > len(routes[j].Name) })
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
// context-menu command (by its display name).
func (r *Router) Command(name string, h Handler, opts ...Option) {
	r.add(KindCommand, name, h, opts)
}

// Autocomplete routes autocomplete requests for a command or subcommand;
// the handler reads which option is focused from the request.
func (r *Router) Autocomplete(name string, h Handler) {
	r.add(KindAutocomplete, name, h, nil)
}

// Component routes buttons and selects whose custom id starts with prefix.
func (r *Router) Component(prefix string, h Handler, opts ...Option) {
	r.add(KindComponent, prefix, h, opts)
}

// Modal routes modal submissions whose custom id starts with prefix.
func (r *Router) Modal(prefix string, h Handler, opts ...Option) {
	r.add(KindModal, prefix, h, opts)
}

// Job registers the handler of a kind of timed work (a reminder, a
// prompt): the feature that enqueues it also runs it.
func (r *Router) Job(kind string, k scheduler.Kind) {
	if _, dup := r.jobs[kind]; dup {
		panic("commands: job kind registered twice: " + kind)
	}
	r.jobs[kind] = k
}

// Jobs are the registered kinds of timed work, for the scheduler.
func (r *Router) Jobs() map[string]scheduler.Kind {
	return r.jobs
}

func (r *Router) add(kind Kind, name string, h Handler, opts []Option) {
	route := &Route{Kind: kind, Name: name, Handler: h}
	for _, o := range opts {
		o(route)
	}
	if exact, ok := r.exact[kind]; ok {
		if _, dup := exact[name]; dup {
			panic("commands: route registered twice: " + kind.String() + " " + name)
		}
		exact[name] = route
		return
	}
	r.prefixed[kind] = append(r.prefixed[kind], route)
}

// Find returns the route for a request's kind and name (or custom id), or nil.
func (r *Router) Find(kind Kind, name string) *Route {
	if exact, ok := r.exact[kind]; ok {
		return exact[name]
	}
	for _, route := range r.prefixed[kind] {
		if strings.HasPrefix(name, route.Name) {
			return route
		}
	}
	return nil
}
