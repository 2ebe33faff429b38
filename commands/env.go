package commands

import (
	"log/slog"
	"time"

	"github.com/kindred-bot/kindred/storage"
)

// Env is everything a feature needs from the process. Tests build one with
// a real database and a pinned clock.
type Env struct {
	DB      *storage.DB
	Log     *slog.Logger
	Now     func() time.Time
	Discord Discord
	// BotUserID is Kindred's own user id, as GET /users/@me answered at
	// start: its member in a server is the one whose roles bound what it
	// can hand out.
	BotUserID string

	// Version is the running build, shown by /kindred about.
	Version string
	// CheckinRetentionDays is privacy.checkin_retention_days; 0 keeps check-ins.
	CheckinRetentionDays int
}

// Features returns every feature of Kindred, ready to register.
func Features(env Env) []Feature {
	return []Feature{
		&Kindred{env: env},
		&Resources{env: env},
		&Preferences{env: env},
		&Groups{env: env},
		&Meetings{env: env},
		&Checkins{env: env},
		&Buddies{env: env},
		&Moderation{env: env},
		&Support{env: env},
		&Shares{env: env},
		&DMs{env: env},
		&MyData{env: env},
	}
}

// Colours for embeds: calm, readable on light and dark themes.
const (
	colourCalm = 0x5B8DEF
)
