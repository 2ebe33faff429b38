package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/internal/pgtest"
	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

// The cluster tests run Kindred as several real OS processes (this test
// binary acting as kindred) on one PostgreSQL schema and one fake Discord,
// one gateway shard each, as an operator deploys it past one process. They
// kill and restart processes while members use commands and scheduled DMs
// fall due, and check what members would see: every interaction answered
// once, every DM sent once, nothing left behind.

const (
	clusterShards    = 3
	clusterPerShard  = 3  // servers on each shard
	clusterMembers   = 10 // members of each server
	clusterRateLimit = 500
)

// clusterGuilds returns perShard servers on each shard of shards: their
// ids are picked so that (id >> 22) % shards is the shard.
func clusterGuilds(shards, perShard, members int) [][]discordsim.Guild {
	out := make([][]discordsim.Guild, shards)
	const first = int64(910000000000000000)
	for n := int64(0); ; n++ {
		id := strconv.FormatInt(first+n<<22, 10)
		sh := discordsim.ShardOf(id, shards)
		if len(out[sh]) == perShard {
			full := true
			for _, gs := range out {
				full = full && len(gs) == perShard
			}
			if full {
				return out
			}
			continue
		}
		i := sh*perShard + len(out[sh])
		g := discordsim.Guild{ID: id, Name: "Circle " + strconv.Itoa(i)}
		g.Channels = []discordsim.Channel{{ID: strconv.Itoa(920000000000000000 + i), Name: "general", Topic: "Talk"}}
		for m := range members {
			uid := strconv.Itoa(930000000000000000 + i*100 + m)
			g.Members = append(g.Members, discordsim.Member{User: discordsim.User{ID: uid, Username: "member" + strconv.Itoa(i*100+m)}})
		}
		g.OwnerID = g.Members[0].User.ID
		out[sh] = append(out[sh], g)
	}
}

// cluster is the fake Discord, the database and the processes, one per
// shard, with the round-robin balancer in front of their HTTP endpoints.
type cluster struct {
	t         testing.TB
	shards    int
	rateLimit int
	jobs      int // DM jobs enqueued so far
	fake      *discordsim.Server
	dbURL     string
	db        *storage.DB
	guilds    [][]discordsim.Guild // by shard
	http      bool                 // interactions over the HTTP endpoint
	dir       string
	lb        *roundRobin

	mu    sync.Mutex
	procs []*clusterProcess // by shard: the one running it now
	all   []*clusterProcess // every process started, for the logs
}

