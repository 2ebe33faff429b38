package bot

import (
	"net/http"
	"net/url"
	"time"
)

// rewriteHost sends every REST request to base's scheme and host, keeping
// the path: discordgo's endpoints are fixed at https://discord.com, and
// this is how Kindred talks to a REST proxy or a local fake instead.
type rewriteHost struct {
	base *url.URL
	next http.RoundTripper
}

func (t rewriteHost) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme = t.base.Scheme
	out.URL.Host = t.base.Host
	out.Host = t.base.Host
	return t.next.RoundTrip(out)
}

// restClient is the HTTP client for Discord's REST API, rewritten to
// apiURL when one is configured.
func restClient(apiURL string) (*http.Client, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	// Replies to a burst of interactions go out together. Keep a bounded set
	// of connections and reuse them: dialling one per reply costs more than
	// the reply, and a burst of dials can overflow the peer's accept queue.
	base.MaxConnsPerHost = 64
	base.MaxIdleConns = 64
	base.MaxIdleConnsPerHost = 64
	var transport http.RoundTripper = base
	if apiURL != "" {
		target, err := url.Parse(apiURL)
		if err != nil {
			return nil, err
		}
		transport = rewriteHost{base: target, next: transport}
	}
	return &http.Client{Transport: transport, Timeout: 20 * time.Second}, nil
}
