package bot

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are exported on /metrics. They carry routes and outcomes, never
// who asked or what they wrote.
type metrics struct {
	registry     *prometheus.Registry
	interactions *prometheus.CounterVec
	latency      *prometheus.HistogramVec
}

// Interaction outcomes, as counted in kindred_interactions_total.
const (
	outcomeOK           = "ok"
	outcomeUserError    = "user_error"
	outcomeError        = "error"
	outcomePanic        = "panic"
	outcomeUnknownRoute = "unknown_route"
	outcomeMalformed    = "malformed"
	outcomeShuttingDown = "shutting_down"
	outcomeSendFailed   = "send_failed"
)

// newMetrics builds the metrics, with kindred_gateway_connected{shard} for
// each of shards.
func newMetrics(shards []*shard) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		interactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kindred_interactions_total",
			Help: "Interactions answered, by route, kind and outcome.",
		}, []string{"route", "kind", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kindred_handler_duration_seconds",
			Help:    "Time from receiving an interaction to sending its first answer (reply or deferral).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 2.5, 3, 5},
		}, []string{"kind"}),
	}
	m.registry.MustRegister(
		m.interactions,
		m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, sh := range shards {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "kindred_gateway_connected",
			Help:        "1 while the shard's Discord gateway session is connected.",
			ConstLabels: prometheus.Labels{"shard": strconv.Itoa(sh.id)},
		}, func() float64 {
			if sh.connected() {
				return 1
			}
			return 0
		}))
	}
	return m
}

func (m *metrics) count(route, kind, outcome string) {
	m.interactions.WithLabelValues(route, kind, outcome).Inc()
}

func (m *metrics) observe(kind string, d time.Duration) {
	m.latency.WithLabelValues(kind).Observe(d.Seconds())
}

func metricsHandler(m *metrics) http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
