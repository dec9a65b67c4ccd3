package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServeOptions start `onboardiq serve` as a child process.
type ServeOptions struct {
	// Binary is the onboardiq binary; Args its arguments (serve …), Env
	// its whole environment, which must have it listen on a loopback
	// address (port 0) and log as JSON at info level or lower.
	Binary string
	Args   []string
	Env    []string
	Rounds int
	// Idle is how long the server idles after its first answer before its
	// memory is read.
	Idle time.Duration
	Logf func(string, ...any)
}

// Memory is what /proc/PID/status says of a process's resident memory, in
// MB (2^20 bytes): all of it, and its anonymous, file-backed and shared
// parts.
type Memory struct {
	RSS, Anon, File, Shmem float64
}

// ParseStatus reads VmRSS, RssAnon, RssFile and RssShmem (kB) out of a
// /proc/PID/status; RSS is required, the parts are 0 where the kernel does
// not report them.
func ParseStatus(status string) (Memory, error) {
	var m Memory
	found := false
	for _, line := range strings.Split(status, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(value)
		if len(f) < 1 {
			continue
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		mb := kb / 1024
		switch name {
		case "VmRSS":
			m.RSS, found = mb, true
		case "RssAnon":
			m.Anon = mb
		case "RssFile":
			m.File = mb
		case "RssShmem":
			m.Shmem = mb
		}
	}
	if !found {
		return m, errors.New("no VmRSS in the process's status")
	}
	return m, nil
}

// IdleServe starts the binary's serve o.Rounds times, one after the other:
// each time it times the start-up, from exec to the first 200 of /healthz,
// lets the server idle for o.Idle, reads its memory from /proc, and stops
// it with SIGTERM. It returns two rows, idle RSS and start-up time, the
// medians over the rounds.
func IdleServe(ctx context.Context, o ServeOptions) ([]Row, error) {
	var rss, anon, file, shmem, startup []float64
	for r := range o.Rounds {
		m, up, err := serveOnce(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("serve, round %d: %w", r+1, err)
		}
		rss, anon, file, shmem = append(rss, m.RSS), append(anon, m.Anon), append(file, m.File), append(shmem, m.Shmem)
		startup = append(startup, millis(up))
		if o.Logf != nil {
			o.Logf("serve: round %d/%d: up in %.0f ms, idle RSS %.1f MB (anonymous %.1f, file %.1f)", r+1, o.Rounds, millis(up), m.RSS, m.Anon, m.File)
		}
	}
	what := "`" + strings.Join(append([]string{"onboardiq"}, o.Args...), " ") + "`"
	rssRow := Row{Section: "serve", Name: "idle RSS", Unit: "MB", What: what + fmt.Sprintf(", %s after its first answer (VmRSS of /proc/PID/status)", o.Idle),
		Value: ptr(Median(rss)), Details: map[string]any{"anon_mb": Median(anon), "file_mb": Median(file), "shmem_mb": Median(shmem), "rounds_mb": rss}}
	rssRow.Goal = RSSGoal(rssRow)
	upRow := Row{Section: "serve", Name: "start-up", Unit: "ms", What: what + ", from exec to the first 200 of GET /healthz",
		Value: ptr(Median(startup)), Details: map[string]any{"rounds_ms": startup}}
	return []Row{rssRow, upRow}, nil
}

func ptr[T any](v T) *T { return &v }

// serveOnce runs the server once.
func serveOnce(ctx context.Context, o ServeOptions) (Memory, time.Duration, error) {
	cmd := exec.Command(o.Binary, o.Args...)
	cmd.Env = o.Env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return Memory{}, 0, err
	}
	cmd.Stdout = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Memory{}, 0, err
	}
	exited := make(chan error, 1)
	addr := make(chan string, 1)
	var last lastLines
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			last.add(sc.Text())
			if a := listening(sc.Bytes()); a != "" && !sent {
				addr <- a
				sent = true
			}
		}
		exited <- cmd.Wait()
	}()
	stop := func() error {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			return err
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			return errors.New("did not stop within 30 s of SIGTERM")
		}
	}
	fail := func(err error) (Memory, time.Duration, error) {
		_ = stop()
		return Memory{}, 0, fmt.Errorf("%w; its last lines:\n%s", err, last.String())
	}
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-exited:
		return Memory{}, 0, fmt.Errorf("exited before listening (%v); its last lines:\n%s", err, last.String())
	case <-time.After(2 * time.Minute):
		return fail(errors.New("not listening after 2 minutes"))
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	var up time.Duration
	for {
		resp, err := hc.Get(base + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				up = time.Since(start)
				break
			}
		}
		if time.Since(start) > 2*time.Minute {
			return fail(fmt.Errorf("no answer from /healthz: %v", err))
		}
		time.Sleep(2 * time.Millisecond)
	}
	select {
	case <-time.After(o.Idle):
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return fail(fmt.Errorf("read its memory (Linux's /proc is needed): %w", err))
	}
	m, err := ParseStatus(string(status))
	if err != nil {
		return fail(err)
	}
	if err := stop(); err != nil {
		return Memory{}, 0, fmt.Errorf("stop: %w; its last lines:\n%s", err, last.String())
	}
	return m, up, nil
}

// listening returns the address of serve's "listening" log line (the main
// server's: the metrics and inbound listeners name their server).
func listening(line []byte) string {
	var l struct {
		Msg    string `json:"msg"`
		Addr   string `json:"addr"`
		Server string `json:"server"`
	}
	if json.Unmarshal(line, &l) != nil || l.Msg != "listening" || l.Server != "" {
		return ""
	}
	return l.Addr
}

// lastLines keeps the last lines a child wrote, for an error.
type lastLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *lastLines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
	if len(l.lines) > 20 {
		l.lines = l.lines[1:]
	}
}

func (l *lastLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
