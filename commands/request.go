package commands

import (
	"fmt"
	"slices"

	"github.com/bwmarrin/discordgo"
)

// Request is one interaction, in the shape handlers want. The bot package
// builds it from discordgo's Interaction; tests build it as a literal.
type Request struct {
	Type      InteractionType
	Route     string // "kindred/setup"; for components and modals, the whole custom id
	GuildID   string // empty in DMs
	ChannelID string
	UserID    string
	UserName  string

	// Permissions are the member's permissions in the channel, as Discord
	// computed them for this interaction. Zero in DMs.
	Permissions int64
	RoleIDs     []string

	// Options are the command's options (of the innermost subcommand).
	Options []*discordgo.ApplicationCommandInteractionDataOption
	// Focused is the option being typed, for autocomplete.
	Focused string
	// Values are a select menu's chosen values.
	Values []string
	// Fields are a modal's text inputs by custom id.
	Fields map[string]string
	// TargetMessage is the message a message context-menu command was used on.
	TargetMessage *discordgo.Message
	// Parts are the fields of a component's or modal's custom id, parsed
	// by its route's IDPattern before the handler runs.
	Parts IDParts
	// Message is the message a component belongs to.
	Message *discordgo.Message
	// Resolved carries the users, members, roles and channels options refer to.
	Resolved *discordgo.ApplicationCommandInteractionDataResolved
}

// InGuild reports whether the interaction came from a server (not a DM).
func (r *Request) InGuild() bool { return r.GuildID != "" }

// HasPermission reports whether the member holds perm (or Administrator).
func (r *Request) HasPermission(perm int64) bool {
	return hasPermission(r.Permissions, perm)
}

// HasRole reports whether the member holds the role. An empty id matches nothing.
func (r *Request) HasRole(id string) bool {
	if id == "" {
		return false
	}
	return slices.Contains(r.RoleIDs, id)
}

func (r *Request) option(name string) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range r.Options {
		if o.Name == name {
			return o
		}
	}
	return nil
}

// Has reports whether the member gave the option.
func (r *Request) Has(name string) bool { return r.option(name) != nil }

// String returns a string option, or "" when it was not given. Options of
// another type are a programming error, reported as an error by the
// typed getters below; String is lenient and returns "".
func (r *Request) String(name string) string {
	o := r.option(name)
	if o == nil {
		return ""
	}
	s, _ := o.Value.(string)
	return s
}

// Int returns a required integer option.
func (r *Request) Int(name string) (int64, error) {
	o := r.option(name)
	if o == nil {
		return 0, UserErrorf("Please fill in `%s`.", name)
	}
	// JSON numbers arrive as float64; integer options hold whole numbers.
	f, ok := o.Value.(float64)
	if !ok || f != float64(int64(f)) {
		return 0, fmt.Errorf("option %s: want an integer, got %T", name, o.Value)
	}
	return int64(f), nil
}

// IntOr returns an integer option, or def when it was not given.
func (r *Request) IntOr(name string, def int64) (int64, error) {
	if !r.Has(name) {
		return def, nil
	}
	return r.Int(name)
}

// Bool returns a boolean option, or def when it was not given.
func (r *Request) Bool(name string, def bool) (bool, error) {
	o := r.option(name)
	if o == nil {
		return def, nil
	}
	b, ok := o.Value.(bool)
	if !ok {
		return false, fmt.Errorf("option %s: want a boolean, got %T", name, o.Value)
	}
	return b, nil
}

// ID returns the snowflake of a user, channel, role or mentionable option,
// or "" when it was not given.
func (r *Request) ID(name string) (string, error) {
	o := r.option(name)
	if o == nil {
		return "", nil
	}
	s, ok := o.Value.(string)
	if !ok || !IsSnowflake(s) {
		return "", fmt.Errorf("option %s: want a snowflake, got %v", name, o.Value)
	}
	return s, nil
}

// Channel returns the resolved channel of a channel option, or nil when it
// was not given.
func (r *Request) Channel(name string) (*discordgo.Channel, error) {
	id, err := r.ID(name)
	if err != nil || id == "" {
		return nil, err
	}
	if r.Resolved != nil && r.Resolved.Channels[id] != nil {
		return r.Resolved.Channels[id], nil
	}
	return &discordgo.Channel{ID: id}, nil
}

// Role returns the resolved role of a role option, or nil when it was not given.
func (r *Request) Role(name string) (*discordgo.Role, error) {
	id, err := r.ID(name)
	if err != nil || id == "" {
		return nil, err
	}
	if r.Resolved != nil && r.Resolved.Roles[id] != nil {
		return r.Resolved.Roles[id], nil
	}
	return &discordgo.Role{ID: id}, nil
}

// FocusedValue is the partial text of the option being autocompleted.
func (r *Request) FocusedValue() string {
	return r.String(r.Focused)
}
