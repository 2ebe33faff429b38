package mood

import "testing"

func TestScale(t *testing.T) {
	want := []string{"Struggling", "Low", "Okay", "Good", "Great"}
	for i, name := range want {
		m := Lowest + i
		if !Valid(m) || Name(m) != name {
			t.Errorf("mood %d: valid %v, name %q; want %q", m, Valid(m), Name(m), name)
		}
	}
	if Highest != Lowest+len(want)-1 {
		t.Errorf("scale is %d..%d, want %d names", Lowest, Highest, len(want))
	}
	for _, m := range []int{Lowest - 1, Highest + 1, -3, 100} {
		if Valid(m) || Name(m) != "" {
			t.Errorf("mood %d should be off the scale", m)
		}
	}
}
