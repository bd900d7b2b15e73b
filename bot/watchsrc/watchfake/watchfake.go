// Package watchfake is a fake of the open web for the watch's sources: one
// httptest server speaking, under one prefix per source, the APIs Liaison's
// bot/watchsrc adapters call — Algolia's Hacker News search, Reddit (search,
// subreddit listings, the client-credentials token), Mastodon (hashtag
// timelines, v2 search), Stack Exchange (search/advanced), GitHub
// (search/issues) — and RSS/Atom feeds. Answers have the shapes the APIs
// document (field names, pagination, errors), built from the items a test
// or the console adds, and the fake honours each API's paging and "newer
// than" parameters, so a client sees what it would see on the real site.
//
// Point a source at it with its base URL: URL(source) is what
// LIAISON_WATCH_<SOURCE>_URL takes (Env returns them all). Faults are
// injected per source: Fail queues answers with a status and Retry-After,
// Respond queues a raw answer (HTML instead of a feed, JSON without the
// expected fields), Outage makes every answer a 503 until lifted.
// Requests records what each source was asked.
//
// Where the fake is simpler than the site it says so: search matches when
// every word of the query appears in the title or text (case-insensitive);
// the sites' relevance, stemming and operators are not imitated. Nothing
// here is used outside tests and the console, and it imports nothing of
// Liaison.
package watchfake

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Source prefixes, as the watch's source ids spell them.
const (
	Feeds         = "feeds"
	HN            = "hn"
	Reddit        = "reddit"
	Mastodon      = "mastodon"
	StackExchange = "stackexchange"
	GitHub        = "github"
)

var sources = []string{Feeds, HN, Reddit, Mastodon, StackExchange, GitHub}

// Server is the fake. Its methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu          sync.Mutex
	hn          []HNHit
	reddit      []RedditPost
	statuses    []Status
	questions   []Question
	issues      []Issue
	discussions []Discussion
	feeds       map[string]*feed
	queued      map[string][]Answer
	down        map[string]bool
	held        map[string]chan struct{} // source or feed → closed when its held requests may be answered
	requests    []Seen

	// Mastodon: when set, timelines and search answer 401 to requests
	// without a bearer token, as an instance with public previews disabled.
	mastodonLogin bool
	mastodonToken string
	redditID      string
	redditSecret  string
	redditTokens  int
	seQuota       int
	seBackoff     int
}

// Seen is one request the fake received.
type Seen struct {
	Source string
	Method string
	Path   string // without the source prefix
	Query  url.Values
	Header http.Header
}

// Answer is a queued raw answer.
type Answer struct {
	Status int
	Header http.Header
	Body   string
}

// New starts a fake; Close stops it.
func New() *Server {
	s := &Server{feeds: map[string]*feed{}, queued: map[string][]Answer{}, down: map[string]bool{}, held: map[string]chan struct{}{}, seQuota: 300}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close releases the held requests and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	for what, c := range s.held {
		close(c)
		delete(s.held, what)
	}
	s.mu.Unlock()
	s.srv.Close()
}

// Hold makes what hang: a source (HN, Reddit, …) or one feed, named by its
// host and path as SetFeed names it. Its requests are received (and listed
// by Requests) but not answered until Release, or until the client gives
// up. It plays a slow or stuck API.
func (s *Server) Hold(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[what] == nil {
		s.held[what] = make(chan struct{})
	}
}

// Release answers what's held requests and ends Hold.
func (s *Server) Release(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.held[what]; c != nil {
		close(c)
		delete(s.held, what)
	}
}

// URL returns the base URL of source (for LIAISON_WATCH_<SOURCE>_URL).
func (s *Server) URL(source string) string { return s.srv.URL + "/" + source }

// Env returns every LIAISON_WATCH_<SOURCE>_URL pointing at the fake.
func (s *Server) Env() map[string]string {
	out := map[string]string{}
	for _, src := range sources {
		out["LIAISON_WATCH_"+strings.ToUpper(src)+"_URL"] = s.URL(src)
	}
	return out
}

