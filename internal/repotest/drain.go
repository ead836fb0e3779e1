package repotest

import "iter"

// Drained is what an iteration of records gave: how many records, and the
// errors in order.
type Drained struct {
	N    int
	Errs []error
}

// Last returns the last error, or nil.
func (d Drained) Last() error {
	if len(d.Errs) == 0 {
		return nil
	}
	return d.Errs[len(d.Errs)-1]
}

// Drain runs seq to its end, counting records and keeping errors.
func Drain[T any](seq iter.Seq2[T, error]) Drained {
	var d Drained
	for _, err := range seq {
		if err != nil {
			d.Errs = append(d.Errs, err)
			continue
		}
		d.N++
	}
	return d
}
