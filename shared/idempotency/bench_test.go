package idempotency_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDeliveryCost is what once-per-channel adds to one delivery: the
// claim before it and the delivered record after, on each store (the
// table on moto, which has DynamoDB's round trips but not its latency;
// the local file, with its fsyncs), one delivery at a time and 16 at once
// (concurrent calls share the local file's commits).
func BenchmarkDeliveryCost(b *testing.B) {
	ctx := context.Background()
	for _, st := range stores {
		for _, parallel := range []bool{false, true} {
			name := st.name + "/serial"
			if parallel {
				name = st.name + "/16-at-once"
			}
			b.Run(name, func(b *testing.B) {
				s := st.open(b)
				var seq atomic.Int64
				deliver := func() {
					key := fmt.Sprintf("evt_%d#slack", seq.Add(1))
					now := time.Now()
					if _, ok, err := s.Claim(ctx, key, now, hold); err != nil || !ok {
						b.Fatalf("claim: %v, %v", ok, err)
					}
					if err := s.Delivered(ctx, key, now, "ok", window); err != nil {
						b.Fatal(err)
					}
				}
				if !parallel {
					for b.Loop() {
						deliver()
					}
					return
				}
				b.SetParallelism(8) // 16 goroutines on 2 cores
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						deliver()
					}
				})
			})
		}
	}
}
