package main

// What each request does: which operation, on which key, with which value. Every worker owns a
// chooser (its own PRNG), so choosing costs no locking.

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"sync/atomic"
)

type opKind int

const (
	opPut opKind = iota
	opGet
	opCas
	opKinds // number of kinds
)

func (k opKind) String() string {
	switch k {
	case opPut:
		return "put"
	case opGet:
		return "get"
	case opCas:
		return "cas"
	}
	return "unknown"
}

// keySpace holds every key, built once: "k" followed by the zero-padded index, keySize bytes.
type keySpace struct {
	keys []string
	// lastValue[i] is the value this process last wrote to or read from key i (nil: none yet).
	// A compare-and-swap expects it; concurrent writers to one key make some compares fail, which
	// is a served request like any other (counted as compare_failed).
	lastValue []atomic.Pointer[string]
}

func newKeySpace(count, keySize int) *keySpace {
	ks := &keySpace{keys: make([]string, count), lastValue: make([]atomic.Pointer[string], count)}
	for i := range ks.keys {
		ks.keys[i] = fmt.Sprintf("k%0*d", keySize-1, i)
	}
	return ks
}

// valueMaker builds values of a fixed size whose first bytes are unique to this process run (a
// worker id and a counter), so that a compare-and-swap can tell one write from another.
type valueMaker struct {
	buf     []byte
	worker  uint64
	counter uint64
}

func newValueMaker(size int, worker int) *valueMaker {
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = 'a' + byte(i%26)
	}
	return &valueMaker{buf: buf, worker: uint64(worker)}
}

func (m *valueMaker) next() string {
	m.counter++
	tag := strconv.AppendUint(strconv.AppendUint(make([]byte, 0, 24), m.worker, 36), m.counter, 36)
	copy(m.buf, tag) // a value shorter than its tag keeps only the tag's first bytes
	return string(m.buf)
}

// zipfian draws ranks 0..n-1 with P(rank i) proportional to 1/(i+1)^theta, by the method of Gray
// et al., "Quickly generating billion-record synthetic databases" (the one YCSB uses): O(n) setup,
// O(1) per draw. Rank 0 is key 0, so the hot keys are the lowest-numbered ones.
type zipfian struct {
	n                        float64
	theta, alpha, zetan, eta float64
	halfPowTheta             float64
}

func newZipfian(n int, theta float64) *zipfian {
	zeta := func(count int) float64 {
		sum := 0.0
		for i := 1; i <= count; i++ {
			sum += 1 / math.Pow(float64(i), theta)
		}
		return sum
	}
	z := &zipfian{n: float64(n), theta: theta, alpha: 1 / (1 - theta), zetan: zeta(n)}
	zeta2 := zeta(2)
	z.eta = (1 - math.Pow(2/z.n, 1-theta)) / (1 - zeta2/z.zetan)
	z.halfPowTheta = math.Pow(0.5, theta)
	return z
}

func (z *zipfian) draw(rng *rand.Rand) int {
	u := rng.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return 0
	}
	if uz < 1+z.halfPowTheta {
		return 1
	}
	rank := int(z.n * math.Pow(z.eta*u-z.eta+1, z.alpha))
	if rank >= int(z.n) {
		rank = int(z.n) - 1
	}
	return rank
}

// chooser picks the next request of one worker.
type chooser struct {
	rng       *rand.Rand
	keys      int
	zipf      *zipfian // nil: uniform
	readRatio float64
	casRatio  float64
}

func newChooser(o *options, zipf *zipfian, worker int) *chooser {
	return &chooser{
		rng:       rand.New(rand.NewSource(o.seed*1000003 + int64(worker))),
		keys:      o.keys,
		zipf:      zipf,
		readRatio: o.readRatio,
		casRatio:  o.casRatio,
	}
}

func (c *chooser) next() (opKind, int) {
	r := c.rng.Float64()
	kind := opPut
	if r < c.readRatio {
		kind = opGet
	} else if r < c.readRatio+c.casRatio {
		kind = opCas
	}
	if c.zipf != nil {
		return kind, c.zipf.draw(c.rng)
	}
	return kind, c.rng.Intn(c.keys)
}
