package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// roundTripGroup asks the running service, on its admin listener, for a
// round trip (POST /admin/round-trip) and reports each platform's.
func (d *doctor) roundTripGroup(ctx context.Context) group {
	g := group{Name: "Round trip"}
	const id, title = "roundtrip", "round trip"
	if adminOff(d.env.AdminAddr) {
		g.fail(id, title, "LIAISON_ADMIN_ADDR is off: doctor cannot reach the running service",
			"set LIAISON_ADMIN_ADDR on liaison run (default 127.0.0.1:9090) and here, then run doctor --round-trip where it can reach that address")
		return g
	}
	url := "http://" + adminHost(d.env.AdminAddr) + "/admin/round-trip"
	ctx, cancel := context.WithTimeout(ctx, 2*roundTripWait+5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.fail(id, title, fmt.Sprintf("no answer from liaison run's admin listener at %s", adminHost(d.env.AdminAddr)),
			"start liaison run, or point LIAISON_ADMIN_ADDR at its admin listener (doctor must run where it can reach it)")
		return g
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var rt bot.RoundTrip
	var refusal struct {
		Error string `json:"error"`
	}
	switch {
	case resp.StatusCode == http.StatusBadRequest && json.Unmarshal(body, &refusal) == nil && refusal.Error != "":
		g.fail(id, title, refusal.Error, "configure a channel in liaison.yaml and the platform's token, then restart liaison run")
		return g
	case (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusBadGateway) && json.Unmarshal(body, &rt) == nil:
	default:
		g.fail(id, title, fmt.Sprintf("the admin listener answered %d %s", resp.StatusCode, strings.TrimSpace(bot.OneLine(string(body), 200))),
			"check that LIAISON_ADMIN_ADDR names liaison run's admin listener, of the same version as this doctor")
		return g
	}
	for i, l := range rt.Lines() {
		cid := "roundtrip." + rt.Results[i].Platform
		if l.State == bot.StatusOK {
			g.ok(cid, title, l.Text)
		} else {
			g.fail(cid, title, l.Text, l.Fix)
		}
	}
	return g
}

// adminHost is the host:port to dial for addr: an address without a host
// (":9090") listens on every interface, and is reached on localhost.
func adminHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
