package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// exportBudget is a generous bound for a burst of exports and a health
// check to finish. On the 2-core development machine eight exports of a
// year of check-ins each, with /healthz, take 35–140 ms (about 40 ms
// typically).
const exportBudget = 5 * time.Second

// warnMembers gives each member an active warning, and checkins check-ins
// a day before it, written to Kindred's database beside the running bot.
// The members are written side by side, so that their check-ins share
// commits.
func warnMembers(t *testing.T, h *kindredtest.Harness, checkins int, members ...string) {
	t.Helper()
	ctx := context.Background()
	db, err := h.Database.TryOpen()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	errs := make(chan error, len(members))
	for _, m := range members {
		go func() {
			for d := range checkins {
				at := now.AddDate(0, 0, -checkins+d)
				if _, err := db.RecordCheckin(ctx, storage.Checkin{GuildID: kindredtest.GuildID, UserID: m, Mood: 1 + d%5,
					Note: "a day like any other", LocalDate: at.Format(time.DateOnly), At: at}); err != nil {
					errs <- err
					return
				}
			}
			_, _, err := db.AddWarning(ctx, storage.Warning{GuildID: kindredtest.GuildID, UserID: m, ModeratorID: kindredtest.ModeratorID,
				Reason: "Please keep advice to when it's asked for", CreatedAt: now, ExpiresAt: now.Add(90 * 24 * time.Hour)})
			errs <- err
		}()
	}
	for range members {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// burst dispatches every interaction at once, probes /healthz meanwhile,
// and returns the replies, the health check's status and how long the
// whole took.
func burst(t *testing.T, h *kindredtest.Harness, interactions []*discordsim.Prepared) ([]*discordsim.Reply, int, time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	var health int
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := http.Get("http://" + h.HTTPAddr + "/healthz")
		if err != nil {
			t.Errorf("GET /healthz: %v", err)
			return
		}
		resp.Body.Close()
		health = resp.StatusCode
	}()
	pending := make([]*discordsim.Pending, len(interactions))
	for i, pr := range interactions {
		p, err := h.Fake.Dispatch(pr)
		if err != nil {
			t.Fatal(err)
		}
		pending[i] = p
	}
	replies := make([]*discordsim.Reply, len(pending))
	for i, p := range pending {
		r, err := p.Wait(exportBudget)
		if err != nil {
			t.Fatalf("interaction %d: %v", i, err)
		}
		replies[i] = r
	}
	wg.Wait()
	return replies, health, time.Since(start)
}

func prepareExport(t *testing.T, h *kindredtest.Harness, userID string) *discordsim.Prepared {
	t.Helper()
	i, err := h.Fake.BuildCommand(kindredtest.GuildID, userID, "/mydata export")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := h.Fake.Prepare(i)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// Eight members with a warning ask for their data at the same moment
// while a health check comes in: every export arrives, with the warning,
// and /healthz answers, all well under a second. An export once held a
// read connection and asked the same pool for another for its warnings;
// four at once deadlocked the pool and froze settings, preferences, the
// scheduler and /healthz until their handlers timed out, ten minutes on.
// With that bug back, this test fails in about two runs of three (a year
// of check-ins keeps each export's transaction open long enough for them
// to overlap); storage's TestPoolNesting catches it every time.
func TestConcurrentExportsKeepKindredResponsive(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := kindredtest.Start(t, kindredtest.Options{Backend: b})
		var members []string
		for i := range 8 {
			id := fmt.Sprint(830000000000000001 + i)
			h.Fake.AddMember(kindredtest.GuildID, discordsim.Member{User: discordsim.User{ID: id, Username: fmt.Sprintf("member%d", i+1)}})
			members = append(members, id)
		}
		warnMembers(t, h, 365, members...)

		var exports []*discordsim.Prepared
		for _, m := range members {
			exports = append(exports, prepareExport(t, h, m))
		}
		replies, health, took := burst(t, h, exports)
		t.Logf("8 concurrent exports and /healthz: %v", took)
		if health != http.StatusOK {
			t.Errorf("/healthz = %d during the exports", health)
		}
		for i, r := range replies {
			if len(r.Files) != 1 {
				t.Errorf("%s: %q with %d files, want the export", members[i], r.Text(), len(r.Files))
				continue
			}
			var d storage.MemberData
			if err := json.Unmarshal(r.Files[0].Data, &d); err != nil || d.UserID != members[i] || len(d.Warnings) != 1 {
				t.Errorf("%s: export for %q with %d warnings (%v), want theirs with one", members[i], d.UserID, len(d.Warnings), err)
			}
		}
		if took > exportBudget {
			t.Errorf("8 exports and /healthz took %v, want well under a second (at most %v)", took, exportBudget)
		}
	})
}

// One member asking for their data eight times at once gets one export and
// seven kind answers, straight away, and /healthz still answers.
func TestRepeatedExportsByOneMember(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := kindredtest.Start(t, kindredtest.Options{Backend: b})
		warnMembers(t, h, 365, kindredtest.AliceID)
		var exports []*discordsim.Prepared
		for range 8 {
			exports = append(exports, prepareExport(t, h, kindredtest.AliceID))
		}
		replies, health, took := burst(t, h, exports)
		t.Logf("8 concurrent exports by one member and /healthz: %v", took)
		if health != http.StatusOK {
			t.Errorf("/healthz = %d during the exports", health)
		}
		files := 0
		for _, r := range replies {
			switch text := r.Text(); {
			case len(r.Files) == 1:
				files++
			case !r.Ephemeral() || !(strings.Contains(text, "still putting together your `/mydata export`") || strings.Contains(text, "You just asked for `/mydata export`")):
				t.Errorf("a repeated export got %q (ephemeral %v), want a kind refusal", text, r.Ephemeral())
			}
		}
		if files != 1 {
			t.Errorf("%d exports arrived, want one", files)
		}
		if took > exportBudget {
			t.Errorf("took %v, want well under a second (at most %v)", took, exportBudget)
		}
	})
}
