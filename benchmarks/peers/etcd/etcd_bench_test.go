package main

import (
	"bytes"
	"io"
	"math/rand"
	"strings"
	"testing"
	"time"
)

func TestOptionsDefaultsAndFlags(t *testing.T) {
	o, err := parseOptions([]string{"--endpoints", "127.0.0.1:2379, 127.0.0.1:22379", "--json", "o.json",
		"--in-flight", "16", "--read-ratio", "0.5", "--duration-s", "2.5"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.endpoints) != 2 || o.endpoints[1] != "127.0.0.1:22379" {
		t.Errorf("endpoints = %q", o.endpoints)
	}
	if o.openLoop() || o.inFlight != 16 || o.duration != 2500*time.Millisecond || o.keySize != 16 ||
		o.valueSize != 256 || o.attemptTimeout != time.Second || o.requestTimeout != 5*time.Second {
		t.Errorf("unexpected options %+v", o)
	}
	if o.intervalName() != "closed-16-read0.5-cas0" {
		t.Errorf("interval name %q", o.intervalName())
	}
}

func TestOptionsReportEveryProblemAtOnce(t *testing.T) {
	_, err := parseOptions([]string{"--endpoints", "nohost", "--read-ratio", "0.8", "--cas-ratio", "0.4",
		"--keys", "1000", "--key-size", "3", "--distribution", "pareto"}, io.Discard)
	if err == nil {
		t.Fatal("expected errors")
	}
	for _, want := range []string{"not host:port", "must not exceed 1", "too small for 1000 keys",
		"uniform or zipfian", "--json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestKeysHaveTheRequestedSize(t *testing.T) {
	ks := newKeySpace(1000, 16)
	if ks.keys[0] != "k000000000000000" || ks.keys[999] != "k000000000000999" {
		t.Errorf("keys %q %q", ks.keys[0], ks.keys[999])
	}
}

func TestValuesAreSizedAndDistinct(t *testing.T) {
	m := newValueMaker(256, 7)
	a, b := m.next(), m.next()
	if len(a) != 256 || len(b) != 256 || a == b {
		t.Errorf("values %q %q", a[:8], b[:8])
	}
	if v := newValueMaker(1, 7).next(); len(v) != 1 {
		t.Errorf("tiny value has %d bytes", len(v))
	}
}

func TestZipfianIsSkewedAndInRange(t *testing.T) {
	z := newZipfian(1000, 0.99)
	rng := rand.New(rand.NewSource(1))
	counts := make([]int, 1000)
	for i := 0; i < 200000; i++ {
		r := z.draw(rng)
		if r < 0 || r >= 1000 {
			t.Fatalf("rank %d out of range", r)
		}
		counts[r]++
	}
	// P(rank 0) = 1/zeta(1000, 0.99), about 13%; rank 0 must beat rank 1 by about 2^0.99.
	if share := float64(counts[0]) / 200000; share < 0.11 || share > 0.15 {
		t.Errorf("rank 0 drew %.3f of requests", share)
	}
	if ratio := float64(counts[0]) / float64(counts[1]); ratio < 1.7 || ratio > 2.3 {
		t.Errorf("rank0/rank1 = %.2f", ratio)
	}
}

func TestBackoffDoublesWithinItsBounds(t *testing.T) {
	for failures := 0; failures < 10; failures++ {
		limit := baseBackoff << failures
		if limit > maxBackoff {
			limit = maxBackoff
		}
		d := backoff(failures, time.Second)
		if d < limit/2 || d > limit {
			t.Errorf("failures=%d: backoff %v outside [%v, %v]", failures, d, limit/2, limit)
		}
	}
	if d := backoff(5, 20*time.Millisecond); d > 20*time.Millisecond {
		t.Errorf("backoff %v exceeds the attempt timeout", d)
	}
}

func TestCSVRows(t *testing.T) {
	var buf bytes.Buffer
	err := writeRows(&buf, []sample{{id: 3, kind: opCas, dueUs: 10, sentUs: 11, recvUs: 20, status: outcomeTimeout}})
	if err != nil {
		t.Fatal(err)
	}
	want := "id,type,due_us,sent_us,received_us,status\n3,cas,10,11,20,timeout\n"
	if buf.String() != want {
		t.Errorf("csv %q, want %q", buf.String(), want)
	}
}

func TestSummaryPercentilesComeFromOkRequestsOnly(t *testing.T) {
	c := newClock()
	rec := newRecorder(c, false)
	due := time.Now()
	for i := 1; i <= 100; i++ {
		rec.record(uint64(i), opPut, due, due, due.Add(time.Duration(i)*time.Millisecond), result{}, true)
	}
	rec.record(101, opPut, due, due, due.Add(time.Hour), result{outcome: outcomeTimeout}, true)
	rec.record(102, opGet, due, due, due.Add(time.Millisecond), result{}, false) // warm-up
	perKind, all := rec.totals()
	s := summarize(&all, 2)
	if s.Count != 101 || s.OK != 100 || s.Timeouts != 1 || s.ThroughputPerS != 50 {
		t.Errorf("summary %+v", s)
	}
	if *s.P50Us < 49900 || *s.P50Us > 50100 || *s.MaxUs != 100000 {
		t.Errorf("p50 %d max %d", *s.P50Us, *s.MaxUs)
	}
	if perKind[opGet].count != 0 {
		t.Errorf("a warm-up request was measured")
	}
}
