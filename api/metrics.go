package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ewallet/ewallet/ledger"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics: requests by route and
// status, ledger commit batch sizes and times, transfers by kind.
type Metrics struct {
	reg      *prometheus.Registry
	handler  http.Handler
	requests *prometheus.HistogramVec
	batch    prometheus.Histogram
	commit   prometheus.Histogram
	moved    *prometheus.CounterVec
}

// NewMetrics registers the metrics on a fresh registry (with Go and
// process collectors).
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ewallet_http_request_duration_seconds", Help: "HTTP requests by route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "status"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ewallet_ledger_commit_batch_size", Help: "Transfers decided per ledger group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13),
		}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ewallet_ledger_commit_seconds", Help: "Time of one ledger group commit, sync included.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, 1},
		}),
		moved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ewallet_ledger_transfers_total", Help: "Transfers committed to the ledger, by kind (p2p, topup, withdrawal, …).",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.requests, m.batch, m.commit, m.moved, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return m
}

// Registry lets other parts of the server register their metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) observe(route string, status int, took time.Duration) {
	if route == "" {
		route = "unknown"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Observe(took.Seconds())
}

// ObserveCommit records one ledger group commit (ledger.Options.OnCommit).
func (m *Metrics) ObserveCommit(size int, took time.Duration) {
	m.batch.Observe(float64(size))
	m.commit.Observe(took.Seconds())
}

// ObserveTransfer counts one committed transfer by its kind
// (ledger.Options.OnTransfer).
func (m *Metrics) ObserveTransfer(t ledger.Transfer) {
	m.moved.WithLabelValues(t.Kind).Inc()
}
