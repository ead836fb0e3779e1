package repotest

import "runtime"

// PeakHeap keeps the largest heap in use seen at its samples, for
// benchmarks that report peak memory.
type PeakHeap struct {
	ms   runtime.MemStats
	Peak uint64 // bytes
}

// Sample reads the heap in use now.
func (p *PeakHeap) Sample() {
	runtime.ReadMemStats(&p.ms)
	p.Peak = max(p.Peak, p.ms.HeapAlloc)
}