// Fail queues n answers of status to source's next requests, with a
// Retry-After header when retryAfter is not empty.
func (s *Server) Fail(source string, status int, retryAfter string, n int) {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	for range n {
		s.Respond(source, Answer{Status: status, Header: h, Body: fmt.Sprintf(`{"error":%q}`, http.StatusText(status))})
	}
}

// Respond queues a raw answer to source's next request.
func (s *Server) Respond(source string, a Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queued[source] = append(s.queued[source], a)
}

// Outage makes every answer of source a 503 (down) or ends it.
func (s *Server) Outage(source string, down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down[source] = down
}

// Requests returns what source was asked, oldest first.
func (s *Server) Requests(source string) []Seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Seen
	for _, r := range s.requests {
		if r.Source == source {
			out = append(out, r)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	source, rest, _ := strings.Cut(path, "/")
	rest = "/" + rest
	s.mu.Lock()
	s.requests = append(s.requests, Seen{Source: source, Method: r.Method, Path: rest, Query: r.URL.Query(), Header: r.Header.Clone()})
	held := s.held[source]
	if held == nil && source == Feeds {
		held = s.held[strings.TrimPrefix(rest, "/")]
	}
	if held != nil {
		s.mu.Unlock()
		select {
		case <-held:
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
	if q := s.queued[source]; len(q) > 0 {
		a := q[0]
		s.queued[source] = q[1:]
		s.mu.Unlock()
		for k, v := range a.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(cmpOr(a.Status, http.StatusOK))
		w.Write([]byte(a.Body))
		return
	}
	if s.down[source] {
		s.mu.Unlock()
		http.Error(w, "<html><body><h1>503 Service Unavailable</h1></body></html>", http.StatusServiceUnavailable)
		return
	}
	s.mu.Unlock()
	switch source {
	case Feeds:
		s.serveFeed(w, r, rest)
	case HN:
		s.serveHN(w, r, rest)
	case Reddit:
		s.serveReddit(w, r, rest)
	case Mastodon:
		s.serveMastodon(w, r, rest)
	case StackExchange:
		s.serveStackExchange(w, r, rest)
	case GitHub:
		s.serveGitHub(w, r, rest)
	default:
		http.NotFound(w, r)
	}
}

// writeJSON answers v as JSON, gzipped when the client accepts it (as Stack
// Exchange always does and others do on request).
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(status)
		zw := gzip.NewWriter(w)
		zw.Write(b)
		zw.Close()
		return
	}
	w.WriteHeader(status)
	w.Write(b)
}

// matches reports whether every word of query (quotes dropped) appears in
// one of texts, case-insensitively.
func matches(query string, texts ...string) bool {
	all := strings.ToLower(strings.Join(texts, " "))
	for _, w := range strings.Fields(strings.ToLower(strings.ReplaceAll(query, `"`, " "))) {
		if strings.Contains(w, ":") { // operators (author:, created:) are handled by the caller
			continue
		}
		if !strings.Contains(all, strings.TrimPrefix(w, "#")) {
			return false
		}
	}
	return true
}

func cmpOr[T comparable](a, b T) T {
	var zero T
	if a != zero {
		return a
	}
	return b
}

func atoi(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// ---- feeds

type feed struct {
	contentType string
	body        string
	etag        string
	modified    time.Time
}

// SetFeed serves body at /feeds/HOST/PATH, the address the feeds source
// asks for https://HOST/PATH when LIAISON_WATCH_FEEDS_URL points here. It
// answers with an ETag and a Last-Modified, and 304 to a request that
// presents them unchanged. contentType defaults to application/rss+xml.
func (s *Server) SetFeed(hostPath, contentType, body string, modified time.Time) {
	sum := sha256.Sum256([]byte(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feeds["/"+strings.TrimPrefix(hostPath, "/")] = &feed{contentType: cmpOr(contentType, "application/rss+xml; charset=utf-8"),
		body: body, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, modified: modified.UTC()}
}

func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, path string) {
	s.mu.Lock()
	f := s.feeds[path]
	s.mu.Unlock()
	if f == nil {
		http.Error(w, "<html><body>Not Found</body></html>", http.StatusNotFound)
		return
	}
	w.Header().Set("ETag", f.etag)
	w.Header().Set("Last-Modified", f.modified.Format(http.TimeFormat))
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm == f.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !f.modified.After(ims) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Write([]byte(f.body))
}

// ---- Hacker News (Algolia)

// HNHit is a story or a comment in Algolia's HN index.
type HNHit struct {
	ID         string
	Created    time.Time
	Author     string
	Title      string // stories
	URL        string // link stories
	Text       string // story_text or comment_text, HTML
	Points     int
	Comments   int
	Comment    bool
	StoryID    int64 // comments
	StoryTitle string
	StoryURL   string
}

// AddHN adds hits to the index (the same hit twice is served twice).
func (s *Server) AddHN(h ...HNHit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hn = append(s.hn, h...)
}

func (s *Server) serveHN(w http.ResponseWriter, r *http.Request, path string) {
	if path != "/api/v1/search_by_date" {
		writeJSON(w, r, 404, map[string]any{"message": "Not Found", "status": 404})
		return
	}
	q := r.URL.Query()
	var after int64 = -1 << 62
	for _, f := range strings.Split(q.Get("numericFilters"), ",") {
		if v, ok := strings.CutPrefix(f, "created_at_i>"); ok {
			after, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	author := ""
	for _, t := range strings.Split(q.Get("tags"), ",") {
		if a, ok := strings.CutPrefix(t, "author_"); ok {
			author = a
		}
	}
	s.mu.Lock()
	var hits []HNHit
	for _, h := range s.hn {
		if h.Created.Unix() > after && (author == "" || h.Author == author) && matches(q.Get("query"), h.Title, h.Text, h.StoryTitle) {
			hits = append(hits, h)
		}
	}
	s.mu.Unlock()
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Created.After(hits[j].Created) })
	per := min(max(atoi(q.Get("hitsPerPage"), 20), 1), 1000)
	page := atoi(q.Get("page"), 0)
	nbPages := (len(hits) + per - 1) / per
	lo, hi := min(page*per, len(hits)), min((page+1)*per, len(hits))
	out := []map[string]any{}
	for _, h := range hits[lo:hi] {
		m := map[string]any{"objectID": h.ID, "created_at_i": h.Created.Unix(), "created_at": h.Created.UTC().Format("2006-01-02T15:04:05.000Z"),
			"author": h.Author, "title": nil, "url": nil, "points": nil, "num_comments": nil, "story_text": nil,
			"comment_text": nil, "story_id": nil, "story_title": nil, "story_url": nil, "parent_id": nil}
		if h.Comment {
			m["comment_text"], m["story_id"], m["story_title"], m["parent_id"] = h.Text, h.StoryID, h.StoryTitle, h.StoryID
			if h.StoryURL != "" {
				m["story_url"] = h.StoryURL
			}
			m["_tags"] = []string{"comment", "author_" + h.Author, fmt.Sprintf("story_%d", h.StoryID)}
		} else {
			m["title"], m["points"], m["num_comments"] = h.Title, h.Points, h.Comments
			if h.URL != "" {
				m["url"] = h.URL
			}
			if h.Text != "" {
				m["story_text"] = h.Text
			}
			m["_tags"] = []string{"story", "author_" + h.Author, "story_" + h.ID}
		}
		out = append(out, m)
	}
	writeJSON(w, r, 200, map[string]any{"hits": out, "nbHits": len(hits), "page": page, "nbPages": nbPages,
		"hitsPerPage": per, "exhaustiveNbHits": true, "query": q.Get("query"), "params": r.URL.RawQuery})
}

// ---- Reddit

// RedditPost is a link or self post.
type RedditPost struct {
	ID        string // base-36, without the t3_ prefix
	Subreddit string
	Title     string
	Selftext  string
	URL       string // the link; a self post's own permalink
	Author    string
	Created   time.Time
	Score     int
	Comments  int
	Self      bool
}

// AddReddit adds posts.
func (s *Server) AddReddit(p ...RedditPost) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reddit = append(s.reddit, p...)
}

// RedditCredentials makes the fake's token endpoint accept this client id
// and secret (the client credentials grant) and the API demand its token
// on the OAuth paths (those without .json).
func (s *Server) RedditCredentials(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redditID, s.redditSecret = id, secret
}

// RedditTokensIssued counts the access tokens the fake gave out.
func (s *Server) RedditTokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.redditTokens
}

func (s *Server) serveReddit(w http.ResponseWriter, r *http.Request, path string) {
	if path == "/api/v1/access_token" {
		id, secret, ok := r.BasicAuth()
		s.mu.Lock()
		good := ok && s.redditID != "" && id == s.redditID && secret == s.redditSecret && r.FormValue("grant_type") == "client_credentials"
		if good {
			s.redditTokens++
		}
		n := s.redditTokens
		s.mu.Unlock()
		if !good {
			writeJSON(w, r, 401, map[string]any{"message": "Unauthorized", "error": 401})
			return
		}
		writeJSON(w, r, 200, map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "bearer", "expires_in": 86400, "scope": "*"})
		return
	}
	if r.Header.Get("User-Agent") == "" {
		writeJSON(w, r, 429, map[string]any{"message": "Too Many Requests", "error": 429})
		return
	}
	oauth := !strings.HasSuffix(path, ".json")
	if oauth {
		s.mu.Lock()
		want := fmt.Sprintf("Bearer tok-%d", s.redditTokens)
		s.mu.Unlock()
		if r.Header.Get("Authorization") != want {
			writeJSON(w, r, 401, map[string]any{"message": "Unauthorized", "error": 401})
			return
		}
	}
	path = strings.TrimSuffix(path, ".json")
	q := r.URL.Query()
	sub, query := "", ""
	switch {
	case path == "/search":
		query = q.Get("q")
	case strings.HasPrefix(path, "/r/") && strings.HasSuffix(path, "/new"):
		sub = strings.TrimSuffix(strings.TrimPrefix(path, "/r/"), "/new")
	default:
		writeJSON(w, r, 404, map[string]any{"message": "Not Found", "error": 404})
		return
	}
	author := ""
	for _, f := range strings.Fields(query) {
		if a, ok := strings.CutPrefix(f, "author:"); ok {
			author = a
		}
	}
	s.mu.Lock()
	var posts []RedditPost
	for _, p := range s.reddit {
		if (sub == "" || strings.EqualFold(p.Subreddit, sub)) && (query == "" || matches(query, p.Title, p.Selftext)) &&
			(author == "" || p.Author == author) {
			posts = append(posts, p)
		}
	}
	s.mu.Unlock()
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].Created.After(posts[j].Created) })
	if after := q.Get("after"); after != "" {
		for i, p := range posts {
			if "t3_"+p.ID == after {
				posts = posts[i+1:]
				break
			}
		}
	}
	limit := min(max(atoi(q.Get("limit"), 25), 1), 100)
	var next any
	if len(posts) > limit {
		posts = posts[:limit]
		next = "t3_" + posts[limit-1].ID
	}
	children := []map[string]any{}
	for _, p := range posts {
		permalink := fmt.Sprintf("/r/%s/comments/%s/%s/", p.Subreddit, p.ID, slug(p.Title))
		u := p.URL
		if p.Self {
			u = "https://www.reddit.com" + permalink
		}
		children = append(children, map[string]any{"kind": "t3", "data": map[string]any{
			"id": p.ID, "name": "t3_" + p.ID, "title": p.Title, "selftext": p.Selftext, "url": u, "permalink": permalink,
			"author": p.Author, "created_utc": float64(p.Created.Unix()), "score": p.Score, "num_comments": p.Comments,
			"is_self": p.Self, "subreddit": p.Subreddit, "over_18": false}})
	}
	writeJSON(w, r, 200, map[string]any{"kind": "Listing", "data": map[string]any{
		"after": next, "before": nil, "dist": len(children), "modhash": "", "children": children}})
}

