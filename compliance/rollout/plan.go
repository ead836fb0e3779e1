package rollout

// Wave is a group of targets that a rollout dispatches together when every
// target succeeds and all take equally long.
type Wave[T any] struct {
	// First is the index of the wave's first target in the slice given to
	// Plan; the wave holds targets First to First+len(Targets)-1.
	First int
	// Targets is a sub-slice of the slice given to Plan (not a copy).
	Targets []T
}

// Plan is a dry run of Run for a policy preview: the waves in which the
// targets would be dispatched if every target succeeded and took the same
// time. The first wave has one target; each following wave has as many
// targets as have completed so far plus one, doubling the wave until it
// reaches the concurrency (1, 2, 4, 8, ... then MaxConcurrency every wave),
// and the last wave has what is left. The error threshold plays no part (no
// target fails) but must be set. Plan runs nothing and is pure.
func Plan[T any](targets []T, rate Rate) ([]Wave[T], error) {
	lim, err := rate.Limits(len(targets))
	if err != nil {
		return nil, err
	}
	var waves []Wave[T]
	window := 1
	for first := 0; first < len(targets); {
		n := min(window, len(targets)-first)
		waves = append(waves, Wave[T]{First: first, Targets: targets[first : first+n : first+n]})
		first += n
		// Each completion raises the allowance by one (see Run).
		window = min(window+n, lim.MaxConcurrency)
	}
	return waves, nil
}
