package main

// Command-line options of etcd-bench. The flags are the same as those of `paxoskv bench`, so that
// benchmarks/compare-etcd.sh can drive both systems with one argument list; a few extra flags
// (--preload, --name, --seed, --zipf-theta) are marked as such in the usage text.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

type options struct {
	endpoints        []string
	inFlight         int
	ratePerS         float64 // 0: closed loop
	duration         time.Duration
	warmup           time.Duration
	readRatio        float64
	casRatio         float64
	keys             int
	distribution     string
	zipfTheta        float64
	keySize          int
	valueSize        int
	connections      int
	attemptTimeout   time.Duration
	requestTimeout   time.Duration
	jsonPath         string
	csvPath          string
	quiet            bool
	preload          bool
	name             string
	seed             int64
	cpuProfilePath   string
	inFlightExplicit bool
}

func (o *options) openLoop() bool { return o.ratePerS > 0 }

// intervalName is what the JSON calls this run unless --name says otherwise.
func (o *options) intervalName() string {
	if o.name != "" {
		return o.name
	}
	if o.openLoop() {
		return fmt.Sprintf("open-%g/s-read%g-cas%g", o.ratePerS, o.readRatio, o.casRatio)
	}
	return fmt.Sprintf("closed-%d-read%g-cas%g", o.inFlight, o.readRatio, o.casRatio)
}

// maxOutstanding bounds the requests in flight in open loop: the --in-flight value when given,
// otherwise large enough never to matter at rates a 3-node etcd cluster can serve.
func (o *options) maxOutstanding() int {
	if o.inFlightExplicit {
		return o.inFlight
	}
	return 100000
}

// parseOptions parses args (without the program name). On any problem it returns every problem
// found, one per line, so that a user fixes them all in one go.
func parseOptions(args []string, usageOut io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("etcd-bench", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	endpoints := fs.String("endpoints", "", "etcd client endpoints, host:port,... (required)")
	fs.IntVar(&o.inFlight, "in-flight", 1, "closed loop: requests kept in flight; open loop: cap on outstanding requests")
	fs.Float64Var(&o.ratePerS, "rate", 0, "open loop at this many requests per second (latency counted from each request's due time); 0 = closed loop")
	durationS := fs.Float64("duration-s", 10, "measured seconds")
	warmupS := fs.Float64("warmup-s", 1, "seconds of load before measuring (not counted)")
	fs.Float64Var(&o.readRatio, "read-ratio", 0, "fraction of requests that are linearizable gets")
	fs.Float64Var(&o.casRatio, "cas-ratio", 0, "fraction of requests that are compare-and-swaps (Txn If Value==expected Then Put)")
	fs.IntVar(&o.keys, "keys", 10000, "size of the key space")
	fs.StringVar(&o.distribution, "distribution", "uniform", "key choice: uniform or zipfian")
	fs.IntVar(&o.keySize, "key-size", 16, "key length in bytes")
	fs.IntVar(&o.valueSize, "value-size", 256, "value length in bytes")
	fs.IntVar(&o.connections, "connections", 1, "number of etcd clients (each one gRPC connection per endpoint)")
	attemptMs := fs.Int("attempt-timeout-ms", 1000, "one attempt unanswered this long is retried")
	requestMs := fs.Int("request-timeout-ms", 5000, "a request not done this long after it was due counts as a timeout")
	fs.StringVar(&o.jsonPath, "json", "", "write the summary JSON here (required)")
	fs.StringVar(&o.csvPath, "csv", "", "write one row per measured request here")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line and no summary on stderr")
	fs.BoolVar(&o.preload, "preload", false, "(etcd-bench only) put every key once before the warm-up")
	fs.StringVar(&o.name, "name", "", "(etcd-bench only) name of the interval in the JSON")
	fs.Int64Var(&o.seed, "seed", 1, "(etcd-bench only) seed of the key and operation choices")
	fs.StringVar(&o.cpuProfilePath, "cpu-profile", "", "(etcd-bench only) write a Go CPU profile of the run here")
	fs.Float64Var(&o.zipfTheta, "zipf-theta", 0.99, "(etcd-bench only) skew of the zipfian distribution, 0 < theta < 1")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "in-flight" {
			o.inFlightExplicit = true
		}
	})

	var problems []string
	bad := func(format string, a ...interface{}) { problems = append(problems, fmt.Sprintf(format, a...)) }
	if fs.NArg() > 0 {
		bad("unexpected argument %q", fs.Arg(0))
	}
	for _, e := range strings.Split(*endpoints, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if i := strings.LastIndex(e, ":"); i <= 0 || i == len(e)-1 {
			bad("--endpoints: %q is not host:port", e)
		}
		o.endpoints = append(o.endpoints, e)
	}
	if len(o.endpoints) == 0 {
		bad("--endpoints: at least one host:port is required")
	}
	if o.inFlight < 1 {
		bad("--in-flight must be at least 1, got %d", o.inFlight)
	}
	if o.ratePerS < 0 || math.IsNaN(o.ratePerS) || math.IsInf(o.ratePerS, 0) {
		bad("--rate must be a positive number of requests per second (0 = closed loop), got %g", o.ratePerS)
	}
	if !(*durationS > 0) || *durationS > 86400 {
		bad("--duration-s must be in (0, 86400], got %g", *durationS)
	}
	if !(*warmupS >= 0) || *warmupS > 86400 {
		bad("--warmup-s must be in [0, 86400], got %g", *warmupS)
	}
	o.duration = time.Duration(*durationS * float64(time.Second))
	o.warmup = time.Duration(*warmupS * float64(time.Second))
	if !(o.readRatio >= 0 && o.readRatio <= 1) {
		bad("--read-ratio must be in [0, 1], got %g", o.readRatio)
	}
	if !(o.casRatio >= 0 && o.casRatio <= 1) {
		bad("--cas-ratio must be in [0, 1], got %g", o.casRatio)
	}
	if o.readRatio+o.casRatio > 1+1e-9 {
		bad("--read-ratio + --cas-ratio must not exceed 1, got %g", o.readRatio+o.casRatio)
	}
	if o.keys < 1 {
		bad("--keys must be at least 1, got %d", o.keys)
	}
	if o.distribution != "uniform" && o.distribution != "zipfian" {
		bad("--distribution must be uniform or zipfian, got %q", o.distribution)
	}
	if !(o.zipfTheta > 0 && o.zipfTheta < 1) {
		bad("--zipf-theta must be in (0, 1), got %g", o.zipfTheta)
	}
	if o.keys >= 1 {
		if need := 1 + len(fmt.Sprint(o.keys-1)); o.keySize < need {
			bad("--key-size %d is too small for %d keys: need at least %d bytes", o.keySize, o.keys, need)
		}
	}
	if o.keySize > 1<<20 {
		bad("--key-size must be at most 1 MiB, got %d", o.keySize)
	}
	if o.valueSize < 0 || o.valueSize > 1<<20 {
		bad("--value-size must be in [0, 1 MiB], got %d", o.valueSize)
	}
	if o.connections < 1 || o.connections > 10000 {
		bad("--connections must be in [1, 10000], got %d", o.connections)
	}
	if *attemptMs < 1 {
		bad("--attempt-timeout-ms must be at least 1, got %d", *attemptMs)
	}
	if *requestMs < 1 {
		bad("--request-timeout-ms must be at least 1, got %d", *requestMs)
	}
	o.attemptTimeout = time.Duration(*attemptMs) * time.Millisecond
	o.requestTimeout = time.Duration(*requestMs) * time.Millisecond
	if o.jsonPath == "" {
		bad("--json OUT.json is required")
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return o, nil
}
