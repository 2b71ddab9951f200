package main

// The load loops. Closed loop: --in-flight workers, each sending its next request as soon as the
// previous one is done. Open loop: a dispatcher schedules request k at start + k/rate and hands it
// to a goroutine of its own; its latency is counted from that due time, so a stalled server that
// delays the dispatcher (or fills the --in-flight cap) cannot hide its stall.
//
// Requests due before the warm-up ends are sent but not measured. Nothing new is sent after the
// measured period; requests already sent run to completion (each is bounded by its request
// timeout).

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
)

type runner struct {
	o       *options
	clients []*clientv3.Client
	exec    *executor
	rec     *recorder
	zipf    *zipfian // nil: uniform
	nextID  atomic.Uint64

	start, measureStart, end time.Time
}

func (r *runner) client(i uint64) clientv3.KV { return r.clients[i%uint64(len(r.clients))] }

// run generates load until the measured period is over (or ctx ends) and waits for every request
// it sent. It returns the measured elapsed seconds: from the end of the warm-up to the later of
// the period's end and the last measured request's completion.
func (r *runner) run(ctx context.Context, progress io.Writer) float64 {
	r.start = time.Now()
	r.measureStart = r.start.Add(r.o.warmup)
	r.end = r.measureStart.Add(r.o.duration)

	stopProgress := r.startProgress(progress)
	if r.o.openLoop() {
		r.runOpen(ctx)
	} else {
		r.runClosed(ctx)
	}
	stopProgress()

	finish := r.end
	if ctx.Err() != nil && time.Now().Before(finish) {
		finish = time.Now() // interrupted: only the time actually measured counts
	}
	finishUs := r.rec.clock.micros(finish)
	if last := r.rec.lastDoneUs.Load(); last > finishUs {
		finishUs = last
	}
	elapsedUs := finishUs - r.rec.clock.micros(r.measureStart)
	if elapsedUs < 1 {
		elapsedUs = 1
	}
	return float64(elapsedUs) / 1e6
}

func (r *runner) runClosed(ctx context.Context) {
	var wg sync.WaitGroup
	for w := 0; w < r.o.inFlight; w++ {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			choose := newChooser(r.o, r.zipf, worker)
			values := newValueMaker(r.o.valueSize, worker)
			kv := r.client(uint64(worker))
			for ctx.Err() == nil {
				due := time.Now()
				if !due.Before(r.end) {
					return
				}
				kind, key := choose.next()
				value := ""
				if kind != opGet {
					value = values.next()
				}
				id := r.nextID.Add(1)
				r.rec.liveInFlight.Add(1)
				res := r.exec.do(ctx, kv, kind, key, value, due)
				done := time.Now()
				r.rec.liveInFlight.Add(-1)
				r.rec.record(id, kind, due, due, done, res, !due.Before(r.measureStart))
			}
		}(w)
	}
	wg.Wait()
}

func (r *runner) runOpen(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, r.o.maxOutstanding())
	choose := newChooser(r.o, r.zipf, 0)
	values := newValueMaker(r.o.valueSize, 0)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := int64(0); ; k++ {
		due := r.start.Add(time.Duration(float64(k) * float64(time.Second) / r.o.ratePerS))
		if !due.Before(r.end) {
			return
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return
			}
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		kind, key := choose.next()
		value := ""
		if kind != opGet {
			value = values.next()
		}
		id := r.nextID.Add(1)
		kv := r.client(id)
		wg.Add(1)
		r.rec.liveInFlight.Add(1)
		go func() {
			defer wg.Done()
			sent := time.Now()
			res := r.exec.do(ctx, kv, kind, key, value, due)
			done := time.Now()
			r.rec.liveInFlight.Add(-1)
			r.rec.record(id, kind, due, sent, done, res, !due.Before(r.measureStart))
			<-slots
		}()
	}
}

// startProgress prints one line a second to w (nil: none) and returns the function that stops it.
func (r *runner) startProgress(w io.Writer) func() {
	if w == nil {
		return func() {}
	}
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ticker := time.NewTicker(time.Second)
		defer ticker.Stop()
		prevOK := int64(0)
		for {
			select {
			case <-stop:
				return
			case now := <-ticker.C:
				phase := "measure"
				if now.Before(r.measureStart) {
					phase = "warm-up"
				} else if !now.Before(r.end) {
					phase = "drain"
				}
				ok := r.rec.liveOK.Load()
				fmt.Fprintf(w, "etcd-bench %5.0fs %-7s %8d ok/s  ok %d  errors %d  timeouts %d  in flight %d\n",
					now.Sub(r.start).Seconds(), phase, ok-prevOK, ok, r.rec.liveErrors.Load(),
					r.rec.liveTimeouts.Load(), r.rec.liveInFlight.Load())
				prevOK = ok
			}
		}
	}()
	return func() { close(stop); <-stopped }
}

// preload puts every key once, from several workers, so that reads find values. Not measured.
func (r *runner) preload(ctx context.Context, progress io.Writer) error {
	workers := r.o.inFlight
	if workers < 32 {
		workers = 32
	}
	if workers > r.o.keys {
		workers = r.o.keys
	}
	started := time.Now()
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			values := newValueMaker(r.o.valueSize, worker)
			kv := r.client(uint64(worker))
			for ctx.Err() == nil {
				key := int(next.Add(1) - 1)
				if key >= r.o.keys {
					return
				}
				res := r.exec.do(ctx, kv, opPut, key, values.next(), time.Now())
				if res.outcome != outcomeOK {
					if failed.Add(1) == 1 {
						firstErr.Store(fmt.Sprintf("key %d: %s (%v)", key, res.outcome, res.lastError))
					}
				}
			}
		}(w)
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("preload: %d of %d puts failed; first: %v", n, r.o.keys, firstErr.Load())
	}
	if progress != nil {
		fmt.Fprintf(progress, "etcd-bench preloaded %d keys in %.1f s\n", r.o.keys, time.Since(started).Seconds())
	}
	return nil
}
