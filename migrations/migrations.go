// Package migrations embeds Liaison's SQL schema, one directory per dialect
// (postgres/, sqlite/), numbered NNNN_name.sql and applied by goose.
//
// A migration that has landed is never edited: later changes are new files,
// written for both dialects in the same change, and the store's tests check
// that both dialects end with the same tables and columns.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// FS returns the migrations of one dialect ("postgres" or "sqlite") as a
// file system rooted at that dialect's directory.
func FS(dialect string) (fs.FS, error) {
	return fs.Sub(files, dialect)
}
