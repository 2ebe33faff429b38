package moodchart

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
)

var nan = math.NaN()

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func date(loc *time.Location, s string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		panic(err)
	}
	return d
}

// history makes n days ending at last, with check-ins on about five days in
// seven and a mood that drifts the way real weeks do. Fixed seed: the same
// data every run.
func history(last time.Time, n int) []Day {
	r := rand.New(rand.NewPCG(1, 2))
	var days []Day
	mood := 3.0
	for i := n - 1; i >= 0; i-- {
		mood = min(5, max(1, mood+r.NormFloat64()*0.6))
		if r.IntN(7) < 2 {
			continue
		}
		count := 1 + r.IntN(2)
		mean := math.Round(mood*float64(count)) / float64(count)
		days = append(days, Day{Date: last.AddDate(0, 0, -i), Mean: min(5, max(1, mean)), Count: count})
	}
	return days
}

// render runs Render, checks the output is a Width×Height PNG and, when
// MOODCHART_SAMPLES names a directory, saves it there as name.png so a
// person can look at it.
func render(t *testing.T, name string, days []Day, opts Options) image.Image {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, days, opts); err != nil {
		t.Fatalf("Render: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(Width, Height) {
		t.Fatalf("size = %v, want %dx%d", got, Width, Height)
	}
	if dir := os.Getenv("MOODCHART_SAMPLES"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

func TestRender(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	today := date(berlin, "2026-03-29") // Berlin's spring DST change
	window := func(n int) Options {
		return Options{From: today.AddDate(0, 0, -(n - 1)), To: today}
	}
	tests := []struct {
		name string
		days []Day
		opts Options
	}{
		{"empty", nil, window(30)},
		{"single day", []Day{{Date: today, Mean: 4, Count: 1}}, window(30)},
		{"one-day window", []Day{{Date: today, Mean: 2.5, Count: 2}}, window(1)},
		{"week", history(today, 7), window(7)},
		{"30 days", history(today, 30), window(30)},
		{"90 days", history(today, 90), window(90)},
		{"365 days", history(today, 365), window(365)},
		{"two years", history(today, MaxDays), window(MaxDays)},
		{"all outside the window", history(today.AddDate(0, 0, -40), 10), window(30)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Title = "Your mood, " + tt.name
			img := render(t, tt.name, tt.days, tt.opts)
			// The corners are background: the chart is drawn for the dark theme.
			if got := color32(img.At(0, 0)); got != color32(background) {
				t.Errorf("corner = %v, want the dark background %v", got, background)
			}
		})
	}
}

func color32(c interface{ RGBA() (r, g, b, a uint32) }) [4]uint32 {
	r, g, b, a := c.RGBA()
	return [4]uint32{r, g, b, a}
}

// countColour counts the pixels of exactly colour c inside r.
func countColour(img image.Image, r image.Rectangle, c color.RGBA) int {
	want := color32(c)
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color32(img.At(x, y)) == want {
				n++
			}
		}
	}
	return n
}

// The title is at the top and the dates at the bottom: a guard on the
// canvas set-up in newCanvas, which a flipped axis would break.
func TestRenderIsUpright(t *testing.T) {
	today := date(time.UTC, "2026-05-10")
	img := render(t, "upright", history(today, 30), Options{Title: "Your mood", From: today.AddDate(0, 0, -29), To: today})
	if countColour(img, image.Rect(0, 0, Width/2, 60), titleText) == 0 {
		t.Error("no title text at the top left")
	}
	if countColour(img, image.Rect(0, Height-60, Width, Height), titleText) != 0 {
		t.Error("title-coloured text at the bottom: is the chart upside down?")
	}
	if countColour(img, image.Rect(100, Height-40, Width, Height), labelText) == 0 {
		t.Error("no date labels along the bottom")
	}
}

func TestEmptyChartSaysSo(t *testing.T) {
	today := date(time.UTC, "2026-05-10")
	img := render(t, "empty-message", nil, Options{Title: "Your mood", From: today.AddDate(0, 0, -29), To: today})
	centre := image.Rect(Width/4, Height/3, 3*Width/4, 2*Height/3)
	if countColour(img, centre, titleText) < 100 {
		t.Error("the empty chart has no message in its middle")
	}
	if countColour(img, image.Rect(0, 0, Width, Height), pointFill) != 0 {
		t.Error("the empty chart draws a point")
	}
}

