// Package moodchart draws a member's mood over time as a PNG for Discord.
//
// It sees only numbers and dates: the caller aggregates check-ins into
// one Day per local calendar day, so no note text ever reaches this
// package, its errors or its output.
package moodchart

import (
	"bufio"
	"errors"
	"fmt"
	"image/png"
	"io"
	"math"
	"time"

	"github.com/kindred-bot/kindred/internal/mood"
)

// Width and Height are the PNG's size in pixels. 2:1 fits Discord's
// attachment preview without a tall image pushing the conversation away.
const Width, Height = 800, 400

// MaxDays is the longest window Render accepts, in calendar days. It bounds
// the work one call can ask for; the date ticks stay readable up to it.
const MaxDays = 731

// averageDays is the trailing window of the moving average, in calendar days.
const averageDays = 7

// The mood scale's bounds, from internal/mood.
const (
	minMood = mood.Lowest
	maxMood = mood.Highest
)

// Day is one local calendar day with check-ins: the mean mood of that
// day's check-ins.
type Day struct {
	// Date is the day's local midnight, in any location; only its
	// calendar date (in its own location) is used.
	Date time.Time
	// Mean is the mean mood of the day's check-ins, 1..5.
	Mean float64
	// Count is how many check-ins the mean covers. It only weighs two
	// entries for the same date against each other; below 1 counts as 1.
	Count int
}

// Options describe the chart around the data.
type Options struct {
	// Title is drawn at the top left, e.g. "Your mood, last 30 days". The
	// legend shares its row, so keep it under about 40 characters.
	Title string
	// From and To are the window, as local dates, both inclusive. Only
	// their calendar dates (each in its own location) are used.
	From, To time.Time
}

// Render writes a Width×Height PNG of the window [opts.From, opts.To] to w:
// one point per day with check-ins, a 7-day moving average line, the mood
// names on the y axis and dates on the x axis. Days without check-ins are
// gaps, never drawn as a mood. Days outside the window are ignored. An
// empty window renders a chart that says so; it is not an error.
//
// Errors are about the arguments (a reversed or too long window, a mean
// outside 1..5) or about writing to w; they never carry the data.
// Render is safe for concurrent use.
func Render(w io.Writer, days []Day, opts Options) error {
	s, err := newSeries(days, opts.From, opts.To)
	if err != nil {
		return err
	}
	img := drawChart(s, movingAverage(s.mean, averageDays), opts.Title)

	// BestSpeed: the paletted chart is mostly runs of background, which
	// the fastest level already compresses well.
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(bw, toPaletted(img)); err != nil {
		return fmt.Errorf("moodchart: encode png: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("moodchart: write png: %w", err)
	}
	return nil
}

// series is the window laid out one slot per calendar day.
type series struct {
	// first is the window's first date, as midnight UTC, so that adding
	// days never meets a DST change.
	first time.Time
	// mean has one entry per day of the window; NaN where there were no
	// check-ins.
	mean []float64
}

func (s series) empty() bool {
	for _, m := range s.mean {
		if !math.IsNaN(m) {
			return false
		}
	}
	return true
}

// date returns the calendar date of slot i, as midnight UTC.
func (s series) date(i int) time.Time { return s.first.AddDate(0, 0, i) }

var (
	errWindow  = errors.New("moodchart: the window needs From and To, with From on or before To")
	errTooLong = fmt.Errorf("moodchart: the window may be at most %d days", MaxDays)
	errMean    = errors.New("moodchart: a day's mean mood is outside 1..5")
)

// newSeries places days in the window [from, to]. Days outside the window are
// dropped. Two entries for the same date are merged into one, weighted by
// Count, so a caller that splits a day (e.g. across a query boundary) still
// gets that day's true mean.
func newSeries(days []Day, from, to time.Time) (series, error) {
	first, last := civilDay(from), civilDay(to)
	if from.IsZero() || to.IsZero() || last < first {
		return series{}, errWindow
	}
	n := int(last-first) + 1
	if n > MaxDays {
		return series{}, errTooLong
	}
	sum := make([]float64, n)
	weight := make([]float64, n)
	for _, d := range days {
		i := civilDay(d.Date) - first
		if i < 0 || i >= int64(n) {
			continue
		}
		if !(d.Mean >= minMood && d.Mean <= maxMood) { // also rejects NaN
			return series{}, errMean
		}
		wt := float64(max(d.Count, 1))
		sum[i] += d.Mean * wt
		weight[i] += wt
	}
	mean := make([]float64, n)
	for i := range mean {
		if weight[i] == 0 {
			mean[i] = math.NaN()
			continue
		}
		mean[i] = sum[i] / weight[i]
	}
	y, m, d := from.Date()
	return series{first: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), mean: mean}, nil
}

// civilDay numbers t's calendar date in t's own location, counting days since
// 1970-01-01. Working on dates, not instants, keeps a 23- or 25-hour DST day
// one slot wide, and lets Days and the window come in different locations.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// movingAverage returns, for each day i, the mean of the non-NaN values in
// mean[i-window+1 .. i]: the days with check-ins among the trailing window
// calendar days, each day counting once however many check-ins it had. Where
// that window holds no check-in day the result is NaN, so the line breaks
// instead of inventing a mood. Days before the series are not known and do
// not count.
func movingAverage(mean []float64, window int) []float64 {
	out := make([]float64, len(mean))
	for i := range mean {
		var sum float64
		var n int
		for _, m := range mean[max(0, i-window+1) : i+1] {
			if !math.IsNaN(m) {
				sum += m
				n++
			}
		}
		if n == 0 {
			out[i] = math.NaN()
			continue
		}
		out[i] = sum / float64(n)
	}
	return out
}
