package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
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
	// SupporterRoleID and SupportChannelID turn support on request on:
	// both must be set.
	SupporterRoleID  string
	SupportChannelID string
	// ShareVetting: anonymous shares wait for a moderator's approval
	// (true, the default) or are posted at once.
	ShareVetting bool
	UpdatedAt    time.Time // zero when the server never ran setup
}

// GuildSettingsUpdate names the settings to change; nil fields are kept.
type GuildSettingsUpdate struct {
	ModlogChannelID   *string
	ModeratorRoleID   *string
	FacilitatorRoleID *string
	Timezone          *string
	ResourcesText     *string
	SupporterRoleID   *string
	SupportChannelID  *string
	ShareVetting      *bool
}

// GuildSettings returns the server's settings, or empty ones (with GuildID
// set) when it never ran setup.
func (db *DB) GuildSettings(ctx context.Context, guildID string) (GuildSettings, error) {
	if s, ok := db.settings.load(guildID); ok {
		return s, nil
	}
	gen := db.settings.generation()
	s, err := guildSettings(ctx, db.read, guildID)
	if err != nil {
		return GuildSettings{}, err
	}
	return db.settings.fill(gen, s), nil
}

// settingsCache holds GuildSettings by guild id. Reads that hit it take
// no lock. A read that missed stores what it read only if no
// invalidation came meanwhile: otherwise settings read before another
// process's change could be stored after the news of it, and kept.
type settingsCache struct {
	m   sync.Map   // guild id → GuildSettings
	mu  sync.Mutex // orders stores after a read against invalidations
	gen uint64     // guarded by mu; advanced by every invalidation
}

func (c *settingsCache) load(guildID string) (GuildSettings, bool) {
	s, ok := c.m.Load(guildID)
	if !ok {
		return GuildSettings{}, false
	}
	return s.(GuildSettings), true
}

// generation is taken before reading settings from the database.
func (c *settingsCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// fill caches s, read from the database at generation gen, and returns
// the settings to use: an update this process committed meanwhile has
// stored newer ones, which win.
func (c *settingsCache) fill(gen uint64, s GuildSettings) GuildSettings {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return s
	}
	actual, _ := c.m.LoadOrStore(s.GuildID, s)
	return actual.(GuildSettings)
}

// updated caches s, just committed by this process, which began its
// transaction at generation gen. After an invalidation meanwhile (another
// process's change, maybe later than this one) the entry is dropped.
func (c *settingsCache) updated(gen uint64, s GuildSettings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		c.m.Delete(s.GuildID)
		return
	}
	c.m.Store(s.GuildID, s)
}

// invalidate drops a server's cached settings: another process changed them.
func (c *settingsCache) invalidate(guildID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m.Delete(guildID)
}

// invalidateAll drops every cached entry: news of changes may have been lost.
func (c *settingsCache) invalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m.Clear()
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func guildSettings(ctx context.Context, q queryer, guildID string) (GuildSettings, error) {
	s := GuildSettings{GuildID: guildID, ShareVetting: true}
	var updated, vetting int64
	err := q.QueryRowContext(ctx, `SELECT modlog_channel_id, moderator_role_id, facilitator_role_id, timezone, resources_text,
		supporter_role_id, support_channel_id, updated_at, share_vetting
		FROM guild_settings WHERE guild_id = ?`, guildID).
		Scan(&s.ModlogChannelID, &s.ModeratorRoleID, &s.FacilitatorRoleID, &s.Timezone, &s.ResourcesText,
			&s.SupporterRoleID, &s.SupportChannelID, &updated, &vetting)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return GuildSettings{}, fmt.Errorf("read guild settings: %w", err)
	}
	s.UpdatedAt = time.Unix(updated, 0).UTC()
	s.ShareVetting = vetting != 0
	return s, nil
}

// UpdateGuildSettings applies u to the server's settings and returns them.
func (db *DB) UpdateGuildSettings(ctx context.Context, guildID string, u GuildSettingsUpdate, now time.Time) (GuildSettings, error) {
	gen := db.settings.generation()
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
		{u.SupporterRoleID, &s.SupporterRoleID},
		{u.SupportChannelID, &s.SupportChannelID},
	} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if u.ShareVetting != nil {
		s.ShareVetting = *u.ShareVetting
	}
	s.UpdatedAt = time.Unix(now.Unix(), 0).UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO guild_settings
		(guild_id, modlog_channel_id, moderator_role_id, facilitator_role_id, timezone, resources_text,
			supporter_role_id, support_channel_id, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (guild_id) DO UPDATE SET
			modlog_channel_id = excluded.modlog_channel_id,
			moderator_role_id = excluded.moderator_role_id,
			facilitator_role_id = excluded.facilitator_role_id,
			timezone = excluded.timezone,
			resources_text = excluded.resources_text,
			supporter_role_id = excluded.supporter_role_id,
			support_channel_id = excluded.support_channel_id,
			updated_at = excluded.updated_at`,
		guildID, s.ModlogChannelID, s.ModeratorRoleID, s.FacilitatorRoleID, s.Timezone, s.ResourcesText,
		s.SupporterRoleID, s.SupportChannelID, now.Unix()); err != nil {
		return GuildSettings{}, fmt.Errorf("save guild settings: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE guild_settings SET share_vetting = ? WHERE guild_id = ?`, boolInt(s.ShareVetting), guildID); err != nil {
		return GuildSettings{}, fmt.Errorf("save guild settings: %w", err)
	}
	if db.events != nil {
		if err := db.events.settingsChanged(ctx, tx, guildID); err != nil {
			return GuildSettings{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return GuildSettings{}, err
	}
	db.settings.updated(gen, s)
	return s, nil
}
