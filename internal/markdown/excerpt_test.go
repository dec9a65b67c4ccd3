package markdown_test

import (
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/markdown"
)

func TestHighlight(t *testing.T) {
	t.Parallel()
	m := func(s string) onboardiq.ExcerptPart { return onboardiq.ExcerptPart{Text: s, Match: true} }
	u := func(s string) onboardiq.ExcerptPart { return onboardiq.ExcerptPart{Text: s} }
	for _, tc := range []struct {
		name string
		in   onboardiq.Excerpt
		want string
	}{
		{"matches marked", onboardiq.Excerpt{u("Set up "), m("SSO"), u(" with "), m("SAML"), u(".")},
			"Set up <mark>SSO</mark> with <mark>SAML</mark>."},
		{"text escaped, only the match is markup", onboardiq.Excerpt{u("<script>alert(1)</script> & "), m("<b>sso</b>"), u(" \"«»\"")},
			"&lt;script&gt;alert(1)&lt;/script&gt; &amp; <mark>&lt;b&gt;sso&lt;/b&gt;</mark> &#34;«»&#34;"},
		{"Markdown punctuation out", onboardiq.Excerpt{u("## Current limits\n\n| Scope | Production |\n|---|---|\n| Requests per **"), m("API"), u("** key | `600` |")},
			"Current limits Scope Production Requests per <mark>API</mark> key 600"},
		{"lists and links", onboardiq.Excerpt{u("\n- Open [the admin page](https://x.example/admin) and\n1. "), m("rotate"), u(" the ![key](k.png)\n> quoted")},
			"Open the admin page and <mark>rotate</mark> the key quoted"},
		{"fragments", onboardiq.Excerpt{m("Okta"), u(" app … the "), m("Okta"), u(" tile")},
			"<mark>Okta</mark> app … the <mark>Okta</mark> tile"},
		{"none", nil, ""},
	} {
		if got := string(markdown.Highlight(tc.in)); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
