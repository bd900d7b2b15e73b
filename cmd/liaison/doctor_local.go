package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
)

// The checks that need no platform: liaison.yaml, the environment that is
// not a platform's, and the database.

// configGroup loads liaison.yaml as liaison run does (LIAISON_CONFIG, which
// must exist, else ./liaison.yaml when present, else the defaults) and
// reports what config check would, one row per error.
func (d *doctor) configGroup() group {
	g := group{Name: "Config"}
	explicit := d.env.ConfigPath != ""
	d.cfgPath = firstNonEmpty(d.env.ConfigPath, "liaison.yaml")
	cfg, err := config.Load(d.cfgPath)
	var errs config.Errors
	switch {
	case err == nil:
		d.cfg = cfg
		g.ok("config.file", "liaison.yaml", fmt.Sprintf("%s is valid: timezone %s, %d Slack channel(s), %d Discord server(s), %d people, %d digest(s)",
			d.cfgPath, cfg.Timezone, len(cfg.Slack.Channels), len(cfg.Discord.Guilds), len(cfg.People), len(cfg.Digests)))
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		d.cfg = config.Default()
		g.warn("config.file", "liaison.yaml", "there is no liaison.yaml here: Liaison runs on the defaults and relays nothing",
			"copy liaison.example.yaml to liaison.yaml and edit it, or set LIAISON_CONFIG to your file's path")
	case errors.Is(err, fs.ErrNotExist):
		d.cfgErr = "LIAISON_CONFIG names a file that does not exist"
		g.fail("config.file", "liaison.yaml", fmt.Sprintf("LIAISON_CONFIG names %s, which does not exist: liaison run refuses to start", d.cfgPath),
			"create it (start from liaison.example.yaml), or point LIAISON_CONFIG at your liaison.yaml")
	case errors.As(err, &errs):
		d.cfgErr = "liaison.yaml is invalid"
		for _, e := range errs {
			where := e.File
			if e.Line > 0 {
				where = fmt.Sprintf("%s:%d", e.File, e.Line)
			}
			msg := e.Msg
			if e.Key != "" {
				msg = e.Key + ": " + e.Msg
			}
			g.fail("config.error."+cmpKey(e.Key), where, msg, fmt.Sprintf("edit %s as said, then check it again with liaison config check", where))
		}
	case isDir(d.cfgPath):
		d.cfgErr = "liaison.yaml is a directory"
		g.fail("config.file", "liaison.yaml", err.Error(), fmt.Sprintf("remove the directory %s and put your liaison.yaml there (cp liaison.example.yaml liaison.yaml)", d.cfgPath))
	default:
		d.cfgErr = "liaison.yaml cannot be read"
		g.fail("config.file", "liaison.yaml", err.Error(), "make the file readable by the user liaison runs as")
	}
	d.adminAddr(&g)
	if _, err := newLogger(io.Discard, d.env.LogLevel); err != nil {
		g.fail("config.log_level", "LIAISON_LOG_LEVEL", err.Error()+": liaison run refuses to start", "set LIAISON_LOG_LEVEL to debug, info, warn or error, or unset it")
	}
	return g
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// cmpKey makes a config key usable in a check id ("" for the whole file).
func cmpKey(key string) string {
	if key == "" {
		return "file"
	}
	return key
}

// configMissing is the row a platform group shows instead of the checks
// of liaison.yaml's references when the file could not be used.
func (d *doctor) configMissing(g *group, id string) {
	g.warn(id, "liaison.yaml", d.cfgErr+", so what it names was not checked", "fix the Config errors above (liaison doctor --only config), then run liaison doctor again")
}

// databaseGroup checks the database liaison run would open: reachable,
// migrated, and for SQLite who holds its single-process lock.
func (d *doctor) databaseGroup(ctx context.Context) (g group) {
	g = group{Name: "Database"}
	path, isSQLite, err := store.SQLiteFile(d.env.DatabaseURL)
	if err != nil {
		g.fail("database.url", "LIAISON_DATABASE_URL", err.Error(), "set LIAISON_DATABASE_URL to sqlite:PATH or postgres://…")
		return g
	}
	if isSQLite {
		defer d.sqliteLock(&g, path) // after the connection's row
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			g.warn("database.connection", "connection", fmt.Sprintf("there is no database at %s yet", path),
				"start liaison run, which creates and migrates it, or create it now with liaison migrate")
			return g
		}
	}
	octx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	db, err := store.Open(octx, d.env.DatabaseURL, store.Options{MaxOpenConns: 1})
	if err != nil {
		g.fail("database.connection", "connection", err.Error(),
			"check LIAISON_DATABASE_URL, and that the database server is up and reachable from this machine")
		return g
	}
	defer db.Close()
	facts, err := db.Server(octx)
	if err != nil {
		g.fail("database.connection", "connection", err.Error(), "check that the database user may read the server's settings")
		return g
	}
	kind := "SQLite"
	if db.Dialect() == store.Postgres {
		kind = "PostgreSQL"
	}
	g.ok("database.connection", "connection", fmt.Sprintf("%s %s at %s", kind, facts.Version, db.Describe(d.env.DatabaseURL)))
	d.migrations(octx, &g, db)
	if db.Dialect() == store.Postgres {
		postgresBudget(&g, facts)
	}
	return g
}

