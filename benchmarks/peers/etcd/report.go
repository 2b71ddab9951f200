package main

// The summary JSON (the same layout as `paxoskv bench` writes) and the per-request CSV.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
)

type opSummary struct {
	Count          int64    `json:"count"`
	OK             int64    `json:"ok"`
	Errors         int64    `json:"errors"`
	Timeouts       int64    `json:"timeouts"`
	ThroughputPerS float64  `json:"throughput_per_s"`
	MeanUs         *float64 `json:"mean_us"` // latencies: null when no request succeeded
	P50Us          *int64   `json:"p50_us"`
	P90Us          *int64   `json:"p90_us"`
	P99Us          *int64   `json:"p99_us"`
	P999Us         *int64   `json:"p999_us"`
	MaxUs          *int64   `json:"max_us"`
	// Extras of etcd-bench: attempts that failed and were retried; compare-and-swaps that were
	// served but whose compare did not hold (counted in ok).
	Retries       int64  `json:"retries"`
	CompareFailed *int64 `json:"compare_failed,omitempty"`
}

type interval struct {
	Name      string               `json:"name"`
	Mode      string               `json:"mode"`
	InFlight  *int                 `json:"in_flight"`
	RatePerS  *float64             `json:"rate_per_s"`
	DurationS float64              `json:"duration_s"`
	ReadRatio float64              `json:"read_ratio"`
	CasRatio  float64              `json:"cas_ratio"`
	ElapsedS  float64              `json:"elapsed_s"`
	Ops       map[string]opSummary `json:"ops"`
	Total     opSummary            `json:"total"`
}

type workload struct {
	Keys             int      `json:"keys"`
	Distribution     string   `json:"distribution"`
	ZipfTheta        *float64 `json:"zipf_theta,omitempty"`
	KeySize          int      `json:"key_size"`
	ValueSize        int      `json:"value_size"`
	Connections      int      `json:"connections"`
	WarmupS          float64  `json:"warmup_s"`
	Endpoints        []string `json:"endpoints"`
	AttemptTimeoutMs int64    `json:"attempt_timeout_ms"`
	RequestTimeoutMs int64    `json:"request_timeout_ms"`
	Seed             int64    `json:"seed"`
	Preloaded        bool     `json:"preloaded"`
}

type report struct {
	System    string      `json:"system"`
	Generator string      `json:"generator"`
	Workload  workload    `json:"workload"`
	Cluster   clusterInfo `json:"cluster"`
	Intervals []interval  `json:"intervals"`
}

func summarize(s *kindStats, elapsedS float64) opSummary {
	out := opSummary{Count: s.count, OK: s.ok, Errors: s.errors, Timeouts: s.timeouts, Retries: s.retries}
	if elapsedS > 0 {
		out.ThroughputPerS = float64(s.ok) / elapsedS
	}
	if s.ok > 0 && s.hist != nil {
		mean := float64(s.sumUs) / float64(s.ok)
		at := func(q float64) *int64 { v := s.hist.ValueAtQuantile(q); return &v }
		maxUs := s.maxUs
		out.MeanUs = &mean
		out.P50Us, out.P90Us, out.P99Us, out.P999Us = at(50), at(90), at(99), at(99.9)
		out.MaxUs = &maxUs
	}
	return out
}

func buildReport(o *options, cluster clusterInfo, rec *recorder, elapsedS float64) report {
	perKind, all := rec.totals()
	iv := interval{
		Name:      o.intervalName(),
		DurationS: o.duration.Seconds(),
		ReadRatio: o.readRatio,
		CasRatio:  o.casRatio,
		ElapsedS:  elapsedS,
		Ops:       map[string]opSummary{},
		Total:     summarize(&all, elapsedS),
	}
	if o.openLoop() {
		iv.Mode = "open"
		rate := o.ratePerS
		iv.RatePerS = &rate
	} else {
		iv.Mode = "closed"
		n := o.inFlight
		iv.InFlight = &n
	}
	for k := opKind(0); k < opKinds; k++ {
		if perKind[k].count == 0 {
			continue
		}
		s := summarize(&perKind[k], elapsedS)
		if k == opCas {
			failed := perKind[k].compareFailed
			s.CompareFailed = &failed
		}
		iv.Ops[k.String()] = s
	}
	w := workload{
		Keys: o.keys, Distribution: o.distribution, KeySize: o.keySize, ValueSize: o.valueSize,
		Connections: o.connections, WarmupS: o.warmup.Seconds(), Endpoints: o.endpoints,
		AttemptTimeoutMs: o.attemptTimeout.Milliseconds(),
		RequestTimeoutMs: o.requestTimeout.Milliseconds(), Seed: o.seed, Preloaded: o.preload,
	}
	if o.distribution == "zipfian" {
		theta := o.zipfTheta
		w.ZipfTheta = &theta
	}
	return report{System: "etcd", Generator: "etcd-bench", Workload: w, Cluster: cluster,
		Intervals: []interval{iv}}
}

func writeJSON(path string, r report) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func writeCSV(path string, rows []sample) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := writeRows(w, rows); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeRows(w io.Writer, rows []sample) error {
	if _, err := io.WriteString(w, "id,type,due_us,sent_us,received_us,status\n"); err != nil {
		return err
	}
	line := make([]byte, 0, 96)
	for _, s := range rows {
		line = strconv.AppendUint(line[:0], s.id, 10)
		line = append(line, ',')
		line = append(line, s.kind.String()...)
		for _, t := range [...]int64{s.dueUs, s.sentUs, s.recvUs} {
			line = append(line, ',')
			line = strconv.AppendInt(line, t, 10)
		}
		line = append(line, ',')
		line = append(line, s.status.String()...)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// printSummary writes a few human-readable lines to w.
func printSummary(w io.Writer, r report) {
	for _, iv := range r.Intervals {
		fmt.Fprintf(w, "etcd-bench: %s, %.2f s measured\n", iv.Name, iv.ElapsedS)
		line := func(name string, s opSummary) {
			fmt.Fprintf(w, "  %-5s %8d ok %6d err %6d timeout %10.0f/s", name, s.OK, s.Errors, s.Timeouts,
				s.ThroughputPerS)
			if s.P50Us != nil {
				fmt.Fprintf(w, "  p50 %s  p99 %s  p99.9 %s  max %s", fmtUs(*s.P50Us), fmtUs(*s.P99Us),
					fmtUs(*s.P999Us), fmtUs(*s.MaxUs))
			}
			fmt.Fprintln(w)
		}
		for _, k := range []string{"put", "get", "cas"} {
			if s, ok := iv.Ops[k]; ok {
				line(k, s)
			}
		}
		line("total", iv.Total)
	}
}

func fmtUs(us int64) string {
	if us >= 10000 {
		return fmt.Sprintf("%.1fms", float64(us)/1000)
	}
	return fmt.Sprintf("%.2fms", float64(us)/1000)
}
