package main

import (
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/kindred-bot/kindred/bot"
)

// composeService is the part of a compose.yaml service these tests read.
type composeService struct {
	Build       string            `yaml:"build"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Restart         string `yaml:"restart"`
	StopGracePeriod string `yaml:"stop_grace_period"`
}

func readCompose(t *testing.T) map[string]composeService {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return compose.Services
}

// composeVariable is ${NAME}, ${NAME:-default} or ${NAME:?message}.
var composeVariable = regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}`)

// interpolate fills in a compose.yaml value from env as Compose does, for
// the three forms the file uses.
func interpolate(value string, env map[string]string) (string, error) {
	var missing error
	out := composeVariable.ReplaceAllStringFunc(value, func(v string) string {
		m := composeVariable.FindStringSubmatch(v)
		name, op, arg := m[1], m[2], m[3]
		if got := env[name]; got != "" {
			return got
		}
		switch op {
		case "-":
			return arg
		case "?":
			missing = fmt.Errorf("%s: %s", name, arg)
		}
		return ""
	})
	return out, missing
}

// The two shard processes compose.yaml runs start with the configs it
// mounts and the environment it sets: PostgreSQL, two shards in all, one
// each, /healthz where Docker and the published port look for it.
func TestDeployComposeShardConfigs(t *testing.T) {
	services := readCompose(t)
	if _, ok := services["postgres"]; !ok {
		t.Fatal("compose.yaml has no postgres service")
	}
	env := map[string]string{bot.TokenEnv: "test-token"}
	for shard := range 2 {
		name := fmt.Sprintf("kindred-%d", shard)
		t.Run(name, func(t *testing.T) {
			svc, ok := services[name]
			if !ok {
				t.Fatalf("compose.yaml has no %s service", name)
			}
			if svc.Build != "." {
				t.Errorf("build = %q, want the Dockerfile beside compose.yaml (.)", svc.Build)
			}
			mount := fmt.Sprintf("./deploy/shard-%d.yaml:/etc/kindred/config.yaml:ro", shard)
			if !reflect.DeepEqual(svc.Volumes, []string{mount}) {
				t.Errorf("volumes = %q, want only %q", svc.Volumes, mount)
			}
			if svc.DependsOn["postgres"].Condition != "service_healthy" || svc.Restart != "unless-stopped" || svc.StopGracePeriod != "30s" {
				t.Errorf("depends_on %+v, restart %q, stop_grace_period %q; want postgres healthy, unless-stopped, 30s",
					svc.DependsOn, svc.Restart, svc.StopGracePeriod)
			}
			if _, err := interpolate(svc.Environment[bot.TokenEnv], nil); err == nil {
				t.Errorf("%s starts without %s", name, bot.TokenEnv)
			}
			set := map[string]string{}
			for k, v := range svc.Environment {
				got, err := interpolate(v, env)
				if err != nil {
					t.Fatalf("environment %s: %v", k, err)
				}
				set[k] = got
			}
			u, err := url.Parse(set[bot.DatabaseURLEnv])
			if err != nil || u.Hostname() != "postgres" {
				t.Errorf("%s does not name the postgres service (%v)", bot.DatabaseURLEnv, err)
			}

			cfg, err := bot.LoadConfig(fmt.Sprintf("deploy/shard-%d.yaml", shard), true, func(k string) string { return set[k] })
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.Database.Postgres() || cfg.Discord.ShardCount != 2 || !reflect.DeepEqual(cfg.Discord.ShardIDs, []int{shard}) {
				t.Errorf("PostgreSQL %v, shard_count %d, shard_ids %v; want PostgreSQL, 2, [%d]",
					cfg.Database.Postgres(), cfg.Discord.ShardCount, cfg.Discord.ShardIDs, shard)
			}
			if cfg.HTTP.Listen != "0.0.0.0:8080" || cfg.Log.Format != "json" {
				t.Errorf("http.listen %q, log.format %q; want 0.0.0.0:8080 (reachable from outside the container), json",
					cfg.HTTP.Listen, cfg.Log.Format)
			}
			data, _ := os.ReadFile(fmt.Sprintf("deploy/shard-%d.yaml", shard))
			if strings.Contains(string(data), "postgres://") || strings.Contains(string(data), "token:") {
				t.Error("the config file holds a secret: the token and the database URL belong in the environment")
			}
		})
	}
	if ports := services["kindred-0"].Ports; !reflect.DeepEqual(ports, []string{"127.0.0.1:8080:8080"}) {
		t.Errorf("kindred-0 ports = %q, want its 8080 on loopback only", ports)
	}
	if ports := services["kindred-1"].Ports; len(ports) > 0 {
		t.Errorf("kindred-1 publishes %q; only kindred-0 should", ports)
	}
}

// The image checks its own health with kindred healthcheck, on the config
// compose.yaml mounts, and runs Kindred on the same file as a non-root user.
func TestDeployDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := strings.ReplaceAll(string(data), "\\\n", " ") // continuation lines joined
	const config = `"--config","/etc/kindred/config.yaml"`
	for _, want := range []string{
		`CMD ["/usr/local/bin/kindred","healthcheck",` + config + `]`,
		`ENTRYPOINT ["/usr/local/bin/kindred"]`,
		`CMD [` + config + `]`,
		"COPY --from=build /out/kindred /usr/local/bin/kindred",
		"USER kindred",
		"EXPOSE 8080",
	} {
		if !strings.Contains(dockerfile, want) {
			t.Errorf("the Dockerfile does not say %s", want)
		}
	}
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .* CMD \["/usr/local/bin/kindred","healthcheck"`).MatchString(dockerfile) {
		t.Error("the Dockerfile's HEALTHCHECK does not run kindred healthcheck")
	}
	for name, svc := range readCompose(t) {
		for _, v := range svc.Volumes {
			if strings.Contains(v, "/etc/kindred/") && !strings.Contains(v, ":/etc/kindred/config.yaml:") {
				t.Errorf("%s mounts %q: the image reads /etc/kindred/config.yaml", name, v)
			}
		}
	}
}
