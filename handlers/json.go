package handlers

import (
	"encoding/json"
	"fmt"
)

// mustJSON encodes an outbox payload. Payloads are plain structs of strings,
// so an error is a programming mistake.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode payload %T: %v", v, err))
	}
	return b
}
