// Package testdb gives each test its own migrated PostgreSQL database,
// cloned from a template that is migrated once per schema version, with
// connections as the schema owner and as the application role.
//
// It needs DATABASE_URL (a role that may create databases and roles); `make
// test` starts the project-local server and sets it. With
// ONBOARDIQ_TEST_CITUS set, DATABASE_URL is a superuser on a Citus
// coordinator and every database is distributed over its nodes (citus.go);
// `make test-citus` runs the Citus suite so.
package testdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"

	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/secret"
)

// AppPassword is the application role's password in test databases.
const AppPassword = "onboardiq-test"

// SecretKey is the ONBOARDIQ_SECRET_KEY of tests: a fixed key, in base64,
// that the App pools seal and open webhook secrets with.
const SecretKey = "b25ib2FyZGlxIHRlc3Qgc2VjcmV0IGtleSAzMiBieXQ="

// Keyring returns the keyring of SecretKey.
func Keyring() *secret.Keyring {
	k, err := base64.StdEncoding.DecodeString(SecretKey)
	if err != nil {
		panic(err)
	}
	ring, err := secret.NewKeyring([][]byte{k})
	if err != nil {
		panic(err)
	}
	return ring
}

// ownerRole is the schema owner of test databases. It is not a superuser,
// as in production: row-level security is forced on it too. It creates
// the application role.
var ownerRole = pgtestdb.Role{
	Username:     "onboardiq_owner",
	Password:     "onboardiq-owner",
	Capabilities: "NOSUPERUSER NOCREATEDB CREATEROLE",
}

// DB is one test's database.
type DB struct {
	OwnerURL string // the schema owner, as migrate connects
	AppURL   string // the application role, as serve connects
	SuperURL string // DATABASE_URL's role (a superuser) on this database
	App      *postgres.DB
}

// Open opens another application-role pool on the database, with the test
// keyring and opts (a webhook guard that lets loopback receivers in, say);
// it is closed when t ends.
func (d *DB) Open(t testing.TB, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), d.AppURL, append([]postgres.Option{postgres.WithSecrets(Keyring())}, opts...)...)
	if err != nil {
		t.Fatalf("open app pool: %v", err)
	}
	Cleanup(t, db.Close)
	return db
}

// Cleanup registers f to run when t ends, like t.Cleanup, and lets go of f
// (and so of what it closes) once it has run. The testing package keeps a
// finished subtest's cleanup functions reachable until its parent ends, so
// a table of a thousand parallel subtests that each close a server or a
// pool with t.Cleanup keeps a thousand of them in memory.
func Cleanup(t testing.TB, f func()) {
	held := &f
	t.Cleanup(func() {
		(*held)()
		*held = nil
	})
}

// New returns a fresh database for t, migrated and with the application
// role's pool open. It is dropped when t passes.
func New(t testing.TB) *DB {
	t.Helper()
	return newDB(t, migrator{})
}

// Fixture loads data into a template database through the application
// role. Every test database made from it starts with that data, so a
// fixture runs once however many tests use it.
type Fixture struct {
	Name string // changes to the fixture's code need a new name
	Load func(ctx context.Context, app *postgres.DB) error
}

// WithFixture is New with f's data loaded.
func WithFixture(t testing.TB, f Fixture) *DB {
	t.Helper()
	return newDB(t, migrator{fixture: &f})
}

func newDB(t testing.TB, m migrator) *DB {
	t.Helper()
	if Citus() {
		return newCitusDB(t, m)
	}
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		t.Fatal("DATABASE_URL is not set: run the tests with `make test`, which starts the project-local PostgreSQL, or point DATABASE_URL at a PostgreSQL >= 15 with pgvector")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("DATABASE_URL: %v", err)
	}
	pw, _ := u.User.Password()
	conf := pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   pw,
		Database:   u.Path[1:],
		Options:    u.RawQuery,
		// The owner is not a superuser, as in production: row-level
		// security is forced on it too. It creates the application role.
		TestRole: &ownerRole,
	}
	if conf.Port == "" {
		conf.Port = "5432"
	}
	db := pgtestdb.Custom(t, conf, m)
	d := &DB{OwnerURL: db.URL()}
	su := *u
	su.Path = "/" + db.Database
	d.SuperURL = su.String()
	app := *db
	app.User, app.Password = postgres.DefaultAppRole, AppPassword
	d.AppURL = app.URL()
	d.App, err = postgres.Open(context.Background(), d.AppURL, postgres.WithSecrets(Keyring()))
	if err != nil {
		t.Fatalf("open app pool: %v", err)
	}
	Cleanup(t, d.App.Close)
	return d
}

// migrator migrates template databases with the real `onboardiq migrate`,
// then loads the fixture, if any.
type migrator struct{ fixture *Fixture }

func (m migrator) Hash() (string, error) {
	h := sha256.New()
	h.Write([]byte("onboardiq-testdb-v1"))
	if m.fixture != nil {
		h.Write([]byte("fixture:" + m.fixture.Name))
	}
	err := fs.WalkDir(postgres.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(postgres.Migrations(), path)
		h.Write([]byte(path))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func (m migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	return m.migrate(ctx, conf.URL())
}

// migrate migrates the database that owner names, as that role, then loads
// the fixture through the application role.
func (m migrator) migrate(ctx context.Context, owner string) error {
	if err := postgres.Migrate(ctx, owner, postgres.MigrateOptions{AppPassword: AppPassword}); err != nil {
		return err
	}
	if m.fixture == nil {
		return nil
	}
	u, err := url.Parse(owner)
	if err != nil {
		return err
	}
	u.User = url.UserPassword(postgres.DefaultAppRole, AppPassword)
	app, err := postgres.Open(ctx, u.String(), postgres.WithSecrets(Keyring()))
	if err != nil {
		return err
	}
	defer app.Close()
	if err := m.fixture.Load(ctx, app); err != nil {
		return fmt.Errorf("load fixture %s: %w", m.fixture.Name, err)
	}
	return nil
}
