package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tycho"
)

// metrics are the server's Prometheus metrics.
type metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.HistogramVec
	leaseLatency  prometheus.Histogram
	resultLatency prometheus.Histogram
}

// latencyBuckets span a fast loopback call to a slow long poll.
var latencyBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func newMetrics(reg *prometheus.Registry, store tycho.Store) *metrics {
	m := &metrics{
		registry: reg,
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tycho_http_request_duration_seconds",
			Help:    "API latency by route and status code.",
			Buckets: latencyBuckets,
		}, []string{"route", "code"}),
		leaseLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tycho_lease_duration_seconds",
			Help:    "Time the store took to grant a lease that leased experiments (long-poll waiting excluded).",
			Buckets: latencyBuckets,
		}),
		resultLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tycho_result_duration_seconds",
			Help:    "Time the store took to record a leased experiment's result.",
			Buckets: latencyBuckets,
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.leaseLatency, m.resultLatency, &stateCollector{store: store})
	}
	return m
}

func (m *metrics) observeRequest(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Observe(d.Seconds())
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) error {
	if s.metrics.registry == nil {
		return tycho.Errorf(tycho.ENOTFOUND, "metrics are not enabled on this server")
	}
	promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}

// stateCollector reports experiments by state, counted by the store when
// scraped, so every server sharing a database reports the same numbers.
type stateCollector struct {
	store tycho.Store
}

var experimentsDesc = prometheus.NewDesc("tycho_experiments", "Experiments by state, over all campaigns.", []string{"state"}, nil)

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- experimentsDesc }

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.store.CountExperiments(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(experimentsDesc, err)
		return
	}
	for _, st := range tycho.ExperimentStates {
		ch <- prometheus.MustNewConstMetric(experimentsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}
