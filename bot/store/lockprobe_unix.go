//go:build unix

package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// probeLock tries the flock that lockFile takes, and releases it at once
// when it got it. The holder's pid is what lockFile wrote in the file.
func probeLock(path string) (held bool, pid int, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("read the database lock: %w", err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false, 0, nil
	case !errors.Is(err, syscall.EWOULDBLOCK):
		return false, 0, fmt.Errorf("probe the database lock %s: %w", path, err)
	}
	if b, rerr := os.ReadFile(path); rerr == nil {
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	return true, pid, nil
}
