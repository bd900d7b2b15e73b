//go:build !unix

package store

import (
	"fmt"
	"os"
)

// fileLock on systems without flock: an exclusively created file. A crash
// leaves it behind; the error says how to clear it.
type fileLock struct {
	f    *os.File
	path string
}

func lockFile(path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("the SQLite database lock %s exists: another Liaison process uses this database (if none runs, delete the lock file): %w", path, err)
	}
	return &fileLock{f: f, path: path}, nil
}

func (l *fileLock) release() {
	_ = l.f.Close()
	_ = os.Remove(l.path)
}
