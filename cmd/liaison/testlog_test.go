package main

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
)

// testLogger returns the log of an App under test. With LIAISON_TEST_LOG
// set it goes to stderr as it is written; otherwise it is kept, and its
// last lines are printed if the test fails, so that a failure seen once in
// CI says what the App was doing.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("LIAISON_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	l := &tailLog{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the App's log, last %d lines:\n%s", tailLines, l.String())
		}
	})
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

const tailLines = 150

// tailLog keeps the last tailLines lines written to it.
type tailLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *tailLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		l.lines = append(l.lines, string(line))
	}
	if n := len(l.lines); n > 2*tailLines {
		l.lines = append(l.lines[:0], l.lines[n-tailLines:]...)
	}
	return len(p), nil
}

func (l *tailLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(len(l.lines)-tailLines, 0):], "\n")
}
