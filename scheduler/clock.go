// Package scheduler runs Kindred's timed work and reads the times members
// type. Each kind of work is a JobDef (jobdef.go) binding its name to its
// payload type and dedupe key: producers enqueue def.New(payload, at), and
// the consumer registers def.Runner(handler), which gets the decoded
// payload; a payload that doesn't decode fails its job at once.
package scheduler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadClock is wrapped by ParseClock's errors; its message is meant for members.
var ErrBadClock = errors.New("times look like 22:00, 7:30 or 7pm")

// ParseClock reads a time of day as members type it: "22:00", "7:30",
// "07:30", "7pm", "7:30 am", "12am" (midnight). It returns minutes after
// midnight.
func ParseClock(s string) (int, error) {
	in := strings.ToLower(strings.TrimSpace(s))
	suffix := ""
	for _, sfx := range []string{"am", "pm", "a.m.", "p.m."} {
		if strings.HasSuffix(in, sfx) {
			suffix = sfx[:1]
			in = strings.TrimSpace(strings.TrimSuffix(in, sfx))
			break
		}
	}
	hourText, minuteText, hasMinutes := strings.Cut(in, ":")
	if hasMinutes && len(minuteText) != 2 {
		return 0, fmt.Errorf("%q: minutes need two digits: %w", s, ErrBadClock)
	}
	hour, err := smallNumber(hourText, 2)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, ErrBadClock)
	}
	minute := 0
	if hasMinutes {
		if minute, err = smallNumber(minuteText, 2); err != nil {
			return 0, fmt.Errorf("%q: %w", s, ErrBadClock)
		}
	} else if suffix == "" {
		// A bare number ("19") is too easy to misread; ask for 19:00.
		return 0, fmt.Errorf("%q: %w", s, ErrBadClock)
	}
	if minute > 59 {
		return 0, fmt.Errorf("%q: minutes go up to 59: %w", s, ErrBadClock)
	}
	switch suffix {
	case "":
		if hour > 23 {
			return 0, fmt.Errorf("%q: hours go up to 23: %w", s, ErrBadClock)
		}
	default:
		if hour < 1 || hour > 12 {
			return 0, fmt.Errorf("%q: with am/pm, hours go from 1 to 12: %w", s, ErrBadClock)
		}
		hour %= 12
		if suffix == "p" {
			hour += 12
		}
	}
	return hour*60 + minute, nil
}

// FormatClock writes minutes after midnight as 24-hour "HH:MM".
func FormatClock(m int) string {
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

func smallNumber(s string, maxDigits int) (int, error) {
	if s == "" || len(s) > maxDigits || strings.Trim(s, "0123456789") != "" {
		return 0, errors.New("not a number")
	}
	return strconv.Atoi(s)
}
