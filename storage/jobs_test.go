package storage_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

const lease = 2 * time.Minute

func job(key string, runAt time.Time) storage.NewJob {
	return storage.NewJob{Kind: "test.kind", GuildID: "g1", DedupeKey: key, RunAt: runAt, Payload: map[string]string{"key": key}}
}

func mustEnqueue(t *testing.T, db *storage.DB, jobs ...storage.NewJob) {
	t.Helper()
	for _, j := range jobs {
		if ok, err := db.Enqueue(context.Background(), j); err != nil || !ok {
			t.Fatalf("enqueue %s = %v, %v", j.DedupeKey, ok, err)
		}
	}
}

func mustClaim(t *testing.T, db *storage.DB, now time.Time, limit int) []storage.Job {
	t.Helper()
	jobs, err := db.ClaimDueJobs(context.Background(), now, lease, limit)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func keys(jobs []storage.Job) []string {
	out := []string{}
	for _, j := range jobs {
		out = append(out, j.DedupeKey)
	}
	return out
}

func sameKeys(got []storage.Job, want ...string) bool {
	return fmt.Sprint(keys(got)) == fmt.Sprint(append([]string{}, want...))
}

func mustNext(t *testing.T, db *storage.DB) (time.Time, bool) {
	t.Helper()
	next, ok, err := db.NextJobTime(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return next, ok
}

// rawDB is the database's write pool, standing in for a domain method of
// the storage package: it owns a transaction that EnqueueTx joins.
func rawDB(t *testing.T, db *storage.DB) *sql.DB {
	t.Helper()
	raw := storage.RawWrite(db)
	if _, err := raw.Exec(`CREATE TABLE IF NOT EXISTS domain_rows (name TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestEnqueueTxCommitsAndRollsBackWithTheDomainWrite(t *testing.T) {
	storagetest.Each(t, testEnqueueTxCommitsAndRollsBackWithTheDomainWrite)
}

func testEnqueueTxCommitsAndRollsBackWithTheDomainWrite(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	raw := rawDB(t, db)
	for _, commit := range []bool{false, true} {
		name := fmt.Sprintf("commit=%v", commit)
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO domain_rows (name) VALUES (?)`, name); err != nil {
			t.Fatal(err)
		}
		if ok, err := storage.EnqueueTx(ctx, tx, job(name, t0)); err != nil || !ok {
			t.Fatalf("%s: EnqueueTx = %v, %v", name, ok, err)
		}
		if commit {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := mustClaim(t, db, t0, 10); !sameKeys(got, "commit=true") {
		t.Errorf("claimed %v, want only the committed job", keys(got))
	}
	var rows int
	if err := raw.QueryRow(`SELECT count(*) FROM domain_rows`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("domain rows = %d, %v; want 1", rows, err)
	}
}

func TestEnqueueKeepsTheFirstJobOfADedupeKey(t *testing.T) {
	storagetest.Each(t, testEnqueueKeepsTheFirstJobOfADedupeKey)
}

func testEnqueueKeepsTheFirstJobOfADedupeKey(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	first := job("meeting:1:reminder", t0)
	first.Payload = map[string]int{"version": 1}
	mustEnqueue(t, db, first)
	second := first
	second.RunAt = t0.Add(-time.Hour)
	second.Payload = map[string]int{"version": 2}
	ok, err := db.Enqueue(ctx, second)
	if err != nil || ok {
		t.Fatalf("second enqueue = %v, %v; want false, nil", ok, err)
	}
	jobs := mustClaim(t, db, t0, 10)
	if len(jobs) != 1 {
		t.Fatalf("claimed %d jobs, want 1", len(jobs))
	}
	if got := string(jobs[0].Payload); got != `{"version":1}` || !jobs[0].RunAt.Equal(t0) {
		t.Errorf("kept job = %s at %v, want the first one", got, jobs[0].RunAt)
	}
	if n, err := db.EnqueueMany(ctx, []storage.NewJob{second, job("other", t0)}); err != nil || n != 1 {
		t.Errorf("EnqueueMany = %d, %v; want 1 (the duplicate skipped)", n, err)
	}
}

func TestEnqueueRefusesIncompleteJobs(t *testing.T) {
	storagetest.Each(t, testEnqueueRefusesIncompleteJobs)
}

func testEnqueueRefusesIncompleteJobs(t *testing.T, db *storage.DB) {
	for name, j := range map[string]storage.NewJob{
		"no kind":       {DedupeKey: "k", RunAt: t0},
		"no dedupe key": {Kind: "k", RunAt: t0},
		"no time":       {Kind: "k", DedupeKey: "k"},
		"bad payload":   {Kind: "k", DedupeKey: "k", RunAt: t0, Payload: make(chan int)},
	} {
		if _, err := db.Enqueue(context.Background(), j); err == nil {
			t.Errorf("%s: Enqueue succeeded", name)
		}
	}
}

func TestClaimLeasesDueJobs(t *testing.T) { storagetest.Each(t, testClaimLeasesDueJobs) }

func testClaimLeasesDueJobs(t *testing.T, db *storage.DB) {
	mustEnqueue(t, db, job("b", t0.Add(-time.Minute)), job("a", t0.Add(-time.Hour)), job("c", t0), job("future", t0.Add(time.Millisecond)))

	first := mustClaim(t, db, t0, 2)
	if !sameKeys(first, "a", "b") {
		t.Fatalf("first claim = %v, want the two earliest [a b]", keys(first))
	}
	if first[0].Attempts != 1 || first[0].Kind != "test.kind" || first[0].GuildID != "g1" || string(first[0].Payload) != `{"key":"a"}` {
		t.Errorf("claimed job = %+v", first[0])
	}
	if got := mustClaim(t, db, t0, 10); !sameKeys(got, "c") {
		t.Errorf("second claim = %v, want only the unleased [c]", keys(got))
	}
	if got := mustClaim(t, db, t0.Add(lease-time.Millisecond), 10); !sameKeys(got, "future") {
		t.Errorf("claim before the leases end = %v, want [future]", keys(got))
	}
	again := mustClaim(t, db, t0.Add(lease), 10)
	if !sameKeys(again, "a", "b", "c") {
		t.Fatalf("claim after the leases end = %v, want [a b c] again", keys(again))
	}
	if again[0].Attempts != 2 {
		t.Errorf("attempts after the second claim = %d, want 2", again[0].Attempts)
	}
}

func TestExtendJobLeasesKeepsRunningJobsClaimed(t *testing.T) {
	storagetest.Each(t, testExtendJobLeasesKeepsRunningJobsClaimed)
}

func testExtendJobLeasesKeepsRunningJobsClaimed(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	mustEnqueue(t, db, job("long", t0), job("short", t0))
	jobs := mustClaim(t, db, t0, 10)
	if err := db.ExtendJobLeases(ctx, t0.Add(10*time.Minute), jobs[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := mustClaim(t, db, t0.Add(lease), 10); !sameKeys(got, "short") {
		t.Errorf("claim after the first lease = %v, want only [short]", keys(got))
	}
}

func TestNextJobTime(t *testing.T) { storagetest.Each(t, testNextJobTime) }

func testNextJobTime(t *testing.T, db *storage.DB) {
	if _, ok := mustNext(t, db); ok {
		t.Fatal("empty queue reports a next job")
	}
	mustEnqueue(t, db, job("later", t0.Add(2*time.Hour)), job("sooner", t0.Add(time.Hour)))
	if next, ok := mustNext(t, db); !ok || !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("next = %v, %v; want %v", next, ok, t0.Add(time.Hour))
	}
	mustClaim(t, db, t0.Add(time.Hour), 1)
	if next, _ := mustNext(t, db); !next.Equal(t0.Add(time.Hour + lease)) {
		t.Errorf("next with the sooner one leased = %v, want its lease end %v", next, t0.Add(time.Hour+lease))
	}
}

func TestCompleteJobEnqueuesFollowUpsWithIt(t *testing.T) {
	storagetest.Each(t, testCompleteJobEnqueuesFollowUpsWithIt)
}

func testCompleteJobEnqueuesFollowUpsWithIt(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	mustEnqueue(t, db, job("series:1:occ:1", t0))
	claimed := mustClaim(t, db, t0, 1)
	if err := db.CompleteJob(ctx, claimed[0].ID, job("series:1:occ:2", t0.Add(7*24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if next, ok := mustNext(t, db); !ok || !next.Equal(t0.Add(7*24*time.Hour)) {
		t.Fatalf("after completion next = %v, %v; want only the follow-up", next, ok)
	}

	// A follow-up that cannot be stored undoes the completion: the job
	// stays, to run again, rather than ending the series.
	claimed = mustClaim(t, db, t0.Add(7*24*time.Hour), 1)
	if err := db.CompleteJob(ctx, claimed[0].ID, storage.NewJob{Kind: "broken"}); err == nil {
		t.Fatal("CompleteJob with an invalid follow-up succeeded")
	}
	if got := mustClaim(t, db, t0.Add(7*24*time.Hour+lease), 10); !sameKeys(got, "series:1:occ:2") {
		t.Errorf("after a failed completion = %v, want the job still queued", keys(got))
	}
}

// A job may hand its own dedupe key to its follow-up (a DM held until
// quiet hours end): the completion deletes the old row before inserting.
func TestCompleteJobCanRescheduleUnderTheSameDedupeKey(t *testing.T) {
	storagetest.Each(t, testCompleteJobCanRescheduleUnderTheSameDedupeKey)
}

func testCompleteJobCanRescheduleUnderTheSameDedupeKey(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	mustEnqueue(t, db, job("dm:u1:welcome", t0))
	claimed := mustClaim(t, db, t0, 1)
	if err := db.CompleteJob(ctx, claimed[0].ID, job("dm:u1:welcome", t0.Add(8*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if next, ok := mustNext(t, db); !ok || !next.Equal(t0.Add(8*time.Hour)) {
		t.Errorf("next = %v, %v; want the held job at %v", next, ok, t0.Add(8*time.Hour))
	}
}

func TestCompleteJobOfACancelledJobEnqueuesNothing(t *testing.T) {
	storagetest.Each(t, testCompleteJobOfACancelledJobEnqueuesNothing)
}

func testCompleteJobOfACancelledJobEnqueuesNothing(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	mustEnqueue(t, db, job("meeting:1:r", t0))
	claimed := mustClaim(t, db, t0, 1)
	if _, err := db.CancelJobs(ctx, "meeting:1:"); err != nil {
		t.Fatal(err)
	}
	err := db.CompleteJob(ctx, claimed[0].ID, job("meeting:1:next", t0.Add(time.Hour)))
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("CompleteJob of a cancelled job = %v, want ErrNotFound", err)
	}
	if _, ok := mustNext(t, db); ok {
		t.Error("a cancelled series got its next occurrence")
	}
}

func TestRetryJobReleasesAndReschedules(t *testing.T) {
	storagetest.Each(t, testRetryJobReleasesAndReschedules)
}

func testRetryJobReleasesAndReschedules(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	mustEnqueue(t, db, job("flaky", t0))
	claimed := mustClaim(t, db, t0, 1)
	retryAt := t0.Add(10 * time.Second)
	if err := db.RetryJob(ctx, claimed[0].ID, retryAt, "discord: 503"); err != nil {
		t.Fatal(err)
	}
	if next, _ := mustNext(t, db); !next.Equal(retryAt) {
		t.Errorf("next = %v, want the retry time %v (lease released)", next, retryAt)
	}
	if got := mustClaim(t, db, retryAt.Add(-time.Millisecond), 1); len(got) != 0 {
		t.Errorf("claimed before the retry time: %v", keys(got))
	}
	got := mustClaim(t, db, retryAt, 1)
	if len(got) != 1 || got[0].LastError != "discord: 503" || got[0].Attempts != 2 {
		t.Errorf("retried job = %+v, want last error kept and attempt 2", got)
	}
	if err := db.RetryJob(ctx, 9999, retryAt, "x"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("RetryJob of a missing job = %v, want ErrNotFound", err)
	}
}

func TestFailJobKeepsItForInspection(t *testing.T) {
	storagetest.Each(t, testFailJobKeepsItForInspection)
}

func testFailJobKeepsItForInspection(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	mustEnqueue(t, db, job("doomed", t0), job("fine", t0.Add(time.Hour)))
	claimed := mustClaim(t, db, t0, 1)
	if err := db.FailJob(ctx, claimed[0].ID, "no such channel"); err != nil {
		t.Fatal(err)
	}
	failed, err := db.FailedJobs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].ID != claimed[0].ID || failed[0].LastError != "no such channel" ||
		failed[0].Attempts != 1 || failed[0].DedupeKey != "doomed" || string(failed[0].Payload) != `{"key":"doomed"}` {
		t.Fatalf("failed jobs = %+v", failed)
	}
	if next, _ := mustNext(t, db); !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("next = %v: the failed job is still queued", next)
	}
	// Its dedupe key is free again: the work can be asked for anew.
	mustEnqueue(t, db, job("doomed", t0.Add(2*time.Hour)))

	if n, err := db.PruneFailedJobs(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("prune of older ones = %d, %v; want 0", n, err)
	}
	if n, err := db.PruneFailedJobs(ctx, time.Now().Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("prune = %d, %v; want 1", n, err)
	}
}

// The member a job is about goes with it into jobs_failed, where /mydata
// still finds it.
func TestFailJobKeepsItsMember(t *testing.T) { storagetest.Each(t, testFailJobKeepsItsMember) }

func testFailJobKeepsItsMember(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	dm := job("dm:alice", t0)
	dm.UserID = mdAlice
	mustEnqueue(t, db, dm)
	claimed := mustClaim(t, db, t0, 1)
	if len(claimed) != 1 || claimed[0].UserID != mdAlice {
		t.Fatalf("claimed %+v, want the job about %s", claimed, mdAlice)
	}
	if err := db.FailJob(ctx, claimed[0].ID, "dms closed"); err != nil {
		t.Fatal(err)
	}
	failed, err := db.FailedJobs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 1 || failed[0].UserID != mdAlice {
		t.Errorf("failed jobs = %+v, want the job about %s", failed, mdAlice)
	}
}

func TestCancelJobsByPrefix(t *testing.T) { storagetest.Each(t, testCancelJobsByPrefix) }

func testCancelJobsByPrefix(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	mustEnqueue(t, db,
		job("meeting:1:reminder:a", t0), job("meeting:1:reminder:b", t0), job("meeting:1:", t0),
		job("meeting:10:reminder:a", t0), job("meeting:2:reminder:a", t0), job("meeting:1", t0),
		job("x\U0010FFFF\U0010FFFF", t0), job("y", t0),
	)
	if n, err := db.CancelJobs(ctx, "meeting:1:"); err != nil || n != 3 {
		t.Errorf("CancelJobs(meeting:1:) = %d, %v; want 3", n, err)
	}
	if n, err := db.CancelJobs(ctx, "x\U0010FFFF"); err != nil || n != 1 {
		t.Errorf("CancelJobs of a prefix ending in the last code point = %d, %v; want 1", n, err)
	}
	if _, err := db.CancelJobs(ctx, "x\xff"); err == nil {
		t.Error("CancelJobs with a prefix that is not UTF-8 succeeded")
	}
	if _, err := db.CancelJobs(ctx, ""); err == nil {
		t.Error("CancelJobs with an empty prefix succeeded")
	}
	if got := mustClaim(t, db, t0, 10); !sameKeys(got, "meeting:10:reminder:a", "meeting:2:reminder:a", "meeting:1", "y") {
		t.Errorf("left = %v", keys(got))
	}
}

func TestCancelJobsTxRollsBackWithTheDomainWrite(t *testing.T) {
	storagetest.Each(t, testCancelJobsTxRollsBackWithTheDomainWrite)
}

func testCancelJobsTxRollsBackWithTheDomainWrite(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	raw := rawDB(t, db)
	mustEnqueue(t, db, job("meeting:7:r", t0))
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := storage.CancelJobsTx(ctx, tx, "meeting:7:"); err != nil || n != 1 {
		t.Fatalf("CancelJobsTx = %d, %v", n, err)
	}
	tx.Rollback()
	if got := mustClaim(t, db, t0, 10); !sameKeys(got, "meeting:7:r") {
		t.Errorf("after rollback = %v, want the job kept", keys(got))
	}
}

func TestJobsChangedSignalsInserts(t *testing.T) { storagetest.Each(t, testJobsChangedSignalsInserts) }

func testJobsChangedSignalsInserts(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	signalled := func() bool {
		select {
		case <-db.JobsChanged():
			return true
		default:
			return false
		}
	}
	if signalled() {
		t.Fatal("signal before any write")
	}
	mustEnqueue(t, db, job("a", t0), job("b", t0))
	if !signalled() || signalled() {
		t.Error("two enqueues should leave exactly one pending signal")
	}
	if _, err := db.Enqueue(ctx, job("a", t0)); err != nil {
		t.Fatal(err)
	}
	if signalled() {
		t.Error("a duplicate that inserted nothing signalled")
	}
	claimed := mustClaim(t, db, t0, 1)
	if err := db.CompleteJob(ctx, claimed[0].ID, job("a-next", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if !signalled() {
		t.Error("a completion with a follow-up did not signal")
	}
}

func TestJobPayloadIsStoredAsJSON(t *testing.T) { storagetest.Each(t, testJobPayloadIsStoredAsJSON) }

func testJobPayloadIsStoredAsJSON(t *testing.T, db *storage.DB) {
	type reminder struct {
		MeetingID int64 `json:"meeting_id"`
		Offset    int   `json:"offset"`
	}
	j := job("p", t0)
	j.Payload = reminder{MeetingID: 12, Offset: 3600}
	raw := job("raw", t0)
	raw.Payload = json.RawMessage(`{"already":"json"}`)
	empty := job("empty", t0)
	empty.Payload = nil
	mustEnqueue(t, db, j, raw, empty)
	got := map[string]string{}
	for _, c := range mustClaim(t, db, t0, 10) {
		got[c.DedupeKey] = string(c.Payload)
	}
	want := map[string]string{"p": `{"meeting_id":12,"offset":3600}`, "raw": `{"already":"json"}`, "empty": `null`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("payloads = %v, want %v", got, want)
	}
}
