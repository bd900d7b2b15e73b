// Command liaison is Liaison's binary: the service (run), the schema
// (migrate), the configuration check (config check) and the version. It is
// the only package that knows every other: it reads the environment and
// liaison.yaml, opens the store, builds the adapters, handlers and jobs, and
// wires them together.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], &Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Getenv)
	stop()
	os.Exit(code)
}
