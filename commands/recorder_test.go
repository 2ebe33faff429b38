package commands

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// recorder is a Discord that remembers every call a handler makes and
// answers as Discord would, or with an error a test arranged. Safe for
// concurrent use.
type recorder struct {
	mu    sync.Mutex
	calls []recordedCall
	fail  map[string][]error // by method name, used up in order
	next  int                // for message and channel ids
}

// recordedCall is one call: the method and its arguments, ids as strings.
type recordedCall struct {
	Method string
	Args   []string
	// Message is what ChannelMessageSendComplex sent.
	Message *discordgo.MessageSend
	// Edit is what ChannelMessageEditComplex sent.
	Edit *discordgo.MessageEdit
	// Thread is what ThreadStartComplex sent.
	Thread *discordgo.ThreadStart
	// Err is what the call returned.
	Err error
}

func (c recordedCall) String() string {
	return c.Method + "(" + strings.Join(c.Args, ", ") + ")"
}

var _ LegacyDiscord = (*recorder)(nil)

func newRecorder() *recorder {
	return &recorder{fail: map[string][]error{}}
}

// failNext makes the next call of method return err.
func (r *recorder) failNext(method string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail[method] = append(r.fail[method], err)
}

// Calls returns the calls so far, optionally only those of one method.
func (r *recorder) Calls(method string) []recordedCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recordedCall
	for _, c := range r.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (r *recorder) record(c recordedCall) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if errs := r.fail[c.Method]; len(errs) > 0 {
		c.Err, r.fail[c.Method] = errs[0], errs[1:]
	}
	r.calls = append(r.calls, c)
	return c.Err
}

func (r *recorder) newID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	return strconv.Itoa(900000000000000000 + r.next)
}

func (r *recorder) ChannelMessageSendComplex(channelID string, data *discordgo.MessageSend, _ ...discordgo.RequestOption) (*discordgo.Message, error) {
	if err := r.record(recordedCall{Method: "ChannelMessageSendComplex", Args: []string{channelID}, Message: data}); err != nil {
		return nil, err
	}
	return &discordgo.Message{ID: r.newID(), ChannelID: channelID, Content: data.Content, Embeds: data.Embeds, Components: data.Components}, nil
}

func (r *recorder) ChannelMessageEditComplex(m *discordgo.MessageEdit, _ ...discordgo.RequestOption) (*discordgo.Message, error) {
	if err := r.record(recordedCall{Method: "ChannelMessageEditComplex", Args: []string{m.Channel, m.ID}, Edit: m}); err != nil {
		return nil, err
	}
	msg := &discordgo.Message{ID: m.ID, ChannelID: m.Channel}
	if m.Content != nil {
		msg.Content = *m.Content
	}
	return msg, nil
}

func (r *recorder) UserChannelCreate(recipientID string, _ ...discordgo.RequestOption) (*discordgo.Channel, error) {
	if err := r.record(recordedCall{Method: "UserChannelCreate", Args: []string{recipientID}}); err != nil {
		return nil, err
	}
	return &discordgo.Channel{ID: "dm-" + recipientID, Type: discordgo.ChannelTypeDM}, nil
}

func (r *recorder) GuildMemberRoleAdd(guildID, userID, roleID string, _ ...discordgo.RequestOption) error {
	return r.record(recordedCall{Method: "GuildMemberRoleAdd", Args: []string{guildID, userID, roleID}})
}

func (r *recorder) GuildMemberRoleRemove(guildID, userID, roleID string, _ ...discordgo.RequestOption) error {
	return r.record(recordedCall{Method: "GuildMemberRoleRemove", Args: []string{guildID, userID, roleID}})
}

func (r *recorder) ThreadStartComplex(channelID string, data *discordgo.ThreadStart, _ ...discordgo.RequestOption) (*discordgo.Channel, error) {
	if err := r.record(recordedCall{Method: "ThreadStartComplex", Args: []string{channelID, data.Name}, Thread: data}); err != nil {
		return nil, err
	}
	return &discordgo.Channel{ID: r.newID(), ParentID: channelID, Name: data.Name, Type: data.Type}, nil
}

func (r *recorder) ThreadMemberAdd(threadID, memberID string, _ ...discordgo.RequestOption) error {
	return r.record(recordedCall{Method: "ThreadMemberAdd", Args: []string{threadID, memberID}})
}

func (r *recorder) GuildMemberTimeout(guildID, userID string, until *time.Time, _ ...discordgo.RequestOption) error {
	arg := "nil"
	if until != nil {
		arg = until.UTC().Format(time.RFC3339)
	}
	return r.record(recordedCall{Method: "GuildMemberTimeout", Args: []string{guildID, userID, arg}})
}

func (r *recorder) GuildMemberDeleteWithReason(guildID, userID, reason string, _ ...discordgo.RequestOption) error {
	return r.record(recordedCall{Method: "GuildMemberDeleteWithReason", Args: []string{guildID, userID, reason}})
}

func (r *recorder) GuildBanCreateWithReason(guildID, userID, reason string, days int, _ ...discordgo.RequestOption) error {
	return r.record(recordedCall{Method: "GuildBanCreateWithReason", Args: []string{guildID, userID, reason, strconv.Itoa(days)}})
}

// restError is the error discordgo returns when Discord refuses a request,
// e.g. restError(403, discordgo.ErrCodeMissingPermissions, "Missing Permissions").
func restError(status, code int, message string) error {
	body, _ := json.Marshal(map[string]any{"code": code, "message": message})
	return &discordgo.RESTError{
		Request: &http.Request{Method: http.MethodPut},
		Response: &http.Response{
			StatusCode: status,
			Status:     fmt.Sprintf("%d %s", status, http.StatusText(status)),
			Body:       io.NopCloser(bytes.NewReader(body)),
		},
		ResponseBody: body,
		Message:      &discordgo.APIErrorMessage{Code: code, Message: message},
	}
}
