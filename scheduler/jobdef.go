package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kindred-bot/kindred/storage"
)

// A JobDef is a kind of timed work: its name, the type of its payload and
// how its dedupe key, server and member are read from a payload. Producers
// enqueue with New and the consumer registers Runner, so the two can't
// disagree about the payload: a producer that passes anything else does
// not compile.
//
//	var checkinPrompt = scheduler.JobDef[promptPayload]{
//		Kind: "checkin.prompt",
//		Key: func(p promptPayload, at time.Time) string {
//			return storage.CheckinPromptJobKey(p.GuildID, p.UserID, at)
//		},
//		Guild: func(p promptPayload) string { return p.GuildID },
//		User:  func(p promptPayload) string { return p.UserID },
//	}
//	job := checkinPrompt.New(promptPayload{...}, at)
//	r.Job(checkinPrompt.Runner(f.sendPrompt))
type JobDef[T any] struct {
	Kind string
	// Key is the dedupe key of the job that runs p at at (storage/jobkeys.go
	// builds them all): while a job with that key is queued, enqueueing it
	// again does nothing.
	Key func(p T, at time.Time) string
	// Guild is the server the job belongs to; nil for none.
	Guild func(p T) string
	// User is the member whose data the payload holds, stored in the job's
	// user_id column so /mydata finds it; nil for none.
	User func(p T) string
	// MaxAttempts bounds the claims of one job (default 5); see Runner.
	MaxAttempts int
}

// TypedHandler runs one job with its decoded payload; see Handler.
type TypedHandler[T any] func(ctx context.Context, job storage.Job, p T) (next []storage.NewJob, err error)

// New is the job that runs p at at.
func (d JobDef[T]) New(p T, at time.Time) storage.NewJob {
	j := storage.NewJob{Kind: d.Kind, DedupeKey: d.Key(p, at), RunAt: at, Payload: p}
	if d.Guild != nil {
		j.GuildID = d.Guild(p)
	}
	if d.User != nil {
		j.UserID = d.User(p)
	}
	return j
}

// Decode reads a job's payload. A job of another kind, or a payload that
// doesn't decode into T exactly (unknown fields included), is an error
// that retrying can't mend: the scheduler fails such a job at once.
func (d JobDef[T]) Decode(job storage.Job) (T, error) {
	var p T
	if job.Kind != d.Kind {
		return p, Permanent(fmt.Errorf("job %d is a %q job, not %q", job.ID, job.Kind, d.Kind))
	}
	dec := json.NewDecoder(bytes.NewReader(job.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, Permanent(fmt.Errorf("%s job %d: payload: %w", d.Kind, job.ID, err))
	}
	return p, nil
}

// Runner runs the kind's jobs with h.
func (d JobDef[T]) Runner(h TypedHandler[T]) Runner {
	return Runner{Kind: d.Kind, MaxAttempts: d.MaxAttempts, Handle: d.decoding(h)}
}

// StaleRunner is Runner for a kind whose jobs can go stale (a reminder
// for a meeting that has begun): stale reports it, and staleNext (or nil)
// returns a stale job's follow-ups without doing its work. A payload that
// doesn't decode is not stale: the handler's decode fails the job.
func (d JobDef[T]) StaleRunner(h TypedHandler[T], stale func(p T, now time.Time) bool, staleNext TypedHandler[T]) Runner {
	r := d.Runner(h)
	r.Stale = func(job storage.Job, now time.Time) bool {
		p, err := d.Decode(job)
		return err == nil && stale(p, now)
	}
	if staleNext != nil {
		r.StaleNext = d.decoding(staleNext)
	}
	return r
}

func (d JobDef[T]) decoding(h TypedHandler[T]) Handler {
	return func(ctx context.Context, job storage.Job) ([]storage.NewJob, error) {
		p, err := d.Decode(job)
		if err != nil {
			return nil, err
		}
		return h(ctx, job, p)
	}
}

// Permanent marks a job's error as one retrying can't mend: the job is
// failed at once, with the error kept, instead of retried.
func Permanent(err error) error { return &permanentError{err} }

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }
