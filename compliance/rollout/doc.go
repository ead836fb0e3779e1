// Package rollout runs an operation (a scan, an install, any command) over
// many targets with the rate control of Systems Manager Run Command and
// State Manager: a concurrency and an error threshold. It is the service
// side of a patch policy's "Concurrency" and "Error threshold" for programs
// that run their own fleet: an agent fleet, SSH, or a job engine sits behind
// an [Executor], a function called once per target. The package keeps no
// state between calls and starts no goroutine that outlives a rollout.
//
//   - [ParseConcurrency], [ParseErrorThreshold] and [ParseRate] read the
//     strings with the API's grammar (shapes MaxConcurrency and MaxErrors);
//     [Rate.Limits] resolves percentages against the number of targets.
//   - [Run] dispatches the targets and yields one [Result] per target in
//     completion order; [Reports] turns those results into the stream
//     [compliance.Aggregate] reads.
//   - [Plan] is a dry run: the waves in which the targets would go if every
//     one succeeded.
//
// # Rules (docs/semantics.md §14)
//
// These are AWS's rules as the user guide states them for Run Command
// ("Run commands at scale"), State Manager ("Understanding targets and rate
// controls in State Manager associations") and Automation ("Control
// automations at scale"), and as the API reference states them for
// MaxConcurrency and MaxErrors:
//
//   - Concurrency is a count (at least 1) or a percentage (1% to 100%) of
//     the target set; the error threshold is a count (0 or more) or a
//     percentage (0% to 100%). Both are 1 to 7 characters; anything else is
//     a [*RateError] naming the field, matching patchkit.ErrInvalid.
//   - Ramp-up: the system sends the operation to one target, waits for it to
//     complete, then sends it to two more, and grows exponentially until the
//     concurrency is reached.
//   - With an error threshold of E, the system stops sending the operation
//     to new targets when error number E+1 arrives: "0" stops after the
//     first error, "3" on the fourth, "10%" of 50 targets on the sixth
//     (so says the API reference for associations and automations,
//     MaxErrors of CreateAssociation and StartAutomationExecution; the
//     Automation page of the user guide says the fifth, against its own E+1
//     rule, and this package follows the API).
//     Targets already running finish, and some of them may fail too; only a
//     concurrency of 1 makes the threshold a hard cap.
//   - Failures and execution time-outs count against the threshold; a
//     target that could not be reached (Undeliverable, Delivery Timed Out)
//     does not.
//
// # Choices where the sources are silent
//
//   - Rounding: a percentage is rounded down, so neither the targets running
//     at once nor the errors allowed exceed the percentage; concurrency is at
//     least 1 so that a rollout always moves (1% of 50 targets is 1). This
//     agrees with the one documented figure, 10% of 50 is 5.
//   - Ramp-up, precisely: the allowance starts at 1 and every completion
//     raises it by one, up to the concurrency; after each completion the
//     dispatcher starts targets until the number running equals the
//     allowance. The first completion thus lets two more start, and a fleet
//     whose targets take equal time runs in waves of 1, 2, 4, 8, ... and then
//     the concurrency, which is what [Plan] shows. A failure completes a
//     target like a success and raises the allowance too (the guide speaks
//     of invocations completing, not succeeding).
//   - Order: targets are dispatched in the order of the slice given to
//     [Run]; [Result.Index] is both the position and the dispatch order.
//   - What counts as an error: an executor error, a (nil, nil) return
//     ([ErrNoReport]) and a panic ([*PanicError]) count; an error matching
//     [ErrUndeliverable] does not, nor does an executor's error once the
//     rollout's context is done (the target is Cancelled).
//   - Never dispatched: after the stop, the remaining targets are reported
//     last, in slice order, as Skipped with a [*ThresholdError] naming the
//     error that stopped the rollout, once the running targets have
//     finished. After a cancellation they are Cancelled with the context's
//     cause. Nothing is dropped: every target has exactly one [Result]
//     (unless the caller leaves the loop early).
//   - A percentage of an empty target set: nothing runs.
//
// Defaults are the caller's to choose and are not applied here: Run
// Command's MaxConcurrency is 50 and MaxErrors 0; State Manager's differ;
// patch policies' are not documented. The zero [Rate] is refused.
package rollout
