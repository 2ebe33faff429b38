package discordsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// This file translates between Discord's JSON and discordgo's structs where
// encoding/json alone gets it wrong: discordgo.Message and
// ModalSubmitInteractionData leave their components out of their JSON, and
// the request structs (InteractionResponseData, WebhookParams, MessageSend)
// cannot be decoded at all because their components are interfaces.

// File is a file uploaded in a multipart request.
type File struct {
	Name, ContentType string
	Data              []byte
}

// payload splits the request body into its JSON part and uploaded files.
// Multipart bodies carry the JSON in "payload_json" and files in "files[n]".
func (c *call) payload() (json.RawMessage, []File, error) {
	ct := c.r.Header.Get("Content-Type")
	mt, params, _ := mime.ParseMediaType(ct)
	if mt != "multipart/form-data" {
		return c.body, nil, nil
	}
	var (
		payload json.RawMessage
		files   []File
	)
	mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("bad multipart body: %w", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, fmt.Errorf("bad multipart body: %w", err)
		}
		name := part.FormName()
		switch {
		case name == "payload_json":
			payload = data
		case part.FileName() != "" || strings.HasPrefix(name, "files[") || strings.HasPrefix(name, "file"):
			ctype := part.Header.Get("Content-Type")
			if ctype == "" {
				ctype = "application/octet-stream"
			}
			files = append(files, File{Name: part.FileName(), ContentType: ctype, Data: data})
		}
	}
	if payload == nil {
		payload = json.RawMessage(`{}`)
	}
	return payload, files, nil
}

// messagePayload is the body of every request that creates or edits a
// message: channel messages, interaction callbacks, webhooks. Pointer fields
// tell "absent" from "empty".
type messagePayload struct {
	Content          *string                           `json:"content"`
	Embeds           *[]*discordgo.MessageEmbed        `json:"embeds"`
	RawComponents    *[]json.RawMessage                `json:"components"`
	Attachments      *[]*discordgo.MessageAttachment   `json:"attachments"`
	AllowedMentions  *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Flags            *discordgo.MessageFlags           `json:"flags"`
	TTS              bool                              `json:"tts"`
	MessageReference *discordgo.MessageReference       `json:"message_reference"`
	StickerIDs       []string                          `json:"sticker_ids"`
	Poll             *discordgo.Poll                   `json:"poll"`

	// Channel messages only. Nonce is a string or an integer.
	Nonce        json.RawMessage `json:"nonce"`
	EnforceNonce bool            `json:"enforce_nonce"`

	// Interaction callbacks only.
	Choices  *[]*discordgo.ApplicationCommandOptionChoice `json:"choices"`
	CustomID *string                                      `json:"custom_id"`
	Title    *string                                      `json:"title"`

	components []discordgo.MessageComponent // decoded RawComponents
}

// readMessage reads a message body (JSON or multipart) and checks it as
// Discord checks a message. A body that can't be read is err (Discord's
// 50109); what Discord would refuse in it is errs (50035).
func (c *call) readMessage() (data *messagePayload, files []File, errs formErrors, err error) {
	raw, files, err := c.payload()
	if err != nil {
		return nil, nil, nil, err
	}
	data, derr := decodeMessagePayload(raw)
	if derr != nil {
		errs.add("components", "BASE_TYPE_INVALID", "%v", derr)
	} else {
		validateMessage(&errs, "", data)
	}
	return data, files, errs, nil
}

func decodeMessagePayload(raw json.RawMessage) (*messagePayload, error) {
	p := &messagePayload{}
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return p, nil
	}
	if err := json.Unmarshal(raw, p); err != nil {
		return nil, err
	}
	if p.RawComponents != nil {
		comps, err := decodeComponents(*p.RawComponents)
		if err != nil {
			return nil, err
		}
		p.components = comps
	}
	return p, nil
}

