package commands

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// mentionsCrisis reports whether a check-in note mentions self-harm or
// suicide, so that the member's private reply can carry the crisis
// resources. Nobody else is told, and nothing is stored about it: the
// only effect is a few lines of help in a reply only the author sees.
//
// That sets the balance. A missed mention costs more than resources shown
// to someone who did not need them, so the list errs towards matching:
// "I'm not suicidal", "my brother's suicide", "overdosed on coffee" and
// "I hurt myself at the gym" all match, and only idioms that are both
// common and clearly harmless are left out ("this traffic is killing
// me", "cut myself some slack", "burn myself out", "shoot myself in the
// foot"). It reads English only; a server writing in another language can
// point to /resources in its own text.
//
// Matching is by whole words, ignoring case and apostrophes ("don't" and
// "dont" are the same word), and with hyphens splitting words, so
// "self-harm", "self harm" and "selfharm" all match while "harmony",
// "skill" and "die-hard" do not.
func mentionsCrisis(note string) bool {
	words := crisisWords(note)
	m := crisisMatcher()
	for i, w := range words {
		for _, p := range m.byFirstWord[w] {
			if p.matchesAt(words, i) {
				return true
			}
		}
		for _, p := range m.byFirstPrefix {
			if strings.HasPrefix(w, p.firstPrefix) && p.matchesAt(words, i) {
				return true
			}
		}
	}
	return false
}

// crisisPhrases is the word list. Each phrase is words separated by
// spaces, where a word may be:
//
//	a|b|c     any one of these
//	suicid*   a word that starts with this
//	my_self   several words in a row ("my self" for "myself")
//	to?       optional (any of the forms above may end in ?)
//
// unless lists what may not follow the phrase (in the same forms), for
// harmless idioms; notAfterNumber is for abbreviations that are
// also units ("ran 5 kms").
var crisisPhrases = []struct {
	phrase         string
	unless         string
	notAfterNumber bool
}{
	// Suicide, by name and in the forms people use to get past filters.
	{phrase: "suicid*"},                   // suicide, suicidal, suicides, suicidality
	{phrase: "sewerslide"},                // said aloud, it is the word
	{phrase: "unaliv*"},                   // unalive, unaliving, unalived
	{phrase: "kms", notAfterNumber: true}, // "kill myself"
	{phrase: "killmyself"},

	// Self-harm.
	{phrase: "self harm|harms|harmed|harming|harmer|injur*|mutilat*"},
	{phrase: "selfharm|selfharms|selfharmed|selfharming|selfharmer|selfinjur*|selfmutilat*"},
	{phrase: "kill|kills|killing|killed myself|my_self"},
	{phrase: "end|ending myself|my_self"},
	{phrase: "hurt|hurts|hurting|harm|harms|harmed|harming|starve|starving|starved|poison|poisoning|hang|hanging myself|my_self"},
	{phrase: "cut|cuts|cutting myself|my_self", unless: "some|a|off|slack|loose|free|short|out"},
	{phrase: "burn|burns|burning myself|my_self", unless: "out"},
	{phrase: "shoot|shooting myself|my_self", unless: "in_the_foot"},
	{phrase: "drown|drowning myself|my_self", unless: "in"}, // "drowning myself in work"
	{phrase: "slit|slitting|cut|cutting my wrist|wrists"},
	{phrase: "overdos*"},

	// Wanting to die or not to live.
	{phrase: "want|wanted|wanting|wanna|wish to? just|really|honestly|literally|actually|fucking? die"},
	{phrase: "want|wanted|wanna to? be dead"},
	{phrase: "wish i was|were|could_be dead"},
	{phrase: "wish i could|would just? die"},
	{phrase: "wish i was|were never born"},
	{phrase: "wish i_had|id never been born"},
	{phrase: "wish i_hadnt been born"},
	{phrase: "wish i wasnt|werent alive|born|here_anymore"},
	{phrase: "dont|not|never want|wanna to? live|exist", unless: livingSomewhere},
	{phrase: "dont|not want|wanna to? be alive|here_anymore|here_any_more"},
	{phrase: "dont|not want|wanna to? wake up", unless: "early|at|before|for|so_early"},
	{phrase: "hope i dont|never wake up"},
	{phrase: "end|ending|ended my own? life"},
	{phrase: "end|ending|ended it all"},
	{phrase: "take|taking|took my own life"}, // not "take my life back"
	{phrase: "no reason|point to|in? live|living|go_on", unless: livingSomewhere},
	{phrase: "nothing left? to live for"},
	{phrase: "not|isnt|aint worth living"},
	{phrase: "tired|sick of living|being_alive"},
	{phrase: "cant|cannot go on anymore|any_more|living"},
	{phrase: "better off dead"},
	{phrase: "better off? without me"},
	{phrase: "jump|jumping off|from a|the bridge|roof|building"},
}

// livingSomewhere follows "live" when it is about a place or a
// household ("don't want to live in this city"), not about living.
const livingSomewhere = "in|here|there|with|near|at|on|by|abroad|alone|together|somewhere|anywhere"

// crisisNumberWords count things, so "kms" after them is kilometres.
var crisisNumberWords = map[string]bool{
	"a": true, "few": true, "couple": true, "several": true, "many": true, "more": true, "extra": true, "some": true,
	"two": true, "three": true, "four": true, "five": true, "six": true, "seven": true, "eight": true, "nine": true,
	"ten": true, "eleven": true, "twelve": true, "fifteen": true, "twenty": true, "thirty": true, "forty": true,
	"fifty": true, "hundred": true, "thousand": true,
}