func slug(s string) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	return strings.Join(f, "_")
}

// ---- Mastodon

// Status is a Mastodon post on the fake instance.
type Status struct {
	ID      string // decimal, increasing with time (a snowflake)
	Created time.Time
	Acct    string
	Content string // HTML
	Tags    []string
	Lang    string
	CardURL string
	Reblog  bool
	Favs    int
	Replies int
	Indexed bool // opted in to full-text search (found by /api/v2/search)
}

// AddStatuses adds posts.
func (s *Server) AddStatuses(st ...Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statuses = append(s.statuses, st...)
}

// MastodonLoginRequired makes the instance answer 401 to every request
// without the bearer token (empty token: every request).
func (s *Server) MastodonLoginRequired(required bool, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mastodonLogin, s.mastodonToken = required, token
}

func (s *Server) serveMastodon(w http.ResponseWriter, r *http.Request, path string) {
	s.mu.Lock()
	login, token := s.mastodonLogin, s.mastodonToken
	s.mu.Unlock()
	authed := token != "" && r.Header.Get("Authorization") == "Bearer "+token
	q := r.URL.Query()
	var pick func(Status) bool
	search := false
	switch {
	case strings.HasPrefix(path, "/api/v1/timelines/tag/"):
		tag := strings.ToLower(strings.TrimPrefix(path, "/api/v1/timelines/tag/"))
		if login && !authed {
			writeJSON(w, r, 401, map[string]any{"error": "This API requires an authenticated user"})
			return
		}
		pick = func(st Status) bool {
			for _, t := range st.Tags {
				if strings.EqualFold(t, tag) {
					return true
				}
			}
			return false
		}
	case path == "/api/v2/search":
		if r.Header.Get("Authorization") == "" || (token != "" && !authed) {
			writeJSON(w, r, 401, map[string]any{"error": "The access token is invalid"})
			return
		}
		search = true
		pick = func(st Status) bool { return st.Indexed && matches(q.Get("q"), st.Content) }
	default:
		writeJSON(w, r, 404, map[string]any{"error": "Record not found"})
		return
	}
	s.mu.Lock()
	var sts []Status
	for _, st := range s.statuses {
		if pick(st) && (q.Get("min_id") == "" || idAfter(st.ID, q.Get("min_id"))) {
			sts = append(sts, st)
		}
	}
	s.mu.Unlock()
	limit := min(max(atoi(q.Get("limit"), 20), 1), 40)
	// min_id: the page immediately newer than it; otherwise the newest page.
	sort.SliceStable(sts, func(i, j int) bool { return idAfter(sts[j].ID, sts[i].ID) })
	if q.Get("min_id") == "" && len(sts) > limit {
		sts = sts[len(sts)-limit:]
	} else if len(sts) > limit {
		sts = sts[:limit]
	}
	out := []map[string]any{}
	for i := len(sts) - 1; i >= 0; i-- { // newest first
		st := sts[i]
		host := strings.TrimPrefix(s.srv.URL, "http://")
		m := map[string]any{"id": st.ID, "created_at": st.Created.UTC().Format("2006-01-02T15:04:05.000Z"),
			"uri": fmt.Sprintf("https://%s/users/%s/statuses/%s", host, st.Acct, st.ID), "url": fmt.Sprintf("https://%s/@%s/%s", host, st.Acct, st.ID),
			"content": st.Content, "spoiler_text": "", "sensitive": false, "visibility": "public", "language": nil,
			"replies_count": st.Replies, "reblogs_count": 0, "favourites_count": st.Favs, "reblog": nil, "card": nil,
			"account": map[string]any{"id": "1", "username": st.Acct, "acct": st.Acct, "display_name": st.Acct}}
		if st.Lang != "" {
			m["language"] = st.Lang
		}
		if st.CardURL != "" {
			m["card"] = map[string]any{"url": st.CardURL, "title": "", "type": "link"}
		}
		if st.Reblog {
			m["reblog"] = map[string]any{"id": "1"}
		}
		out = append(out, m)
	}
	if search {
		writeJSON(w, r, 200, map[string]any{"accounts": []any{}, "statuses": out, "hashtags": []any{}})
		return
	}
	writeJSON(w, r, 200, out)
}

