package demo

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/onboardiq/onboardiq"
)

//go:embed articles/*.md
var articleFiles embed.FS

// Articles returns the demo knowledge base, parsed from the embedded
// markdown files (front matter: title, visibility, tags).
func Articles() ([]onboardiq.NewArticle, error) {
	names, err := fs.Glob(articleFiles, "articles/*.md")
	if err != nil {
		return nil, err
	}
	out := make([]onboardiq.NewArticle, 0, len(names))
	for _, name := range names {
		b, err := articleFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		a, err := parseArticle(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		a.Slug = strings.TrimSuffix(path.Base(name), ".md")
		out = append(out, a)
	}
	return out, nil
}

func parseArticle(s string) (onboardiq.NewArticle, error) {
	var a onboardiq.NewArticle
	rest, ok := strings.CutPrefix(s, "---\n")
	if !ok {
		return a, fmt.Errorf("no front matter")
	}
	head, body, ok := strings.Cut(rest, "\n---\n")
	if !ok {
		return a, fmt.Errorf("front matter not closed")
	}
	for line := range strings.SplitSeq(head, "\n") {
		key, value, _ := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch strings.TrimSpace(key) {
		case "title":
			a.Title = value
		case "visibility":
			a.Visibility = onboardiq.Visibility(value)
		case "tags":
			for t := range strings.SplitSeq(value, ",") {
				if t = strings.TrimSpace(t); t != "" {
					a.Tags = append(a.Tags, t)
				}
			}
		}
	}
	a.Content = strings.TrimSpace(body) + "\n"
	return a, a.Validate()
}
