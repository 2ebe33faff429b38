//go:build ignore

// mkzones writes zones.txt, the list of timezone names Kindred offers to
// members. It reads the zoneinfo.zip that ships with the Go toolchain so the
// list matches exactly the data that time/tzdata embeds into the bot binary:
// every name we offer is then guaranteed to load, on any host.
//
// Run it with "go generate ./internal/zones/" after a Go upgrade; the
// resulting diff shows which zones IANA added or renamed.
package main

import (
	"archive/zip"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "time/tzdata" // check names against the same data the bot embeds
)

// regions are the tz areas that hold real "Region/City" zones. Everything
// outside them (US/Eastern, EST5EDT, Etc/GMT+3, Japan, ...) is a legacy or
// fixed-offset alias that only confuses members picking where they live;
// Etc/GMT+3 even has the opposite sign to what people expect.
var regions = []string{
	"Africa/",
	"America/",
	"Antarctica/",
	"Arctic/",
	"Asia/",
	"Atlantic/",
	"Australia/",
	"Europe/",
	"Indian/",
	"Pacific/",
}

// extras are names outside those regions that we still offer. UTC is what
// members without a fixed home (or who think in UTC) pick.
var extras = []string{"UTC"}

// aliases are names inside the regions that tzdata keeps only for backward
// compatibility (its "backward" file): old spellings (Asia/Calcutta,
// Europe/Kiev), merged or withdrawn zones (America/Montreal,
// Australia/Currie) and state abbreviations (Australia/NSW). Offering them
// next to the current name would show members two choices for one place.
// With them removed, the list equals the zones named in tzdata's zone.tab.
// When a tzdata release renames a zone, add the old name here.
var aliases = []string{
	"Africa/Asmera",
	"Africa/Timbuktu",
	"America/Argentina/ComodRivadavia",
	"America/Atka",
	"America/Buenos_Aires",
	"America/Catamarca",
	"America/Coral_Harbour",
	"America/Cordoba",
	"America/Ensenada",
	"America/Fort_Wayne",
	"America/Godthab",
	"America/Indianapolis",
	"America/Jujuy",
	"America/Knox_IN",
	"America/Louisville",
	"America/Mendoza",
	"America/Montreal",
	"America/Nipigon",
	"America/Pangnirtung",
	"America/Porto_Acre",
	"America/Rainy_River",
	"America/Rosario",
	"America/Santa_Isabel",
	"America/Shiprock",
	"America/Thunder_Bay",
	"America/Virgin",
	"America/Yellowknife",
	"Antarctica/South_Pole",
	"Asia/Ashkhabad",
	"Asia/Calcutta",
	"Asia/Choibalsan",
	"Asia/Chongqing",
	"Asia/Chungking",
	"Asia/Dacca",
	"Asia/Harbin",
	"Asia/Istanbul",
	"Asia/Kashgar",
	"Asia/Katmandu",
	"Asia/Macao",
	"Asia/Rangoon",
	"Asia/Saigon",
	"Asia/Tel_Aviv",
	"Asia/Thimbu",
	"Asia/Ujung_Pandang",
	"Asia/Ulan_Bator",
	"Atlantic/Faeroe",
	"Atlantic/Jan_Mayen",
	"Australia/ACT",
	"Australia/Canberra",
	"Australia/Currie",
	"Australia/LHI",
	"Australia/NSW",
	"Australia/North",
	"Australia/Queensland",
	"Australia/South",
	"Australia/Tasmania",
	"Australia/Victoria",
	"Australia/West",
	"Australia/Yancowinna",
	"Europe/Belfast",
	"Europe/Kiev",
	"Europe/Nicosia",
	"Europe/Tiraspol",
	"Europe/Uzhgorod",
	"Europe/Zaporozhye",
	"Pacific/Enderbury",
	"Pacific/Johnston",
	"Pacific/Ponape",
	"Pacific/Samoa",
	"Pacific/Truk",
	"Pacific/Yap",
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("mkzones: ")
	zipPath := flag.String("zip", "", "zoneinfo.zip to read (default $GOROOT/lib/time/zoneinfo.zip)")
	out := flag.String("o", "zones.txt", "output file")
	flag.Parse()

	if *zipPath == "" {
		*zipPath = filepath.Join(goroot(), "lib", "time", "zoneinfo.zip")
	}
	names, err := collect(*zipPath)
	if err != nil {
		log.Fatal(err)
	}

	var buf bytes.Buffer
	for _, n := range names {
		buf.WriteString(n)
		buf.WriteByte('\n')
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %d names to %s", len(names), *out)
}

// goroot prefers the GOROOT that go generate exports, so the list comes from
// the toolchain that builds the bot rather than whatever is first on PATH.
func goroot() string {
	if r := os.Getenv("GOROOT"); r != "" {
		return r
	}
	b, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		log.Fatalf("finding GOROOT: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func collect(zipPath string) ([]string, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, err
	}
	defer zr.Close()

	seen := make(map[string]bool)
	var names []string
	for _, f := range zr.File {
		name := f.Name
		if f.FileInfo().IsDir() {
			continue
		}
		seen[name] = true
		if !wanted(name) {
			continue
		}
		data, err := readAll(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		// Both checks: the bytes must parse, and the name must resolve
		// through time.LoadLocation, which is what the package calls.
		if _, err := time.LoadLocationFromTZData(name, data); err != nil {
			log.Printf("skipping %s: %v", name, err)
			continue
		}
		if _, err := time.LoadLocation(name); err != nil {
			log.Printf("skipping %s: %v", name, err)
			continue
		}
		names = append(names, name)
	}

	// A stale alias entry is harmless but worth knowing about when
	// reviewing a tzdata update.
	for _, a := range aliases {
		if !seen[a] {
			log.Printf("note: alias %s no longer in %s", a, zipPath)
		}
	}
	for _, e := range extras {
		if !slices.Contains(names, e) {
			return nil, fmt.Errorf("%s missing from %s", e, zipPath)
		}
	}
	if len(names) < 300 {
		return nil, fmt.Errorf("only %d zones found in %s; wrong file?", len(names), zipPath)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func wanted(name string) bool {
	if slices.Contains(extras, name) {
		return true
	}
	if slices.Contains(aliases, name) {
		return false
	}
	for _, r := range regions {
		if strings.HasPrefix(name, r) {
			return true
		}
	}
	return false
}

func readAll(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
