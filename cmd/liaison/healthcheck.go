package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

const healthcheckHelp = `Usage: liaison healthcheck

Asks the running service whether it is ready: GET /readyz on the address of
LIAISON_HTTP_ADDR, on 127.0.0.1 when that address names no host (as the
default :8080 does) or every interface (0.0.0.0, ::). Exits 0 when /readyz
answers 200, and 1 otherwise, saying why in one line. /readyz answers 200 when
the database answers, every migration is applied and the service is not
shutting down.

It is the container's health check: the image's HEALTHCHECK and the
healthcheck: of docker-compose.yml run it (the image has no shell or curl).

Environment:
  LIAISON_HTTP_ADDR   address of liaison run's HTTP server (default :8080)
`

// healthcheckTimeout bounds the whole request: a service that takes longer
// to say it is ready is not.
const healthcheckTimeout = 5 * time.Second

func healthcheckCmd(ctx context.Context, args []string, std *Stdio, env Env) int {
	flags := newFlags("healthcheck", healthcheckHelp, std)
	flags.SetOutput(std.Out)
	if code, done := parse(flags, args, std); done {
		return code
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(std.Err, "liaison healthcheck: unexpected argument %q\n", flags.Arg(0))
		return exitUsage
	}
	url, err := readyzURL(env.HTTPAddr)
	if err != nil {
		fmt.Fprintln(std.Err, "not ready:", err)
		return exitError
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintln(std.Err, "not ready:", err)
		return exitError
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(std.Err, "not ready: cannot reach %s (is liaison run running?): %v\n", url, err)
		return exitError
	}
	defer resp.Body.Close()
	// The first line of /readyz's answer says why ("not ready: database
	// has pending migrations…"); a proxy's page is cut short.
	line, _ := bufio.NewReader(io.LimitReader(resp.Body, 4096)).ReadString('\n')
	line = strings.TrimSpace(line)
	if len(line) > 200 {
		line = line[:200] + "…"
	}
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(std.Err, "not ready: %s answered %s: %s\n", url, resp.Status, line)
		return exitError
	}
	fmt.Fprintf(std.Out, "ready: %s answered %s\n", url, resp.Status)
	return exitOK
}

// readyzURL turns LIAISON_HTTP_ADDR into the URL of /readyz on this
// machine.
func readyzURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("LIAISON_HTTP_ADDR %q is not host:port (like :8080): %v", addr, err)
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}
