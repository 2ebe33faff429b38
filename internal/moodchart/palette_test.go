package moodchart

import (
	"image"
	"image/color"
	"testing"
)

// The paletted PNG must look like the chart that was drawn: nearly every
// pixel exact to a few levels, and only anti-aliased edges where two
// colours overlap allowed to drift.
func TestPalettedMatchesDrawing(t *testing.T) {
	if len(paletteColours) > 256 {
		t.Fatalf("palette has %d colours; an 8-bit PNG holds 256", len(paletteColours))
	}
	today := date(mustLoad(t, "Europe/Berlin"), "2026-05-10")
	for _, n := range []int{30, 365} {
		s, err := newSeries(history(today, n), today.AddDate(0, 0, -(n-1)), today)
		if err != nil {
			t.Fatal(err)
		}
		img := drawChart(s, movingAverage(s.mean, averageDays), "Your mood")
		p := toPaletted(img)
		var off, worst int
		for i, idx := range p.Pix {
			d := channelDiff(img.Pix[4*i:4*i+3], paletteColours[idx])
			worst = max(worst, d)
			if d > 4 {
				off++
			}
		}
		if limit := len(p.Pix) / 1000; off > limit {
			t.Errorf("%d days: %d pixels differ by more than 4 levels, want at most %d", n, off, limit)
		}
		if worst > 48 {
			t.Errorf("%d days: worst pixel differs by %d levels, want at most 48", n, worst)
		}
	}
}

func channelDiff(rgb []uint8, c color.RGBA) int {
	d := 0
	for k, v := range [3]uint8{c.R, c.G, c.B} {
		d = max(d, absInt(int(rgb[k])-int(v)))
	}
	return d
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Every palette colour maps to itself, so flat areas come out exact.
func TestNearestIndexIsExactForPaletteColours(t *testing.T) {
	for i, c := range paletteColours {
		got := nearestIndex(c.R, c.G, c.B)
		if paletteColours[got] != c {
			t.Errorf("colour %d %v maps to %d %v", i, c, got, paletteColours[got])
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.SetRGBA(0, 0, background)
	img.SetRGBA(1, 0, pointFill)
	p := toPaletted(img)
	if p.Pix[0] != 0 || paletteColours[p.Pix[1]] != pointFill {
		t.Errorf("toPaletted = %v, want background then the point colour", p.Pix)
	}
}
