// Package exampletest holds a test over the whole module: every exported
// function and every exported method of an exported type in a public
// package (not internal/, not examples/) must be called or named by a
// runnable Example (one with an "// Output:" comment) of its own package.
// The package has no code of its own; run it with
//
//	go test ./internal/exampletest
//
// The test parses the packages with go/ast and names each entry point no
// runnable Example reaches, and each Example that does not run. Methods
// the standard library calls through an interface (Error, String,
// MarshalJSON, ...) are left out. Its short exemption lists are for entry
// points and Examples that cannot run deterministically (they act on the
// machine the test runs on), each with a reason; an exemption that is no
// longer needed fails the test too.
package exampletest
