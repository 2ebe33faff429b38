package commands

import (
	"context"
	"time"

	"github.com/kindred-bot/kindred/internal/zones"
	"github.com/kindred-bot/kindred/storage"
)

// Which timezone a time is read or counted in, decided in one place. SPEC:
// the member's own, else the group's, else the server's default, else UTC.
// Each caller asks for the levels that apply to it (a member's check-in
// days have no group; a group's pairing schedule has no member).

// zone is a resolved timezone and whose it is.
type zone struct {
	name   string
	loc    *time.Location
	source zoneSource
}

// zoneSource says where a zone came from, in words for the member.
type zoneSource string

const (
	zoneOfMember zoneSource = "your timezone"
	zoneOfGroup  zoneSource = "the group's timezone"
	zoneOfServer zoneSource = "the server's timezone"
	zoneUTC      zoneSource = "UTC"
)

// zoneChoice is one level: a stored IANA name (maybe empty or unknown).
type zoneChoice struct {
	name   string
	source zoneSource
}

// firstZone is the first choice that names a known zone, else UTC.
func firstZone(choices ...zoneChoice) zone {
	for _, c := range choices {
		if name, loc, ok := zones.Lookup(c.name); ok {
			return zone{name: name, loc: loc, source: c.source}
		}
	}
	return zone{name: "UTC", loc: time.UTC, source: zoneUTC}
}

// whose names the levels to consider; a zero field skips its level.
type whose struct {
	userID  string         // the member's /preferences timezone
	group   *storage.Group // the group's timezone
	guildID string         // the server's default
}

// resolveZone reads the levels w names, in order member → group → server,
// and returns the first that is set, else UTC.
func resolveZone(ctx context.Context, db *storage.DB, w whose) (zone, error) {
	var choices []zoneChoice
	if w.userID != "" {
		prefs, err := db.Preferences(ctx, w.userID)
		if err != nil {
			return zone{}, err
		}
		choices = append(choices, zoneChoice{prefs.Timezone, zoneOfMember})
	}
	if w.group != nil {
		choices = append(choices, zoneChoice{w.group.Timezone, zoneOfGroup})
	}
	if z := firstZone(choices...); z.source != zoneUTC || w.guildID == "" {
		return z, nil
	}
	settings, err := db.GuildSettings(ctx, w.guildID)
	if err != nil {
		return zone{}, err
	}
	return firstZone(append(choices, zoneChoice{settings.Timezone, zoneOfServer})...), nil
}
