package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// On the Citus cluster (ONBOARDIQ_TEST_CITUS set, DATABASE_URL a superuser
// on the coordinator's database, as `make test-citus` does) pgtestdb's clones
// do not work: a database lives on every node under one name, with the
// citus extension, which only a superuser may create, and Citus keeps
// sessions in every database that has it (docs/scaling.md). So:
//
//   - a template per process and fixture: a database of that name on every
//     node, owned by the schema owner (not a superuser, as on plain
//     PostgreSQL), with the citus extension and the nodes registered on the
//     coordinator (a superuser's part), migrated by the real Migrate as the
//     owner, the fixture loaded through the application role; then, on
//     every node, closed to connections and its sessions ended;
//   - a test's database: CREATE DATABASE … TEMPLATE on every node under one
//     name, so the copies agree on the shards and the nodes; dropped on
//     every node when the test ends, the workers first.
//
// Databases of processes that are gone (a test binary killed by a timeout)
// are dropped by the next process that builds a template.

// citusEnv turns the Citus mode on.
const citusEnv = "ONBOARDIQ_TEST_CITUS"

// Citus reports whether the tests run on the Citus cluster.
func Citus() bool { return os.Getenv(citusEnv) != "" }

// SkipOnCitus skips t on the Citus cluster, saying why.
func SkipOnCitus(t testing.TB, why string) {
	t.Helper()
	if Citus() {
		t.Skip("not on Citus: " + why)
	}
}

// RequireCitus skips t unless the tests run on the Citus cluster.
func RequireCitus(t testing.TB) {
	t.Helper()
	if !Citus() {
		t.Skip("a Citus test: `make test-citus` runs it (" + citusEnv + "=1, DATABASE_URL on the coordinator)")
	}
}

// Names of the databases this package makes on the cluster: the prefix, the
// process id (so a later process can tell a dead one's), a tail.
const (
	citusTemplatePrefix = "oiq_tpl_"
	citusTestPrefix     = "oiq_test_"
)

// citusNode is one node of the cluster, as pg_dist_node names it.
type citusNode struct {
	host, port  string
	coordinator bool
}

// citusCluster is the cluster DATABASE_URL's coordinator belongs to.
type citusCluster struct {
	admin url.URL     // DATABASE_URL: a superuser on the coordinator's database
	nodes []citusNode // the coordinator first
}

// url returns the URL of database db on node n as DATABASE_URL's role.
func (c *citusCluster) url(n citusNode, db string) string {
	u := c.admin
	u.Host = n.host + ":" + n.port
	u.Path = "/" + db
	return u.String()
}

// adminURL returns DATABASE_URL's database on node n, where databases are
// created and dropped.
func (c *citusCluster) adminURL(n citusNode) string { return c.url(n, c.admin.Path[1:]) }

var (
	citusOnce    sync.Once
	citusShared  *citusCluster
	citusErr     error
	citusMu      sync.Mutex
	citusBuilt   = map[string]*citusTemplate{} // by migrator hash
	citusCleaned sync.Once
)

// citusTemplate is a template database of this process, built once.
type citusTemplate struct {
	once sync.Once
	name string
	err  error
}

func cluster(ctx context.Context) (*citusCluster, error) {
	citusOnce.Do(func() {
		citusShared, citusErr = findCluster(ctx)
	})
	return citusShared, citusErr
}

func findCluster(ctx context.Context) (*citusCluster, error) {
	raw := os.Getenv("DATABASE_URL")
	admin, err := url.Parse(raw)
	if err != nil || len(admin.Path) < 2 {
		return nil, fmt.Errorf("DATABASE_URL %q: want a superuser on the Citus coordinator's database (`make test-citus` sets it): %v", raw, err)
	}
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("connect to the Citus coordinator: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT nodename, nodeport::text, groupid = 0 FROM pg_dist_node WHERE noderole = 'primary' ORDER BY groupid")
	if err != nil {
		return nil, fmt.Errorf("list the Citus nodes (is DATABASE_URL a Citus coordinator?): %w", err)
	}
	nodes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (citusNode, error) {
		var n citusNode
		return n, r.Scan(&n.host, &n.port, &n.coordinator)
	})
	if err != nil {
		return nil, err
	}
	if len(nodes) < 2 || !nodes[0].coordinator {
		return nil, fmt.Errorf("Citus nodes %v: want the coordinator and at least one worker registered", nodes)
	}
	return &citusCluster{admin: *admin, nodes: nodes}, nil
}