func (d *doctor) migrations(ctx context.Context, g *group, db *store.DB) {
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		g.fail("database.migrations", "migrations", err.Error(), "check that the database user may read the goose_db_version table")
		return
	}
	var pending []string
	latest := ""
	for _, s := range st {
		if !s.Applied {
			pending = append(pending, s.Name)
		} else {
			latest = s.Name
		}
	}
	if len(pending) > 0 {
		g.fail("database.migrations", "migrations", fmt.Sprintf("%d of %d pending: %s (/readyz answers 503 until they are applied)", len(pending), len(st), strings.Join(pending, ", ")),
			"run liaison migrate (liaison run also applies them when it starts)")
		return
	}
	g.ok("database.migrations", "migrations", fmt.Sprintf("all applied (the latest is %s)", latest))
}

// postgresBudget compares max_connections with what one more replica
// opens.
func postgresBudget(g *group, f store.ServerFacts) {
	free := f.MaxConnections - f.Reserved - f.InUse
	msg := fmt.Sprintf("max_connections %d (%d reserved for superusers), %d in use: room for %d more replica(s) of %d connections",
		f.MaxConnections, f.Reserved, f.InUse, max(free, 0)/store.DefaultPostgresConns, store.DefaultPostgresConns)
	if free < store.DefaultPostgresConns {
		g.warn("database.connections", "connections", msg,
			"raise max_connections in postgresql.conf and restart Postgres, or close other clients: a replica started now could not open its pool")
		return
	}
	g.ok("database.connections", "connections", msg)
}

// sqliteLock says who holds a SQLite file's single-process lock: nobody,
// liaison run (the normal case while the service runs), or another process
// that would keep liaison run from starting.
func (d *doctor) sqliteLock(g *group, path string) {
	st, err := store.ProbeLock(path)
	switch {
	case err != nil:
		g.warn("database.lock", "lock", err.Error(), "check the permissions of "+path+".lock")
	case !st.Held:
		g.ok("database.lock", "lock", "free: no Liaison process uses "+path)
	case st.PID == 0:
		g.warn("database.lock", "lock", fmt.Sprintf("%s is held by a process that did not record its pid", st.Path),
			"if liaison run is not running, find the holder with fuser "+st.Path+" and stop it: a liaison run started now would be refused")
	default:
		cmd := processCommand(st.PID)
		if isLiaisonRun(cmd) {
			g.ok("database.lock", "lock", fmt.Sprintf("held by pid %d (%s): the service is running", st.PID, cmd))
			return
		}
		g.warn("database.lock", "lock", fmt.Sprintf("held by pid %d (%s)", st.PID, firstNonEmpty(cmd, "a process this user cannot see")),
			fmt.Sprintf("if that is not your running liaison run, stop it (kill %d): SQLite takes one Liaison process at a time, and a liaison run started now would be refused", st.PID))
	}
}

// processCommand returns a process's command line as ps would show it, or
// "" when it cannot be read (another system, or another user's process).
func processCommand(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

func isLiaisonRun(cmd string) bool {
	f := strings.Fields(cmd)
	return len(f) >= 2 && strings.HasSuffix(f[0], "liaison") && f[1] == "run"
}

// adminAddr checks LIAISON_ADMIN_ADDR: off, or an address liaison run can
// listen on, and private: the admin listener has no login.
func (d *doctor) adminAddr(g *group) {
	const id, title = "config.admin_addr", "LIAISON_ADMIN_ADDR"
	addr := d.env.AdminAddr
	if adminOff(addr) {
		g.info(id, title, "off: GET /status and doctor --round-trip are not served")
		return
	}
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
		g.fail(id, title, fmt.Sprintf("%q is not HOST:PORT: liaison run refuses to start", addr), "set LIAISON_ADMIN_ADDR to 127.0.0.1:9090 (the default), another HOST:PORT, or off")
		return
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		g.warn(id, title, fmt.Sprintf("%s is reachable from other machines, and GET /status and POST /admin/round-trip have no login", addr),
			"keep it on localhost (127.0.0.1:9090) or a private network that only operators reach (in a container, publish it to 127.0.0.1 only)")
		return
	}
	g.ok(id, title, fmt.Sprintf("the admin listener is on %s, this machine only", addr))
}
