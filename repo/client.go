package repo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Client fetches repository files with limits, keeps a local cache of
// verified metadata, and carries the verification Policy. It is safe for
// concurrent use; updates of one repository (repo/apt.Update,
// repo/rpmmd.Update) wait for each other, in this process or another
// sharing the cache directory.
type Client struct {
	opt options

	mu     sync.Mutex
	tmpDir string // the private cache directory when none was given
	closed bool
}

type options struct {
	http         *http.Client
	logger       *slog.Logger
	cacheDir     string
	policy       Policy
	maxRedirects int
	minRate      int64
	rateWindow   time.Duration
	userAgent    string
}

// invalid is the error of an option given a value it does not take.
func invalid(option, reason string) error {
	return &InvalidError{Func: "repo." + option, Reason: reason}
}

// Option configures a Client. An option given a value it does not take
// makes NewClient fail with an *InvalidError (patchkit.ErrInvalid).
type Option func(*options) error

// WithHTTPClient sets the HTTP client (its Transport, TLS settings and
// Timeout are used; redirects are always followed by the Client itself).
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return invalid("WithHTTPClient", "nil HTTP client")
		}
		o.http = c
		return nil
	}
}

// WithLogger sets the logger. The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return invalid("WithLogger", "nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithCacheDir keeps verified metadata in dir (created if missing). Without
// it, the Client uses a private temporary directory that Close removes.
func WithCacheDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return invalid("WithCacheDir", "empty cache directory")
		}
		o.cacheDir = dir
		return nil
	}
}

// WithClock sets the clock used for freshness and key validity checks.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return invalid("WithClock", "nil clock")
		}
		o.policy.Now = now
		return nil
	}
}

// WithMaxRedirects sets how many redirects one request may follow
// (default 5; 0 refuses every redirect).
func WithMaxRedirects(n int) Option {
	return func(o *options) error {
		if n < 0 || n > 20 {
			return invalid("WithMaxRedirects", fmt.Sprintf("redirect limit %d out of range 0..20", n))
		}
		o.maxRedirects = n
		return nil
	}
}

// WithMinThroughput fails a download that receives fewer than
// bytesPerSecond*window bytes in any window (default 1000 B/s over 30 s,
// dnf's minrate and timeout). bytesPerSecond 0 turns the guard off; the
// context's deadline still applies.
func WithMinThroughput(bytesPerSecond int64, window time.Duration) Option {
	return func(o *options) error {
		if bytesPerSecond < 0 || window <= 0 {
			return invalid("WithMinThroughput", "needs a non-negative rate and a positive window")
		}
		o.minRate, o.rateWindow = bytesPerSecond, window
		return nil
	}
}

// WithMaxFileSize sets the limit for files whose size is not signed, and
// for any decompressed stream (default DefaultMaxFileSize, 2 GiB).
func WithMaxFileSize(n int64) Option {
	return func(o *options) error {
		if n <= 0 {
			return invalid("WithMaxFileSize", "the limit must be positive")
		}
		o.policy.MaxFileSize = n
		return nil
	}
}

// WithMaxFutureSkew sets how far in the future a metadata date may be,
// and a signature (so its key) made (default DefaultMaxFutureSkew, 10 s,
// apt's Max-FutureTime).
func WithMaxFutureSkew(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return invalid("WithMaxFutureSkew", "negative clock skew")
		}
		o.policy.MaxFutureSkew = d
		return nil
	}
}

// WithWeakDigests accepts SHA-1 signatures on metadata. Off by default.
func WithWeakDigests(allow bool) Option {
	return func(o *options) error {
		o.policy.AllowWeakDigests = allow
		return nil
	}
}

// WithUserAgent sets the HTTP User-Agent.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if strings.ContainsAny(ua, "\r\n") {
			return invalid("WithUserAgent", "user agent with a line break")
		}
		o.userAgent = ua
		return nil
	}
}

// WithPolicy sets the clock, limits and weak-digest rule at once (see
// Policy); a nil Now keeps the system clock, a zero MaxFileSize the
// default limit. Options after it change single fields.
func WithPolicy(p Policy) Option {
	return func(o *options) error {
		if err := p.Validate(); err != nil {
			return invalid("WithPolicy", err.(*InvalidError).Reason)
		}
		if p.Now == nil {
			p.Now = time.Now
		}
		p.MaxFileSize = p.FileLimit()
		o.policy = p
		return nil
	}
}

