package repotest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// DeadURL returns an http URL on 127.0.0.1 whose port nothing listens on:
// a connection to it is refused.
func DeadURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

// Silent starts a server that accepts every request and never answers
// (for 20 s, or until the client gives up), for a client's timeout to
// end; it is closed when the test ends.
func Silent(t testing.TB) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	}))
	t.Cleanup(s.Close)
	return s
}
