package bot

import (
	"slices"
	"testing"
)

func TestContentWordsAndLanguage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in    string
		words []string
		lang  string
	}{
		{"The export button crashes on big files!", []string{"export", "button", "crashe", "big", "file"}, "en"},
		{"L'export plante avec les gros fichiers, c'est très gênant", []string{"export", "plante", "gro", "fichier", "genant"}, "fr"},
		{"Dark mode", []string{"dark", "mode"}, "en"},
	} {
		if got := ContentWords(tt.in); !slices.Equal(got, tt.words) {
			t.Errorf("ContentWords(%q) = %q, want %q", tt.in, got, tt.words)
		}
		if got := Language(tt.in); got != tt.lang {
			t.Errorf("Language(%q) = %q, want %q", tt.in, got, tt.lang)
		}
	}
}
