// Command limit is the ceiling bench/compare.sh measures Liaison against: a
// bare net/http handler that verifies a Slack request's v0 signature and
// answers, storing nothing. Not part of the product.
//
//	SLACK_SIGNING_SECRET=… limit -addr 127.0.0.1:0 -addr-file F
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	addrFile := flag.String("addr-file", "", "write the listening address here once ready")
	flag.Parse()
	secret := []byte(os.Getenv("SLACK_SIGNING_SECRET"))
	http.HandleFunc("POST /slack/commands", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		stamp := r.Header.Get("X-Slack-Request-Timestamp")
		ts, _ := strconv.ParseInt(stamp, 10, 64)
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte("v0:" + stamp + ":"))
		mac.Write(body)
		want := "v0=" + hex.EncodeToString(mac.Sum(nil))
		if err != nil || time.Since(time.Unix(ts, 0)).Abs() > 5*time.Minute || !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Slack-Signature"))) {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		// One answer for every command: bench/slack-load accepts its
		// "(the limit: verify and answer)" for any of them.
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"response_type":"ephemeral","text":"Liaison relays feedback (the limit: verify and answer)"}`)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	log.Fatal(http.Serve(ln, nil))
}
