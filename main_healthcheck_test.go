package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
)

// healthz stands in for a running Kindred's /healthz, answering status
// with Kindred's kind of body.
func healthz(t *testing.T, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		if status != http.StatusOK {
			w.WriteHeader(status)
			fmt.Fprintln(w, "gateway shard 1 not connected (reconnecting)")
		} else {
			fmt.Fprintln(w, "ok")
		}
		fmt.Fprintln(w, "gateway shard 0 of 2: connected")
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// The port of a server that has stopped: nothing answers there.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

// kindred healthcheck answers for the Kindred its config describes: 0 while
// /healthz is 200, 1 while it is anything else or silent, 2 when there is
// nothing to ask. It prints what /healthz said, and needs no token.
func TestHealthcheck(t *testing.T) {
	ok := healthz(t, http.StatusOK)
	_, okPort, _ := net.SplitHostPort(ok)
	down := healthz(t, http.StatusServiceUnavailable)
	// Stands in for a Kindred that stopped answering: it waits until
	// the caller gives up.
	stuck := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer stuck.Close()

	listen := func(addr string) string {
		return writeFile(t, "config.yaml", "http:\n  listen: \""+addr+"\"\nlog:\n  format: json\n")
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"healthy", []string{"--config", listen(ok)}, 0, "ok\ngateway shard 0 of 2: connected\n", ""},
		{"listening on every IPv4 address", []string{"--config", listen("0.0.0.0:" + okPort)}, 0, "ok\n", ""},
		{"listening on every address", []string{"--config", listen(":" + okPort)}, 0, "ok\n", ""},
		{"unhealthy", []string{"--config", listen(down)}, 1, "gateway shard 1 not connected (reconnecting)\ngateway shard 0 of 2: connected\n", "answered 503 Service Unavailable"},
		{"nothing listening", []string{"--config", listen("127.0.0.1:" + closedPort(t))}, 1, "", "cannot reach http://127.0.0.1:"},
		{"no answer in time", []string{"--config", listen(stuck.Listener.Addr().String()), "--timeout", "100ms"}, 1, "", "/healthz within 100ms\n"},
		{"http.listen empty", []string{"--config", listen("")}, 2, "", "kindred healthcheck: http.listen is empty: nothing to check\n"},
		{"missing config", []string{"--config", t.TempDir() + "/nope.yaml"}, 2, "", "does not exist"},
		{"invalid config", []string{"--config", writeFile(t, "c.yaml", "http:\n  lisen: 127.0.0.1:8080\n")}, 2, "", "unknown key http.lisen"},
		{"zero timeout", []string{"--config", listen(ok), "--timeout", "0s"}, 2, "", "want a positive duration"},
		{"stray argument", []string{"now"}, 2, "", `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			noToken := func(string) string { return "" }
			code := run(context.Background(), append([]string{"healthcheck"}, tt.args...), noToken, &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if !strings.HasPrefix(stdout.String(), tt.wantStdout) || (tt.wantStdout == "" && stdout.Len() > 0) {
				t.Errorf("stdout = %q, want it to begin %q", stdout.String(), tt.wantStdout)
			}
			if tt.wantStderr == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.wantStderr)
			}
			if strings.Contains(stderr.String(), bot.TokenEnv) {
				t.Errorf("the health check asked for a token: %q", stderr.String())
			}
		})
	}
}

// Against a real Kindred: connected to the fake Discord, it is healthy, and
// kindred healthcheck prints what its /healthz says of each shard.
func TestHealthcheckAgainstKindred(t *testing.T) {
	fake := discordsim.New(discordsim.Options{})
	defer fake.Close()
	cfg, err := bot.LoadConfig(writeFile(t, "kindred.yaml", "discord:\n  api_url: "+fake.URL()+"\ndatabase:\n  path: "+
		filepath.Join(t.TempDir(), "kindred.db")+"\nhttp:\n  listen: 127.0.0.1:0\n"), true,
		func(k string) string {
			if k == bot.TokenEnv {
				return fake.Token()
			}
			return ""
		})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- bot.Run(ctx, cfg, bot.Options{LogOutput: io.Discard, Started: func(addr string) { started <- addr }})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var addr string
	select {
	case addr = <-started:
	case err := <-done:
		t.Fatalf("Kindred stopped before it started: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Kindred did not start within 30 s")
	}
	var stdout, stderr bytes.Buffer
	config := writeFile(t, "healthcheck.yaml", "http:\n  listen: \""+addr+"\"\n")
	code := run(context.Background(), []string{"healthcheck", "--config", config}, func(string) string { return "" }, &stdout, &stderr)
	if code != 0 || stdout.String() != "ok\ngateway shard 0 of 1: connected\n" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and every shard connected", code, stdout.String(), stderr.String())
	}
}
