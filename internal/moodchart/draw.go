package moodchart

import (
	"image"
	"image/color"
	stddraw "image/draw"
	"math"

	"git.sr.ht/~sbinet/gg"
	xdraw "golang.org/x/image/draw"
	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/kindred-bot/kindred/internal/mood"
)

// dpi maps gonum/plot's points to pixels. At 96 an 11-point label is about
// 15 px tall: still legible after Discord scales the 800 px image down to
// its preview width.
const dpi = 96

// Colours chosen for Discord's dark theme. The data colours are calm and
// carry no good/bad meaning (no red or green), since a low day is not a
// failure.
var (
	background = rgb(0x2B, 0x2D, 0x31) // Discord's dark embed background
	titleText  = rgb(0xF2, 0xF3, 0xF5)
	labelText  = rgb(0xB5, 0xBA, 0xC1)
	gridLine   = rgb(0x3A, 0x3C, 0x42)
	axisLine   = rgb(0x4E, 0x50, 0x58)
	pointFill  = rgb(0x5B, 0x8D, 0xEF)
	avgLine    = rgb(0xF2, 0xC9, 0x4C)
)

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 0xFF} }

// sans is the typeface for all text. gonum/plot registers its embedded
// Liberation fonts in font.DefaultCache when the plot package initialises
// and parses them once per process, so rendering never reads system fonts
// or the network and a call does not pay for parsing.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

func textStyle(size vg.Length, weight stdfont.Weight, c color.Color) text.Style {
	f := font.From(sans, size)
	f.Weight = weight
	return text.Style{
		Color:   c,
		Font:    f,
		Handler: plot.DefaultTextHandler,
	}
}

// Layout, in points (1/72 inch; at 96 dpi one point is 4/3 px).
const (
	margin      = vg.Length(12)
	headerSize  = vg.Length(28) // title row height, legend sits in it too
	titleSize   = vg.Length(15)
	labelSize   = vg.Length(11)
	messageSize = vg.Length(14)
)

// drawChart renders s and its moving average avg (same length, NaN for no
// value) into a Width×Height image.
func drawChart(s series, avg []float64, title string) *image.RGBA {
	img, canvas := newCanvas()
	dc := draw.Crop(draw.New(canvas), margin, -margin, margin, -margin)

	n := len(s.mean)
	empty := s.empty()
	points, pointStyle := scatter(s.mean)
	line := lineStyle(n)
	runs := averageRuns(avg)

	// A one-day run draws nothing, so the legend names the line only when
	// some of it is visible.
	showLine := false
	for _, r := range runs {
		showLine = showLine || len(r) > 1
	}
	var lg *legend // an empty chart explains nothing
	if !empty {
		lg = &legend{point: pointStyle}
		if showLine {
			lg.line = &line
		}
	}
	drawHeader(draw.Crop(dc, 0, 0, dc.Size().Y-headerSize, 0), title, lg)

	p := plot.New()
	p.BackgroundColor = nil // the canvas is already filled
	styleAxis(&p.X)
	styleAxis(&p.Y)
	// Half a day either side keeps the first and last points off the axes.
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.X.Tick.Marker = dateTicks{s: s}
	p.X.Tick.Label.YAlign = draw.YTop
	p.X.Tick.Label.XAlign = draw.XCenter
	p.Y.Min, p.Y.Max = minMood-0.4, maxMood+0.4
	p.Y.Tick.Marker = moodTicks{}
	p.Y.Tick.Label.XAlign = draw.XRight
	p.Y.Tick.Label.YAlign = draw.YCenter
	p.Y.Tick.Length = 0 // the grid lines already lead the eye to the names

	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: gridLine, Width: vg.Points(0.75)}
	grid.Horizontal = draw.LineStyle{Color: gridLine, Width: vg.Points(0.75)}
	p.Add(grid)

	if empty {
		p.Add(message("No check-ins in this window yet"))
	} else {
		for _, run := range runs {
			p.Add(&plotter.Line{XYs: run, LineStyle: line})
		}
		// Points go over the line so no day hides under the average.
		p.Add(points)
	}

	p.Draw(draw.Crop(dc, 0, 0, 0, -headerSize))
	return img
}

// newCanvas returns a background-filled Width×Height image and a vgimg
// canvas drawing on it. vgimg.New would allocate its own image and copy it
// into the graphics context; building the context here draws straight into
// img and lets text use nearest-neighbour placement, which looks the same for
// unrotated glyphs and cost a fifth of the render in allocations. The setup
// mirrors what vgimg.NewWith does for its own context.
func newCanvas() (*image.RGBA, *vgimg.Canvas) {
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	ctx.SetInterpolator(xdraw.NearestNeighbor)
	canvas := vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(dpi))
	stddraw.Draw(img, img.Rect, image.NewUniform(background), image.Point{}, stddraw.Src)
	return img, canvas
}

