package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// GuildSettings is what a server chose with /kindred setup. Empty strings
// mean "not set".
type GuildSettings struct {
	GuildID           string
	ModlogChannelID   string
	ModeratorRoleID   string
	FacilitatorRoleID string
	Timezone          string
	ResourcesText     string
	UpdatedAt         time.Time // zero when the server never ran setup
}

// GuildSettingsUpdate names the settings to change; nil fields are kept.
type GuildSettingsUpdate struct {
	ModlogChannelID   *string
	ModeratorRoleID   *string
	FacilitatorRoleID *string
	Timezone          *string
	ResourcesText     *string
}

// GuildSettings returns the server's settings, or empty ones (with GuildID
// set) when it never ran setup.
func (db *DB) GuildSettings(ctx context.Context, guildID string) (GuildSettings, error) {
	if s, ok := db.settings.Load(guildID); ok {
		return s.(GuildSettings), nil
	}
	s, err := guildSettings(ctx, db.read, guildID)
	if err != nil {
		return GuildSettings{}, err
	}
	// LoadOrStore: an update that committed meanwhile has stored newer settings.
	actual, _ := db.settings.LoadOrStore(guildID, s)
	return actual.(GuildSettings), nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func guildSettings(ctx context.Context, q queryer, guildID string) (GuildSettings, error) {
	s := GuildSettings{GuildID: guildID}
	var updated int64
	err := q.QueryRowContext(ctx, `SELECT modlog_channel_id, moderator_role_id, facilitator_role_id, timezone, resources_text, updated_at
		FROM guild_settings WHERE guild_id = ?`, guildID).
		Scan(&s.ModlogChannelID, &s.ModeratorRoleID, &s.FacilitatorRoleID, &s.Timezone, &s.ResourcesText, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return GuildSettings{}, fmt.Errorf("read guild settings: %w", err)
	}
	s.UpdatedAt = time.Unix(updated, 0).UTC()
	return s, nil
}

// UpdateGuildSettings applies u to the server's settings and returns them.
func (db *DB) UpdateGuildSettings(ctx context.Context, guildID string, u GuildSettingsUpdate, now time.Time) (GuildSettings, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return GuildSettings{}, err
	}
	defer tx.Rollback()
	s, err := guildSettings(ctx, tx, guildID)
	if err != nil {
		return GuildSettings{}, err
	}
	for _, f := range []struct {
		from *string
		to   *string
	}{
		{u.ModlogChannelID, &s.ModlogChannelID},
		{u.ModeratorRoleID, &s.ModeratorRoleID},
		{u.FacilitatorRoleID, &s.FacilitatorRoleID},
		{u.Timezone, &s.Timezone},
		{u.ResourcesText, &s.ResourcesText},
	} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	s.UpdatedAt = time.Unix(now.Unix(), 0).UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO guild_settings
		(guild_id, modlog_channel_id, moderator_role_id, facilitator_role_id, timezone, resources_text, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (guild_id) DO UPDATE SET
			modlog_channel_id = excluded.modlog_channel_id,
			moderator_role_id = excluded.moderator_role_id,
			facilitator_role_id = excluded.facilitator_role_id,
			timezone = excluded.timezone,
			resources_text = excluded.resources_text,
			updated_at = excluded.updated_at`,
		guildID, s.ModlogChannelID, s.ModeratorRoleID, s.FacilitatorRoleID, s.Timezone, s.ResourcesText, now.Unix()); err != nil {
		return GuildSettings{}, fmt.Errorf("save guild settings: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return GuildSettings{}, err
	}
	db.settings.Store(guildID, s)
	return s, nil
}
