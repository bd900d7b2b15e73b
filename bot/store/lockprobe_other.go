//go:build !unix

package store

import (
	"errors"
	"io/fs"
	"os"
)

// probeLock: without flock, the lock is the file's existence (see
// lockFile), and its holder is unknown.
func probeLock(path string) (held bool, pid int, err error) {
	_, err = os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, 0, nil
	}
	return err == nil, 0, err
}
