package discordbot

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"
)

// HTTP interactions endpoint limits.
const (
	maxInteractionBody = 1 << 20         // bytes; more is answered 413
	signatureWindow    = 5 * time.Minute // a signed timestamp older or newer is refused
)

// Routes adds POST /discord/interactions to mux when Options.PublicKey is
// set; otherwise it adds nothing (Discord then sends interactions on the
// gateway).
//
// Every request is verified before it is parsed: X-Signature-Ed25519 must
// be the application key's signature of X-Signature-Timestamp followed by
// the body, and the timestamp within five minutes of Clock; anything else is
// answered 401. A body over 1 MiB is answered 413. PING gets PONG; other
// interactions are dispatched as on the gateway and answered in the
// response body (a late handler's answer then edits the deferred response
// through the interaction webhook).
func (a *Adapter) Routes(mux *http.ServeMux) {
	if a.publicKey == nil {
		return
	}
	mux.HandleFunc("POST /discord/interactions", a.serveInteraction)
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxInteractionBody+1))
	if err != nil {
		http.Error(w, "could not read the request body", http.StatusBadRequest)
		return
	}
	if len(body) > maxInteractionBody {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if !a.verify(r.Header, body) {
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil || i.ID == "" {
		http.Error(w, "not an interaction", http.StatusBadRequest)
		return
	}
	first, rest := a.answer(&i)
	b, err := json.Marshal(first)
	if err != nil {
		a.log.Error("discord: encoding an interaction response", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
	if rest != nil {
		if f, ok := w.(http.Flusher); ok {
			f.Flush() // Discord must have the deferral before the edit
		}
		a.goTask(rest)
	}
}

// verify checks Discord's Ed25519 signature and the timestamp window.
func (a *Adapter) verify(h http.Header, body []byte) bool {
	sig, err := hex.DecodeString(h.Get("X-Signature-Ed25519"))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	ts := h.Get("X-Signature-Timestamp")
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := a.clock.Now().Sub(time.Unix(secs, 0)); d > signatureWindow || d < -signatureWindow {
		return false
	}
	msg := make([]byte, 0, len(ts)+len(body))
	msg = append(append(msg, ts...), body...)
	return ed25519.Verify(a.publicKey, msg, sig)
}
