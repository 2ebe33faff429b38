package scheduler

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrBadOffsets is wrapped by ParseOffsets' errors; the error text is meant
// for members and ends with examples that work.
var ErrBadOffsets = errors.New("reminders look like 24h,1h or 1d, 30m: each between 5m and 7d, at most 5")

// ErrBadLength is wrapped by ParseLength's errors; the error text is meant
// for members and ends with examples that work.
var ErrBadLength = errors.New("lengths look like 30m, 1h, 1h30m or 3d")

// Reminder offset limits, from SPEC: a reminder closer than five minutes
// arrives as the meeting starts, one further than a week is forgotten, and
// more than five turn into noise.
const (
	MinOffset  = 5 * time.Minute
	MaxOffset  = 7 * 24 * time.Hour
	MaxOffsets = 5
)

const (
	// maxOffsetsInput bounds what ParseOffsets reads: five offsets with
	// generous spacing fit.
	maxOffsetsInput = 100
	// maxSpanInput bounds one duration ("1d23h59m" is 8 characters).
	maxSpanInput = 32
	// maxSpanDigits keeps each number small enough that no sum overflows.
	maxSpanDigits = 4
)

// spanUnits are the units a duration is written in, largest first, which is
// also the order they must appear in ("1d12h", not "12h1d"). Read-only.
var spanUnits = [...]struct {
	letter byte
	size   time.Duration
}{
	{'d', 24 * time.Hour},
	{'h', time.Hour},
	{'m', time.Minute},
}

// defaultOffsets is what an empty `reminders` option means: a day ahead to
// plan, an hour ahead to remember.
func defaultOffsets() []time.Duration {
	return []time.Duration{24 * time.Hour, time.Hour}
}

// ParseOffsets reads the `reminders` option: offsets before the start,
// separated by commas ("24h,1h", "1d, 30m"); empty means 24h,1h. Each offset
// is a number with a unit, m, h or d, or several largest first ("1h30m",
// "1d12h"), and lies between MinOffset and MaxOffset. Equal offsets ("1h,
// 60m") count once; the result is sorted longest first and has at most
// MaxOffsets entries.
func ParseOffsets(input string) ([]time.Duration, error) {
	if utf8.RuneCountInString(input) > maxOffsetsInput {
		return nil, fmt.Errorf("that is more than the reminders option holds: %w", ErrBadOffsets)
	}
	if strings.TrimSpace(input) == "" {
		return defaultOffsets(), nil
	}
	var offsets []time.Duration
	for item := range strings.SplitSeq(input, ",") {
		shown := strings.Join(strings.Fields(item), " ")
		if shown == "" {
			return nil, fmt.Errorf("there is an empty reminder (two commas in a row, or one at an end): %w", ErrBadOffsets)
		}
		d, err := parseSpan(item)
		if err != nil {
			return nil, fmt.Errorf("%q: %v: %w", shown, err, ErrBadOffsets)
		}
		switch {
		case d < MinOffset:
			return nil, fmt.Errorf("%q is too close to the start; the shortest is %s: %w", shown, FormatOffset(MinOffset), ErrBadOffsets)
		case d > MaxOffset:
			return nil, fmt.Errorf("%q is too long before the start; the longest is %s: %w", shown, FormatOffset(MaxOffset), ErrBadOffsets)
		}
		offsets = append(offsets, d)
	}
	slices.SortFunc(offsets, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	offsets = slices.Compact(offsets)
	if len(offsets) > MaxOffsets {
		return nil, fmt.Errorf("that is %d reminders; %d at most: %w", len(offsets), MaxOffsets, ErrBadOffsets)
	}
	return offsets, nil
}

// FormatOffset writes d the way ParseOffsets and ParseLength read it: "1d",
// "1h", "30m", "1h30m", "1d12h". Parts below a minute, which members can't
// type, are written as time.Duration does ("1m30s") so nothing is hidden.
func FormatOffset(d time.Duration) string {
	if d == 0 {
		return "0m"
	}
	var b strings.Builder
	// The magnitude as unsigned, so the most negative duration survives.
	rest := uint64(d)
	if d < 0 {
		b.WriteByte('-')
		rest = -rest
	}
	for _, u := range spanUnits {
		if n := rest / uint64(u.size); n > 0 {
			b.WriteString(strconv.FormatUint(n, 10))
			b.WriteByte(u.letter)
			rest %= uint64(u.size)
		}
	}
	if rest > 0 {
		b.WriteString(time.Duration(rest).String())
	}
	return b.String()
}

// ParseLength reads one duration as members type it ("30m", "1h", "1h30m",
// "3d", "28d"; units m, h, d as for ParseOffsets) and checks it lies between
// min and max, inclusive. Errors wrap ErrBadLength.
func ParseLength(input string, min, max time.Duration) (time.Duration, error) {
	shown := strings.Join(strings.Fields(input), " ")
	if shown == "" {
		return 0, fmt.Errorf("the length is empty: %w", ErrBadLength)
	}
	d, err := parseSpan(input)
	if err != nil {
		return 0, fmt.Errorf("%q: %v: %w", shown, err, ErrBadLength)
	}
	switch {
	case d < min:
		return 0, fmt.Errorf("%q is too short; the shortest is %s: %w", shown, FormatOffset(min), ErrBadLength)
	case d > max:
		return 0, fmt.Errorf("%q is too long; the longest is %s: %w", shown, FormatOffset(max), ErrBadLength)
	}
	return d, nil
}

// parseSpan reads "1h", "30m", "1h30m", "7d", case-insensitive, spaces
// ignored ("1h 30m"). Its errors are phrases for members, without a
// sentinel, so each caller adds its own.
func parseSpan(s string) (time.Duration, error) {
	if len(s) > maxSpanInput {
		return 0, errors.New("that is longer than any length I know")
	}
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	if s == "" {
		return 0, errors.New("it is empty")
	}
	var total time.Duration
	next := 0 // index in spanUnits of the largest unit still allowed
	for s != "" {
		digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
		switch {
		case digits == 0:
			return 0, errors.New("each part is a number and a unit, like 1h or 30m")
		case digits > maxSpanDigits:
			return 0, errors.New("that number is too big")
		case digits == len(s):
			return 0, errors.New("add a unit: m for minutes, h for hours, d for days")
		case s[digits] == '.':
			return 0, errors.New("use whole numbers, like 1h30m for an hour and a half")
		}
		n, err := strconv.Atoi(s[:digits])
		if err != nil {
			return 0, errors.New("each part is a number and a unit, like 1h or 30m")
		}
		u := -1
		for i, unit := range spanUnits {
			if unit.letter == s[digits] {
				u = i
			}
		}
		switch {
		case u < 0:
			return 0, errors.New("units are m for minutes, h for hours and d for days")
		case u < next:
			return 0, errors.New("give each unit once, largest first, like 1h30m; separate reminders with commas")
		}
		total += time.Duration(n) * spanUnits[u].size
		next = u + 1
		s = s[digits+1:]
	}
	return total, nil
}