// NewClient returns a Client configured by opts: with none, it fetches
// with the limits the options document, keeps its cache in a private
// temporary directory, and verifies with DefaultPolicy. A nil option or
// one given a value it does not take is an *InvalidError (matching
// patchkit.ErrInvalid).
func NewClient(opts ...Option) (*Client, error) {
	o := options{
		http:         &http.Client{},
		logger:       slog.New(slog.DiscardHandler),
		policy:       DefaultPolicy(),
		maxRedirects: 5,
		minRate:      1000,
		rateWindow:   30 * time.Second,
		userAgent:    "patchkit-repo/1",
	}
	for i, f := range opts {
		if f == nil {
			return nil, &InvalidError{Func: "repo.NewClient", Reason: fmt.Sprintf("option %d is nil", i+1)}
		}
		if err := f(&o); err != nil {
			return nil, err
		}
	}
	if o.cacheDir != "" {
		if err := os.MkdirAll(o.cacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("repo: cache directory: %w", err)
		}
	}
	return &Client{opt: o}, nil
}

// Close removes the private cache directory, if the Client made one.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.tmpDir != "" {
		err := os.RemoveAll(c.tmpDir)
		c.tmpDir = ""
		return err
	}
	return nil
}

// Logger returns the Client's logger.
func (c *Client) Logger() *slog.Logger { return c.opt.logger }

// Policy returns the verification policy the Client's options built: its
// clock, limits and weak-digest rule. The format packages apply it on
// every path, and the offline readers take it directly.
func (c *Client) Policy() Policy { return c.opt.policy }

// CacheDir returns the directory of the Client's cache: the one
// WithCacheDir gave, or a private temporary directory, made on first use,
// that Close removes. It fails after Close.
func (c *Client) CacheDir() (string, error) {
	if c.opt.cacheDir != "" {
		return c.opt.cacheDir, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return "", &InvalidError{Func: "repo.Client.CacheDir", Reason: "the client is closed"}
	}
	if c.tmpDir == "" {
		d, err := os.MkdirTemp("", "patchkit-repo-cache-")
		if err != nil {
			return "", err
		}
		c.tmpDir = d
	}
	return c.tmpDir, nil
}

// Conditional carries the validators of a cached copy.
type Conditional struct {
	ETag         string
	LastModified string
}

// Fetched describes a completed download.
type Fetched struct {
	URL          string // the final URL, after redirects
	NotModified  bool   // the server answered 304; nothing was written
	ETag         string
	LastModified string
	Size         int64
}

// Fetch downloads rawURL (http, https or file) into w, writing at most
// limit bytes: a larger body fails with a *TooLargeError at byte limit+1.
// A limit of 0 stands for the Policy's FileLimit; a negative limit is an
// *InvalidError. cond, when set, makes the request conditional. The
// context's deadline, the minimum throughput and the redirect rules apply.
//
// A request that fails below HTTP (no such host, connection refused or
// broken, TLS) is a *NetworkError naming the URL, matching ErrNetwork; one
// that the caller's context ended matches context.Canceled or
// context.DeadlineExceeded; one the minimum throughput stopped is a
// *SlowError; an unexpected status is an *HTTPError.
func (c *Client) Fetch(ctx context.Context, rawURL string, limit int64, w io.Writer, cond *Conditional) (Fetched, error) {
	if w == nil {
		return Fetched{}, &InvalidError{Func: "repo.Client.Fetch", Reason: "nil writer"}
	}
	if limit < 0 {
		return Fetched{}, &InvalidError{Func: "repo.Client.Fetch", Reason: fmt.Sprintf("negative limit %d", limit)}
	}
	if limit == 0 {
		limit = c.opt.policy.FileLimit()
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return Fetched{}, &SyntaxError{Msg: "invalid URL " + quote(rawURL), Err: err}
	}
	switch u.Scheme {
	case "file":
		return c.fetchFile(ctx, u, limit, w)
	case "http", "https":
		return c.fetchHTTP(ctx, u, limit, w, cond)
	default:
		return Fetched{}, &InvalidError{Func: "repo.Client.Fetch", Reason: fmt.Sprintf("%s: unsupported URL scheme %q", rawURL, u.Scheme)}
	}
}