type clusterProcess struct {
	shard  int
	cmd    *exec.Cmd
	stderr *kindredtest.SyncBuffer
	addr   string // http.listen, as it logged it
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// newCluster starts the processes of shards shards, one each, and returns
// once they serve and share the rate limit.
func newCluster(t testing.TB, shards int, overHTTP bool) *cluster {
	return newClusterLimited(t, shards, overHTTP, clusterRateLimit)
}

// newClusterLimited is newCluster for a bot whose global rate limit is
// rateLimit requests per second.
func newClusterLimited(t testing.TB, shards int, overHTTP bool, rateLimit int) *cluster {
	pgtest.Require(t)
	guilds := clusterGuilds(shards, clusterPerShard, clusterMembers)
	fake := discordsim.New(discordsim.Options{
		Shards: shards,
		// Every shard has a rate-limit key of its own, so the three
		// processes may identify at once.
		MaxConcurrency: 16,
		// A bot whose limit Discord raised; the processes share it.
		RateLimit: &discordsim.RateLimit{GlobalPerSecond: rateLimit},
	})
	t.Cleanup(fake.Close)
	for _, gs := range guilds {
		for _, g := range gs {
			fake.AddGuild(g)
		}
	}
	c := &cluster{t: t, shards: shards, rateLimit: rateLimit, fake: fake, dbURL: pgtest.NewSchema(t), guilds: guilds, http: overHTTP, dir: t.TempDir(),
		procs: make([]*clusterProcess, shards)}
	db, err := storage.OpenPostgres(context.Background(), c.dbURL, storage.MinPostgresConnections)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c.db = db
	if overHTTP {
		c.lb = &roundRobin{c: c, client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}}
		srv := &http.Server{Handler: c.lb}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		fake.DeliverOverHTTP("http://" + ln.Addr().String() + "/interactions")
	}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, p := range c.all {
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			for i, p := range c.all {
				t.Logf("process %d (shard %d) log, last 4000 bytes:\n%s", i, p.shard, tail(p.stderr.String(), 4000))
			}
		}
	})
	errs := make([]error, shards)
	var wg sync.WaitGroup
	for shard := range shards {
		wg.Go(func() { _, errs[shard] = c.launch(shard) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	c.waitShare(shards)
	return c
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

var servingAddr = regexp.MustCompile(`msg="kindred is serving".* http=(\S+)`)

// start runs the process of shard and returns once it serves; it becomes
// the shard's process.
func (c *cluster) start(shard int) *clusterProcess {
	c.t.Helper()
	p, err := c.launch(shard)
	if err != nil {
		c.t.Fatal(err)
	}
	return p
}

// launch is start for any goroutine: it returns what went wrong rather
// than end the test.
func (c *cluster) launch(shard int) (*clusterProcess, error) {
	config := filepath.Join(c.dir, fmt.Sprintf("shard-%d-%d.yaml", shard, time.Now().UnixNano()))
	yaml := fmt.Sprintf("discord:\n  api_url: %s\n  shard_count: %d\n  shard_ids: [%d]\n  global_rate_limit: %d\n",
		c.fake.URL(), c.shards, shard, c.rateLimit)
	if c.http {
		yaml += "  public_key: " + c.fake.InteractionsPublicKey() + "\n"
	}
	yaml += "database:\n  url: " + c.dbURL + "\n  max_connections: 6\nhttp:\n  listen: 127.0.0.1:0\n"
	if c.http {
		yaml += "  interactions_path: /interactions\n"
	}
	yaml += "log:\n  level: info\n"
	if err := os.WriteFile(config, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "KINDRED_TEST_ARGS=--config "+config, bot.TokenEnv+"="+c.fake.Token())
	p := &clusterProcess{shard: shard, cmd: cmd, stderr: &kindredtest.SyncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.all = append(c.all, p)
	c.mu.Unlock()
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if m := servingAddr.FindStringSubmatch(p.stderr.String()); m != nil {
			p.addr = m[1]
			break
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("shard %d's process exited before serving: %v", shard, p.err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("shard %d's process did not serve within 2 minutes", shard)
		}
	}
	c.mu.Lock()
	c.procs[shard] = p
	c.mu.Unlock()
	return p, nil
}

// waitShare waits until every running process has counted live processes
// sharing the global limit, so none sends at the whole limit.
func (c *cluster) waitShare(live int) {
	c.t.Helper()
	if live == 1 {
		return // a process starts alone with the whole limit
	}
	want := "processes=" + strconv.Itoa(live)
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range c.running() {
		for !strings.Contains(p.stderr.String(), want) {
			if time.Now().After(deadline) {
				c.t.Fatalf("shard %d's process never counted %d processes", p.shard, live)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (c *cluster) running() []*clusterProcess {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*clusterProcess
	for _, p := range c.procs {
		if p != nil {
			out = append(out, p)
		}
	}
	return out
}

func (c *cluster) process(shard int) *clusterProcess {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.procs[shard]
}

// kill ends shard's process with SIGKILL: no shutdown, no goodbye.
func (c *cluster) kill(shard int) {
	p := c.process(shard)
	c.mu.Lock()
	c.procs[shard] = nil
	c.mu.Unlock()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// signal sends sig to shard's process.
func (c *cluster) signal(shard int, sig syscall.Signal) {
	c.t.Helper()
	if err := c.process(shard).cmd.Process.Signal(sig); err != nil {
		c.t.Errorf("signal %v to shard %d's process: %v", sig, shard, err)
	}
}

// stop ends shard's process with SIGTERM and checks it stopped cleanly.
func (c *cluster) stop(shard int) {
	c.t.Helper()
	p := c.process(shard)
	c.mu.Lock()
	c.procs[shard] = nil
	c.mu.Unlock()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			c.t.Errorf("shard %d's process exited with %v after SIGTERM", shard, p.err)
		}
	case <-time.After(30 * time.Second):
		c.t.Fatalf("shard %d's process did not stop within 30 s of SIGTERM", shard)
	}
}

// roundRobin is the test's load balancer in front of the processes' HTTP
// endpoints: each request goes to the next running process. A request
// whose connection is refused (the process is gone) goes to the next one;
// any other failure is the caller's, as in a proxy that does not resend a
// request a backend may have acted on.
type roundRobin struct {
	c    *cluster
	next atomic.Int64
	// client dials anew for every request, so a request to a process that
	// is gone fails at connect, before anything was sent.
	client *http.Client
}

func (lb *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for range lb.c.shards * 2 {
		procs := lb.c.running()
		if len(procs) == 0 {
			break
		}
		p := procs[int(lb.next.Add(1))%len(procs)]
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+p.addr+r.URL.Path, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := lb.client.Do(req)
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			continue
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
		resp.Body.Close()
		return
	}
	http.Error(w, "no backend", http.StatusBadGateway)
}

// sent is one interaction a member sent and where it went.
type sent struct {
	shard   int
	at      time.Time
	pending *discordsim.Pending
	mood    int
}

// members sends count /checkin commands, one every gap, round the servers of
// every shard, and returns them. A command sent while its shard has no
// session is sent again shortly (the member tries again); it is not lost,
// since Discord never delivered it.
func (c *cluster) members(count int, gap time.Duration) []sent {
	c.t.Helper()
	out := make([]sent, count)
	var wg sync.WaitGroup
	tick := time.NewTicker(gap)
	defer tick.Stop()
	for k := range count {
		<-tick.C
		shard := k % c.shards
		g := c.guilds[shard][(k/c.shards)%clusterPerShard]
		user := g.Members[(k/(c.shards*clusterPerShard))%clusterMembers].User.ID
		mood := k%5 + 1
		wg.Go(func() { out[k] = c.send(shard, g.ID, user, mood) })
	}
	wg.Wait()
	return out
}

func (c *cluster) send(shard int, guildID, userID string, mood int) sent {
	deadline := time.Now().Add(90 * time.Second)
	for {
		i, err := c.fake.BuildCommand(guildID, userID, "/checkin mood:"+strconv.Itoa(mood))
		if err != nil {
			c.t.Error(err)
			return sent{}
		}
		at := time.Now()
		p, err := c.fake.Start(i)
		if errors.Is(err, discordsim.ErrNotConnected) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			c.t.Errorf("dispatch on shard %d: %v", shard, err)
			return sent{}
		}
		return sent{shard: shard, at: at, pending: p, mood: mood}
	}
}

// answers waits for every interaction's answer and checks that each was
// answered exactly once, except those in flight on a process that died
// (lostOK): those are answered at most once, and returned.
func (c *cluster) answers(all []sent, lostOK func(sent) bool) (answered int, lost []sent) {
	c.t.Helper()
	for _, s := range all {
		if s.pending == nil {
			continue
		}
		r, err := s.pending.Wait(15 * time.Second)
		n := s.pending.Callbacks()
		switch {
		case n > 1:
			c.t.Errorf("an interaction on shard %d was answered %d times", s.shard, n)
		case err != nil && lostOK(s):
			lost = append(lost, s)
		case err != nil:
			c.t.Errorf("an interaction on shard %d sent at %v went unanswered: %v", s.shard, s.at.Format("15:04:05.000"), err)
		case !r.Ephemeral() || !strings.HasPrefix(r.Text(), "Checked in:"):
			c.t.Errorf("an interaction on shard %d got %q, want its check-in saved, privately", s.shard, r.Text())
		default:
			answered++
		}
	}
	return answered, lost
}

// dmJobs enqueues count DMs to the servers' members, due evenly over
// window from now, and returns their texts.
func (c *cluster) dmJobs(count int, window time.Duration) []string {
	c.t.Helper()
	start := time.Now()
	texts := make([]string, count)
	jobs := make([]storage.NewJob, count)
	var members []discordsim.Member
	var guildOf []string
	for _, gs := range c.guilds {
		for _, g := range gs {
			members = append(members, g.Members...)
			for range g.Members {
				guildOf = append(guildOf, g.ID)
			}
		}
	}
	for k := range count {
		n := c.jobs + k
		m := n % len(members)
		texts[k] = fmt.Sprintf("Cluster DM %d", n)
		jobs[k] = storage.NewJob{
			Kind: "dm", GuildID: guildOf[m], UserID: members[m].User.ID,
			DedupeKey: "cluster-test:" + strconv.Itoa(n),
			RunAt:     start.Add(window * time.Duration(k) / time.Duration(count)),
			Payload:   map[string]string{"user_id": members[m].User.ID, "guild_id": guildOf[m], "content": texts[k]},
		}
	}
	if n, err := c.db.EnqueueMany(context.Background(), jobs); err != nil || n != count {
		c.t.Fatalf("enqueue: %d, %v", n, err)
	}
	c.jobs += count
	return texts
}

// pairingRounds gives every server a group whose members all take part in
// buddy pairing, with its first round due at at: each round opens a
// private thread per pair, adds the pair and posts their introduction.
func (c *cluster) pairingRounds(at time.Time) {
	c.t.Helper()
	ctx := context.Background()
	weekly, err := scheduler.ParseRepeat("weekly")
	if err != nil {
		c.t.Fatal(err)
	}
	rec, err := scheduler.NewRecurrence(weekly, at, time.UTC)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, gs := range c.guilds {
		for _, g := range gs {
			owner := g.Members[0].User.ID
			group, err := c.db.CreateGroup(ctx, storage.Group{GuildID: g.ID, Name: "Circle", Description: "A circle", Type: "other",
				ChannelID: g.Channels[0].ID, Facilitation: "peer-led", Timezone: "UTC", CreatedBy: owner}, time.Now())
			if err != nil {
				c.t.Fatal(err)
			}
			for _, m := range g.Members {
				if err := c.db.JoinGroup(ctx, group.ID, m.User.ID, time.Now()); err != nil {
					c.t.Fatal(err)
				}
				if _, err := c.db.JoinPairing(ctx, group.ID, m.User.ID, time.Now()); err != nil {
					c.t.Fatal(err)
				}
			}
			err = c.db.ConfigurePairing(ctx, storage.PairingSettings{GroupID: group.ID, Recurrence: rec.Encode(), Size: 2, FollowupDays: 3,
				UpdatedBy: owner, UpdatedAt: time.Now()}, storage.NewJob{
				Kind: "pairing.round", GuildID: g.ID, DedupeKey: storage.PairingRoundJobKey(group.ID, at), RunAt: at,
				Payload: map[string]any{"guild_id": g.ID, "group_id": group.ID, "at": at.Unix()},
			})
			if err != nil {
				c.t.Fatal(err)
			}
		}
	}
}

// checkPairs checks what the pairing rounds left for members to see:
// every member is in exactly one buddy thread, which has one
// introduction. A thread a run cut short opened but never recorded has no
// members and is seen by no one (moderators aside); it is only counted.
func (c *cluster) checkPairs() (orphans int) {
	c.t.Helper()
	for _, gs := range c.guilds {
		for _, g := range gs {
			in := map[string]int{}
			// The owner sees every private thread of the server.
			for _, ch := range c.fake.VisibleChannels(g.OwnerID) {
				if ch.GuildID != g.ID || !ch.IsThread() || !strings.HasPrefix(ch.Name, "Buddies") {
					continue
				}
				members := 0
				for _, u := range c.fake.ThreadMembers(ch.ID) {
					if u != c.fake.BotUserID() {
						in[u]++
						members++
					}
				}
				intros := 0
				for _, msg := range c.fake.Messages(ch.ID) {
					if strings.Contains(msg.Content, "you're buddies this round") {
						intros++
					}
				}
				switch {
				case members == 0 && intros == 0:
					orphans++
				case intros != 1:
					c.t.Errorf("buddy thread %s of %s has %d members and %d introductions, want 1", ch.Name, g.Name, members, intros)
				}
			}
			for _, m := range g.Members {
				if n := in[m.User.ID]; n != 1 {
					c.t.Errorf("member %s of %s is in %d buddy threads, want 1", m.User.ID, g.Name, n)
				}
			}
		}
	}
	return orphans
}

// withConn runs do on a connection of its own to the cluster's schema.
func (c *cluster) withConn(do func(ctx context.Context, conn *pgx.Conn) error) {
	c.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dbURL)
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := do(ctx, conn); err != nil {
		c.t.Fatal(err)
	}
}

// count runs one counting query against the cluster's schema.
func (c *cluster) count(query string, args ...any) (n int) {
	c.t.Helper()
	c.withConn(func(ctx context.Context, conn *pgx.Conn) error {
		return conn.QueryRow(ctx, query, args...).Scan(&n)
	})
	return n
}

// claimedJobs returns the ids of the jobs whose lease has not run out.
func (c *cluster) claimedJobs() (ids []int64) {
	c.t.Helper()
	c.withConn(func(ctx context.Context, conn *pgx.Conn) error {
		rows, err := conn.Query(ctx, `SELECT id FROM jobs WHERE locked_until > $1`, time.Now().UnixMilli())
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		return err
	})
	return ids
}

// waitJobsDone waits until no job of the test is left, and returns when.
func (c *cluster) waitJobsDone(timeout time.Duration) time.Time {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := c.count(`SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'cluster-test:%'`)
		if left == 0 {
			return time.Now()
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%d DM jobs still not done after %v", left, timeout)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkDMs checks that every text arrived exactly once, in its member's
// DMs.
func (c *cluster) checkDMs(texts []string) {
	c.t.Helper()
	seen := map[string]int{}
	for _, gs := range c.guilds {
		for _, g := range gs {
			for _, m := range g.Members {
				ch := c.fake.DMChannelID(m.User.ID)
				if ch == "" {
					continue
				}
				for _, msg := range c.fake.Messages(ch) {
					seen[msg.Content]++
				}
			}
		}
	}
	missing, twice := 0, 0
	for _, text := range texts {
		switch seen[text] {
		case 0:
			missing++
		case 1:
		default:
			twice++
		}
	}
	if missing > 0 || twice > 0 {
		c.t.Errorf("of %d DMs, %d never arrived and %d arrived more than once", len(texts), missing, twice)
	}
	if n := c.count(`SELECT count(*) FROM jobs_failed`); n != 0 {
		c.t.Errorf("%d jobs failed", n)
	}
}

// globalLimitHits counts the requests the fake refused for the global rate
// limit: the processes' shares must keep the bot under it together.
func (c *cluster) globalLimitHits() int {
	n := 0
	for _, r := range c.fake.Requests() {
		if r.Status == http.StatusTooManyRequests && bytes.Contains(r.Response, []byte(`"global":true`)) {
			n++
		}
	}
	return n
}

// TestClusterKill: three processes, one shard each, 600 check-ins over
// 30 s on every shard and 3,000 DMs falling due in the same 30 s. A
// process is killed with SIGKILL a third of the way in and its supervisor
// starts it again 2 s later. Every interaction Discord delivered is
// answered once, but for those the dead process held (which Discord, too,
// would leave unanswered: the member tries again); every DM arrives once;
// the dead process's jobs are done within their lease and a few seconds;
// nothing is left claimed.
func TestClusterKill(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"gateway", "http"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, clusterShards, transport == "http")
			const victim = 1
			texts := c.dmJobs(3000, 30*time.Second)
			c.pairingRounds(time.Now().Add(10 * time.Second))
			var frozenAt, killedAt time.Time
			var claimedAtKill []int64
			// Members keep sending while the test kills; members only
			// report errors, so they may run on a goroutine of their own.
			var all []sent
			sending := make(chan struct{})
			go func() { defer close(sending); all = c.members(600, 50*time.Millisecond) }()
			t.Cleanup(func() { <-sending }) // a test that stops early still waits for them
			time.Sleep(10 * time.Second)
			// Kill the victim while it holds jobs: freeze it, and once the
			// others' jobs in flight are done, what is still claimed is its
			// own; if it holds none, let it go on.
			for range 50 {
				frozenAt = time.Now()
				c.signal(victim, syscall.SIGSTOP)
				time.Sleep(300 * time.Millisecond)
				if claimedAtKill = c.claimedJobs(); len(claimedAtKill) > 0 {
					break
				}
				c.signal(victim, syscall.SIGCONT)
				time.Sleep(100 * time.Millisecond)
			}
			killedAt = time.Now()
			c.kill(victim)
			time.Sleep(2 * time.Second)
			c.start(victim)
			<-sending
			if len(claimedAtKill) == 0 {
				t.Fatal("the killed process never held a job")
			}

			// What the dead process held when it died: dispatched to it
			// within the answer window before it froze, or while it was
			// frozen (over HTTP, any shard's, as the balancer spreads them).
			held := func(s sent) bool {
				return s.at.After(frozenAt.Add(-4*time.Second)) && s.at.Before(killedAt.Add(time.Second)) &&
					(c.http || s.shard == victim)
			}
			answered, lost := c.answers(all, held)
			t.Logf("%d of %d interactions answered; %d held by the killed process", answered, len(all), len(lost))
			// The members whose check-in went unanswered try again.
			var again []sent
			for _, s := range lost {
				i := s.pending.Interaction()
				again = append(again, c.send(s.shard, i.GuildID, i.Member.User.ID, s.mood))
			}
			if n, l := c.answers(again, func(sent) bool { return false }); n != len(again) || len(l) > 0 {
				t.Errorf("tried again: %d of %d answered", n, len(again))
			}
			// A check-in the dead process saved but never confirmed is
			// there once; none is there twice.
			rows := c.count(`SELECT count(*) FROM checkins`)
			if rows < answered+len(again) || rows > answered+len(again)+len(lost) {
				t.Errorf("%d check-ins saved for %d confirmed and %d unconfirmed", rows, answered+len(again), len(lost))
			}

			// The jobs claimed at the kill, the dead process's among
			// them, are done within the lease and a few seconds.
			recovered := time.Now()
			deadline := killedAt.Add(scheduler.DefaultLease + 10*time.Second)
			for {
				left := c.count(`SELECT count(*) FROM jobs WHERE id = ANY($1)`, claimedAtKill)
				if left == 0 {
					recovered = time.Now()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of the %d jobs claimed when the process died are still not done %v after", left, len(claimedAtKill), time.Since(killedAt).Round(time.Second))
				}
				time.Sleep(250 * time.Millisecond)
			}
			finished := c.waitJobsDone(time.Minute)
			t.Logf("%d jobs claimed at the kill, all done %v after it; all 3,000 done %v after the kill", len(claimedAtKill),
				recovered.Sub(killedAt).Round(100*time.Millisecond), finished.Sub(killedAt).Round(100*time.Millisecond))
			c.checkDMs(texts)
			if orphans := c.checkPairs(); orphans > 0 {
				t.Logf("%d empty buddy threads left by a round cut short", orphans)
			}
			if ids := c.claimedJobs(); len(ids) > 0 {
				t.Errorf("%d jobs left claimed", len(ids))
			}
			if n := c.globalLimitHits(); n > 0 {
				t.Errorf("the fake refused %d requests for the global rate limit", n)
			}
			if c.http {
				c.checkSignatures()
			}
		})
	}
}

// checkSignatures sends every process a forged and a stale request: both
// are refused with 401.
func (c *cluster) checkSignatures() {
	c.t.Helper()
	i, err := c.fake.BuildCommand(c.guilds[0][0].ID, c.guilds[0][0].Members[1].User.ID, "/checkin mood:3")
	if err != nil {
		c.t.Fatal(err)
	}
	body, _ := json.Marshal(i)
	for _, p := range c.running() {
		url := "http://" + p.addr + "/interactions"
		forged, _ := c.fake.SignedRequest(context.Background(), url, body, time.Now())
		forged.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte(`"mood"`), []byte(`"mooD"`), 1)))
		stale, _ := c.fake.SignedRequest(context.Background(), url, body, time.Now().Add(-time.Minute))
		for what, req := range map[string]*http.Request{"forged": forged, "stale": stale} {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				c.t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				c.t.Errorf("a %s request to shard %d's process: %d, want 401", what, p.shard, resp.StatusCode)
			}
		}
	}
}

