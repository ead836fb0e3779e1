package repo_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/patchkit/patchkit/repo"
)

// A request that fails below HTTP, here a refused connection, is a
// NetworkError naming the URL: a repository to mark unreadable, not a
// cancellation to stop on. The caller's own cancellation matches
// context.Canceled instead.
func ExampleNetworkError() {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	url := "http://" + l.Addr().String() + "/debian/dists/stable/InRelease"
	l.Close() // nothing listens on the port now

	c, _ := repo.NewClient()
	defer c.Close()
	_, err := c.Fetch(context.Background(), url, repo.MaxReleaseSize, &bytes.Buffer{}, nil)
	var ne *repo.NetworkError
	fmt.Println(errors.As(err, &ne) && ne.URL == url, errors.Is(err, repo.ErrNetwork), errors.Is(err, context.Canceled))
	fmt.Println(repo.HealthOf(err))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Fetch(ctx, url, repo.MaxReleaseSize, &bytes.Buffer{}, nil)
	fmt.Println(errors.Is(err, repo.ErrNetwork), errors.Is(err, context.Canceled))
	// Output:
	// true true false
	// UNREADABLE
	// false true
}
