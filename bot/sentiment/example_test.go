package sentiment_test

import (
	"fmt"

	"github.com/liaison-bot/liaison/bot/sentiment"
)

func ExampleAnalyze() {
	for _, msg := range []string{
		"the export button crashes on big files",
		"love the app but export crashes",
		"doesn't work 😡",
		"merci, c'est génial",
		"how do I export to CSV?",
	} {
		s := sentiment.Analyze(msg)
		fmt.Printf("%s [%s]\n", s.Explain(), s.Lang)
	}
	// Output:
	// negative: crashes [en]
	// negative: crashes [en]
	// negative: 😡, doesn't work [en]
	// positive: génial, merci [fr]
	// neutral [en]
}
