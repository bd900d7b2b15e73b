package slackbot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// BenchmarkVerify measures the check of one request's signature: it must
// not allocate (see signing).
func BenchmarkVerify(b *testing.B) {
	s := newSigner("secret")
	body := []byte("token=bench&team_id=T0BENCH&team_domain=bench&channel_id=C01PRODUCT&text=hello")
	now := time.Now()
	stamp := strconv.FormatInt(now.Unix(), 10)
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write([]byte("v0:" + stamp + ":" + string(body)))
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", stamp)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.verify(h, body, now); err != nil {
			b.Fatal(err)
		}
	}
}
