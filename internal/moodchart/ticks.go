package moodchart

import (
	"time"

	"gonum.org/v1/plot"
)

// Date tick granularity switches at these window lengths (in days): day
// labels up to a month, weekly labels up to about four months, monthly
// beyond. maxLabels keeps labels from touching at the 11-point label size
// across the ~740 px wide data area.
const (
	dayTicksUpTo  = 31
	weekTicksUpTo = 120
	maxLabels     = 11
)

// dateTicks labels the x axis, whose values are day slots of s.
type dateTicks struct{ s series }

func (t dateTicks) Ticks(_, _ float64) []plot.Tick {
	switch n := len(t.s.mean); {
	case n <= dayTicksUpTo:
		return t.days(n)
	case n <= weekTicksUpTo:
		return t.weeks(n)
	default:
		return t.months(n)
	}
}

// days labels every step-th day counting back from the window's last day,
// so the most recent day (usually today) always has its date under it.
// Every other day gets a minor tick.
func (t dateTicks) days(n int) []plot.Tick {
	step := 1
	for _, s := range [...]int{1, 2, 3, 4, 5, 7} {
		step = s
		if ceilDiv(n, s) <= maxLabels {
			break
		}
	}
	ticks := make([]plot.Tick, n)
	for i := range n {
		ticks[i] = plot.Tick{Value: float64(i)}
		if (n-1-i)%step == 0 {
			ticks[i].Label = t.s.date(i).Format("Jan 2")
		}
	}
	return ticks
}

// weeks ticks every Monday, labelling every step-th one counting back from
// the last, so weeks read the same way in every window.
func (t dateTicks) weeks(n int) []plot.Tick {
	var mondays []int
	for i := range n {
		if t.s.date(i).Weekday() == time.Monday {
			mondays = append(mondays, i)
		}
	}
	step := max(1, ceilDiv(len(mondays), maxLabels-1))
	ticks := make([]plot.Tick, len(mondays))
	for k, i := range mondays {
		ticks[k] = plot.Tick{Value: float64(i)}
		if (len(mondays)-1-k)%step == 0 {
			ticks[k].Label = t.s.date(i).Format("Jan 2")
		}
	}
	return ticks
}

// months ticks the first of each month. January shows its year instead of
// "Jan", so a window that crosses New Year says which year is which without
// widening every label. With more months than fit, every step-th month is
// labelled, always including January.
func (t dateTicks) months(n int) []plot.Tick {
	var firsts []int
	for i := range n {
		if t.s.date(i).Day() == 1 {
			firsts = append(firsts, i)
		}
	}
	step := max(1, ceilDiv(len(firsts), maxLabels+2))
	ticks := make([]plot.Tick, len(firsts))
	for k, i := range firsts {
		d := t.s.date(i)
		ticks[k] = plot.Tick{Value: float64(i)}
		if (int(d.Month())-1)%step != 0 {
			continue
		}
		ticks[k].Label = d.Format("Jan")
		if d.Month() == time.January {
			ticks[k].Label = d.Format("2006")
		}
	}
	return ticks
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
