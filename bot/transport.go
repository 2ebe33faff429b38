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
	var transport http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	if apiURL != "" {
		base, err := url.Parse(apiURL)
		if err != nil {
			return nil, err
		}
		transport = rewriteHost{base: base, next: transport}
	}
	return &http.Client{Transport: transport, Timeout: 20 * time.Second}, nil
}
