package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The container: the Dockerfile, docker-compose.yml, .env.example and the
// ignore files agree with each other and with what liaison reads, so that
// `cp .env.example .env; docker compose up` gives a service whose health
// Docker can see and whose secrets all reach it.

// composeFile is the part of docker-compose.yml checked here.
type composeFile struct {
	Services map[string]struct {
		Environment map[string]string `yaml:"environment"`
		Volumes     []yaml.Node       `yaml:"volumes"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
}

// composeVolume is a volume in the long syntax.
type composeVolume struct {
	Type     string `yaml:"type"`
	Source   string `yaml:"source"`
	Target   string `yaml:"target"`
	ReadOnly bool   `yaml:"read_only"`
	Bind     struct {
		CreateHostPath *bool `yaml:"create_host_path"`
	} `yaml:"bind"`
}

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// notForCompose are the variables liaison reads that the compose file
// leaves out, and why.
var notForCompose = map[string]string{
	"LIAISON_HTTP_ADDR":          "the Dockerfile sets it (:8080, the port published)",
	"LIAISON_ADMIN_ADDR":         "its default, 127.0.0.1:9090 inside the container, is what docker compose exec liaison liaison doctor --round-trip reaches",
	"LIAISON_SLACK_API_URL":      "tests and staging",
	"LIAISON_DISCORD_API_URL":    "tests and staging",
	"LIAISON_WATCH_<SOURCE>_URL": "tests and proxies",
}

func TestTheContainerReportsItsHealthAndGetsEverySecret(t *testing.T) {
	t.Parallel()
	dockerfile := readRepoFile(t, "Dockerfile")
	if !regexp.MustCompile(`COPY --from=build /out/liaison /usr/local/bin/liaison\n`).MatchString(dockerfile) ||
		!regexp.MustCompile(`(?m)^HEALTHCHECK .*\\\n\s+CMD \["/usr/local/bin/liaison", "healthcheck"\]$`).MatchString(dockerfile) {
		t.Errorf("the Dockerfile has no HEALTHCHECK running /usr/local/bin/liaison healthcheck (exec form: the image has no shell):\n%s", dockerfile)
	}

	raw := readRepoFile(t, "docker-compose.yml")
	var compose composeFile
	if err := yaml.Unmarshal([]byte(raw), &compose); err != nil {
		t.Fatal(err)
	}
	svc, ok := compose.Services["liaison"]
	if !ok {
		t.Fatal("docker-compose.yml has no liaison service")
	}
	if want := []string{"CMD", "/usr/local/bin/liaison", "healthcheck"}; !slices.Equal(svc.Healthcheck.Test, want) {
		t.Errorf("the liaison service's healthcheck is %q, want %q", svc.Healthcheck.Test, want)
	}

	// liaison.yaml is mounted read-only where LIAISON_CONFIG points, and a
	// missing file is an error rather than a directory Docker creates.
	mounted := false
	for _, n := range svc.Volumes {
		var v composeVolume
		if n.Kind != yaml.MappingNode || n.Decode(&v) != nil || v.Source != "./liaison.yaml" {
			continue
		}
		mounted = true
		if v.Type != "bind" || !v.ReadOnly || v.Bind.CreateHostPath == nil || *v.Bind.CreateHostPath || v.Target != svc.Environment["LIAISON_CONFIG"] {
			t.Errorf("liaison.yaml is mounted as %+v with LIAISON_CONFIG=%s; want a read-only bind at LIAISON_CONFIG with create_host_path: false", v, svc.Environment["LIAISON_CONFIG"])
		}
	}
	if !mounted {
		t.Error("docker-compose.yml does not mount ./liaison.yaml in the liaison service (in the long syntax)")
	}

	// Every variable liaison reads reaches the service, from .env.
	var read []string
	for _, m := range regexp.MustCompile(`(?m)^  ([A-Z][A-Z0-9_<>]+)(?:, ([A-Z][A-Z0-9_]+)$)?`).FindAllStringSubmatch(envHelp, -1) {
		read = append(read, m[1])
		if m[2] != "" {
			read = append(read, m[2]) // REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET
		}
	}
	if !slices.Contains(read, "GITHUB_TOKEN") || !slices.Contains(read, "REDDIT_CLIENT_SECRET") {
		t.Fatalf("the variables read from liaison's help are %q: the help's layout changed", read)
	}
	for _, v := range read {
		if _, skip := notForCompose[v]; skip {
			continue
		}
		if _, ok := svc.Environment[v]; !ok {
			t.Errorf("docker-compose.yml does not pass %s to the liaison service", v)
		}
	}
	// … and every ${VAR} compose reads is documented in .env.example.
	example := readRepoFile(t, ".env.example")
	for _, m := range regexp.MustCompile(`\$\{([A-Z][A-Z0-9_]*)`).FindAllStringSubmatch(raw, -1) {
		if !regexp.MustCompile(`(?m)^` + m[1] + `=`).MatchString(example) {
			t.Errorf("docker-compose.yml reads ${%s}, which .env.example does not document", m[1])
		}
	}
	if !strings.Contains(raw, "${POSTGRES_PASSWORD:?") {
		t.Error("the Postgres password does not come from .env (${POSTGRES_PASSWORD:?…})")
	}
	for _, ignore := range []string{".gitignore", ".dockerignore"} {
		lines := strings.Split(readRepoFile(t, ignore), "\n")
		if !slices.Contains(lines, ".env") {
			t.Errorf("%s does not list .env: the secrets would be committed or sent to the build", ignore)
		}
	}
}

// Docker creates an empty directory where a bind-mounted liaison.yaml is
// missing (with the short syntax); liaison run then says what happened and
// what to do, and stops.
func TestRunStopsWithTheFixWhenLiaisonYAMLIsADirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "liaison.yaml")
	if err := os.Mkdir(cfg, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, map[string]string{"LIAISON_CONFIG": cfg, "LIAISON_DATABASE_URL": "sqlite:" + filepath.Join(dir, "liaison.db"),
		"LIAISON_HTTP_ADDR": "127.0.0.1:0", "LIAISON_ADMIN_ADDR": "off"}, "run")
	if code == exitOK || !strings.Contains(errs, cfg+" is a directory, not a file") || !strings.Contains(errs, "cp liaison.example.yaml liaison.yaml") {
		t.Errorf("liaison run with liaison.yaml a directory = exit %d, %q; want a failure saying what to do", code, errs)
	}
}
