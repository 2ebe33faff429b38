package discordsim

import (
	"net/http"
)

// routeTable lists the REST endpoints, relative to /api/v9. The first match
// wins, so literal segments ("@me", "@original") come before captures.
// Everything else answers 404 {"message": "404: Not Found", "code": 0}.
func (s *Server) routeTable() []route {
	return []route{
		// Gateway and users.
		{method: "GET", pattern: "/gateway", public: true, handle: s.getGateway},
		{method: "GET", pattern: "/gateway/bot", handle: s.getGatewayBot},
		{method: "GET", pattern: "/users/@me", handle: s.getMe},
		{method: "GET", pattern: "/users/{user}", handle: s.getUser},
		{method: "POST", pattern: "/users/@me/channels", handle: s.createDM},
		{method: "GET", pattern: "/oauth2/applications/@me", handle: s.getApplication},

		// Application commands, global and per guild.
		{method: "GET", pattern: "/applications/{app}/commands", handle: s.listCommands},
		{method: "PUT", pattern: "/applications/{app}/commands", handle: s.overwriteCommands},
		{method: "POST", pattern: "/applications/{app}/commands", handle: s.createCommand},
		{method: "GET", pattern: "/applications/{app}/commands/{command}", handle: s.getCommand},
		{method: "PATCH", pattern: "/applications/{app}/commands/{command}", handle: s.editCommand},
		{method: "DELETE", pattern: "/applications/{app}/commands/{command}", handle: s.deleteCommand},
		{method: "GET", pattern: "/applications/{app}/guilds/{guild}/commands", handle: s.listCommands},
		{method: "PUT", pattern: "/applications/{app}/guilds/{guild}/commands", handle: s.overwriteCommands},
		{method: "POST", pattern: "/applications/{app}/guilds/{guild}/commands", handle: s.createCommand},
		{method: "GET", pattern: "/applications/{app}/guilds/{guild}/commands/{command}", handle: s.getCommand},
		{method: "PATCH", pattern: "/applications/{app}/guilds/{guild}/commands/{command}", handle: s.editCommand},
		{method: "DELETE", pattern: "/applications/{app}/guilds/{guild}/commands/{command}", handle: s.deleteCommand},

		// Interaction responses and the interaction webhook.
		{method: "POST", pattern: "/interactions/{interaction}/{token}/callback", handle: s.interactionCallback},
		{method: "GET", pattern: "/webhooks/{app}/{token}/messages/@original", handle: s.getOriginal},
		{method: "PATCH", pattern: "/webhooks/{app}/{token}/messages/@original", handle: s.editOriginal},
		{method: "DELETE", pattern: "/webhooks/{app}/{token}/messages/@original", handle: s.deleteOriginal},
		{method: "POST", pattern: "/webhooks/{app}/{token}", handle: s.createFollowup},
		{method: "GET", pattern: "/webhooks/{app}/{token}/messages/{message}", handle: s.getFollowup},
		{method: "PATCH", pattern: "/webhooks/{app}/{token}/messages/{message}", handle: s.editFollowup},
		{method: "DELETE", pattern: "/webhooks/{app}/{token}/messages/{message}", handle: s.deleteFollowup},

		// Channels, messages and threads.
		{method: "GET", pattern: "/channels/{channel}", handle: s.getChannel},
		{method: "PATCH", pattern: "/channels/{channel}", handle: s.editChannel},
		{method: "DELETE", pattern: "/channels/{channel}", handle: s.deleteChannel},
		{method: "POST", pattern: "/channels/{channel}/typing", handle: s.typing},
		{method: "GET", pattern: "/channels/{channel}/messages", handle: s.listMessages},
		{method: "POST", pattern: "/channels/{channel}/messages", handle: s.createMessage},
		{method: "GET", pattern: "/channels/{channel}/messages/{message}", handle: s.getMessage},
		{method: "PATCH", pattern: "/channels/{channel}/messages/{message}", handle: s.editMessage},
		{method: "DELETE", pattern: "/channels/{channel}/messages/{message}", handle: s.deleteMessage},
		{method: "POST", pattern: "/channels/{channel}/threads", handle: s.createThread},
		{method: "POST", pattern: "/channels/{channel}/messages/{message}/threads", handle: s.createThread},
		{method: "GET", pattern: "/channels/{channel}/thread-members", handle: s.listThreadMembers},
		{method: "GET", pattern: "/channels/{channel}/thread-members/{user}", handle: s.getThreadMember},
		{method: "PUT", pattern: "/channels/{channel}/thread-members/{user}", handle: s.addThreadMember},
		{method: "DELETE", pattern: "/channels/{channel}/thread-members/{user}", handle: s.removeThreadMember},

		// Guilds, members, roles and bans.
		{method: "GET", pattern: "/guilds/{guild}", handle: s.getGuild},
		{method: "GET", pattern: "/guilds/{guild}/channels", handle: s.getGuildChannels},
		{method: "GET", pattern: "/guilds/{guild}/roles", handle: s.getGuildRoles},
		{method: "GET", pattern: "/guilds/{guild}/members", handle: s.listMembers},
		{method: "GET", pattern: "/guilds/{guild}/members/{user}", handle: s.getMember},
		{method: "PATCH", pattern: "/guilds/{guild}/members/{user}", handle: s.editMember},
		{method: "DELETE", pattern: "/guilds/{guild}/members/{user}", handle: s.kickMember},
		{method: "PUT", pattern: "/guilds/{guild}/members/{user}/roles/{role}", handle: s.addMemberRole},
		{method: "DELETE", pattern: "/guilds/{guild}/members/{user}/roles/{role}", handle: s.removeMemberRole},
		{method: "GET", pattern: "/guilds/{guild}/bans", handle: s.listBans},
		{method: "GET", pattern: "/guilds/{guild}/bans/{user}", handle: s.getBan},
		{method: "PUT", pattern: "/guilds/{guild}/bans/{user}", handle: s.createBan},
		{method: "DELETE", pattern: "/guilds/{guild}/bans/{user}", handle: s.removeBan},
	}
}