// Days outside the window change nothing: the chart is byte for byte the
// one drawn without them.
func TestRenderIgnoresDaysOutsideTheWindow(t *testing.T) {
	today := date(time.UTC, "2026-05-10")
	opts := Options{Title: "Your mood", From: today.AddDate(0, 0, -29), To: today}
	inside := history(today, 30)
	all := append(history(opts.From.AddDate(0, 0, -1), 20), inside...)
	all = append(all, history(today.AddDate(0, 0, 20), 20)...)
	var want, got bytes.Buffer
	if err := Render(&want, inside, opts); err != nil {
		t.Fatal(err)
	}
	if err := Render(&got, all, opts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Error("days outside the window changed the chart")
	}
}

// The embedded Liberation Sans must be what text is drawn with; a fallback
// would mean a font we did not choose, or one the machine may not have.
func TestFontIsEmbedded(t *testing.T) {
	for _, f := range []font.Font{sans, func() font.Font { f := sans; f.Weight = stdfont.WeightBold; return f }()} {
		if !font.DefaultCache.Has(f) {
			t.Errorf("font %s is not in gonum/plot's embedded font cache", f.Name())
		}
	}
}

func TestRenderRejects(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	today := date(berlin, "2026-05-10")
	tests := []struct {
		name string
		days []Day
		opts Options
		want error
	}{
		{"reversed window", nil, Options{From: today, To: today.AddDate(0, 0, -1)}, errWindow},
		{"no window", nil, Options{}, errWindow},
		{"window too long", nil, Options{From: today.AddDate(0, 0, -MaxDays), To: today}, errTooLong},
		{"mean above 5", []Day{{Date: today, Mean: 5.5, Count: 1}}, Options{From: today, To: today}, errMean},
		{"mean below 1", []Day{{Date: today, Mean: 0, Count: 1}}, Options{From: today, To: today}, errMean},
		{"NaN mean", []Day{{Date: today, Mean: nan, Count: 1}}, Options{From: today, To: today}, errMean},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, tt.days, tt.opts); !errors.Is(err, tt.want) {
				t.Errorf("Render error = %v, want %v", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Render wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

func TestNewSeries(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tokyo := mustLoad(t, "Asia/Tokyo")
	d := func(s string) time.Time { return date(berlin, s) }
	tests := []struct {
		name     string
		days     []Day
		from, to time.Time
		want     []float64
	}{
		{"no days", nil, d("2026-03-01"), d("2026-03-03"), []float64{nan, nan, nan}},
		{
			"days outside the window are ignored, even invalid ones",
			[]Day{
				{Date: d("2026-02-28"), Mean: 99, Count: 1},
				{Date: d("2026-03-02"), Mean: 4, Count: 1},
				{Date: d("2026-03-04"), Mean: 1, Count: 3},
			},
			d("2026-03-01"), d("2026-03-03"),
			[]float64{nan, 4, nan},
		},
		{
			"both ends are inclusive",
			[]Day{{Date: d("2026-03-01"), Mean: 2, Count: 1}, {Date: d("2026-03-03"), Mean: 5, Count: 1}},
			d("2026-03-01"), d("2026-03-03"),
			[]float64{2, nan, 5},
		},
		{
			"a 23-hour DST day is still one slot",
			[]Day{{Date: d("2026-03-29"), Mean: 3, Count: 1}, {Date: d("2026-03-30"), Mean: 4, Count: 1}},
			d("2026-03-28"), d("2026-03-30"),
			[]float64{nan, 3, 4},
		},
		{
			"dates are read in their own location",
			[]Day{{Date: date(tokyo, "2026-03-02"), Mean: 3, Count: 1}}, // 2026-03-01 16:00 in Berlin
			d("2026-03-01"), d("2026-03-02"),
			[]float64{nan, 3},
		},
		{
			"a split day is merged by check-in count",
			[]Day{{Date: d("2026-03-01"), Mean: 2, Count: 1}, {Date: d("2026-03-01"), Mean: 5, Count: 2}},
			d("2026-03-01"), d("2026-03-01"),
			[]float64{4},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := newSeries(tt.days, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			assertSeries(t, s.mean, tt.want)
			y, m, day := tt.from.Date()
			if want := time.Date(y, m, day, 0, 0, 0, 0, time.UTC); !s.first.Equal(want) {
				t.Errorf("first = %v, want %v", s.first, want)
			}
		})
	}
}

func TestMovingAverage(t *testing.T) {
	tests := []struct {
		name string
		mean []float64
		want []float64
	}{
		{"empty", nil, []float64{}},
		{"no check-ins has no average", []float64{nan, nan}, []float64{nan, nan}},
		{"the first days average what there is", []float64{2, 4, 3}, []float64{2, 3, 3}},
		{
			"gaps are skipped, not counted as a mood",
			[]float64{1, nan, nan, 5},
			[]float64{1, 1, 1, 3},
		},
		{
			"a day leaves the average after seven calendar days",
			//         d0 d1   d2   d3   d4   d5   d6   d7   d8
			[]float64{1, nan, nan, nan, nan, nan, 5, nan, nan},
			[]float64{1, 1, 1, 1, 1, 1, 3, 5, 5},
		},
		{
			"seven days without check-ins break the line",
			[]float64{4, nan, nan, nan, nan, nan, nan, nan, 2},
			[]float64{4, 4, 4, 4, 4, 4, 4, nan, 2},
		},
		{
			"a full window is the plain mean of seven days",
			[]float64{1, 2, 3, 4, 5, 1, 2, 3, 4},
			[]float64{1, 1.5, 2, 2.5, 3, 16.0 / 6, 18.0 / 7, 20.0 / 7, 22.0 / 7},
		},
		{
			"each day counts once, whatever its mean came from",
			[]float64{4.5, nan, 1.5},
			[]float64{4.5, 4.5, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertSeries(t, movingAverage(tt.mean, averageDays), tt.want)
		})
	}
}

func assertSeries(t *testing.T, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || (!math.IsNaN(want[i]) && math.Abs(got[i]-want[i]) > 1e-9) {
			t.Errorf("day %d = %v, want %v (all: %v)", i, got[i], want[i], got)
		}
	}
}

func TestAverageRuns(t *testing.T) {
	runs := averageRuns([]float64{nan, 1, 2, nan, nan, 3, nan, 4, 5})
	var lens []int
	for _, r := range runs {
		lens = append(lens, len(r))
	}
	if want := []int{2, 1, 2}; !equalInts(lens, want) {
		t.Errorf("run lengths = %v, want %v", lens, want)
	}
	if runs[2][0].X != 7 {
		t.Errorf("third run starts at x=%v, want 7", runs[2][0].X)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDateTicks(t *testing.T) {
	labels := func(from string, n int) []string {
		s, err := newSeries(nil, date(time.UTC, from), date(time.UTC, from).AddDate(0, 0, n-1))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tk := range (dateTicks{s: s}).Ticks(0, 0) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	tests := []struct {
		name      string
		from      string
		n         int
		wantFirst string
		wantLast  string
		maxLabels int
	}{
		{"a week labels every day", "2026-03-02", 7, "Mar 2", "Mar 8", 7},
		{"a month labels back from the last day", "2026-03-01", 31, "Mar 1", "Mar 31", maxLabels},
		{"a quarter labels Mondays", "2026-01-01", 90, "Jan 5", "Mar 30", maxLabels},
		{"a year labels months and the new year", "2025-03-30", 365, "Apr", "Mar", maxLabels + 2},
		{"two years label every other month", "2024-03-29", MaxDays, "May", "Mar", maxLabels + 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := labels(tt.from, tt.n)
			if len(got) == 0 || len(got) > tt.maxLabels {
				t.Fatalf("%d labels %v, want 1..%d", len(got), got, tt.maxLabels)
			}
			if got[0] != tt.wantFirst || got[len(got)-1] != tt.wantLast {
				t.Errorf("labels %v, want %s … %s", got, tt.wantFirst, tt.wantLast)
			}
		})
	}
	if got := labels("2025-03-30", 365); !contains(got, "2026") || contains(got, "Jan") {
		t.Errorf("year labels %v: want January shown as its year", got)
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// BenchmarkRender365 is the chart for `/checkins history days:365`. Target:
// the whole command (query + chart) answers in under 50 ms on 2 cores, so the
// chart must take well under that.
func BenchmarkRender365(b *testing.B) { benchmarkRender(b, 365) }

// BenchmarkRender30 is the default history view; same 50 ms budget.
func BenchmarkRender30(b *testing.B) { benchmarkRender(b, 30) }

func benchmarkRender(b *testing.B, n int) {
	today := date(mustLoad(b, "Europe/Berlin"), "2026-05-10")
	days := history(today, n)
	opts := Options{Title: "Your mood, last days", From: today.AddDate(0, 0, -(n - 1)), To: today}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, days, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "png-bytes")
}

// The bot renders charts for several members at once; run with -race.
func TestRenderConcurrently(t *testing.T) {
	today := date(time.UTC, "2026-05-10")
	opts := Options{Title: "Your mood", From: today.AddDate(0, 0, -89), To: today}
	days := history(today, 90)
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			var buf bytes.Buffer
			errs <- Render(&buf, days, opts)
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
