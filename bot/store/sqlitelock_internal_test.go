package store

import "testing"

func TestWhichStatementsOutsideATransactionTakeTheWriterTurn(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT 1`:                             false,
		"  (SELECT id FROM outbox)":            false,
		"-- why\nSELECT 1":                     false,
		"/* why */ select 1":                   false,
		`PRAGMA wal_checkpoint`:                false,
		`VALUES (1)`:                           false,
		`WITH x AS (SELECT 1) SELECT * FROM x`: false,
		`WITH x AS (SELECT id FROM outbox) UPDATE outbox SET a = 1`: true,
		`WITH d AS (DELETE FROM stats_events RETURNING *) SELECT 1`: true,
		`INSERT INTO turns VALUES (1)`:                              true,
		"update outbox set state = 'sent'":                          true,
		`DELETE FROM outbox WHERE id = ?`:                           true,
		`CREATE TABLE x (a INT)`:                                    true,
		`REPLACE INTO x VALUES (1)`:                                 true,
		"/* claim */ UPDATE outbox SET claimed_by = ? RETURNING id": true,
	} {
		if got := writes(q); got != want {
			t.Errorf("writes(%q) = %v, want %v", q, got, want)
		}
	}
}
