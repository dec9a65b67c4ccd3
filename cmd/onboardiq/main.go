// Command onboardiq is OnboardIQ's server and administration tool.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/onboardiq/onboardiq/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
