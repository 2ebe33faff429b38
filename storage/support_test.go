package storage_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

var supportT0 = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

const (
	supportGuild = "100000000000000001"
	asker        = "200000000000000001"
	helperA      = "200000000000000002"
	helperB      = "200000000000000003"
)

func openRequest(t *testing.T, db *storage.DB, userID, topic string) storage.SupportRequest {
	t.Helper()
	r, err := db.OpenSupportRequest(context.Background(), storage.SupportRequest{GuildID: supportGuild, UserID: userID, Topic: topic, CreatedAt: supportT0})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A member has one open request per server; once it is closed they may ask again.
func TestSupportOneOpenRequestPerMember(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		r := openRequest(t, db, asker, "a hard week")
		if _, err := db.OpenSupportRequest(ctx, storage.SupportRequest{GuildID: supportGuild, UserID: asker, CreatedAt: supportT0}); !errors.Is(err, storage.ErrConflict) {
			t.Fatalf("second open request: err = %v, want ErrConflict", err)
		}
		got, err := db.OpenSupportRequestOf(ctx, supportGuild, asker)
		if err != nil || got.ID != r.ID || got.Topic != "a hard week" {
			t.Fatalf("open request = %+v, %v", got, err)
		}
		if _, closed, err := db.CloseSupportRequest(ctx, r.ID, storage.SupportClosedByMember, supportT0.Add(time.Hour), nil); err != nil || !closed {
			t.Fatalf("close = %v, %v", closed, err)
		}
		if _, closed, err := db.CloseSupportRequest(ctx, r.ID, storage.SupportClosedBySupporter, supportT0.Add(2*time.Hour), nil); err != nil || closed {
			t.Fatalf("second close = %v, %v; want no change", closed, err)
		}
		openRequest(t, db, asker, "again")
	})
}

// Two supporters pressing at once: exactly one takes the request.
func TestSupportTakeIsDecidedOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		r := openRequest(t, db, asker, "")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		for i, who := range []string{helperA, helperB} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = db.TakeSupportRequest(ctx, r.ID, who, 2, supportT0.Add(time.Minute))
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, storage.ErrSupportTaken):
				t.Errorf("take: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d supporters took the request (errs %v), want exactly 1", won, errs)
		}
		got, _ := db.SupportRequest(ctx, r.ID)
		if got.TakenBy != helperA && got.TakenBy != helperB || !got.TakenAt.Equal(supportT0.Add(time.Minute)) {
			t.Errorf("request = %+v", got)
		}
	})
}

// A member can't take their own request, and a supporter holds at most two.
func TestSupportTakeRefusals(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		own := openRequest(t, db, asker, "")
		if _, err := db.TakeSupportRequest(ctx, own.ID, asker, 2, supportT0); !errors.Is(err, storage.ErrSupportOwn) {
			t.Errorf("own take: %v", err)
		}
		for _, u := range []string{"300000000000000001", "300000000000000002"} {
			r := openRequest(t, db, u, "")
			if _, err := db.TakeSupportRequest(ctx, r.ID, helperA, 2, supportT0); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.TakeSupportRequest(ctx, own.ID, helperA, 2, supportT0); !errors.Is(err, storage.ErrSupportHeld) {
			t.Errorf("third take: %v, want ErrSupportHeld", err)
		}
		if _, err := db.TakeSupportRequest(ctx, 9999, helperA, 2, supportT0); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("unknown request: %v", err)
		}
		if err := db.ReleaseSupportRequest(ctx, own.ID, helperA); err != nil {
			t.Fatal(err)
		}
	})
}

// Closing cancels the request's timers and queues what it is given; the
// member answers "did it help?" once.
func TestSupportCloseCancelsTimersAndFeedbackOnce(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		r := openRequest(t, db, asker, "")
		wait := storage.NewJob{Kind: "support.wait", GuildID: supportGuild, UserID: asker, DedupeKey: storage.SupportWaitJobKey(r.ID), RunAt: supportT0.Add(10 * time.Minute)}
		if err := db.PostSupportRequest(ctx, r.ID, "500", "600", []storage.NewJob{wait}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AnswerSupportFeedback(ctx, r.ID, asker, true); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("feedback on an open request: %v", err)
		}
		feedback := storage.NewJob{Kind: "dm", UserID: asker, DedupeKey: storage.DMJobKey(storage.SupportFeedbackKey(r.ID), asker), RunAt: supportT0.Add(time.Hour)}
		if _, _, err := db.CloseSupportRequest(ctx, r.ID, storage.SupportClosedByMember, supportT0.Add(time.Hour), []storage.NewJob{feedback}); err != nil {
			t.Fatal(err)
		}
		jobs, err := db.ClaimDueJobs(ctx, supportT0.Add(2*time.Hour), time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 1 || jobs[0].DedupeKey != feedback.DedupeKey {
			t.Fatalf("due jobs = %+v, want only the feedback", jobs)
		}
		if _, err := db.AnswerSupportFeedback(ctx, r.ID, helperA, true); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("feedback by someone else: %v", err)
		}
		if ok, err := db.AnswerSupportFeedback(ctx, r.ID, asker, true); err != nil || !ok {
			t.Fatalf("feedback = %v, %v", ok, err)
		}
		if ok, err := db.AnswerSupportFeedback(ctx, r.ID, asker, false); err != nil || ok {
			t.Fatalf("second feedback = %v, %v; want not recorded", ok, err)
		}
		got, _ := db.SupportRequest(ctx, r.ID)
		if got.Helped == nil || !*got.Helped || got.CloseReason != storage.SupportClosedByMember {
			t.Errorf("request = %+v", got)
		}
	})
}

// Shifts: on, renewed, ended by their job only when still due, off.
func TestSupporterShifts(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		shift := func(end time.Time) {
			t.Helper()
			err := db.StartShift(ctx, storage.SupporterShift{GuildID: supportGuild, UserID: helperA, StartedAt: supportT0, EndsAt: end},
				storage.NewJob{Kind: "support.shift_end", GuildID: supportGuild, UserID: helperA, DedupeKey: storage.SupporterShiftJobKey(supportGuild, helperA, end), RunAt: end})
			if err != nil {
				t.Fatal(err)
			}
		}
		shift(supportT0.Add(2 * time.Hour))
		shift(supportT0.Add(3 * time.Hour))
		on, err := db.OnDutySupporters(ctx, supportGuild, supportT0)
		if err != nil || len(on) != 1 || !on[0].EndsAt.Equal(supportT0.Add(3*time.Hour)) {
			t.Fatalf("on duty = %+v, %v", on, err)
		}
		if ended, err := db.EndShiftAt(ctx, supportGuild, helperA, supportT0.Add(2*time.Hour)); err != nil || ended {
			t.Errorf("an outdated end ended the shift: %v %v", ended, err)
		}
		if on, _ := db.OnDutySupporters(ctx, supportGuild, supportT0.Add(3*time.Hour)); len(on) != 0 {
			t.Errorf("still on duty after the end: %+v", on)
		}
		if off, err := db.EndShift(ctx, supportGuild, helperA); err != nil || !off {
			t.Errorf("off = %v, %v", off, err)
		}
		if at, queued, _ := db.NextJobTime(ctx); queued {
			t.Errorf("a shift end is still queued at %v", at)
		}
	})
}
