// Package enum reads the string enumerations of the Systems Manager API:
// only the listed spellings, anything else an *patchkit.UnknownValueError.
package enum

import "github.com/patchkit/patchkit"

// Set stores into *dst the value of values spelled s, or returns an
// *patchkit.UnknownValueError naming the enumeration typ.
func Set[T ~string](dst *T, typ, s string, values ...T) error {
	for _, v := range values {
		if string(v) == s {
			*dst = v
			return nil
		}
	}
	return &patchkit.UnknownValueError{Type: typ, Value: s}
}
