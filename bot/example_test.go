package bot

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

// config.example.yaml must load as it is and document every key.
func TestConfigExampleDocumentsEveryKey(t *testing.T) {
	cfg, err := LoadConfig("../config.example.yaml", true, env(map[string]string{TokenEnv: "tok"}))
	if err != nil {
		t.Fatalf("config.example.yaml does not load: %v", err)
	}
	want := DefaultConfig()
	want.Discord.Token = "tok"
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config.example.yaml's values should be the defaults:\n got %+v\nwant %+v", cfg, want)
	}
	raw, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	configType := reflect.TypeOf(Config{})
	for i := range configType.NumField() {
		section := configType.Field(i)
		name := section.Tag.Get("yaml")
		if !strings.Contains(text, "\n"+name+":") {
			t.Errorf("config.example.yaml lacks section %s", name)
		}
		for j := range section.Type.NumField() {
			key := section.Type.Field(j).Tag.Get("yaml")
			if !strings.Contains(text, "\n  "+key+":") {
				t.Errorf("config.example.yaml lacks %s.%s", name, key)
			}
		}
	}
}

// README.md's invite link and permission table must match what Kindred uses.
func TestReadmeInvitePermissions(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	if want := fmt.Sprintf("permissions=%d", InvitePermissionBits()); !strings.Contains(readme, want) {
		t.Errorf("README.md's invite link should carry %s", want)
	}
	for _, p := range InvitePermissions() {
		if row := fmt.Sprintf("| %s | %s |", p.Name, p.Why); !strings.Contains(readme, row) {
			t.Errorf("README.md lacks the row %q", row)
		}
	}
	if !strings.Contains(readme, "scope=bot+applications.commands") {
		t.Error("README.md's invite link should ask for the bot and applications.commands scopes")
	}
}