// Discord error codes the fake answers with.
const (
	codeUnknownChannel        = 10003
	codeUnknownGuild          = 10004
	codeUnknownMember         = 10007
	codeUnknownMessage        = 10008
	codeUnknownRole           = 10011
	codeUnknownUser           = 10013
	codeUnknownWebhook        = 10015
	codeUnknownBan            = 10026
	codeUnknownCommand        = 10063
	codeUnknownInteraction    = 10062
	codeMissingAccess         = 50001
	codeCannotEditOthers      = 50005
	codeInvalidFormBody       = 50035
	codeEmptyMessage          = 50006
	codeCannotDMUser          = 50007
	codeMissingPermissions    = 50013
	codeAlreadyAcknowledged   = 40060
	codeThreadLocked          = 50083
	codeMaxThreadParticipants = 30033
)

func (c *call) notFound(code int, what string) {
	c.fail(http.StatusNotFound, code, "Unknown "+what)
}

func (c *call) missingPermissions() {
	c.fail(http.StatusForbidden, codeMissingPermissions, "Missing Permissions")
}

func (c *call) missingAccess() {
	c.fail(http.StatusForbidden, codeMissingAccess, "Missing Access")
}

// userParam is the {user} path parameter with "@me" resolved.
func (c *call) userParam() string {
	if u := c.param("user"); u != "@me" {
		return u
	}
	return c.s.botUser.ID
}

// --- gateway and users ---

func (s *Server) getGateway(c *call) {
	c.json(http.StatusOK, map[string]string{"url": s.GatewayURL()})
}

func (s *Server) getGatewayBot(c *call) {
	c.json(http.StatusOK, s.gatewayBotLocked())
}

func (s *Server) getMe(c *call) {
	c.json(http.StatusOK, s.botUser)
}

// getApplication is Get Current Bot Application Information: how a bot
// that never opens the gateway (so never sees READY) learns its
// application id.
func (s *Server) getApplication(c *call) {
	user := s.botUser
	c.json(http.StatusOK, map[string]any{
		"id":          s.AppID(),
		"name":        user.Username,
		"description": "",
		"bot_public":  true,
		"flags":       1 << 23,
		"verify_key":  s.InteractionsPublicKey(),
		"bot":         &user,
	})
}

func (s *Server) getUser(c *call) {
	u := s.users[c.userParam()]
	if u == nil {
		c.notFound(codeUnknownUser, "User")
		return
	}
	c.json(http.StatusOK, u)
}

func (s *Server) createDM(c *call) {
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if !c.decode(c.body, &body) {
		return
	}
	if body.RecipientID == "" {
		var errs formErrors
		errs.add("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
		c.invalid(errs)
		return
	}
	if body.RecipientID == s.botUser.ID {
		c.fail(http.StatusBadRequest, codeCannotDMUser, "Cannot send messages to this user")
		return
	}
	cs := s.dmChannelLocked(body.RecipientID)
	c.json(http.StatusOK, copyChannel(cs.ch))
}
