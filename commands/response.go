package commands

import (
	"errors"
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// Response is what a handler answers. The bot package sends it as the
// interaction's reply (or as an edit, when it had to defer).
type Response struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	Files      []*discordgo.File
	// Ephemeral replies are seen only by the member who asked. Routes not
	// marked Public are always answered ephemerally.
	Ephemeral bool
	// Update edits the message a component belongs to instead of replying.
	Update bool
	// Choices answer an autocomplete request.
	Choices []*discordgo.ApplicationCommandOptionChoice
	// Modal opens a form instead of replying.
	Modal *Modal
	// AllowedMentions is nil for "no one is pinged", which is what every
	// reply gets unless a handler deliberately names who may be.
	AllowedMentions *discordgo.MessageAllowedMentions
}

// Modal is a form. Discord (and discordgo v0.29.0) want ActionsRow +
// TextInput components only.
type Modal struct {
	CustomID   string
	Title      string
	Components []discordgo.MessageComponent
}

// Ephemeral is a private text reply.
func Ephemeral(content string) *Response {
	return &Response{Content: content, Ephemeral: true}
}

// Choices answers an autocomplete request.
func Choices(choices []*discordgo.ApplicationCommandOptionChoice) *Response {
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	return &Response{Choices: choices}
}

// UserError is a problem with what the member asked for. Its message is
// shown to them, ephemerally; it should say what was wrong and what works.
type UserError struct {
	Message string
}

func (e *UserError) Error() string { return e.Message }

// UserErrorf builds a UserError.
func UserErrorf(format string, args ...any) error {
	return &UserError{Message: fmt.Sprintf(format, args...)}
}

// AsUserError returns the UserError in err's chain, if any.
func AsUserError(err error) (*UserError, bool) {
	var ue *UserError
	ok := errors.As(err, &ue)
	return ue, ok
}