func decodeComponents(raws []json.RawMessage) ([]discordgo.MessageComponent, error) {
	out := make([]discordgo.MessageComponent, 0, len(raws))
	for _, r := range raws {
		c, err := discordgo.MessageComponentFromJSON(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (p *messagePayload) hasComponents() bool { return p.RawComponents != nil }

// nonce is the payload's nonce as text ("" for none): a string as it is,
// an integer in decimal.
func (p *messagePayload) nonce() (string, error) {
	raw := bytes.TrimSpace(p.Nonce)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if _, err := n.Int64(); err == nil {
			return n.String(), nil
		}
	}
	return "", errors.New("nonce must be a string or an integer")
}

// empty reports whether a new message would have nothing to show.
func (p *messagePayload) empty(files int) bool {
	return (p.Content == nil || *p.Content == "") &&
		(p.Embeds == nil || len(*p.Embeds) == 0) &&
		len(p.components) == 0 && files == 0 && len(p.StickerIDs) == 0 && p.Poll == nil
}

// applyTo writes the payload's fields onto a message. New uploads are
// appended to the attachments the payload keeps (all, if it lists none).
func (p *messagePayload) applyTo(m *discordgo.Message, uploads []*discordgo.MessageAttachment) {
	if p.Content != nil {
		m.Content = *p.Content
	}
	if p.Embeds != nil {
		m.Embeds = *p.Embeds
	}
	if p.hasComponents() {
		m.Components = p.components
	}
	if p.Flags != nil {
		// Ephemerality is fixed at creation; the rest can change.
		m.Flags = *p.Flags | (m.Flags & discordgo.MessageFlagsEphemeral)
	}
	if p.Poll != nil {
		m.Poll = p.Poll
	}
	if p.Attachments != nil {
		var kept []*discordgo.MessageAttachment
		for _, keep := range *p.Attachments {
			for _, a := range m.Attachments {
				if a.ID == keep.ID {
					kept = append(kept, a)
				}
			}
		}
		m.Attachments = kept
	}
	m.Attachments = append(slices.Clone(m.Attachments), uploads...)
	if m.Attachments == nil {
		m.Attachments = []*discordgo.MessageAttachment{}
	}
	if m.Embeds == nil {
		m.Embeds = []*discordgo.MessageEmbed{}
	}
}

// applyToData writes the payload's fields onto interaction response data.
func (p *messagePayload) applyToData(d *discordgo.InteractionResponseData, uploads []*discordgo.MessageAttachment) {
	if p.Content != nil {
		d.Content = *p.Content
	}
	if p.Embeds != nil {
		d.Embeds = *p.Embeds
	}
	if p.hasComponents() {
		d.Components = p.components
	}
	if p.Flags != nil {
		d.Flags = *p.Flags | (d.Flags & discordgo.MessageFlagsEphemeral)
	}
	if p.AllowedMentions != nil {
		d.AllowedMentions = p.AllowedMentions
	}
	if p.Poll != nil {
		d.Poll = p.Poll
	}
	if p.Choices != nil {
		d.Choices = *p.Choices
	}
	if p.CustomID != nil {
		d.CustomID = *p.CustomID
	}
	if p.Title != nil {
		d.Title = *p.Title
	}
	d.TTS = d.TTS || p.TTS
	if len(uploads) > 0 || p.Attachments != nil {
		var atts []*discordgo.MessageAttachment
		if d.Attachments != nil {
			atts = *d.Attachments
		}
		atts = append(slices.Clone(atts), uploads...)
		d.Attachments = &atts
	}
}

// wireMessage encodes a message with its components.
type wireMessage struct {
	*discordgo.Message
	Components []discordgo.MessageComponent `json:"components"`
}

func wire(m *discordgo.Message) *wireMessage {
	if m == nil {
		return nil
	}
	comps := m.Components
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	return &wireMessage{Message: m, Components: comps}
}

// encodeInteraction is the JSON of an INTERACTION_CREATE payload.
func encodeInteraction(i *discordgo.Interaction, channel *discordgo.Channel) ([]byte, error) {
	data, err := encodeInteractionData(i.Data)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(struct {
		*discordgo.Interaction
		Data    json.RawMessage    `json:"data,omitempty"`
		Message *wireMessage       `json:"message,omitempty"`
		Channel *discordgo.Channel `json:"channel,omitempty"`
	}{i, data, wire(i.Message), channel})
	if err != nil {
		return nil, err
	}
	var tree map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep large integers exact
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	for _, k := range []string{"user", "member", "message", "guild_locale"} {
		if tree[k] == nil {
			delete(tree, k)
		}
	}
	if tree["guild_id"] == "" {
		delete(tree, "guild_id")
	}
	prune(tree)
	return json.Marshal(tree)
}

// prune removes what discordgo's structs add but Discord does not send:
// empty guild_id and null user in interaction members, and empty email and
// token in user objects.
func prune(v any) {
	switch t := v.(type) {
	case map[string]any:
		if _, ok := t["joined_at"]; ok { // a member
			if t["guild_id"] == "" {
				delete(t, "guild_id")
			}
			if t["user"] == nil {
				delete(t, "user")
			}
		}
		if _, ok := t["discriminator"]; ok { // a user
			for _, k := range []string{"email", "token"} {
				if t[k] == "" {
					delete(t, k)
				}
			}
		}
		for _, child := range t {
			prune(child)
		}
	case []any:
		for _, child := range t {
			prune(child)
		}
	}
}

type wireResolved struct {
	Users       map[string]*discordgo.User              `json:"users,omitempty"`
	Members     map[string]*discordgo.Member            `json:"members,omitempty"`
	Roles       map[string]*discordgo.Role              `json:"roles,omitempty"`
	Channels    map[string]*discordgo.Channel           `json:"channels,omitempty"`
	Messages    map[string]*wireMessage                 `json:"messages,omitempty"`
	Attachments map[string]*discordgo.MessageAttachment `json:"attachments,omitempty"`
}

func encodeInteractionData(d discordgo.InteractionData) (json.RawMessage, error) {
	switch v := d.(type) {
	case nil:
		return nil, nil
	case *discordgo.ApplicationCommandInteractionData:
		return encodeInteractionData(*v)
	case *discordgo.MessageComponentInteractionData:
		return encodeInteractionData(*v)
	case *discordgo.ModalSubmitInteractionData:
		return encodeInteractionData(*v)
	case discordgo.ApplicationCommandInteractionData:
		out := struct {
			ID       string                                               `json:"id"`
			Name     string                                               `json:"name"`
			Type     discordgo.ApplicationCommandType                     `json:"type"`
			Options  []*discordgo.ApplicationCommandInteractionDataOption `json:"options,omitempty"`
			Resolved *wireResolved                                        `json:"resolved,omitempty"`
			TargetID string                                               `json:"target_id,omitempty"`
		}{ID: v.ID, Name: v.Name, Type: v.CommandType, Options: v.Options, TargetID: v.TargetID}
		if out.Type == 0 {
			out.Type = discordgo.ChatApplicationCommand
		}
		if r := v.Resolved; r != nil {
			out.Resolved = &wireResolved{Users: r.Users, Members: r.Members, Roles: r.Roles, Channels: r.Channels, Attachments: r.Attachments}
			if len(r.Messages) > 0 {
				out.Resolved.Messages = map[string]*wireMessage{}
				for id, m := range r.Messages {
					out.Resolved.Messages[id] = wire(m)
				}
			}
		}
		return json.Marshal(out)
	case discordgo.MessageComponentInteractionData:
		out := map[string]any{"custom_id": v.CustomID, "component_type": v.ComponentType}
		if v.Values != nil || v.ComponentType != discordgo.ButtonComponent {
			out["values"] = v.Values
		}
		r := v.Resolved
		if len(r.Users)+len(r.Members)+len(r.Roles)+len(r.Channels) > 0 {
			out["resolved"] = wireResolved{Users: r.Users, Members: r.Members, Roles: r.Roles, Channels: r.Channels}
		}
		return json.Marshal(out)
	case discordgo.ModalSubmitInteractionData:
		comps := make([]json.RawMessage, 0, len(v.Components))
		for _, c := range v.Components {
			b, err := encodeSubmittedComponent(c)
			if err != nil {
				return nil, err
			}
			comps = append(comps, b)
		}
		return json.Marshal(map[string]any{"custom_id": v.CustomID, "components": comps})
	default:
		return json.Marshal(d)
	}
}

// encodeSubmittedComponent encodes a modal component the way a submission
// carries it: rows with text inputs reduced to custom_id and value.
func encodeSubmittedComponent(c discordgo.MessageComponent) (json.RawMessage, error) {
	switch v := c.(type) {
	case *discordgo.ActionsRow:
		return encodeSubmittedComponent(*v)
	case *discordgo.TextInput:
		return encodeSubmittedComponent(*v)
	case discordgo.ActionsRow:
		inner := make([]json.RawMessage, 0, len(v.Components))
		for _, ic := range v.Components {
			b, err := encodeSubmittedComponent(ic)
			if err != nil {
				return nil, err
			}
			inner = append(inner, b)
		}
		return json.Marshal(map[string]any{"type": discordgo.ActionsRowComponent, "components": inner})
	case discordgo.TextInput:
		return json.Marshal(map[string]any{"type": discordgo.TextInputComponent, "custom_id": v.CustomID, "value": v.Value})
	default:
		return c.MarshalJSON()
	}
}

// --- validation, following Discord's documented limits ---

func runes(s string) int { return utf8.RuneCountInString(s) }

func maxLen(errs *formErrors, path, value string, limit int) {
	if runes(value) > limit {
		errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be %d or fewer in length.", limit)
	}
}

func lenBetween(errs *formErrors, path, value string, lo, hi int) {
	if n := runes(value); n < lo || n > hi {
		errs.add(path, "BASE_TYPE_BAD_LENGTH", "Must be between %d and %d in length.", lo, hi)
	}
}

func joinPath(prefix, field string) string {
	if prefix == "" {
		return field
	}
	return prefix + "." + field
}

// validateMessage checks content, embeds and components of a message
// payload. prefix is where the fields sit in the body ("" or "data").
func validateMessage(errs *formErrors, prefix string, p *messagePayload) {
	if p.Content != nil {
		maxLen(errs, joinPath(prefix, "content"), *p.Content, 2000)
	}
	if p.Embeds != nil {
		validateEmbeds(errs, joinPath(prefix, "embeds"), *p.Embeds)
	}
	if p.hasComponents() {
		v2 := p.Flags != nil && *p.Flags&discordgo.MessageFlagsIsComponentsV2 != 0
		validateComponents(errs, joinPath(prefix, "components"), p.components, v2)
	}
}

func validateEmbeds(errs *formErrors, path string, embeds []*discordgo.MessageEmbed) {
	if len(embeds) > 10 {
		errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
	}
	total := 0
	for i, e := range embeds {
		if e == nil {
			continue
		}
		ep := fmt.Sprintf("%s.%d", path, i)
		maxLen(errs, ep+".title", e.Title, 256)
		maxLen(errs, ep+".description", e.Description, 4096)
		total += runes(e.Title) + runes(e.Description)
		if len(e.Fields) > 25 {
			errs.add(ep+".fields", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		for j, f := range e.Fields {
			fp := fmt.Sprintf("%s.fields.%d", ep, j)
			lenBetween(errs, fp+".name", f.Name, 1, 256)
			lenBetween(errs, fp+".value", f.Value, 1, 1024)
			total += runes(f.Name) + runes(f.Value)
		}
		if e.Footer != nil {
			maxLen(errs, ep+".footer.text", e.Footer.Text, 2048)
			total += runes(e.Footer.Text)
		}
		if e.Author != nil {
			maxLen(errs, ep+".author.name", e.Author.Name, 256)
			total += runes(e.Author.Name)
		}
	}
	if total > 6000 {
		errs.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
	}
}

func validateComponents(errs *formErrors, path string, comps []discordgo.MessageComponent, v2 bool) {
	if !v2 && len(comps) > 5 {
		errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
	}
	seen := map[string]bool{}
	for i, c := range comps {
		cp := fmt.Sprintf("%s.%d", path, i)
		row, ok := asActionsRow(c)
		if !ok {
			if !v2 {
				errs.add(cp+".type", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Top-level components must be action rows unless IS_COMPONENTS_V2 is set.")
			}
			continue
		}
		if len(row.Components) == 0 || len(row.Components) > 5 {
			errs.add(cp+".components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
		}
		for j, ic := range row.Components {
			ip := fmt.Sprintf("%s.components.%d", cp, j)
			switch v := deref(ic).(type) {
			case discordgo.Button:
				if v.Style == discordgo.LinkButton {
					if v.URL == "" || v.CustomID != "" {
						errs.add(ip+".url", "BUTTON_COMPONENT_URL_REQUIRED", "Link buttons need a url and no custom_id.")
					}
				} else if v.Style != discordgo.PremiumButton {
					lenBetween(errs, ip+".custom_id", v.CustomID, 1, 100)
				}
				maxLen(errs, ip+".label", v.Label, 80)
				if v.Label == "" && v.Emoji == nil && v.Style != discordgo.PremiumButton {
					errs.add(ip, "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A button needs a label or an emoji.")
				}
				checkUnique(errs, ip+".custom_id", v.CustomID, seen)
			case discordgo.SelectMenu:
				if len(row.Components) != 1 {
					errs.add(cp+".components", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A select menu must be alone in its action row.")
				}
				lenBetween(errs, ip+".custom_id", v.CustomID, 1, 100)
				if len(v.Options) > 25 {
					errs.add(ip+".options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
				}
				maxLen(errs, ip+".placeholder", v.Placeholder, 150)
				for k, o := range v.Options {
					op := fmt.Sprintf("%s.options.%d", ip, k)
					lenBetween(errs, op+".label", o.Label, 1, 100)
					lenBetween(errs, op+".value", o.Value, 1, 100)
					maxLen(errs, op+".description", o.Description, 100)
				}
				checkUnique(errs, ip+".custom_id", v.CustomID, seen)
			case discordgo.TextInput:
				errs.add(ip+".type", "COMPONENT_TYPE_INVALID", "Text inputs are only allowed in modals.")
			}
		}
	}
}

func checkUnique(errs *formErrors, path, id string, seen map[string]bool) {
	if id == "" {
		return
	}
	if seen[id] {
		errs.add(path, "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
	}
	seen[id] = true
}

func validateModal(errs *formErrors, p *messagePayload) {
	if p.CustomID == nil {
		errs.add("data.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
	} else {
		lenBetween(errs, "data.custom_id", *p.CustomID, 1, 100)
	}
	if p.Title == nil {
		errs.add("data.title", "BASE_TYPE_REQUIRED", "This field is required")
	} else {
		lenBetween(errs, "data.title", *p.Title, 1, 45)
	}
	if len(p.components) == 0 || len(p.components) > 5 {
		errs.add("data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
	}
	seen := map[string]bool{}
	for i, c := range p.components {
		cp := fmt.Sprintf("data.components.%d", i)
		row, ok := asActionsRow(c)
		if !ok || len(row.Components) != 1 {
			errs.add(cp, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "Each modal row holds exactly one text input.")
			continue
		}
		ti, ok := deref(row.Components[0]).(discordgo.TextInput)
		if !ok {
			errs.add(cp+".components.0.type", "COMPONENT_TYPE_INVALID", "Modals only accept text inputs.")
			continue
		}
		ip := cp + ".components.0"
		lenBetween(errs, ip+".custom_id", ti.CustomID, 1, 100)
		lenBetween(errs, ip+".label", ti.Label, 1, 45)
		if ti.Style != discordgo.TextInputShort && ti.Style != discordgo.TextInputParagraph {
			errs.add(ip+".style", "BASE_TYPE_CHOICES", "Value must be one of (1, 2).")
		}
		maxLen(errs, ip+".value", ti.Value, 4000)
		if ti.MaxLength > 4000 || ti.MinLength > 4000 || ti.MinLength < 0 {
			errs.add(ip, "BASE_TYPE_BAD_LENGTH", "min_length and max_length must be between 0 and 4000.")
		}
		checkUnique(errs, ip+".custom_id", ti.CustomID, seen)
	}
}

func validateChoices(errs *formErrors, choices []*discordgo.ApplicationCommandOptionChoice) {
	if len(choices) > 25 {
		errs.add("data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
	}
	for i, c := range choices {
		cp := fmt.Sprintf("data.choices.%d", i)
		lenBetween(errs, cp+".name", c.Name, 1, 100)
		switch v := c.Value.(type) {
		case string:
			maxLen(errs, cp+".value", v, 100)
		case float64:
		default:
			errs.add(cp+".value", "BASE_TYPE_REQUIRED", "Choice values must be strings or numbers.")
		}
	}
}

// asActionsRow unwraps an action row given by value or pointer.
func asActionsRow(c discordgo.MessageComponent) (discordgo.ActionsRow, bool) {
	r, ok := deref(c).(discordgo.ActionsRow)
	return r, ok
}

// deref turns the pointer components discordgo decodes into values.
func deref(c discordgo.MessageComponent) discordgo.MessageComponent {
	switch v := c.(type) {
	case *discordgo.ActionsRow:
		return *v
	case *discordgo.Button:
		return *v
	case *discordgo.SelectMenu:
		return *v
	case *discordgo.TextInput:
		return *v
	case *discordgo.Section:
		return *v
	case *discordgo.Container:
		return *v
	case *discordgo.TextDisplay:
		return *v
	case *discordgo.Thumbnail:
		return *v
	case *discordgo.MediaGallery:
		return *v
	case *discordgo.FileComponent:
		return *v
	case *discordgo.Separator:
		return *v
	}
	return c
}