func idAfter(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// ---- Stack Exchange

// Question is a Stack Exchange question.
type Question struct {
	ID      int64
	Site    string
	Title   string // HTML-escaped, as the API sends titles
	Body    string // HTML
	Owner   string
	Created time.Time
	Score   int
	Answers int
}

// AddQuestions adds questions.
func (s *Server) AddQuestions(q ...Question) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.questions = append(s.questions, q...)
}

// StackExchangeQuota sets the quota left (default 300) and the backoff
// (seconds) the next answer carries.
func (s *Server) StackExchangeQuota(remaining, backoff int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seQuota, s.seBackoff = remaining, backoff
}

func (s *Server) serveStackExchange(w http.ResponseWriter, r *http.Request, path string) {
	if path != "/2.3/search/advanced" {
		writeJSON(w, r, 400, map[string]any{"error_id": 404, "error_name": "no_method", "error_message": "this method cannot be found"})
		return
	}
	q := r.URL.Query()
	if q.Get("site") == "" {
		writeJSON(w, r, 400, map[string]any{"error_id": 400, "error_name": "bad_parameter", "error_message": "site is required"})
		return
	}
	s.mu.Lock()
	if s.seQuota <= 0 {
		s.mu.Unlock()
		writeJSON(w, r, 400, map[string]any{"error_id": 502, "error_name": "throttle_violation", "error_message": "too many requests from this IP, more requests available in 86400 seconds"})
		return
	}
	s.seQuota--
	quota, backoff := s.seQuota, s.seBackoff
	s.seBackoff = 0
	from, _ := strconv.ParseInt(q.Get("fromdate"), 10, 64)
	var qs []Question
	for _, x := range s.questions {
		if x.Site == q.Get("site") && x.Created.Unix() >= from && matches(q.Get("q"), x.Title, x.Body) {
			qs = append(qs, x)
		}
	}
	s.mu.Unlock()
	sort.SliceStable(qs, func(i, j int) bool { return qs[i].Created.After(qs[j].Created) })
	per := min(max(atoi(q.Get("pagesize"), 30), 1), 100)
	page := max(atoi(q.Get("page"), 1), 1)
	lo, hi := min((page-1)*per, len(qs)), min(page*per, len(qs))
	items := []map[string]any{}
	for _, x := range qs[lo:hi] {
		m := map[string]any{"question_id": x.ID, "title": x.Title, "creation_date": x.Created.Unix(), "score": x.Score,
			"answer_count": x.Answers, "is_answered": x.Answers > 0, "tags": []string{},
			"link":  fmt.Sprintf("https://%s.com/questions/%d/%s", x.Site, x.ID, slug(x.Title)),
			"owner": map[string]any{"display_name": x.Owner, "user_type": "registered"}}
		if q.Get("filter") == "withbody" {
			m["body"] = x.Body
		}
		items = append(items, m)
	}
	ans := map[string]any{"items": items, "has_more": hi < len(qs), "quota_max": 300, "quota_remaining": quota}
	if backoff > 0 {
		ans["backoff"] = backoff
	}
	writeJSON(w, r, 200, ans)
}