type crisisAlt struct {
	words  []string
	prefix bool // the last word only has to start with words[len-1]
}

type crisisSlot struct {
	alts     []crisisAlt
	optional bool
}

type crisisPattern struct {
	slots          []crisisSlot
	unless         []crisisAlt
	notAfterNumber bool
	firstPrefix    string // set when the first word is a prefix
}

// matchers are built once, on first use, from crisisPhrases.
type crisisMatchers struct {
	byFirstWord   map[string][]*crisisPattern
	byFirstPrefix []*crisisPattern
}

var crisisMatcher = sync.OnceValue(func() *crisisMatchers {
	m, err := compileCrisisPhrases()
	if err != nil {
		panic(err) // the table is constant; TestCrisisPhrasesCompile catches this
	}
	return m
})

func compileCrisisPhrases() (*crisisMatchers, error) {
	m := &crisisMatchers{byFirstWord: map[string][]*crisisPattern{}}
	for _, e := range crisisPhrases {
		p := &crisisPattern{notAfterNumber: e.notAfterNumber}
		for _, field := range strings.Fields(e.phrase) {
			slot, err := parseCrisisSlot(field)
			if err != nil {
				return nil, fmt.Errorf("crisis phrase %q: %w", e.phrase, err)
			}
			p.slots = append(p.slots, slot)
		}
		if len(p.slots) == 0 || p.slots[0].optional {
			return nil, fmt.Errorf("crisis phrase %q: must start with a required word", e.phrase)
		}
		if e.unless != "" {
			slot, err := parseCrisisSlot(e.unless)
			if err != nil || slot.optional {
				return nil, fmt.Errorf("crisis phrase %q: bad unless %q", e.phrase, e.unless)
			}
			p.unless = slot.alts
		}
		for _, a := range p.slots[0].alts {
			// Each first alternative indexes its own copy, so a prefix and
			// a plain word can share a slot.
			q := *p
			q.slots = append([]crisisSlot{{alts: []crisisAlt{a}}}, p.slots[1:]...)
			if a.prefix && len(a.words) == 1 {
				q.firstPrefix = a.words[0]
				m.byFirstPrefix = append(m.byFirstPrefix, &q)
			} else {
				m.byFirstWord[a.words[0]] = append(m.byFirstWord[a.words[0]], &q)
			}
		}
	}
	return m, nil
}

func parseCrisisSlot(field string) (crisisSlot, error) {
	var s crisisSlot
	field, s.optional = strings.CutSuffix(field, "?")
	for _, alt := range strings.Split(field, "|") {
		var a crisisAlt
		alt, a.prefix = strings.CutSuffix(alt, "*")
		a.words = strings.Split(alt, "_")
		for _, w := range a.words {
			if w == "" || crisisWordsJoined(w) != w {
				return crisisSlot{}, fmt.Errorf("word %q: want lower-case letters", w)
			}
		}
		s.alts = append(s.alts, a)
	}
	return s, nil
}

// crisisWordsJoined is w as crisisWords leaves it, so that a word in the
// table that no note could ever contain is caught.
func crisisWordsJoined(w string) string {
	return strings.Join(crisisWords(w), "_")
}

// matchesAt reports whether the pattern matches the words from words[i].
func (p *crisisPattern) matchesAt(words []string, i int) bool {
	if p.notAfterNumber && i > 0 && crisisCounts(words[i-1]) {
		return false
	}
	return p.match(0, words, i)
}

func (p *crisisPattern) match(slot int, words []string, at int) bool {
	if slot == len(p.slots) {
		for _, u := range p.unless {
			if _, ok := u.matchAt(words[at:]); ok {
				return false
			}
		}
		return true
	}
	s := p.slots[slot]
	for _, a := range s.alts {
		if n, ok := a.matchAt(words[at:]); ok && p.match(slot+1, words, at+n) {
			return true
		}
	}
	return s.optional && p.match(slot+1, words, at)
}

// matchAt reports whether words begins with the alternative, and how many
// words it took.
func (a crisisAlt) matchAt(words []string) (int, bool) {
	if len(words) < len(a.words) {
		return 0, false
	}
	last := len(a.words) - 1
	for i, w := range a.words {
		if w != words[i] && !(a.prefix && i == last && strings.HasPrefix(words[i], w)) {
			return 0, false
		}
	}
	return len(a.words), true
}

func crisisCounts(w string) bool {
	return crisisNumberWords[w] || strings.Trim(w, "0123456789") == ""
}

// crisisWords splits a note into lower-case words of letters and digits.
// Apostrophes join ("don't" is "dont"); everything else separates,
// hyphens included. The words share one buffer; ASCII, nearly every note,
// takes a fast path.
func crisisWords(note string) []string {
	buf := make([]byte, 0, len(note))
	for i := 0; i < len(note); {
		if c := note[i]; c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
				buf = append(buf, c)
			case 'A' <= c && c <= 'Z':
				buf = append(buf, c+'a'-'A')
			case c == '\'' || c == '`':
				// joins: don't
			default:
				buf = append(buf, ' ')
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(note[i:])
		i += size
		switch {
		case r == '’' || r == '‘' || r == 'ʼ':
			// joins: can’t
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
		default:
			buf = append(buf, ' ')
		}
	}
	return strings.Fields(string(buf))
}
