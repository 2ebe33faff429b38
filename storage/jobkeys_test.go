package storage

import (
	"strings"
	"testing"
	"time"
)

// The keys nest as CancelJobs relies on: cancelling a family's prefix
// reaches every job of the family and nothing of another.
func TestJobKeysNest(t *testing.T) {
	start := time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)
	prompt := CheckinPromptJobKey("100", "200", start)
	round := PairingRoundJobKey(1, start)
	for _, tc := range []struct {
		key, prefix string
		under       bool
	}{
		{ReminderJobKey(1, 7, start, time.Hour), OccurrenceJobPrefix(1, 7, start), true},
		{OccurrenceJobPrefix(1, 7, start), MeetingJobPrefix(1, 7), true},
		{AdvanceJobKey(1, 7, start), MeetingJobPrefix(1, 7), true},
		{MeetingJobPrefix(1, 7), GroupJobPrefix(1), true},
		{round, PairingRoundJobPrefix(1), true},
		{PairingFollowupJobKey(1, 9), GroupJobPrefix(1), true},
		{PairingPausedJobKey(1, 3, "200"), GroupJobPrefix(1), true},
		{DMJobKey(ReminderJobKey(1, 7, start, time.Hour), "200"), MeetingJobPrefix(1, 7), true},
		// A prompt's DM goes when the reminder is turned off.
		{DMJobKey(prompt, "200"), CheckinPromptJobPrefix("100", "200"), true},
		{prompt, CheckinPromptJobPrefix("100", "200"), true},

		// Neighbours stay apart.
		{MeetingJobPrefix(12, 7), GroupJobPrefix(1), false},
		{ReminderJobKey(1, 70, start, time.Hour), MeetingJobPrefix(1, 7), false},
		{OccurrenceJobPrefix(1, 7, start.Add(time.Hour)), OccurrenceJobPrefix(1, 7, start), false},
		{CheckinPromptJobKey("100", "2000", start), CheckinPromptJobPrefix("100", "200"), false},
		{PairingFollowupJobKey(1, 9), PairingRoundJobPrefix(1), false},
	} {
		if got := strings.HasPrefix(tc.key, tc.prefix); got != tc.under {
			t.Errorf("%q under %q = %v, want %v", tc.key, tc.prefix, got, tc.under)
		}
	}
	if ChannelPostKey(round) == round || DMJobKey(round, "1") == ChannelPostKey(round) ||
		ModlogPostKey(round) == round || ModlogPostKey(round) == ChannelPostKey(round) {
		t.Error("a job's channel post, mod-log post and DMs need keys of their own")
	}
}