// ---- GitHub

// Issue is a GitHub issue or pull request.
type Issue struct {
	ID        int64
	HTMLURL   string
	Title     string
	Body      string // Markdown
	User      string
	Created   time.Time
	Comments  int
	Reactions int
}

// AddIssues adds issues.
func (s *Server) AddIssues(is ...Issue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issues = append(s.issues, is...)
}

// Discussion is a GitHub discussion, found only through GraphQL.
type Discussion struct {
	ID       string // a GraphQL node id
	URL      string
	Title    string
	Body     string // plain text (bodyText)
	User     string
	Created  time.Time
	Upvotes  int
	Comments int
}

// AddDiscussions adds discussions.
func (s *Server) AddDiscussions(d ...Discussion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discussions = append(s.discussions, d...)
}

// serveGraphQL answers the one GraphQL query the watch sends,
// search(type: DISCUSSION), with GitHub's connection shape; it needs a
// bearer token, as GitHub's GraphQL API does. The query text is not parsed
// beyond checking it asks for discussions.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		writeJSON(w, r, 401, map[string]any{"message": "This endpoint requires you to be authenticated.", "documentation_url": "https://docs.github.com/graphql"})
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !strings.Contains(req.Query, "type: DISCUSSION") {
		writeJSON(w, r, 200, map[string]any{"errors": []any{map[string]any{"message": "Parse error on query"}}})
		return
	}
	q, _ := req.Variables["q"].(string)
	after, _ := req.Variables["after"].(string)
	var since time.Time
	var words []string
	for _, f := range strings.Fields(q) {
		if v, ok := strings.CutPrefix(f, "created:>="); ok {
			since, _ = time.Parse(time.RFC3339, v)
			continue
		}
		words = append(words, f)
	}
	s.mu.Lock()
	var ds []Discussion
	for _, d := range s.discussions {
		if !d.Created.Before(since) && matches(strings.Join(words, " "), d.Title, d.Body) {
			ds = append(ds, d)
		}
	}
	s.mu.Unlock()
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Created.After(ds[j].Created) })
	start := atoi(after, 0)
	end := min(start+50, len(ds))
	start = min(start, end)
	nodes := []map[string]any{}
	for _, d := range ds[start:end] {
		nodes = append(nodes, map[string]any{"id": d.ID, "url": d.URL, "title": d.Title, "bodyText": d.Body,
			"createdAt": d.Created.UTC().Format(time.RFC3339), "upvoteCount": d.Upvotes,
			"author": map[string]any{"login": d.User}, "comments": map[string]any{"totalCount": d.Comments}})
	}
	writeJSON(w, r, 200, map[string]any{"data": map[string]any{"search": map[string]any{
		"discussionCount": len(ds),
		"pageInfo":        map[string]any{"hasNextPage": end < len(ds), "endCursor": strconv.Itoa(end)},
		"nodes":           nodes}}})
}

