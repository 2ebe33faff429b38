package scheduler

import (
	"errors"
	"testing"
)

func TestParseClock(t *testing.T) {
	good := map[string]int{
		"22:00":    22 * 60,
		"7:30":     7*60 + 30,
		"07:30":    7*60 + 30,
		"00:00":    0,
		"23:59":    23*60 + 59,
		"7pm":      19 * 60,
		"7 PM":     19 * 60,
		"7:15am":   7*60 + 15,
		"12am":     0,
		"12pm":     12 * 60,
		"12:30 am": 30,
		"11p.m.":   23 * 60,
		" 08:00 ":  8 * 60,
	}
	for in, want := range good {
		got, err := ParseClock(in)
		if err != nil || got != want {
			t.Errorf("ParseClock(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := []string{"", "25:00", "24:00", "7:61", "7:5", "19", "0pm", "13pm", "ab:cd", "-1:00", "7:30:00", "7.30", "１９:００", "9999:00", "pm"}
	for _, in := range bad {
		if got, err := ParseClock(in); err == nil || !errors.Is(err, ErrBadClock) {
			t.Errorf("ParseClock(%q) = %d, %v; want an ErrBadClock", in, got, err)
		}
	}
}

func TestFormatClock(t *testing.T) {
	if got := FormatClock(8*60 + 5); got != "08:05" {
		t.Errorf("FormatClock = %q", got)
	}
}

func FuzzParseClock(f *testing.F) {
	for _, s := range []string{"22:00", "7pm", "12:30 am", "25:00", "7:61", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseClock(s)
		if err != nil {
			if !errors.Is(err, ErrBadClock) {
				t.Fatalf("ParseClock(%q) error %v does not wrap ErrBadClock", s, err)
			}
			return
		}
		if m < 0 || m >= 24*60 {
			t.Fatalf("ParseClock(%q) = %d, outside a day", s, m)
		}
		// What we print must read back as the same time.
		if again, err := ParseClock(FormatClock(m)); err != nil || again != m {
			t.Fatalf("round trip of %q: %d → %q → %d, %v", s, m, FormatClock(m), again, err)
		}
	})
}
