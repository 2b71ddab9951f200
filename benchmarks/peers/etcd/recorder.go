package main

// Collects the outcome of every measured request: per operation kind a latency histogram with
// bounded relative error (HdrHistogram, 3 significant digits: at most 0.1% off), exact counts, sum
// and maximum, and optionally one row per request for the CSV. Shards keep workers from
// contending on one lock; live counters feed the progress line.

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/codahale/hdrhistogram"
)

const (
	recorderShards = 16
	// Latencies are recorded in microseconds, 1 us .. 1 h; longer ones are clamped to 1 h.
	histogramMaxUs      = int64(3600 * 1000 * 1000)
	histogramSigFigures = 3
)

type sample struct {
	id     uint64
	kind   opKind
	dueUs  int64
	sentUs int64
	recvUs int64
	status outcome
}

type kindStats struct {
	hist                        *hdrhistogram.Histogram // ok requests only; nil until the first
	count, ok, errors, timeouts int64
	retries, compareFailed      int64
	sumUs, maxUs                int64 // over ok requests
}

func (s *kindStats) add(o *kindStats) {
	if o.hist != nil {
		if s.hist == nil {
			s.hist = hdrhistogram.New(1, histogramMaxUs, histogramSigFigures)
		}
		s.hist.Merge(o.hist)
	}
	s.count += o.count
	s.ok += o.ok
	s.errors += o.errors
	s.timeouts += o.timeouts
	s.retries += o.retries
	s.compareFailed += o.compareFailed
	s.sumUs += o.sumUs
	if o.maxUs > s.maxUs {
		s.maxUs = o.maxUs
	}
}

type recorderShard struct {
	mu      sync.Mutex
	stats   [opKinds]kindStats
	samples []sample
}

type recorder struct {
	clock       *clock
	keepSamples bool
	shards      [recorderShards]recorderShard
	// When the last measured request completed (microseconds on the clock), for elapsed_s.
	lastDoneUs atomic.Int64

	// Live counters of every request, warm-up included, for the progress line.
	liveOK, liveErrors, liveTimeouts, liveInFlight atomic.Int64
}

func newRecorder(c *clock, keepSamples bool) *recorder {
	return &recorder{clock: c, keepSamples: keepSamples}
}

// record files one finished request; measured=false (warm-up) only updates the live counters.
func (r *recorder) record(id uint64, kind opKind, due, sent, done time.Time, res result, measured bool) {
	switch res.outcome {
	case outcomeOK:
		r.liveOK.Add(1)
	case outcomeError:
		r.liveErrors.Add(1)
	default:
		r.liveTimeouts.Add(1)
	}
	if !measured {
		return
	}
	doneUs := r.clock.micros(done)
	for {
		last := r.lastDoneUs.Load()
		if doneUs <= last || r.lastDoneUs.CompareAndSwap(last, doneUs) {
			break
		}
	}
	latencyUs := done.Sub(due).Microseconds()
	if latencyUs < 1 {
		latencyUs = 1
	}
	if latencyUs > histogramMaxUs {
		latencyUs = histogramMaxUs
	}

	sh := &r.shards[id%recorderShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st := &sh.stats[kind]
	st.count++
	st.retries += int64(res.retries)
	switch res.outcome {
	case outcomeOK:
		st.ok++
		if res.compareFailed {
			st.compareFailed++
		}
		if st.hist == nil {
			st.hist = hdrhistogram.New(1, histogramMaxUs, histogramSigFigures)
		}
		_ = st.hist.RecordValue(latencyUs) // cannot fail: clamped to the range above
		st.sumUs += latencyUs
		if latencyUs > st.maxUs {
			st.maxUs = latencyUs
		}
	case outcomeError:
		st.errors++
	default:
		st.timeouts++
	}
	if r.keepSamples {
		sh.samples = append(sh.samples, sample{
			id: id, kind: kind, dueUs: r.clock.micros(due), sentUs: r.clock.micros(sent),
			recvUs: doneUs, status: res.outcome,
		})
	}
}

// totals merges the shards: per kind, and over all kinds.
func (r *recorder) totals() (perKind [opKinds]kindStats, all kindStats) {
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		for k := range sh.stats {
			perKind[k].add(&sh.stats[k])
			all.add(&sh.stats[k])
		}
		sh.mu.Unlock()
	}
	return perKind, all
}

// samplesByID returns every kept row, ordered by request id.
func (r *recorder) samplesByID() []sample {
	var out []sample
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		out = append(out, sh.samples...)
		sh.mu.Unlock()
	}
	sort.Slice(out, func(a, b int) bool { return out[a].id < out[b].id })
	return out
}

// clock turns monotonic time.Time readings into microseconds since the Unix epoch, all measured
// from one wall-clock reading, so that CSV times are comparable with `date +%s%6N` and yet immune
// to wall-clock steps during the run.
type clock struct {
	base   time.Time
	baseUs int64
}

func newClock() *clock {
	now := time.Now()
	return &clock{base: now, baseUs: now.UnixMicro()}
}

func (c *clock) micros(t time.Time) int64 { return c.baseUs + t.Sub(c.base).Microseconds() }
