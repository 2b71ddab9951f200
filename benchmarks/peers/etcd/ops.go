package main

// One request against etcd, retried the way paxoskv's client retries (src/client/async_client.h):
// an attempt unanswered within the attempt timeout, or failed with a transient error (no leader,
// leader changed, connection lost, ...), is tried again after a jittered exponential backoff until
// the request timeout, counted from the request's due time, has passed. Errors that no retry can
// fix (bad request, permission) end the request at once.

import (
	"context"
	"math/rand"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type outcome int

const (
	outcomeOK outcome = iota
	outcomeError
	outcomeTimeout
)

func (o outcome) String() string {
	switch o {
	case outcomeOK:
		return "ok"
	case outcomeError:
		return "error"
	}
	return "timeout"
}

// The same backoff as paxoskv's client: 10 ms doubling per consecutive failure, at most 250 ms
// (and at most the attempt timeout), drawn from the upper half so that clients do not retry in
// lockstep.
const (
	baseBackoff = 10 * time.Millisecond
	maxBackoff  = 250 * time.Millisecond
)

type result struct {
	outcome       outcome
	retries       int
	compareFailed bool
	lastError     error
}

type executor struct {
	keys           *keySpace
	attemptTimeout time.Duration
	requestTimeout time.Duration
}

// do runs one request until it succeeds, fails for good, or its deadline (due+requestTimeout)
// passes. ctx ends every request at once when the whole run is interrupted.
func (e *executor) do(ctx context.Context, kv clientv3.KV, kind opKind, key int, value string,
	due time.Time) result {
	deadline := due.Add(e.requestTimeout)
	var res result
	for failures := 0; ; failures++ {
		remaining := time.Until(deadline)
		if remaining <= 0 || ctx.Err() != nil {
			res.outcome = outcomeTimeout
			return res
		}
		attempt := e.attemptTimeout
		if attempt > remaining {
			attempt = remaining
		}
		actx, cancel := context.WithTimeout(ctx, attempt)
		compareFailed, err := e.attempt(actx, kv, kind, key, value)
		cancel()
		if err == nil {
			res.outcome = outcomeOK
			res.compareFailed = compareFailed
			return res
		}
		res.lastError = err
		if permanent(err) {
			res.outcome = outcomeError
			return res
		}
		res.retries++
		pause := backoff(failures, e.attemptTimeout)
		if pause >= time.Until(deadline) {
			res.outcome = outcomeTimeout
			return res
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
		}
	}
}

func (e *executor) attempt(ctx context.Context, kv clientv3.KV, kind opKind, key int,
	value string) (compareFailed bool, err error) {
	name := e.keys.keys[key]
	switch kind {
	case opGet:
		resp, err := kv.Get(ctx, name) // linearizable: the client's default
		if err != nil {
			return false, err
		}
		if len(resp.Kvs) > 0 {
			v := string(resp.Kvs[0].Value)
			e.keys.lastValue[key].Store(&v)
		}
		return false, nil
	case opPut:
		if _, err := kv.Put(ctx, name, value); err != nil {
			return false, err
		}
		e.keys.lastValue[key].Store(&value)
		return false, nil
	case opCas:
		expected := ""
		if p := e.keys.lastValue[key].Load(); p != nil {
			expected = *p
		}
		resp, err := kv.Txn(ctx).
			If(clientv3.Compare(clientv3.Value(name), "=", expected)).
			Then(clientv3.OpPut(name, value)).
			Commit()
		if err != nil {
			return false, err
		}
		if resp.Succeeded {
			e.keys.lastValue[key].Store(&value)
		}
		return !resp.Succeeded, nil
	}
	panic("unknown operation kind")
}

// permanent reports whether err is one that retrying cannot fix. Everything else (Unavailable:
// no leader, leader changed, server timeout, connection lost; DeadlineExceeded of one attempt;
// ResourceExhausted: too many requests) is retried.
func permanent(err error) bool {
	code := status.Code(err)
	if ee, ok := err.(rpctypes.EtcdError); ok {
		code = ee.Code()
	}
	switch code {
	case codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated, codes.Unimplemented,
		codes.OutOfRange, codes.DataLoss:
		return true
	}
	return false
}

// Uses the global (locked) PRNG: backoffs happen only after failures, so its cost does not matter.
func backoff(failures int, attemptTimeout time.Duration) time.Duration {
	limit := maxBackoff
	if attemptTimeout < limit {
		limit = attemptTimeout
	}
	d := baseBackoff
	for i := 0; i < failures && d < limit; i++ {
		d *= 2
	}
	if d > limit {
		d = limit
	}
	half := d / 2
	return half + time.Duration(rand.Int63n(int64(half)+1))
}