// FilePath returns the local path of a file URL.
func FilePath(u *url.URL) string {
	p := u.Path
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return filepath.FromSlash(p)
}

func (c *Client) fetchFile(ctx context.Context, u *url.URL, limit int64, w io.Writer) (Fetched, error) {
	if err := ctx.Err(); err != nil {
		return Fetched{}, err
	}
	if u.Host != "" && u.Host != "localhost" {
		return Fetched{}, &InvalidError{Func: "repo.Client.Fetch", Reason: u.String() + ": file URL with a host"}
	}
	f, err := os.Open(FilePath(u))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Fetched{}, fmt.Errorf("%s: %w", u, ErrNotFound)
		}
		return Fetched{}, err
	}
	defer f.Close()
	n, err := copyLimit(ctx, w, f, limit, u.String())
	if err != nil {
		return Fetched{}, err
	}
	return Fetched{URL: u.String(), Size: n}, nil
}

// copyLimit copies at most limit bytes and fails at limit+1.
func copyLimit(ctx context.Context, w io.Writer, r io.Reader, limit int64, name string) (int64, error) {
	buf := make([]byte, 64<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, err := r.Read(buf)
		if m > 0 {
			if n+int64(m) > limit {
				return n, &TooLargeError{File: name, What: "download", Limit: limit}
			}
			if _, werr := w.Write(buf[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func (c *Client) fetchHTTP(ctx context.Context, u *url.URL, limit int64, w io.Writer, cond *Conditional) (Fetched, error) {
	hc := *c.opt.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	seen := map[string]bool{u.String(): true}
	for hops := 0; ; hops++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return Fetched{}, err
		}
		req.Header.Set("User-Agent", c.opt.userAgent)
		// Never let the transport decompress: sizes and hashes are of the
		// bytes as served.
		req.Header.Set("Accept-Encoding", "identity")
		if cond != nil {
			if cond.ETag != "" {
				req.Header.Set("If-None-Match", cond.ETag)
			}
			if cond.LastModified != "" {
				req.Header.Set("If-Modified-Since", cond.LastModified)
			}
		}
		wctx, cancel := context.WithCancelCause(ctx)
		req = req.WithContext(wctx)
		var hdrTimer *time.Timer
		if c.opt.minRate > 0 {
			hdrTimer = time.AfterFunc(c.opt.rateWindow, func() {
				cancel(&SlowError{URL: u.String(), Window: c.opt.rateWindow, MinBytes: int64(float64(c.opt.minRate) * c.opt.rateWindow.Seconds())})
			})
		}
		resp, err := hc.Do(req)
		if hdrTimer != nil {
			hdrTimer.Stop()
		}
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err // its message repeats the method and URL
			}
			err = requestErr(ctx, wctx, u.String(), &NetworkError{URL: u.String(), Err: err})
			cancel(nil)
			return Fetched{}, err
		}
		switch {
		case resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != http.StatusNotModified:
			loc := resp.Header.Get("Location")
			resp.Body.Close()
			cancel(nil)
			next, err := c.checkRedirect(u, loc, hops, seen)
			if err != nil {
				return Fetched{}, err
			}
			c.opt.logger.Debug("redirect", "from", u.String(), "to", next.String())
			u = next
			continue
		case resp.StatusCode == http.StatusNotModified && cond != nil:
			resp.Body.Close()
			cancel(nil)
			return Fetched{URL: u.String(), NotModified: true, ETag: cond.ETag, LastModified: cond.LastModified}, nil
		case resp.StatusCode != http.StatusOK:
			resp.Body.Close()
			cancel(nil)
			return Fetched{}, &HTTPError{URL: u.String(), StatusCode: resp.StatusCode, Status: resp.Status}
		}
		if resp.ContentLength > limit {
			resp.Body.Close()
			cancel(nil)
			return Fetched{}, &TooLargeError{File: u.String(), What: "download", Limit: limit}
		}
		body := c.guard(wctx, cancel, netBody{resp.Body, u.String()}, u.String())
		n, err := copyLimit(ctx, w, body, limit, u.String())
		body.Close()
		if err != nil {
			var te *TooLargeError
			if !errors.As(err, &te) {
				err = requestErr(ctx, wctx, u.String(), err)
			}
			cancel(nil)
			return Fetched{}, err
		}
		cancel(nil)
		if resp.ContentLength >= 0 && n != resp.ContentLength {
			return Fetched{}, &SizeError{File: u.String(), Want: resp.ContentLength, Got: n}
		}
		return Fetched{URL: u.String(), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), Size: n}, nil
	}
}

