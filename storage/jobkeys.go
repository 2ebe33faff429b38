package storage

import (
	"fmt"
	"time"
)

// Every dedupe key of every job is built here, and nowhere else. A key
// names one piece of work (while a job with that key is queued, enqueueing
// it again does nothing), and its prefixes name families of work that are
// cancelled together (CancelJobs). The nesting is the contract:
//
//	group:<g>:                                   everything of a group (archive)
//	group:<g>:meeting:<m>:                       a meeting series (cancel)
//	group:<g>:meeting:<m>:occ:<start>:           one occurrence (cancel occurrence)
//	group:<g>:meeting:<m>:occ:<start>:rem:<s>    a reminder, <s> seconds ahead
//	group:<g>:meeting:<m>:advance:<start>        preparing the next occurrence
//	group:<g>:pairing:round:<unix>               a scheduled pairing round
//	group:<g>:pairing:followup:<pairing>         a pair's "did you talk?" question
//	checkin:prompt:<guild>:<user>:<unix>         a daily check-in prompt
//	support:shift:<guild>:<user>:<unix>          a supporter's end of duty
//	support:request:<r>:                         every timer of a support request (close)
//	support:request:<r>:wait                     "nobody has taken it yet", 10 minutes in
//	support:request:<r>:idle:<unix>              the inactivity check
//	support:feedback:<r>                         "did it help?" (its DM's cause)
//
// A DM caused by a job is keyed under that job's key (DMKey), so a rerun
// of the job enqueues no second DM.

// GroupJobPrefix begins every key of a group's jobs, so archiving the
// group cancels them all.
func GroupJobPrefix(groupID int64) string {
	return fmt.Sprintf("group:%d:", groupID)
}

// MeetingJobPrefix begins every key of a meeting series' jobs.
func MeetingJobPrefix(groupID, meetingID int64) string {
	return fmt.Sprintf("%smeeting:%d:", GroupJobPrefix(groupID), meetingID)
}

// OccurrenceJobPrefix begins every key of one occurrence's jobs.
func OccurrenceJobPrefix(groupID, meetingID int64, start time.Time) string {
	return fmt.Sprintf("%socc:%d:", MeetingJobPrefix(groupID, meetingID), start.Unix())
}

// ReminderJobKey is the reminder offset ahead of an occurrence.
func ReminderJobKey(groupID, meetingID int64, start time.Time, offset time.Duration) string {
	return fmt.Sprintf("%srem:%d", OccurrenceJobPrefix(groupID, meetingID, start), int64(offset/time.Second))
}

// AdvanceJobKey is the job that prepares the occurrence at start.
func AdvanceJobKey(groupID, meetingID int64, start time.Time) string {
	return fmt.Sprintf("%sadvance:%d", MeetingJobPrefix(groupID, meetingID), start.Unix())
}

// PairingRoundJobPrefix begins the key of a group's scheduled rounds, so
// changing the schedule cancels the one queued.
func PairingRoundJobPrefix(groupID int64) string {
	return GroupJobPrefix(groupID) + "pairing:round:"
}

// PairingRoundJobKey is the group's round scheduled at at.
func PairingRoundJobKey(groupID int64, at time.Time) string {
	return fmt.Sprintf("%s%d", PairingRoundJobPrefix(groupID), at.Unix())
}

// PairingFollowupJobKey is the follow-up question of one pairing.
func PairingFollowupJobKey(groupID, pairingID int64) string {
	return fmt.Sprintf("%spairing:followup:%d", GroupJobPrefix(groupID), pairingID)
}

// PairingPausedJobKey is the DM telling a member that a round paused them.
func PairingPausedJobKey(groupID, roundID int64, userID string) string {
	return fmt.Sprintf("%spairing:paused:%d:%s", GroupJobPrefix(groupID), roundID, userID)
}

// CheckinPromptJobPrefix begins the key of every queued check-in prompt of
// a member in a server, so changing or turning off the reminder cancels
// them all.
func CheckinPromptJobPrefix(guildID, userID string) string {
	return fmt.Sprintf("checkin:prompt:%s:%s:", guildID, userID)
}

// CheckinPromptJobKey is the member's prompt due at at.
func CheckinPromptJobKey(guildID, userID string, at time.Time) string {
	return fmt.Sprintf("%s%d", CheckinPromptJobPrefix(guildID, userID), at.Unix())
}

// DMJobKey is the DM to userID that the job keyed causeKey sends (a
// reminder's DM to a member who is going, a prompt's DM).
func DMJobKey(causeKey, userID string) string {
	return causeKey + ":dm:" + userID
}

// ChannelPostKey is the sent-log key of the channel message the job keyed
// causeKey posts (a reminder in the group channel).
func ChannelPostKey(causeKey string) string {
	return causeKey + ":channel"
}

// ModlogPostKey is the sent-log key of the mod-log message the job keyed
// causeKey posts (a pairing round's report of threads it could not open).
func ModlogPostKey(causeKey string) string {
	return causeKey + ":modlog"
}

// SupporterShiftJobPrefix begins the key of a supporter's queued end of
// duty, so going off duty (or on again) cancels it.
func SupporterShiftJobPrefix(guildID, userID string) string {
	return fmt.Sprintf("support:shift:%s:%s:", guildID, userID)
}

// SupporterShiftJobKey is the end of the supporter's duty at endsAt.
func SupporterShiftJobKey(guildID, userID string, endsAt time.Time) string {
	return fmt.Sprintf("%s%d", SupporterShiftJobPrefix(guildID, userID), endsAt.Unix())
}

// SupportRequestJobPrefix begins the key of every timer of one support
// request, so closing it cancels them all.
func SupportRequestJobPrefix(requestID int64) string {
	return fmt.Sprintf("support:request:%d:", requestID)
}

// SupportWaitJobKey is the request's "nobody has taken it yet" message.
func SupportWaitJobKey(requestID int64) string {
	return SupportRequestJobPrefix(requestID) + "wait"
}

// SupportIdleJobKey is the request's inactivity check at at.
func SupportIdleJobKey(requestID int64, at time.Time) string {
	return fmt.Sprintf("%sidle:%d", SupportRequestJobPrefix(requestID), at.Unix())
}

// SupportFeedbackKey names the "did it help?" question of a closed
// request (the DM's key is DMJobKey of it).
func SupportFeedbackKey(requestID int64) string {
	return fmt.Sprintf("support:feedback:%d", requestID)
}