func (s *Server) serveGitHub(w http.ResponseWriter, r *http.Request, path string) {
	if path == "/graphql" && r.Method == http.MethodPost {
		s.serveGraphQL(w, r)
		return
	}
	if path != "/search/issues" {
		writeJSON(w, r, 404, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
		return
	}
	q := r.URL.Query()
	var since time.Time
	var words []string
	for _, f := range strings.Fields(q.Get("q")) {
		if v, ok := strings.CutPrefix(f, "created:>="); ok {
			since, _ = time.Parse(time.RFC3339, v)
			continue
		}
		words = append(words, f)
	}
	s.mu.Lock()
	var is []Issue
	for _, x := range s.issues {
		if !x.Created.Before(since) && matches(strings.Join(words, " "), x.Title, x.Body) {
			is = append(is, x)
		}
	}
	s.mu.Unlock()
	sort.SliceStable(is, func(i, j int) bool { return is[i].Created.After(is[j].Created) })
	per := min(max(atoi(q.Get("per_page"), 30), 1), 100)
	page := max(atoi(q.Get("page"), 1), 1)
	lo, hi := min((page-1)*per, len(is)), min(page*per, len(is))
	if hi < len(is) {
		nq := r.URL.Query()
		nq.Set("page", strconv.Itoa(page+1))
		w.Header().Set("Link", fmt.Sprintf(`<%s/search/issues?%s>; rel="next", <%s/search/issues?page=%d>; rel="last"`,
			s.URL(GitHub), nq.Encode(), s.URL(GitHub), (len(is)+per-1)/per))
	}
	items := []map[string]any{}
	for _, x := range is[lo:hi] {
		items = append(items, map[string]any{"id": x.ID, "number": x.ID % 10000, "html_url": x.HTMLURL, "title": x.Title,
			"body": x.Body, "state": "open", "created_at": x.Created.UTC().Format(time.RFC3339), "comments": x.Comments,
			"user": map[string]any{"login": x.User}, "reactions": map[string]any{"total_count": x.Reactions}})
	}
	w.Header().Set("X-RateLimit-Remaining", "29")
	writeJSON(w, r, 200, map[string]any{"total_count": len(is), "incomplete_results": false, "items": items})
}