// newCitusDB is newDB on the Citus cluster.
func newCitusDB(t testing.TB, m migrator) *DB {
	t.Helper()
	ctx := context.Background()
	c, err := cluster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := c.template(ctx, m)
	if err != nil {
		t.Fatalf("citus template: %v", err)
	}
	name := citusTestPrefix + strconv.Itoa(os.Getpid()) + "_" + randomHex(6)
	// Dropped whatever the outcome: a Citus database left behind keeps a
	// maintenance worker on every node, and there are few of those.
	t.Cleanup(func() {
		if err := c.drop(context.WithoutCancel(ctx), name); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	// The nodes copy at once: each copy writes every shard's files.
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		wg.Go(func() {
			if err := c.exec(ctx, n, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s", name, tpl, ownerRole.Username)); err != nil {
				errs[i] = fmt.Errorf("create %s from %s on %s:%s: %w", name, tpl, n.host, n.port, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	d := &DB{OwnerURL: c.as(ownerRole.Username, ownerRole.Password, name), SuperURL: c.url(c.nodes[0], name),
		AppURL: c.as(postgres.DefaultAppRole, AppPassword, name)}
	d.App, err = postgres.Open(ctx, d.AppURL, postgres.WithSecrets(Keyring()))
	if err != nil {
		t.Fatalf("open app pool: %v", err)
	}
	Cleanup(t, d.App.Close)
	return d
}

// template returns this process's template for m, building it the first
// time.
func (c *citusCluster) template(ctx context.Context, m migrator) (string, error) {
	hash, err := m.Hash()
	if err != nil {
		return "", err
	}
	citusMu.Lock()
	tpl := citusBuilt[hash]
	if tpl == nil {
		tpl = &citusTemplate{name: citusTemplatePrefix + strconv.Itoa(os.Getpid()) + "_" + hash[:12]}
		citusBuilt[hash] = tpl
	}
	citusMu.Unlock()
	tpl.once.Do(func() {
		citusCleaned.Do(func() { c.dropOrphans(ctx) })
		// From the start each time: a fixture's load is not safe to run
		// twice.
		tpl.err = RetryCitusConflict(ctx, func() error { return c.build(ctx, tpl.name, m) })
	})
	return tpl.name, tpl.err
}

// build makes the template database name on every node and migrates it.
func (c *citusCluster) build(ctx context.Context, name string, m migrator) error {
	if err := c.drop(ctx, name); err != nil {
		return err
	}
	if err := c.createOwner(ctx); err != nil {
		return err
	}
	for _, n := range c.nodes {
		if err := c.exec(ctx, n, "CREATE DATABASE "+name+" OWNER "+ownerRole.Username); err != nil {
			return fmt.Errorf("create %s on %s:%s: %w", name, n.host, n.port, err)
		}
	}
	// The extension on the workers first, then the coordinator, which
	// registers them.
	for _, n := range slices.Backward(c.nodes) {
		if err := c.execOn(ctx, c.url(n, name), "CREATE EXTENSION citus"); err != nil {
			return fmt.Errorf("create extension citus on %s:%s: %w", n.host, n.port, err)
		}
	}
	coord := c.url(c.nodes[0], name)
	stmts := []string{fmt.Sprintf("SELECT citus_set_coordinator_host('%s', %s)", c.nodes[0].host, c.nodes[0].port)}
	for _, n := range c.nodes[1:] {
		stmts = append(stmts, fmt.Sprintf("SELECT citus_add_node('%[1]s', %[2]s) WHERE NOT EXISTS (SELECT FROM pg_dist_node WHERE nodename = '%[1]s' AND nodeport = %[2]s)", n.host, n.port))
	}
	if err := RetryCitusConflict(ctx, func() error { return c.execOn(ctx, coord, stmts...) }); err != nil {
		return fmt.Errorf("register the nodes: %w", err)
	}
	if err := m.migrate(ctx, c.as(ownerRole.Username, ownerRole.Password, name)); err != nil {
		return err
	}
	return c.seal(ctx, name)
}

// createOwner creates the schema owner's role, once: on the coordinator,
// which passes it on to the workers. Another test process may be creating
// it at the same moment.
func (c *citusCluster) createOwner(ctx context.Context) error {
	create := fmt.Sprintf(`
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%[1]s') THEN
        CREATE ROLE %[1]s LOGIN PASSWORD '%[2]s' %[3]s;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$`, ownerRole.Username, ownerRole.Password, ownerRole.Capabilities)
	err := RetryCitusConflict(ctx, func() error { return c.exec(ctx, c.nodes[0], create) })
	if err != nil {
		return fmt.Errorf("create the owner role: %w", err)
	}
	return nil
}

// as returns the URL of database db on the coordinator as user.
func (c *citusCluster) as(user, password, db string) string {
	u := c.admin
	u.Host = c.nodes[0].host + ":" + c.nodes[0].port
	u.Path = "/" + db
	u.User = url.UserPassword(user, password)
	return u.String()
}

// seal closes the template to connections on every node and ends the
// sessions in it (Citus's maintenance daemon, the connections between
// nodes), which PostgreSQL requires of a template; the daemon cannot come
// back.
func (c *citusCluster) seal(ctx context.Context, name string) error {
	for _, n := range c.nodes {
		if err := c.exec(ctx, n, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS false"); err != nil {
			return fmt.Errorf("close %s on %s:%s: %w", name, n.host, n.port, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, n := range c.nodes {
		for {
			conn, err := pgx.Connect(ctx, c.adminURL(n))
			if err != nil {
				return err
			}
			var left int
			err = conn.QueryRow(ctx, `
SELECT count(*) FILTER (WHERE NOT pg_terminate_backend(pid)) + count(*)
FROM pg_stat_activity WHERE datname = $1`, name).Scan(&left)
			conn.Close(ctx)
			if err != nil {
				return fmt.Errorf("end the sessions in %s on %s:%s: %w", name, n.host, n.port, err)
			}
			if left == 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s on %s:%s still has %d sessions", name, n.host, n.port, left)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// drop drops database name on every node. It is closed to connections on
// every node first: otherwise a connection between nodes (the coordinator's
// maintenance daemon reaching a worker's copy) can start that database's
// daemon again after DROP DATABASE … WITH (FORCE) ended it, and the drop
// fails on a database "being accessed by other users".
func (c *citusCluster) drop(ctx context.Context, name string) error {
	var errs []error
	for _, n := range c.nodes {
		err := c.exec(ctx, n, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS false")
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "3D000") { // not there: nothing to close
			errs = append(errs, fmt.Errorf("close %s on %s:%s: %w", name, n.host, n.port, err))
		}
	}
	for _, n := range slices.Backward(c.nodes) {
		var err error
		for attempt := 1; attempt <= 5; attempt++ {
			if err = c.exec(ctx, n, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err == nil {
				break
			}
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("drop %s on %s:%s: %w", name, n.host, n.port, err))
		}
	}
	return errors.Join(errs...)
}

// dropOrphans drops the databases of test processes that are gone, when the
// cluster runs on this machine (where a process id means something).
func (c *citusCluster) dropOrphans(ctx context.Context) {
	if h := c.nodes[0].host; h != "127.0.0.1" && h != "localhost" && h != "::1" {
		return
	}
	conn, err := pgx.Connect(ctx, c.adminURL(c.nodes[0]))
	if err != nil {
		return
	}
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'oiq\\_tpl\\_%' OR datname LIKE 'oiq\\_test\\_%'")
	var names []string
	if err == nil {
		names, _ = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	conn.Close(ctx)
	for _, name := range names {
		rest := strings.TrimPrefix(strings.TrimPrefix(name, citusTemplatePrefix), citusTestPrefix)
		pid, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, '_'), 0)])
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		_ = c.drop(ctx, name)
	}
}

// RetryCitusConflict runs fn again when it failed on a conflict with
// another database of the cluster. Roles belong to the whole server, and
// Citus copies to the workers those that a change depends on (ALTER ROLE
// there, when nodes are registered, or when migrate creates a function or
// a distributed table); two databases doing so at once make one fail
// ("tuple concurrently updated", reported from a worker as a failure on a
// connection marked as essential). fn must be safe to run again: node
// registration and migrate are all or nothing, step by step.
func RetryCitusConflict(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt == 5 || !citusConflict(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
}

func citusConflict(err error) bool {
	return strings.Contains(err.Error(), "tuple concurrently updated") || strings.Contains(err.Error(), "marked as essential")
}

// exec runs stmt in DATABASE_URL's database on node n.
func (c *citusCluster) exec(ctx context.Context, n citusNode, stmt string) error {
	return c.execOn(ctx, c.adminURL(n), stmt)
}

// execOn runs stmts, one by one, on one connection to url.
func (c *citusCluster) execOn(ctx context.Context, url string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
