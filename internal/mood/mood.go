// Package mood is Kindred's mood scale, the one definition every part of
// Kindred uses: check-ins store it, commands name it, charts draw it.
package mood

// The scale runs from Lowest (1, Struggling) to Highest (5, Great).
const (
	Lowest  = 1
	Highest = 5
)

// Valid reports whether m is on the scale.
func Valid(m int) bool { return m >= Lowest && m <= Highest }

// Name is the word for a mood ("Okay" for 3), or "" off the scale.
func Name(m int) string {
	switch m {
	case 1:
		return "Struggling"
	case 2:
		return "Low"
	case 3:
		return "Okay"
	case 4:
		return "Good"
	case 5:
		return "Great"
	}
	return ""
}