func styleAxis(a *plot.Axis) {
	a.LineStyle = draw.LineStyle{Color: axisLine, Width: vg.Points(1)}
	a.Padding = 0
	a.Tick.LineStyle = draw.LineStyle{Color: axisLine, Width: vg.Points(1)}
	a.Tick.Length = vg.Points(5)
	a.Tick.Label = textStyle(labelSize, stdfont.WeightNormal, labelText)
}

// scatter returns the day points. Markers shrink as the window grows so a
// year of daily points stays a readable cloud rather than a solid band.
func scatter(mean []float64) (*plotter.Scatter, draw.GlyphStyle) {
	var xys plotter.XYs
	for i, m := range mean {
		if !math.IsNaN(m) {
			xys = append(xys, plotter.XY{X: float64(i), Y: m})
		}
	}
	radius := vg.Points(3.5)
	switch n := len(mean); {
	case n > 120:
		radius = vg.Points(1.6)
	case n > 45:
		radius = vg.Points(2.4)
	}
	sty := draw.GlyphStyle{Color: pointFill, Radius: radius, Shape: draw.CircleGlyph{}}
	return &plotter.Scatter{XYs: xys, GlyphStyle: sty}, sty
}

func lineStyle(n int) draw.LineStyle {
	width := vg.Points(2.25)
	if n > 120 {
		width = vg.Points(1.75)
	}
	return draw.LineStyle{Color: avgLine, Width: width}
}

// averageRuns splits the moving average into the runs of consecutive days
// that have a value, so the line breaks where there is none rather than
// bridging a stretch without check-ins.
func averageRuns(avg []float64) []plotter.XYs {
	var runs []plotter.XYs
	var cur plotter.XYs
	for i, a := range avg {
		if math.IsNaN(a) {
			if len(cur) > 0 {
				runs = append(runs, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: float64(i), Y: a})
	}
	if len(cur) > 0 {
		runs = append(runs, cur)
	}
	return runs
}

// legend says what to explain in the header: a nil line leaves it out.
type legend struct {
	point draw.GlyphStyle
	line  *draw.LineStyle
}

// drawHeader puts the title at the left of the row c and the legend, one
// line, at its right. A nil l draws the title alone.
func drawHeader(c draw.Canvas, title string, l *legend) {
	mid := (c.Min.Y + c.Max.Y) / 2
	ts := textStyle(titleSize, stdfont.WeightBold, titleText)
	ts.YAlign = draw.YCenter
	c.FillText(ts, vg.Point{X: c.Min.X, Y: mid}, title)
	if l == nil {
		return
	}

	ls := textStyle(labelSize, stdfont.WeightNormal, labelText)
	ls.XAlign = draw.XRight
	ls.YAlign = draw.YCenter
	const gap, swatch = vg.Length(6), vg.Length(18)
	x := c.Max.X // entries are laid out right to left

	if l.line != nil {
		const label = "7-day average"
		c.FillText(ls, vg.Point{X: x, Y: mid}, label)
		x -= ls.Width(label) + gap
		c.StrokeLine2(*l.line, x-swatch, mid, x, mid)
		x -= swatch + 3*gap
	}

	const label = "Day's mood"
	c.FillText(ls, vg.Point{X: x, Y: mid}, label)
	x -= ls.Width(label) + gap
	point := l.point
	point.Radius = max(point.Radius, vg.Points(3.5)) // a year's tiny dots would be lost here
	c.DrawGlyphNoClip(point, vg.Point{X: x - point.Radius, Y: mid})
}

// message is a plotter that writes one line centred in the data area, for
// an empty window.
type message string

func (m message) Plot(c draw.Canvas, _ *plot.Plot) {
	sty := textStyle(messageSize, stdfont.WeightNormal, titleText)
	sty.XAlign = draw.XCenter
	sty.YAlign = draw.YCenter
	c.FillText(sty, c.Center(), string(m))
}

// moodTicks labels the y axis with the mood names instead of numbers.
type moodTicks struct{}

func (moodTicks) Ticks(_, _ float64) []plot.Tick {
	ticks := make([]plot.Tick, 0, maxMood-minMood+1)
	for m := minMood; m <= maxMood; m++ {
		ticks = append(ticks, plot.Tick{Value: float64(m), Label: mood.Name(m)})
	}
	return ticks
}
