package commands

import (
	"strings"
	"testing"
)

func TestCrisisPhrasesCompile(t *testing.T) {
	if _, err := compileCrisisPhrases(); err != nil {
		t.Fatal(err)
	}
}

func TestMentionsCrisis(t *testing.T) {
	tests := []struct {
		note string
		want bool
	}{
		// Suicide and its forms.
		{"I keep thinking about suicide", true},
		{"feeling SUICIDAL again tonight", true},
		{"suicidal thoughts are back", true},
		{"Suicide.", true},
		{"thinking about unaliving myself", true},
		{"want to unalive", true},
		{"sewerslide thoughts", true},
		{"i want to kms", true},
		{"honestly kms", true},
		{"#suicideawareness", true},

		// Killing oneself, ending one's life.
		{"I want to kill myself", true},
		{"i could kill my self", true},
		{"thought about killing myself", true},
		{"I nearly killed myself last year", true},
		{"I want to end my life", true},
		{"thinking about ending my own life", true},
		{"just want to end it all", true},
		{"ending it all seems easier", true},
		{"I tried to take my own life", true},
		{"want to end myself", true},

		// Wanting to die or not to live.
		{"I want to die", true},
		{"i just wanna die", true},
		{"I really want to just die", true},
		{"wanted to die all week", true},
		{"I wish I was dead", true},
		{"i wish i could just die", true},
		{"wish I'd never been born", true},
		{"I wish I hadn't been born", true},
		{"wish I had never been born", true},
		{"I wish I was never born", true},
		{"I don't want to live anymore", true},
		{"i dont want to be alive", true},
		{"I don’t want to wake up tomorrow", true}, // curly apostrophe
		{"I hope I don't wake up", true},
		{"I do not want to exist", true},
		{"there's no reason to live", true},
		{"no point in living", true},
		{"nothing to live for", true},
		{"life isn't worth living", true},
		{"everyone would be better off without me", true},
		{"they'd all be better off dead", true},
		{"I can't go on anymore", true},
		{"tired of being alive", true},

		// Self-harm.
		{"self-harm urges today", true},
		{"self harm", true},
		{"relapsed, selfharm again", true},
		{"self-harming again", true},
		{"self-injury", true},
		{"I hurt myself again", true},
		{"I want to hurt myself", true},
		{"cutting myself again", true},
		{"cut myself last night", true},
		{"I slit my wrists once", true},
		{"thinking about an overdose", true},
		{"I overdosed in 2019", true},
		{"want to starve myself", true},
		{"thought about hanging myself", true},
		{"want to jump off a bridge", true},

		// Erring towards showing resources: documented.
		{"I'm not suicidal, just tired", true},
		{"my brother died by suicide", true},
		{"watched Suicide Squad", true},
		{"I hurt myself at the gym", true},
		{"overdosed on coffee lol", true},

		// Words that merely contain the letters.
		{"learning a new skill", false},
		{"lovely harmony at choir", false},
		{"picked up meds at the pharmacy", false},
		{"it was harmless fun", false},
		{"back on my diet", false},
		{"studied all evening", false},
		{"die-hard fan of the team", false},
		{"my library book is overdue", false},
		{"self-harmony", false},
		{"deadline tomorrow", false},

		// Idioms and other people.
		{"killer workout this morning", false},
		{"this traffic is killing me", false},
		{"my feet are killing me", false},
		{"I could kill for a coffee", false},
		{"dying to see the new film", false},
		{"my phone died", false},
		{"I'm dead tired", false},
		{"the plant died", false},
		{"that joke killed me", false},
		{"need to cut myself some slack", false},
		{"learning to cut myself a break", false},
		{"I cut myself off from friends", false},
		{"I'll burn myself out at this rate", false},
		{"drowning myself in work", false},
		{"I always shoot myself in the foot", false},
		{"I want to take my life back", false},
		{"I don't want to live in this city", false},
		{"don't want to live with my parents", false},
		{"don't want to wake up early on Saturday", false},
		{"ran 5 kms today", false},
		{"walked a few kms", false},
		{"he wants to die on that hill", false},
		{"no reason to live in London", false},
		{"", false},
		{"   ", false},
	}
	for _, tt := range tests {
		if got := mentionsCrisis(tt.note); got != tt.want {
			t.Errorf("mentionsCrisis(%q) = %v, want %v", tt.note, got, tt.want)
		}
	}
}

func TestCrisisWords(t *testing.T) {
	got := strings.Join(crisisWords("Don't—SELF-harm, can’t…  Ünïcode 42x"), " ")
	if want := "dont self harm cant ünïcode 42x"; got != want {
		t.Errorf("crisisWords = %q, want %q", got, want)
	}
}

func FuzzMentionsCrisis(f *testing.F) {
	for _, seed := range []string{
		"", "suicide", "I want to kill myself", "self-harm", "ran 5 kms", "cut myself some slack",
		"don't want to live in", "wish i", "my_self", "\xff\xfe", "kill\u00a0myself", strings.Repeat("want to ", 200),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, note string) {
		got := mentionsCrisis(note)
		// Separators around a note change nothing.
		if again := mentionsCrisis(" " + note + "\n"); again != got {
			t.Errorf("mentionsCrisis(%q) = %v, but %v with spaces around", note, got, again)
		}
	})
}

// BenchmarkMentionsCrisis is a note of the longest length /checkin takes
// (1,000 characters) with no match, so every phrase is tried everywhere.
func BenchmarkMentionsCrisis(b *testing.B) {
	note := strings.Repeat("Long day at work, but the walk home helped and I want to sleep early. ", 15)[:1000]
	for b.Loop() {
		if mentionsCrisis(note) {
			b.Fatal("matched")
		}
	}
}