// requestErr decides what a failed request reports: the caller's own
// cancellation or deadline (matching context.Canceled or
// context.DeadlineExceeded, with the URL), the *SlowError of the
// throughput guard that stopped it, or else err (a *NetworkError for what
// the transport reported). It runs before the request's own context is
// cancelled, so that only a cause the guard set is taken for one.
func requestErr(ctx, wctx context.Context, rawURL string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if cause := context.Cause(ctx); !errors.Is(cause, ctxErr) {
			return fmt.Errorf("%s: %w (%w)", rawURL, ctxErr, cause)
		}
		return fmt.Errorf("%s: %w", rawURL, ctxErr)
	}
	var slow *SlowError
	if errors.As(context.Cause(wctx), &slow) {
		return slow
	}
	return err
}

// netBody reports the errors of reading a response body, other than its
// end, as *NetworkError naming the URL.
type netBody struct {
	io.ReadCloser
	url string
}

func (b netBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = &NetworkError{URL: b.url, Err: err}
	}
	return n, err
}

func (c *Client) checkRedirect(from *url.URL, loc string, hops int, seen map[string]bool) (*url.URL, error) {
	refuse := func(reason string) (*url.URL, error) {
		return nil, &RedirectError{From: from.String(), To: loc, Reason: reason}
	}
	if hops+1 > c.opt.maxRedirects {
		return refuse(fmt.Sprintf("more than %d redirects", c.opt.maxRedirects))
	}
	if loc == "" {
		return refuse("no Location")
	}
	if hasControl(loc) {
		return refuse("control character in Location")
	}
	next, err := from.Parse(loc)
	if err != nil {
		return refuse("unparsable Location")
	}
	if hasControl(next.Path) || hasControl(next.RawQuery) || hasControl(next.Fragment) {
		return refuse("encoded control character in Location")
	}
	if unq, err := url.QueryUnescape(next.RawQuery); err == nil && hasControl(unq) {
		return refuse("encoded control character in Location")
	}
	if next.Scheme != "http" && next.Scheme != "https" {
		return refuse("scheme " + next.Scheme)
	}
	if from.Scheme == "https" && next.Scheme != "https" {
		return refuse("downgrade from https to " + next.Scheme)
	}
	if next.User != nil {
		return refuse("credentials in Location")
	}
	if seen[next.String()] {
		return refuse("redirect loop")
	}
	seen[next.String()] = true
	return next, nil
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// guard wraps a response body with the minimum-throughput watchdog: when
// fewer than minRate*window bytes arrive in a window, the request is
// cancelled with a *SlowError.
func (c *Client) guard(ctx context.Context, cancel context.CancelCauseFunc, body io.ReadCloser, name string) io.ReadCloser {
	if c.opt.minRate <= 0 {
		return body
	}
	g := &guarded{ReadCloser: body, stop: make(chan struct{})}
	window := c.opt.rateWindow
	need := int64(float64(c.opt.minRate) * window.Seconds())
	go func() {
		t := time.NewTicker(window)
		defer t.Stop()
		var last int64
		for {
			select {
			case <-g.stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				g.mu.Lock()
				n := g.n
				g.mu.Unlock()
				if n-last < need {
					cancel(&SlowError{URL: name, Bytes: n - last, Window: window, MinBytes: need})
					return
				}
				last = n
			}
		}
	}()
	return g
}

type guarded struct {
	io.ReadCloser
	mu   sync.Mutex
	n    int64
	stop chan struct{}
	once sync.Once
}

func (g *guarded) Read(p []byte) (int, error) {
	n, err := g.ReadCloser.Read(p)
	g.mu.Lock()
	g.n += int64(n)
	g.mu.Unlock()
	return n, err
}

func (g *guarded) Close() error {
	g.once.Do(func() { close(g.stop) })
	return g.ReadCloser.Close()
}
