package watchfake_test

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot/watchsrc/watchfake"
)

// get asks the fake as a plain HTTP client would and decodes its JSON.
func get(t *testing.T, url string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("User-Agent", "test")
	req.Header.Set("Accept-Encoding", "gzip")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	var out map[string]any
	if err := json.NewDecoder(r).Decode(&out); err != nil {
		t.Fatalf("GET %s: not JSON: %v", url, err)
	}
	return resp.StatusCode, out
}

var t0 = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func TestTheFakeAnswersInTheShapesTheAPIsDocument(t *testing.T) {
	t.Parallel()
	f := watchfake.New()
	defer f.Close()
	f.AddHN(watchfake.HNHit{ID: "1", Created: t0, Author: "a", Title: "Acme"})
	f.AddQuestions(watchfake.Question{ID: 9, Site: "stackoverflow", Title: "Acme", Created: t0})
	f.AddReddit(watchfake.RedditPost{ID: "r1", Subreddit: "s", Title: "Acme", Created: t0, Self: true})

	_, hn := get(t, f.URL(watchfake.HN)+"/api/v1/search_by_date?query=acme&tags=(story,comment)", nil)
	for _, k := range []string{"hits", "nbHits", "page", "nbPages", "hitsPerPage"} {
		if _, ok := hn[k]; !ok {
			t.Errorf("Algolia answer lacks %q: %v", k, hn)
		}
	}
	hit := hn["hits"].([]any)[0].(map[string]any)
	for _, k := range []string{"objectID", "created_at_i", "title", "url", "author", "points", "story_text", "comment_text", "_tags"} {
		if _, ok := hit[k]; !ok {
			t.Errorf("Algolia hit lacks %q: %v", k, hit)
		}
	}
	_, se := get(t, f.URL(watchfake.StackExchange)+"/2.3/search/advanced?q=acme&site=stackoverflow", nil)
	for _, k := range []string{"items", "has_more", "quota_max", "quota_remaining"} {
		if _, ok := se[k]; !ok {
			t.Errorf("Stack Exchange wrapper lacks %q: %v", k, se)
		}
	}
	status, errAns := get(t, f.URL(watchfake.StackExchange)+"/2.3/search/advanced?q=acme", nil)
	if status != 400 || errAns["error_name"] != "bad_parameter" {
		t.Errorf("a missing site = %d %v, want 400 bad_parameter", status, errAns)
	}
	_, rd := get(t, f.URL(watchfake.Reddit)+"/search.json?q=acme&sort=new", nil)
	if rd["kind"] != "Listing" {
		t.Errorf("Reddit answer = %v, want a Listing", rd)
	}
	if status, _ := get(t, f.URL(watchfake.Reddit)+"/search?q=acme", nil); status != 401 {
		t.Errorf("the OAuth path without a token = %d, want 401", status)
	}
}

func TestAHeldSourceAnswersOnlyWhenReleased(t *testing.T) {
	t.Parallel()
	fake := watchfake.New()
	defer fake.Close()
	fake.AddHN(watchfake.HNHit{ID: "1", Created: time.Now(), Author: "a", Title: "AcmeCloud"})
	fake.Hold(watchfake.HN)
	answered := make(chan int, 1)
	go func() {
		resp, err := http.Get(fake.URL(watchfake.HN) + "/api/v1/search_by_date?query=acmecloud")
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	deadline := time.Now().Add(30 * time.Second)
	for len(fake.Requests(watchfake.HN)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the held request never reached the fake")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case status := <-answered:
		t.Fatalf("a held source answered %d before Release", status)
	default:
	}
	// Another source is not held back.
	if status, _ := get(t, fake.URL(watchfake.StackExchange)+"/2.3/search/advanced?q=acmecloud&site=stackoverflow", nil); status != http.StatusOK {
		t.Errorf("stack exchange answered %d while HN was held", status)
	}
	fake.Release(watchfake.HN)
	if status := <-answered; status != http.StatusOK {
		t.Errorf("released: %d, want 200", status)
	}
}
