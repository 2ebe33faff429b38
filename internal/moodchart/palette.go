package moodchart

import (
	"image"
	"image/color"
)

// The chart is encoded as an 8-bit paletted PNG. Every pixel is the
// background, one of a few chart colours, or an anti-aliased blend of one
// over the background, so a palette of those blends loses nothing visible.
// It makes Render about twice as fast: image/png skips its per-row filter
// search for paletted images and deflates a third of the bytes. It also
// makes the upload smaller.

// blendLevels is how many steps each background→colour ramp has. 32 keeps
// the largest channel error near 3/255, below what anyone can see on text
// edges.
const blendLevels = 32

// paletteColours is the fixed colour table, background first, and palette
// the same table as image/png wants it. Both are built once and never
// modified.
var (
	paletteColours = buildPalette()
	palette        = func() color.Palette {
		p := make(color.Palette, len(paletteColours))
		for i, c := range paletteColours {
			p[i] = c
		}
		return p
	}()
)

func buildPalette() []color.RGBA {
	p := []color.RGBA{background}
	for _, c := range []color.RGBA{titleText, labelText, gridLine, axisLine, pointFill, avgLine} {
		p = appendRamp(p, background, c)
	}
	// Points are drawn over the average line; their edges blend the two.
	p = appendRamp(p, avgLine, pointFill)
	return p
}

// appendRamp adds the blends from a towards b, b included, a excluded.
func appendRamp(p []color.RGBA, a, b color.RGBA) []color.RGBA {
	mix := func(x, y uint8, k int) uint8 {
		return uint8((int(x)*(blendLevels-k) + int(y)*k + blendLevels/2) / blendLevels)
	}
	for k := 1; k <= blendLevels; k++ {
		p = append(p, color.RGBA{R: mix(a.R, b.R, k), G: mix(a.G, b.G, k), B: mix(a.B, b.B, k), A: 0xFF})
	}
	return p
}

// toPaletted maps the opaque image src onto palette. Most pixels are the
// background or repeat their left neighbour and take the fast paths; the
// couple of thousand distinct others are matched once each through a
// per-call cache.
func toPaletted(src *image.RGBA) *image.Paletted {
	b := src.Bounds()
	dst := image.NewPaletted(b, palette)
	nearest := make(map[uint32]uint8, 4096)
	bg := rgbKey(background.R, background.G, background.B)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		in := src.Pix[src.PixOffset(b.Min.X, y):][:4*b.Dx()]
		out := dst.Pix[dst.PixOffset(b.Min.X, y):][:b.Dx()]
		prev, prevIdx := bg, uint8(0)
		for x := range out {
			key := rgbKey(in[4*x], in[4*x+1], in[4*x+2])
			switch {
			case key == bg:
				out[x] = 0
				continue
			case key == prev:
				out[x] = prevIdx
				continue
			}
			i, ok := nearest[key]
			if !ok {
				i = nearestIndex(in[4*x], in[4*x+1], in[4*x+2])
				nearest[key] = i
			}
			out[x] = i
			prev, prevIdx = key, i
		}
	}
	return dst
}

func rgbKey(r, g, b uint8) uint32 { return uint32(r)<<16 | uint32(g)<<8 | uint32(b) }

// nearestIndex is color.Palette.Index for opaque colours, without the
// interface calls that made it the slowest step of encoding.
func nearestIndex(r, g, b uint8) uint8 {
	best, bestDist := 0, int(^uint(0)>>1)
	for i, c := range paletteColours {
		dr, dg, db := int(r)-int(c.R), int(g)-int(c.G), int(b)-int(c.B)
		if d := dr*dr + dg*dg + db*db; d < bestDist {
			best, bestDist = i, d
		}
	}
	return uint8(best)
}
