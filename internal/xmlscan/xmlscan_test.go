package xmlscan

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func tokens(t *testing.T, doc string, lim Limits) ([]string, error) {
	t.Helper()
	s := New(iotest.HalfReader(strings.NewReader(doc)), lim)
	var out []string
	for {
		k, err := s.Next()
		if err != nil {
			return out, err
		}
		switch k {
		case EOF:
			return out, nil
		case StartElement:
			v, _ := s.Attr("v")
			out = append(out, "<"+string(s.Name())+" "+string(v))
		case EndElement:
			out = append(out, "/"+string(s.Name()))
		case Text:
			out = append(out, "'"+string(s.Text()))
		}
	}
}

func TestTokens(t *testing.T) {
	doc := `<?xml version="1.0"?><!-- c --><a v="x &amp; y">t&lt;1&#65;&#x42;<b v='q"'/><![CDATA[<raw>&amp;]]></a>` + "\n"
	got, err := tokens(t, doc, Limits{})
	want := []string{"<a x & y", "'t<1AB", `<b q"`, "/b", "'<raw>&amp;", "/a"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("%q %v", got, err)
	}
}

func TestMalformed(t *testing.T) {
	for _, doc := range []string{
		"", "<a>", "<a></b>", "</a>", "<a/><b/>", "text<a/>", "<a x/>", `<a x="1"y="2"/>`, `<a x="<"/>`,
		"<a>&foo;</a>", "<a>&#0;</a>", "<a>&amp</a>", "<!DOCTYPE a><a/>", "<a><!-- x </a>", "<a><![CDATA[x</a>", "<a", `<a b="c`,
		"<1a/>", "<a><?pi</a>",
	} {
		_, err := tokens(t, doc, Limits{})
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: %v", doc, err)
		}
	}
}

func TestLimits(t *testing.T) {
	var le *LimitError
	if _, err := tokens(t, strings.Repeat("<a>", 65)+strings.Repeat("</a>", 65), Limits{}); !errors.As(err, &le) || le.What != "depth" {
		t.Fatalf("depth: %v", err)
	}
	if _, err := tokens(t, "<a>"+strings.Repeat("x", 2000)+"</a>", Limits{MaxToken: 1000}); !errors.As(err, &le) || le.What != "token size" {
		t.Fatalf("text: %v", err)
	}
	if _, err := tokens(t, `<a v="`+strings.Repeat("x", 2000)+`"/>`, Limits{MaxToken: 1000}); !errors.As(err, &le) || le.What != "token size" {
		t.Fatalf("attribute: %v", err)
	}
	if _, err := tokens(t, "<a>"+strings.Repeat("<b/>", 100)+"</a>", Limits{MaxElements: 50}); !errors.As(err, &le) || le.What != "element count" {
		t.Fatalf("elements: %v", err)
	}
	if got, err := tokens(t, "<a>"+strings.Repeat("x", 999)+"</a>", Limits{MaxToken: 1000}); err != nil || len(got) != 3 {
		t.Fatalf("at the limit: %v", err)
	}
}

func TestLine(t *testing.T) {
	_, err := tokens(t, "<a>\n\n<b>\n</c></a>", Limits{})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 4 {
		t.Fatalf("%v", err)
	}
}
