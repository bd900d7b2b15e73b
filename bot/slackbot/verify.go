package slackbot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// signatureWindow is how far a request's timestamp may be from the clock,
// either way, as Slack recommends.
const signatureWindow = 5 * time.Minute

// requestError is a request refused before it is parsed: an HTTP status and
// a short reason, logged at debug level only (anyone can send garbage).
type requestError struct {
	status int
	reason string
}

func (e *requestError) Error() string { return e.reason }

// readVerified reads a request's body, at most MaxBody bytes, and checks its
// v0 signature: "v0=" + hex HMAC-SHA256 of "v0:TIMESTAMP:BODY" keyed with the
// signing secret, compared in constant time, with a timestamp within five
// minutes of the clock. Nothing of the body is interpreted before this
// returns nil.
func (a *Adapter) readVerified(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBody {
		return nil, &requestError{http.StatusRequestEntityTooLarge, "body too large"}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &requestError{http.StatusRequestEntityTooLarge, "body too large"}
		}
		return nil, &requestError{http.StatusBadRequest, "cannot read body: " + err.Error()}
	}
	if len(body) > MaxBody {
		return nil, &requestError{http.StatusRequestEntityTooLarge, "body too large"}
	}
	if err := a.signer.verify(r.Header, body, a.clock.Now()); err != nil {
		return nil, &requestError{http.StatusUnauthorized, err.Error()}
	}
	return body, nil
}

// signer checks Slack's v0 signatures made with one signing secret.
// hmac.New hashes the secret into two SHA-256 states and allocates them for
// every request; a MAC that has summed once goes back to those states on
// Reset, copying them. The signer keeps used MACs for the next requests.
type signer struct {
	secret string
	macs   sync.Pool // of *signing, keyed with secret
}

// signing is a MAC keyed with the secret, and room for what verify writes
// to it and reads from it: bytes handed to the MAC (an interface) escape,
// and were four allocations a request.
type signing struct {
	mac    hash.Hash
	prefix []byte // "v0:" + timestamp + ":"
	sum    [sha256.Size]byte
}

func newSigner(secret string) *signer {
	s := &signer{secret: secret}
	s.macs.New = func() any { return &signing{mac: hmac.New(sha256.New, []byte(secret)), prefix: make([]byte, 0, 32)} }
	return s
}

// verify checks Slack's v0 signature of body against the headers at now.
func (s *signer) verify(h http.Header, body []byte, now time.Time) error {
	if s.secret == "" {
		return errors.New("no signing secret configured")
	}
	stamp, sig := h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature")
	if stamp == "" || sig == "" {
		return errors.New("missing signature headers")
	}
	ts, err := strconv.ParseInt(stamp, 10, 64)
	if err != nil {
		return errors.New("malformed timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > signatureWindow || d < -signatureWindow {
		return fmt.Errorf("timestamp %s is %s away from now", stamp, d.Round(time.Second))
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return errors.New("unknown signature version")
	}
	var got [sha256.Size]byte
	if hex.DecodedLen(len(hexSig)) != len(got) {
		return errors.New("malformed signature")
	}
	if _, err := hex.Decode(got[:], []byte(hexSig)); err != nil {
		return errors.New("malformed signature")
	}
	sg := s.macs.Get().(*signing)
	defer s.macs.Put(sg)
	sg.mac.Reset()
	sg.prefix = append(append(append(sg.prefix[:0], "v0:"...), stamp...), ':')
	sg.mac.Write(sg.prefix)
	sg.mac.Write(body)
	if !hmac.Equal(got[:], sg.mac.Sum(sg.sum[:0])) {
		return errors.New("signature mismatch")
	}
	return nil
}
