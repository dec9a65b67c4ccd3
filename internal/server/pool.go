package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onboardiq/onboardiq/internal/postgres"
)

// poolCollector exports the connection pool's state.
type poolCollector struct {
	db                          *postgres.DB
	total, idle, inUse, maxConn *prometheus.Desc
	acquires, waits             *prometheus.Desc
	waitSeconds                 *prometheus.Desc
	retries                     *prometheus.Desc
}

func newPoolCollector(db *postgres.DB) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("onboardiq_db_pool_"+name, help, nil, nil)
	}
	return &poolCollector{
		db:          db,
		total:       d("connections", "Open connections."),
		idle:        d("idle_connections", "Idle connections."),
		inUse:       d("in_use_connections", "Connections in use."),
		maxConn:     d("max_connections", "The pool's size limit."),
		acquires:    d("acquires_total", "Connections acquired."),
		waits:       d("empty_acquires_total", "Acquires that had to wait for a connection."),
		waitSeconds: d("acquire_wait_seconds_total", "Time spent waiting for a connection."),
		retries: prometheus.NewDesc("onboardiq_db_tx_retries_total",
			"Transactions run again after a serialization failure or a deadlock.", nil, nil),
	}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(c, ch)
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.db.Pool.Stat()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	k := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	g(c.total, float64(s.TotalConns()))
	g(c.idle, float64(s.IdleConns()))
	g(c.inUse, float64(s.AcquiredConns()))
	g(c.maxConn, float64(s.MaxConns()))
	k(c.acquires, float64(s.AcquireCount()))
	k(c.waits, float64(s.EmptyAcquireCount()))
	k(c.waitSeconds, s.AcquireDuration().Seconds())
	k(c.retries, float64(c.db.Retries()))
}
