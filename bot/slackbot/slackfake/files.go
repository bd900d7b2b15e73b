package slackfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

type file struct {
	id, name, title string
	token           string // secret part of the upload URL
	length          int
	data            []byte
	uploaded        bool
	created         time.Time
	user            string
}

func (f *file) export() File {
	return File{ID: f.id, Name: f.name, Title: f.title, Data: slices.Clone(f.data), Uploaded: f.uploaded}
}

func (s *Server) fileJSON(f *file) obj {
	mt := mime.TypeByExtension(path.Ext(f.name))
	if mt == "" {
		mt = "application/octet-stream"
	}
	mt, _, _ = strings.Cut(mt, ";")
	private := s.srv.URL + "/files/" + f.id + "/" + f.name
	return obj{
		"id":                   f.id,
		"created":              f.created.Unix(),
		"timestamp":            f.created.Unix(),
		"name":                 f.name,
		"title":                f.title,
		"mimetype":             mt,
		"filetype":             strings.TrimPrefix(path.Ext(f.name), "."),
		"user":                 f.user,
		"size":                 len(f.data),
		"mode":                 "hosted",
		"is_external":          false,
		"is_public":            true,
		"url_private":          private,
		"url_private_download": private,
		"permalink":            "https://" + TeamDomain + ".slack.com/files/" + f.user + "/" + f.id + "/" + f.name,
	}
}

// files.getUploadURLExternal: the first step of Slack's upload flow (slack-go
// UploadFile/UploadFileContext). The upload URL is on this server, so
// slack-go agrees to send it the token.
func (s *Server) filesGetUploadURLExternal(r *apiRequest) (obj, string) {
	name := r.params.Get("filename")
	length, err := strconv.Atoi(r.params.Get("length"))
	if name == "" || err != nil || length <= 0 {
		return nil, "invalid_arguments"
	}
	f := &file{id: s.nextID("F"), name: name, title: name, token: randomHex(16), length: length, created: s.now(), user: s.botUserID}
	s.files[f.id] = f
	s.uploads[f.token] = f.id
	return obj{"upload_url": s.srv.URL + "/upload/v1/" + f.token, "file_id": f.id}, ""
}

// serveUpload takes the bytes POSTed to an upload URL: a multipart form with
// a "file" part (what slack-go sends) or the raw body. It answers as Slack's
// file server does, in plain text.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	data, err := uploadedBytes(r)
	if err != nil {
		http.Error(w, "bad upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	f := s.files[s.uploads[r.PathValue("token")]]
	if f != nil {
		f.data = data
		f.uploaded = true
		s.touch()
	}
	s.mu.Unlock()
	if f == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

func uploadedBytes(r *http.Request) ([]byte, error) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return io.ReadAll(r.Body)
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errors.New(`no "file" part`)
		}
		if err != nil {
			return nil, err
		}
		if p.FormName() == "file" {
			return io.ReadAll(p)
		}
	}
}

// serveFile serves a file's url_private, to a holder of the bot token.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	f := s.files[r.PathValue("id")]
	authorized := tok != "" && (s.token == "" || tok == s.token)
	var data []byte
	if f != nil {
		data = slices.Clone(f.data)
	}
	s.mu.Unlock()
	switch {
	case !authorized:
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	case f == nil || f.name != r.PathValue("name"):
		http.NotFound(w, r)
	default:
		_, _ = io.Copy(w, bytes.NewReader(data))
	}
}

// files.completeUploadExternal shares uploaded files: one message from the
// bot per channel, in the thread if thread_ts is set, with initial_comment
// as its text. Slack shares asynchronously; the fake has shared them by the
// time it answers.
func (s *Server) filesCompleteUploadExternal(r *apiRequest) (obj, string) {
	var summaries []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(r.params.Get("files")), &summaries); err != nil || len(summaries) == 0 {
		return nil, "invalid_arguments"
	}
	var files []*file
	for _, sum := range summaries {
		f := s.files[sum.ID]
		if f == nil || !f.uploaded {
			return nil, "file_not_found"
		}
		files = append(files, f)
	}
	var targets []*channel
	for _, ref := range append([]string{r.params.Get("channel_id")}, strings.Split(r.params.Get("channels"), ",")...) {
		if ref = strings.TrimSpace(ref); ref == "" {
			continue
		}
		if isUserID(ref) {
			return nil, "invalid_arguments" // a DM's id (conversations.open), not a user's
		}
		ch := s.channel(ref)
		if ch == nil {
			return nil, "channel_not_found"
		}
		targets = append(targets, ch)
	}
	c, code := parseContent(r.params)
	if code != "" {
		return nil, code
	}
	text := r.params.Get("initial_comment")
	if text == "" {
		text = c.text
	}

	answer := make([]obj, 0, len(files))
	ids := make([]string, 0, len(files))
	for i, f := range files {
		if summaries[i].Title != "" {
			f.title = summaries[i].Title
		}
		ids = append(ids, f.id)
		answer = append(answer, obj{"id": f.id, "title": f.title})
	}
	for _, ch := range targets {
		m := &message{ts: s.nextTS(), user: s.botUserID, botID: s.botID, text: text, blocks: c.blocks, files: slices.Clone(ids)}
		s.post(ch, m, r.params.Get("thread_ts"), false)
	}
	return obj{"files": answer}, ""
}
