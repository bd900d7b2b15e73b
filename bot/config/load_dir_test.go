package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot/config"
)

func TestLoadSaysADirectoryIsNotTheFile(t *testing.T) {
	t.Parallel()
	// What Docker leaves where a missing file was to be mounted.
	path := filepath.Join(t.TempDir(), "liaison.yaml")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path)
	if err == nil || errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path+" is a directory, not a file") || !strings.Contains(err.Error(), "cp liaison.example.yaml liaison.yaml") {
		t.Errorf("Load(a directory) = %v, want it to say the path is a directory and how to make the file", err)
	}
}
