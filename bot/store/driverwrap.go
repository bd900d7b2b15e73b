package store

import (
	"database/sql/driver"
	"fmt"
)

// Liaison wraps its drivers' connections: lib/pq's to cache prepared
// statements (stmtcache.go), modernc's so that writers take turns
// (sqlitelock.go). A wrapper embeds what it wraps as one of these
// interfaces, so that database/sql still finds every optional method the
// driver has.

// driverConn is what database/sql uses of either driver's connection.
type driverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// typedRows are rows that describe their columns, as both drivers' do.
type typedRows interface {
	driver.Rows
	driver.RowsColumnTypeScanType
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypePrecisionScale
}

// asDriver returns v as a T, the interface a wrapper embeds; a driver
// value without one of its methods is closed and refused (a driver upgrade
// that dropped one, never seen at run time otherwise).
func asDriver[T any](v interface{ Close() error }, what string) (T, error) {
	t, ok := v.(T)
	if !ok {
		_ = v.Close()
		return t, fmt.Errorf("store: the database driver's %s lacks a method Liaison needs", what)
	}
	return t, nil
}
