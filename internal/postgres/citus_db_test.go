package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// citusDB is a database of the Citus cluster for one test.
type citusDB struct {
	// DATABASE_URL's role (a superuser) on this database, which migrate
	// connects as: on Citus, migration 00001's CREATE EXTENSION IF NOT
	// EXISTS vector fails for a role that does not own the extension
	// (docs/scaling.md), and only a superuser can create it.
	super string
	app   string // the application role

	name  string
	nodes []citusNode // the coordinator first
	admin url.URL
}

type citusNode struct {
	host, port  string
	coordinator bool
}

// on returns the URL of the database on node n as DATABASE_URL's role.
func (db citusDB) on(n citusNode) string { return db.node(n, "/"+db.name) }

// node returns the URL of the database path on node n as DATABASE_URL's role.
func (db citusDB) node(n citusNode, path string) string {
	u := db.admin
	u.Host = n.host + ":" + n.port
	u.Path = path
	return u.String()
}

// citusDatabase makes a fresh, empty database on every node of the Citus
// cluster whose coordinator DATABASE_URL names (scripts/citus.sh), and
// drops it when the test passes. With distributed, the database has the
// citus extension on every node and the nodes registered; without, it is a
// plain PostgreSQL database until enableCitus. pgtestdb's clones do not
// work on Citus (docs/scaling.md), hence this.
func citusDatabase(t *testing.T, distributed bool) citusDB {
	t.Helper()
	if os.Getenv("ONBOARDIQ_TEST_CITUS") == "" {
		t.Skip("a Citus test: `make test-citus` runs it (ONBOARDIQ_TEST_CITUS=1, DATABASE_URL on the coordinator)")
	}
	ctx := context.Background()
	admin, err := url.Parse(os.Getenv("DATABASE_URL"))
	if err != nil || admin.Path == "" {
		t.Fatalf("DATABASE_URL %q: want the Citus coordinator's database: %v", os.Getenv("DATABASE_URL"), err)
	}
	base := connect(t, admin.String())
	rows, err := base.Query(ctx, "SELECT nodename, nodeport::text, groupid = 0 FROM pg_dist_node WHERE noderole = 'primary' ORDER BY groupid")
	if err != nil {
		t.Fatalf("list the Citus nodes (is DATABASE_URL a Citus coordinator?): %v", err)
	}
	nodes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (citusNode, error) {
		var n citusNode
		return n, r.Scan(&n.host, &n.port, &n.coordinator)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) < 2 || !nodes[0].coordinator {
		t.Fatalf("Citus nodes %v: want the coordinator and at least one worker registered", nodes)
	}

	b := make([]byte, 6)
	_, _ = rand.Read(b)
	db := citusDB{name: "citus_test_" + hex.EncodeToString(b), nodes: nodes, admin: *admin}
	db.super = db.on(nodes[0])
	app := *admin
	app.User = url.UserPassword(postgres.DefaultAppRole, testdb.AppPassword)
	app.Path = "/" + db.name
	db.app = app.String()

	// On every node, from template1 (which has vector). Not through Citus's
	// propagation of CREATE DATABASE: it records the database in the
	// metadata of DATABASE_URL's database, and a dropped one left there
	// breaks citus_add_node later.
	for _, n := range nodes {
		if _, err := connect(t, db.node(n, admin.Path)).Exec(ctx, "CREATE DATABASE "+db.name); err != nil {
			t.Fatalf("create database on %s:%s: %v", n.host, n.port, err)
		}
	}
	t.Cleanup(func() {
		if !t.Failed() { // else left for a look
			db.drop(t)
		}
	})
	if distributed {
		db.enableCitus(t)
	}
	return db
}

// enableCitus creates the citus extension in the database on every node (a
// superuser's job: it is not a trusted extension), the workers first, and
// registers the nodes in the coordinator's copy.
func (db citusDB) enableCitus(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, n := range slices.Backward(db.nodes) {
		if _, err := connect(t, db.on(n)).Exec(ctx, "CREATE EXTENSION IF NOT EXISTS citus"); err != nil {
			t.Fatalf("create extension citus on %s:%s: %v", n.host, n.port, err)
		}
	}
	coord := connect(t, db.super)
	if _, err := coord.Exec(ctx, "SELECT citus_set_coordinator_host($1, $2::int)", db.nodes[0].host, db.nodes[0].port); err != nil {
		t.Fatalf("citus_set_coordinator_host: %v", err)
	}
	for _, n := range db.nodes[1:] {
		err := testdb.RetryCitusConflict(ctx, func() error {
			_, err := coord.Exec(ctx, "SELECT citus_add_node($1, $2::int)", n.host, n.port)
			return err
		})
		if err != nil {
			t.Fatalf("citus_add_node %s:%s: %v", n.host, n.port, err)
		}
	}
}

// drop drops the database on every node, the workers first, after closing
// it to connections on every node: otherwise a connection between nodes
// (the coordinator's maintenance daemon reaching a worker's copy) can start
// a daemon in it again after DROP DATABASE … WITH (FORCE) ended it, and the
// drop fails on a database "being accessed by other users".
func (db citusDB) drop(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	exec := func(n citusNode, stmt string) error {
		conn, err := pgx.Connect(ctx, db.node(n, db.admin.Path))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, stmt)
		return err
	}
	for _, n := range db.nodes {
		if err := exec(n, "ALTER DATABASE "+db.name+" ALLOW_CONNECTIONS false"); err != nil {
			t.Errorf("close %s on %s:%s: %v", db.name, n.host, n.port, err)
		}
	}
	for _, n := range slices.Backward(db.nodes) {
		var err error
		for attempt := 1; attempt <= 5; attempt++ {
			if err = exec(n, "DROP DATABASE IF EXISTS "+db.name+" WITH (FORCE)"); err == nil {
				break
			}
			time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("drop %s on %s:%s: %v", db.name, n.host, n.port, err)
		}
	}
}

// migrate runs the real migrate as DATABASE_URL's role on the database url
// names, again when it collided with another database's changes to the
// roles on the nodes (testdb.RetryCitusConflict): each migration commits
// apart, so a second run goes on from the one that failed.
func migrate(ctx context.Context, url string) error {
	return testdb.RetryCitusConflict(ctx, func() error {
		return postgres.Migrate(ctx, url, postgres.MigrateOptions{AppPassword: testdb.AppPassword})
	})
}