// TestClusterRollingRestart stops and starts each process in turn, as a
// deployment does, while members keep sending commands: none is lost.
// Over HTTP the balancer takes a process out before it stops and back once
// it serves again, so every interaction is answered by a running process.
// Over the gateway a shard is offline between its process stopping and the
// next one identifying; Discord delivers nothing to it meanwhile (the
// member's command is sent again), and everything it delivered is
// answered: a stopping process closes its gateway before it finishes its
// running handlers.
func TestClusterRollingRestart(t *testing.T) {
	t.Parallel()
	for _, transport := range []string{"gateway", "http"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, clusterShards, transport == "http")
			var all []sent
			sending := make(chan struct{})
			go func() { defer close(sending); all = c.members(400, 50*time.Millisecond) }()
			t.Cleanup(func() { <-sending }) // a test that stops early still waits for them
			for shard := range c.shards {
				time.Sleep(3 * time.Second)
				c.stop(shard)
				c.start(shard)
			}
			<-sending
			answered, _ := c.answers(all, func(sent) bool { return false })
			if answered != len(all) {
				t.Errorf("%d of %d interactions answered with the check-in saved", answered, len(all))
			}
			if rows := c.count(`SELECT count(*) FROM checkins`); rows != answered {
				t.Errorf("%d check-ins saved for %d answered", rows, answered)
			}
		})
	}
}

// BenchmarkClusterJobs runs due DM jobs with 1, 2 and 3 Kindred processes
// (real OS processes) on one PostgreSQL database, each job a DM through
// the fake Discord: the scaling curve of job throughput. The bot's global
// rate limit is set out of the way (Discord's 50 requests/s would be the
// ceiling otherwise), so what is measured is Kindred and the database.
// Every process has opened its members' DM channels before the timer
// starts. The fake and the database share the machine with the processes.
//
//	KINDRED_TEST_POSTGRES_URL=… go test . -run '^$' -bench ClusterJobs -benchtime 3000x
func BenchmarkClusterJobs(b *testing.B) {
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("processes=%d", n), func(b *testing.B) {
			c := newClusterLimited(b, n, false, 1_000_000)
			c.dmJobs(n*clusterPerShard*clusterMembers*n*2, 0)
			c.waitJobsDone(time.Minute)
			b.ResetTimer()
			start := time.Now()
			texts := c.dmJobs(b.N, 0)
			done := c.waitJobsDone(10 * time.Minute)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/done.Sub(start).Seconds(), "jobs/s")
			c.checkDMs(texts)
		})
	}
}
