package bench

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// LoadAverage is the 1, 5 and 15-minute load averages (Linux's
// /proc/loadavg; nil elsewhere).
func LoadAverage() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	var out []float64
	for _, f := range strings.Fields(string(b))[:3] {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil
		}
		out = append(out, v)
	}
	return out
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// ThisMachine describes the machine and the database a run measures on,
// with the load average as it starts.
func ThisMachine(ctx context.Context, db *postgres.DB) Machine {
	m := Machine{Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), CPU: cpuModel(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		GoVersion: runtime.Version(), LoadBefore: LoadAverage(), PoolSize: int(db.Pool.Config().MaxConns)}
	_ = db.Pool.QueryRow(ctx, `SELECT version()`).Scan(&m.PostgreSQL)
	return m
}
