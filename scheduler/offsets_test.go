package scheduler

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

func TestParseOffsets(t *testing.T) {
	good := []struct {
		in   string
		want []time.Duration
	}{
		{"", []time.Duration{day, time.Hour}},
		{"   ", []time.Duration{day, time.Hour}},
		{"24h,1h", []time.Duration{day, time.Hour}},
		{"1h,24h", []time.Duration{day, time.Hour}},
		{"1d, 30m", []time.Duration{day, 30 * time.Minute}},
		{"5m", []time.Duration{5 * time.Minute}},
		{"7d", []time.Duration{7 * day}},
		{"1h30m", []time.Duration{90 * time.Minute}},
		{"1h 30m, 2D", []time.Duration{2 * day, 90 * time.Minute}},
		{"1d12h", []time.Duration{36 * time.Hour}},
		{"1h,60m,1h", []time.Duration{time.Hour}},
		{"24h,1d", []time.Duration{day}},
		{"7d,3d,1d,1h,5m", []time.Duration{7 * day, 3 * day, day, time.Hour, 5 * time.Minute}},
		{"10m,10m,10m,10m,10m,10m", []time.Duration{10 * time.Minute}}, // duplicates don't count against the limit
		{"0d5m", []time.Duration{5 * time.Minute}},
	}
	for _, tt := range good {
		if got, err := ParseOffsets(tt.in); err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseOffsets(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	bad := map[string]string{
		"4m":                     "too close to the start; the shortest is 5m",
		"8d":                     "too long before the start; the longest is 7d",
		"7d1m":                   "the longest is 7d",
		"0h":                     "too close",
		"-1h":                    "a number and a unit",
		"abc":                    "a number and a unit",
		"1h,,2h":                 "empty reminder",
		"1h,":                    "empty reminder",
		",":                      "empty reminder",
		"1":                      "add a unit",
		"1w":                     "units are m",
		"1.5h":                   "whole numbers",
		"30m1h":                  "largest first",
		"24h 1h":                 "separate reminders with commas",
		"99999m":                 "number is too big",
		"1s":                     "units are m",
		"7d,3d,1d,1h,30m,5m":     "6 reminders; 5 at most",
		strings.Repeat("1", 200): "more than the reminders option holds",
	}
	for in, mention := range bad {
		got, err := ParseOffsets(in)
		if err == nil || !errors.Is(err, ErrBadOffsets) {
			t.Errorf("ParseOffsets(%q) = %v, %v; want an ErrBadOffsets", in, got, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, mention) || !strings.Contains(msg, "24h,1h") {
			t.Errorf("ParseOffsets(%q) error %q: want it to say %q and give an example", in, msg, mention)
		}
	}
}

func TestParseOffsetsDefaultIsFresh(t *testing.T) {
	a, _ := ParseOffsets("")
	a[0] = time.Minute
	if b, _ := ParseOffsets(""); b[0] != day {
		t.Errorf("changing one default changed the next: %v", b)
	}
}

func TestFormatOffset(t *testing.T) {
	tests := map[time.Duration]string{
		0:                       "0m",
		day:                     "1d",
		time.Hour:               "1h",
		30 * time.Minute:        "30m",
		90 * time.Minute:        "1h30m",
		36 * time.Hour:          "1d12h",
		7 * day:                 "7d",
		day + time.Minute:       "1d1m",
		-time.Hour:              "-1h",
		90 * time.Second:        "1m30s",
		1500 * time.Millisecond: "1.5s",
		time.Duration(-1 << 63): "-106751d23h47m16.854775808s",
	}
	for d, want := range tests {
		if got := FormatOffset(d); got != want {
			t.Errorf("FormatOffset(%d) = %q, want %q", d, got, want)
		}
	}
}

func TestParseLength(t *testing.T) {
	const max = 28 * day
	good := map[string]time.Duration{
		"1h":    time.Hour,
		"3d":    3 * day,
		"30m":   30 * time.Minute,
		"28d":   28 * day,
		"1m":    time.Minute,
		" 1H ":  time.Hour,
		"1d12h": 36 * time.Hour,
	}
	for in, want := range good {
		if got, err := ParseLength(in, time.Minute, max); err != nil || got != want {
			t.Errorf("ParseLength(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":      "empty",
		"29d":   "too long; the longest is 28d",
		"0m":    "too short; the shortest is 1m",
		"-1h":   "a number and a unit",
		"1h,2h": "a number and a unit",
		"1":     "add a unit",
		"soon":  "a number and a unit",
	}
	for in, mention := range bad {
		got, err := ParseLength(in, time.Minute, max)
		if err == nil || !errors.Is(err, ErrBadLength) {
			t.Errorf("ParseLength(%q) = %v, %v; want an ErrBadLength", in, got, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, mention) || !strings.Contains(msg, "30m, 1h") {
			t.Errorf("ParseLength(%q) error %q: want it to say %q and give examples", in, msg, mention)
		}
	}
}

func FuzzParseOffsets(f *testing.F) {
	for _, s := range []string{"", "24h,1h", "1d, 30m", "5m", "7d", "4m", "8d", "0h", "-1h", "abc", "1h,,2h", "1h30m", "1d12h,1h 30m", "9999d", "7d,3d,1d,1h,30m,5m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		got, err := ParseOffsets(input)
		if err != nil {
			if !errors.Is(err, ErrBadOffsets) {
				t.Fatalf("ParseOffsets(%q) error %v does not wrap ErrBadOffsets", input, err)
			}
			return
		}
		if len(got) == 0 || len(got) > MaxOffsets {
			t.Fatalf("ParseOffsets(%q) = %v: want 1 to %d offsets", input, got, MaxOffsets)
		}
		parts := make([]string, len(got))
		for i, d := range got {
			if d < MinOffset || d > MaxOffset || d%time.Minute != 0 {
				t.Fatalf("ParseOffsets(%q) = %v: %v out of range", input, got, d)
			}
			if i > 0 && d >= got[i-1] {
				t.Fatalf("ParseOffsets(%q) = %v: not longest first without repeats", input, got)
			}
			parts[i] = FormatOffset(d)
		}
		// What we print reads back the same.
		if again, err := ParseOffsets(strings.Join(parts, ",")); err != nil || !slices.Equal(again, got) {
			t.Fatalf("round trip of %q: %v → %v → %v, %v", input, got, parts, again, err)
		}
	})
}

func FuzzParseLength(f *testing.F) {
	for _, s := range []string{"1h", "3d", "30m", "28d", "29d", "0m", "1h30m", "", "-1h", "1d 1h", "99999m", "1H"} {
		f.Add(s, int64(time.Minute), int64(28*day))
	}
	f.Fuzz(func(t *testing.T, input string, lo, hi int64) {
		min, max := time.Duration(lo), time.Duration(hi)
		got, err := ParseLength(input, min, max)
		if err != nil {
			if !errors.Is(err, ErrBadLength) {
				t.Fatalf("ParseLength(%q) error %v does not wrap ErrBadLength", input, err)
			}
			return
		}
		if got < min || got > max || got < 0 || got%time.Minute != 0 {
			t.Fatalf("ParseLength(%q, %v, %v) = %v", input, min, max, got)
		}
		if again, err := ParseLength(FormatOffset(got), min, max); err != nil || again != got {
			t.Fatalf("round trip of %q: %v → %q → %v, %v", input, got, FormatOffset(got), again, err)
		}
	})
}
