// etcd-bench: the etcd side of benchmarks/compare-etcd.sh. A load generator that speaks etcd's
// own client protocol (clientv3 over gRPC) with the same flags, the same summary JSON and the same
// per-request CSV as `paxoskv bench`, so that both systems are measured the same way:
//
//	etcd-bench --endpoints 127.0.0.1:2379,127.0.0.1:22379 --in-flight 16 --connections 16 \
//	    --read-ratio 0.5 --duration-s 10 --json out.json [--csv out.csv]
//
// --connections clientv3 clients are made; each has one gRPC connection to every endpoint and
// balances requests over them round-robin (clientv3's own balancer). Request i goes through
// client i mod --connections. Gets are linearizable (clientv3's default), puts are plain puts and a
// compare-and-swap is Txn(If Value(key) == expected Then Put(key, value)).
//
// Exit status: 0 done, 1 could not run (no cluster, cannot write output), 2 bad flags,
// 3 ran but no request succeeded.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.uber.org/zap"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	o, err := parseOptions(args, os.Stderr)
	if err != nil {
		if err.Error() != "flag: help requested" {
			fmt.Fprintf(os.Stderr, "etcd-bench: %v\n(see etcd-bench --help)\n", err)
		}
		return 2
	}
	// Fewer garbage collections for a little more memory: the generator's CPU is part of what is
	// measured, and its heap is small (a few MB plus the CSV rows).
	debug.SetGCPercent(400)
	var progress io.Writer = os.Stderr
	if o.quiet {
		progress = nil
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	clients, err := connect(o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcd-bench: %v\n", err)
		return 1
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	cluster := describeCluster(clients[0], o.endpoints)

	keys := newKeySpace(o.keys, o.keySize)
	clk := newClock()
	r := &runner{
		o:       o,
		clients: clients,
		exec:    &executor{keys: keys, attemptTimeout: o.attemptTimeout, requestTimeout: o.requestTimeout},
		rec:     newRecorder(clk, o.csvPath != ""),
	}
	if o.distribution == "zipfian" {
		r.zipf = newZipfian(o.keys, o.zipfTheta)
	}
	if o.preload {
		if err := r.preload(ctx, progress); err != nil {
			fmt.Fprintf(os.Stderr, "etcd-bench: %v\n", err)
			return 1
		}
	}
	if o.cpuProfilePath != "" {
		f, err := os.Create(o.cpuProfilePath)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "etcd-bench: --cpu-profile: %v\n", err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	elapsedS := r.run(ctx, progress)

	rep := buildReport(o, cluster, r.rec, elapsedS)
	if err := writeJSON(o.jsonPath, rep); err != nil {
		fmt.Fprintf(os.Stderr, "etcd-bench: writing %s: %v\n", o.jsonPath, err)
		return 1
	}
	if o.csvPath != "" {
		if err := writeCSV(o.csvPath, r.rec.samplesByID()); err != nil {
			fmt.Fprintf(os.Stderr, "etcd-bench: writing %s: %v\n", o.csvPath, err)
			return 1
		}
	}
	if progress != nil {
		printSummary(progress, rep)
	}
	if rep.Intervals[0].Total.OK == 0 {
		fmt.Fprintln(os.Stderr, "etcd-bench: no request succeeded")
		return 3
	}
	return 0
}

// connect makes --connections clients. Client i lists the endpoints rotated by i, so that the
// first connection each one makes is spread over the members.
func connect(o *options) ([]*clientv3.Client, error) {
	logConfig := zap.NewProductionConfig()
	// clientv3 logs every retried attempt as a warning; failures are counted here instead.
	logConfig.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
	clients := make([]*clientv3.Client, 0, o.connections)
	for i := 0; i < o.connections; i++ {
		eps := make([]string, 0, len(o.endpoints))
		for j := range o.endpoints {
			eps = append(eps, o.endpoints[(i+j)%len(o.endpoints)])
		}
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   eps,
			DialTimeout: 5 * time.Second,
			LogConfig:   &logConfig,
		})
		if err != nil {
			for _, made := range clients {
				made.Close()
			}
			return nil, fmt.Errorf("connecting to %v: %v", eps, err)
		}
		clients = append(clients, c)
	}
	return clients, nil
}
