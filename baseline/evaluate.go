package baseline

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/patchkit/patchkit"
)

// Node is the system a baseline is evaluated for.
type Node struct {
	OperatingSystem patchkit.OperatingSystem `json:"OperatingSystem"`
	// Product is the node's PRODUCT ("AmazonLinux2023", "Ubuntu22.04"); a
	// Patch with its own Product (a Windows update) is matched on that.
	Product string `json:"Product,omitempty"`
}

// Reason says why a decision came out as it did.
type Reason uint8

// Reasons.
const (
	_ Reason = iota
	// Approved.
	ReasonApprovedList // an ApprovedPatches entry (and maybe rules too)
	ReasonRule         // one or more approval rules
	// Not approved.
	ReasonRejectedList // a RejectedPatches entry; rejected wins over everything
	ReasonGlobalFilter // a global filter failed (FilterKey says which)
	ReasonFilter       // no rule's filters match (FilterKey: the key every rule failed on, if one)
	ReasonTooNew       // a rule matches but its delay has not passed (ApprovalDate: when it will)
	ReasonPastUntil    // a rule matches but the patch came after its ApproveUntilDate
	ReasonNonSecurity  // a rule or the approved list matches a non-security patch without EnableNonSecurity
	ReasonNoRules      // the baseline has no rules and the approved list does not name it
)

var reasonNames = [...]string{"", "ApprovedList", "Rule", "RejectedList", "GlobalFilter", "Filter", "TooNew",
	"PastUntilDate", "NonSecurity", "NoRules"}

// String returns the reason's name ("ApprovedList", "TooNew", ...).
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// MarshalText writes the reason's name.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a reason's name.
func (r *Reason) UnmarshalText(b []byte) error {
	for i, n := range reasonNames {
		if i > 0 && n == string(b) {
			*r = Reason(i)
			return nil
		}
	}
	return &patchkit.UnknownValueError{Type: "Reason", Value: string(b)}
}

// RuleSet is a set of approval-rule indexes (a baseline has at most 10
// rules). Its JSON is the list of indexes.
type RuleSet uint16

// Has reports whether rule i is in the set.
func (s RuleSet) Has(i int) bool { return i >= 0 && i < 16 && s&(1<<i) != 0 }

// Indexes lists the rules in the set, lowest first.
func (s RuleSet) Indexes() []int {
	var out []int
	for i := 0; i < 16; i++ {
		if s.Has(i) {
			out = append(out, i)
		}
	}
	return out
}

// MarshalJSON writes the indexes as a JSON array.
func (s RuleSet) MarshalJSON() ([]byte, error) {
	idx := s.Indexes()
	if idx == nil {
		idx = []int{}
	}
	return json.Marshal(idx)
}

// UnmarshalJSON reads a JSON array of indexes from 0 to 15.
func (s *RuleSet) UnmarshalJSON(b []byte) error {
	var idx []int
	if err := json.Unmarshal(b, &idx); err != nil {
		return err
	}
	*s = 0
	for _, i := range idx {
		if i < 0 || i >= 16 {
			return fmt.Errorf("rule index %d out of range", i)
		}
		*s |= 1 << i
	}
	return nil
}

// Decision is the verdict on one candidate patch.
type Decision struct {
	Approved bool `json:"Approved"`
	// Status is the PatchDeploymentStatus DescribeEffectivePatchesForPatchBaseline
	// would give; empty for a patch the baseline does not select at all.
	Status DeploymentStatus `json:"Status,omitempty"`
	Reason Reason           `json:"Reason"`
	// Rules are the indexes of the approval rules that approve the patch
	// (or, for TooNew and PastUntilDate, that would).
	Rules RuleSet `json:"Rules,omitempty"`
	// Entry is the approved or rejected list entry that matched.
	Entry string `json:"Entry,omitempty"`
	// FilterKey is the key of the filter that failed. For ReasonGlobalFilter
	// it is the global filter's. For ReasonFilter it is the key on which
	// every approval rule failed (a rule fails on the first of its filters
	// the patch does not pass): the only rule's, or, with several rules,
	// their common one; it is empty when the rules failed on different keys
	// (evaluating a baseline of each rule alone gives each one's). Empty
	// for every other reason.
	FilterKey FilterKey `json:"FilterKey,omitempty"`
	// ComplianceLevel is the highest level of everything that approves the
	// patch.
	ComplianceLevel patchkit.ComplianceLevel `json:"ComplianceLevel"`
	// ApprovalDate is when the patch was or will be approved by a rule's
	// delay; zero when approval does not depend on a date.
	ApprovalDate time.Time `json:"ApprovalDate,omitzero"`
}

// Compiled is a baseline prepared for evaluation: validated, its filters and
// list entries compiled once. It is immutable and safe for concurrent use.
type Compiled struct {
	b        Baseline
	o        options
	kind     osKind
	global   []compiledFilter
	rules    []compiledRule
	lists    *listMatcher
	memo     bool        // rule outcomes depend only on the patch's filter properties
	memoKeys []FilterKey // the properties they depend on
}

type compiledRule struct {
	filters     []compiledFilter
	level       patchkit.ComplianceLevel
	afterDays   int
	hasAfter    bool
	until       time.Time // first instant no longer approved
	hasUntil    bool
	nonSecurity bool
}

type compiledFilter struct {
	key      FilterKey
	all      bool     // "*"
	exact    []string // values (compared with EqualFold)
	prefixes []string // values ending in "*", without it
}

// Compile validates b and prepares it for evaluation.
func Compile(b Baseline, opts ...Option) (*Compiled, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	b.normalize()
	if err := b.validate(o); err != nil {
		return nil, err
	}
	return compile(b, o), nil
}

// compile prepares a normalized, validated baseline.
func compile(b Baseline, o options) *Compiled {
	c := &Compiled{b: b, o: o, kind: kindOf(b.OperatingSystem), memo: true}
	c.global = c.compileGroup(b.GlobalFilters)
	globalPatchSet := hasKey(b.GlobalFilters, KeyPatchSet)
	for _, r := range b.ApprovalRules.PatchRules {
		cr := compiledRule{filters: c.compileGroup(r.PatchFilterGroup), level: r.ComplianceLevel, nonSecurity: r.EnableNonSecurity}
		// On Windows a rule without a PATCH_SET filter covers operating
		// system patches only, as AWS-DefaultPatchBaseline does.
		if c.kind == kindWindows && !globalPatchSet && !hasKey(r.PatchFilterGroup, KeyPatchSet) {
			cr.filters = append(cr.filters, compiledFilter{key: KeyPatchSet, exact: []string{"OS"}})
			c.useKey(KeyPatchSet)
		}
		switch {
		case r.ApproveAfterDays != nil:
			cr.hasAfter, cr.afterDays = true, *r.ApproveAfterDays
		case r.ApproveUntilDate != nil:
			d, _ := time.Parse("2006-01-02", *r.ApproveUntilDate) // validated
			cr.hasUntil, cr.until = true, d.AddDate(0, 0, 1)
		}
		c.rules = append(c.rules, cr)
	}
	c.lists = compileLists(b.RejectedPatches, b.ApprovedPatches, c.kind, o)
	return c
}

// Baseline returns the baseline c was compiled from.
func (c *Compiled) Baseline() Baseline { return c.b }

func hasKey(g FilterGroup, k FilterKey) bool {
	for _, f := range g.PatchFilters {
		if f.Key == k {
			return true
		}
	}
	return false
}

func (c *Compiled) compileGroup(g FilterGroup) []compiledFilter {
	var out []compiledFilter
	for _, f := range g.PatchFilters {
		cf := compiledFilter{key: f.Key}
		for _, v := range f.Values {
			switch {
			case v == "*":
				cf.all = true
			case strings.HasSuffix(v, "*"):
				cf.prefixes = append(cf.prefixes, strings.TrimSuffix(v, "*"))
			default:
				cf.exact = append(cf.exact, v)
			}
		}
		switch f.Key {
		case KeyProduct, KeyClassification, KeySeverity, KeyPriority, KeySection, KeyMsrcSeverity, KeyProductFamily, KeyPatchSet:
			c.useKey(f.Key)
		default:
			c.memo = false
		}
		out = append(out, cf)
	}
	return out
}

// useKey records a property the rule outcomes depend on.
func (c *Compiled) useKey(k FilterKey) {
	for _, u := range c.memoKeys {
		if u == k {
			return
		}
	}
	c.memoKeys = append(c.memoKeys, k)
	if len(c.memoKeys) > len(filterProps{}) {
		c.memo = false
	}
}

// ErrWrongOperatingSystem is returned when a baseline is evaluated for a
// node of another operating system.
var ErrWrongOperatingSystem = errors.New("baseline: the baseline is for another operating system")

// Evaluate compiles b and evaluates candidates for node at now. See
// (*Compiled).Evaluate.
func Evaluate(b Baseline, node Node, candidates []patchkit.Patch, now time.Time, opts ...Option) ([]Decision, error) {
	c, err := Compile(b, opts...)
	if err != nil {
		return nil, err
	}
	return c.Evaluate(node, candidates, now)
}

// Evaluate decides every candidate for node at the instant now: one Decision
// per candidate, in the same order. It is pure and deterministic: no clock,
// no I/O; large batches are split over the available processors, which does
// not change the result. It fails only when node's operating system is not
// the baseline's.
func (c *Compiled) Evaluate(node Node, candidates []patchkit.Patch, now time.Time) ([]Decision, error) {
	if node.OperatingSystem != c.b.OperatingSystem {
		return nil, fmt.Errorf("%w: baseline %s, node %s", ErrWrongOperatingSystem, c.b.OperatingSystem, node.OperatingSystem)
	}
	out := make([]Decision, len(candidates))
	workers := min(runtime.GOMAXPROCS(0), len(candidates)/parallelBatch)
	if workers <= 1 {
		c.newEvaluator(node, now).run(candidates, out)
		return out, nil
	}
	var wg sync.WaitGroup
	chunk := (len(candidates) + workers - 1) / workers
	for lo := 0; lo < len(candidates); lo += chunk {
		hi := min(lo+chunk, len(candidates))
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.newEvaluator(node, now).run(candidates[lo:hi], out[lo:hi])
		}()
	}
	wg.Wait()
	return out, nil
}

// parallelBatch is the least number of candidates per goroutine.
const parallelBatch = 8192

func (c *Compiled) newEvaluator(node Node, now time.Time) *evaluator {
	e := &evaluator{c: c, node: node, now: now.UTC()}
	if c.memo {
		e.memo = map[filterProps]ruleOutcome{}
	}
	// Calendar days: a patch released before the cutoff (00:00 UTC of the
	// day after today minus N) has waited N days.
	today := floorDay(e.now.Unix())
	for i := range c.rules {
		e.cutoff[i] = today - int64(c.rules[i].afterDays)*secondsPerDay + secondsPerDay
	}
	return e
}

func (e *evaluator) run(candidates []patchkit.Patch, out []Decision) {
	for i := range candidates {
		out[i] = e.decide(&candidates[i])
	}
}

// filterProps are the values of the properties the rule outcomes depend on
// (Compiled.memoKeys, in order).
type filterProps [5]string

// ruleOutcome is the filter result for one set of properties: whether the
// global filters pass (and which key failed), and for each rule whether its
// filters pass (and which key failed).
type ruleOutcome struct {
	globalPass bool
	globalFail FilterKey
	rulePass   uint32 // bit i: rule i's filters pass
	ruleFail   [10]FilterKey
}

// commonRuleFail returns the key on which each of the first n rules
// failed, when they all failed on the same one, else "".
func (o *ruleOutcome) commonRuleFail(n int) FilterKey {
	if n == 0 || n > len(o.ruleFail) {
		return ""
	}
	k := o.ruleFail[0]
	for _, f := range o.ruleFail[1:n] {
		if f != k {
			return ""
		}
	}
	return k
}

type evaluator struct {
	c        *Compiled
	node     Node
	now      time.Time
	memo     map[filterProps]ruleOutcome
	forms    forms
	epochBuf [20]byte
	cutoff   [10]int64 // per rule, for ApproveAfterDays by calendar day
}

func (e *evaluator) decide(p *patchkit.Patch) Decision {
	c := e.c
	hit := c.lists.match(p, &e.forms, e.epochBuf[:])
	if i := hit[listRejected]; i >= 0 {
		return Decision{Status: ExplicitRejected, Reason: ReasonRejectedList, Entry: c.b.RejectedPatches[i]}
	}
	out := e.filters(p)
	security := e.securityOK(p, false)

	var d Decision
	level := patchkit.ComplianceUnspecified
	listHit := false
	if i := hit[listApproved]; i >= 0 {
		d.Entry = c.b.ApprovedPatches[i]
		gated := c.o.aptGlobalFiltersFirst && c.kind == kindApt && !out.globalPass
		switch {
		case gated:
		case e.securityOK(p, c.b.ApprovedPatchesEnableNonSecurity):
			listHit = true
			level = c.b.ApprovedPatchesComplianceLevel
		default:
			d.Reason = ReasonNonSecurity
		}
	}

	var hits, pendingRules RuleSet
	var pending, approvedAt time.Time
	pastUntil, nonSecurity := false, false
	if out.globalPass {
		for i := range c.rules {
			r := &c.rules[i]
			if out.rulePass&(1<<i) == 0 {
				continue
			}
			if !security && !r.nonSecurity {
				nonSecurity = true
				continue
			}
			ok, at, past := e.datePass(i, r, p.ReleaseDate)
			switch {
			case ok:
				hits |= 1 << i
				level = max(level, r.level)
				if !at.IsZero() && (approvedAt.IsZero() || at.Before(approvedAt)) {
					approvedAt = at
				}
			case past:
				pastUntil = true
				pendingRules |= 1 << i
			default:
				pendingRules |= 1 << i
				if pending.IsZero() || at.Before(pending) {
					pending = at
				}
			}
		}
	}

	switch {
	case listHit:
		d.Approved, d.Status, d.Reason = true, ExplicitApproved, ReasonApprovedList
		d.Rules = hits
	case hits != 0:
		d.Approved, d.Status, d.Reason = true, Approved, ReasonRule
		d.Rules = hits
		d.Entry = ""
		d.ApprovalDate = approvedAt
	case !pending.IsZero():
		d.Status, d.Reason, d.Rules, d.ApprovalDate = PendingApproval, ReasonTooNew, pendingRules, pending
	case pastUntil:
		d.Reason, d.Rules = ReasonPastUntil, pendingRules
	case d.Reason == ReasonNonSecurity || nonSecurity:
		d.Reason = ReasonNonSecurity
	case !out.globalPass:
		d.Reason, d.FilterKey = ReasonGlobalFilter, out.globalFail
	case len(c.rules) == 0:
		d.Reason = ReasonNoRules
	default:
		d.Reason = ReasonFilter
		d.FilterKey = out.commonRuleFail(len(c.rules))
	}
	if d.Approved {
		d.ComplianceLevel = level
	} else {
		d.Entry = ""
	}
	return d
}

// ApprovesNonSecurity reports whether b can approve a patch that is not a
// security patch (patchkit.Patch.Security false): on SUSE, Windows and
// macOS every patch counts as security; elsewhere a rule with
// EnableNonSecurity, or an ApprovedPatches list with
// ApprovedPatchesEnableNonSecurity, is needed. When it is false, every
// decision on a non-security patch is "not approved", which lets a scan
// leave such versions out unread.
func (b Baseline) ApprovesNonSecurity() bool {
	switch kindOf(b.OperatingSystem) {
	case kindSUSE, kindWindows, kindMacOS:
		return true
	}
	if len(b.ApprovedPatches) > 0 && b.ApprovedPatchesEnableNonSecurity {
		return true
	}
	for _, r := range b.ApprovalRules.PatchRules {
		if r.EnableNonSecurity {
			return true
		}
	}
	return false
}

// securityOK says whether a patch may be approved with regard to security:
// security patches always, non-security ones when enabled. The switch exists
// on Linux only; SUSE treats every patch as security.
func (e *evaluator) securityOK(p *patchkit.Patch, enableNonSecurity bool) bool {
	switch e.c.kind {
	case kindSUSE, kindWindows, kindMacOS:
		return true
	}
	return p.Security || enableNonSecurity
}

// datePass applies a rule's date test. It returns whether the patch is
// approved now, the approval instant (when it was or will be approved;
// zero when no date applies), and whether the patch is past an
// ApproveUntilDate.
func (e *evaluator) datePass(i int, r *compiledRule, release time.Time) (bool, time.Time, bool) {
	if e.c.kind == kindApt {
		return true, time.Time{}, false // apt has no release dates
	}
	// An unknown release date counts as 1970-01-01: approved at once.
	switch {
	case r.hasUntil:
		if release.IsZero() || release.Before(r.until) {
			return true, time.Time{}, false
		}
		return false, time.Time{}, true
	case r.hasAfter:
		if release.IsZero() {
			return true, time.Time{}, false
		}
		if e.c.o.exactInstants {
			at := release.Add(time.Duration(r.afterDays) * day)
			return e.now.After(at), at.UTC(), false
		}
		// Released on UTC day D: approved from 00:00 UTC of day D+N.
		rel := release.Unix()
		at := floorDay(rel) + int64(r.afterDays)*secondsPerDay
		return rel < e.cutoff[i], time.Unix(at, 0).UTC(), false
	}
	return true, time.Time{}, false // no date in the rule (UndatedRulesApproveImmediately)
}

const (
	day           = 24 * time.Hour
	secondsPerDay = 86400
)

// floorDay is the Unix time of 00:00 UTC of the day holding t.
func floorDay(t int64) int64 {
	d := t / secondsPerDay
	if t < 0 && t%secondsPerDay != 0 {
		d--
	}
	return d * secondsPerDay
}

// filters evaluates the global filters and each rule's filters.
func (e *evaluator) filters(p *patchkit.Patch) ruleOutcome {
	if e.memo == nil {
		return e.computeFilters(p)
	}
	var key filterProps
	for i, k := range e.c.memoKeys {
		key[i] = e.property(k, p)
	}
	if out, ok := e.memo[key]; ok {
		return out
	}
	out := e.computeFilters(p)
	e.memo[key] = out
	return out
}

// property returns the value a standard filter key looks at.
func (e *evaluator) property(k FilterKey, p *patchkit.Patch) string {
	switch k {
	case KeyProduct:
		return e.product(p)
	case KeyClassification:
		return p.Classification
	case KeySeverity:
		return p.Severity
	case KeyPriority:
		return p.Priority
	case KeySection:
		return p.Section
	case KeyMsrcSeverity:
		return p.MsrcSeverity
	case KeyProductFamily:
		return p.ProductFamily
	case KeyPatchSet:
		return p.PatchSet
	}
	return ""
}

func (e *evaluator) product(p *patchkit.Patch) string {
	if p.Product != "" {
		return p.Product
	}
	return e.node.Product
}

func (e *evaluator) computeFilters(p *patchkit.Patch) ruleOutcome {
	var out ruleOutcome
	out.globalPass, out.globalFail = e.group(e.c.global, p)
	for i := range e.c.rules {
		ok, fail := e.group(e.c.rules[i].filters, p)
		if ok {
			out.rulePass |= 1 << i
		} else if i < len(out.ruleFail) {
			out.ruleFail[i] = fail
		}
	}
	return out
}

// group ANDs the filters; it returns the first key that fails.
func (e *evaluator) group(fs []compiledFilter, p *patchkit.Patch) (bool, FilterKey) {
	for i := range fs {
		if !e.filterPass(&fs[i], p) {
			return false, fs[i].key
		}
	}
	return true, ""
}

func (e *evaluator) filterPass(f *compiledFilter, p *patchkit.Patch) bool {
	if f.all {
		return true
	}
	var vals []string
	switch f.key {
	case KeyProduct:
		return f.matches(e.product(p))
	case KeyClassification:
		return f.matches(p.Classification)
	case KeySeverity:
		if p.Severity == "" {
			return !e.c.o.missingSeverityFails
		}
		if f.matches(p.Severity) {
			return true
		}
		// Amazon Linux 2023: Medium also matches Moderate (external repos).
		return e.c.b.OperatingSystem == patchkit.OSAmazonLinux2023 && strings.EqualFold(p.Severity, "Moderate") && f.matches("Medium")
	case KeyPriority:
		return f.matches(p.Priority)
	case KeySection:
		return f.matches(p.Section)
	case KeyMsrcSeverity:
		return f.matches(p.MsrcSeverity)
	case KeyProductFamily:
		return f.matches(p.ProductFamily)
	case KeyPatchSet:
		ps := p.PatchSet
		if ps == "" {
			ps = "OS"
		}
		return f.matches(ps)
	case KeyArch:
		return f.matches(p.Arch)
	case KeyName:
		return f.matches(p.Name)
	case KeyVersion:
		return f.matches(p.Version)
	case KeyRelease:
		return f.matches(p.Release)
	case KeyEpoch:
		ev, _ := p.Epoch.Value()
		return f.matches(strconv.FormatUint(uint64(ev), 10))
	case KeyRepository:
		return f.matches(p.Repository)
	case KeyAdvisoryID:
		vals = p.AdvisoryIDs
	case KeyCVEID:
		vals = p.CVEIDs
	case KeyBugzillaID:
		vals = p.BugzillaIDs
	case KeyPatchID:
		return f.matches(p.KBNumber) || f.matches(p.ID)
	default:
		return false
	}
	for _, v := range vals {
		if f.matches(v) {
			return true
		}
	}
	return false
}

func (f *compiledFilter) matches(v string) bool {
	if v == "" {
		return false
	}
	for _, x := range f.exact {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	for _, x := range f.prefixes {
		if len(v) >= len(x) && strings.EqualFold(v[:len(x)], x) {
			return true
		}
	}
	return false
}

// EffectivePatch is one entry of DescribeEffectivePatchesForPatchBaseline:
// a patch and its status under the baseline.
type EffectivePatch struct {
	Patch       patchkit.Patch `json:"Patch"`
	PatchStatus PatchStatus    `json:"PatchStatus"`
}

// PatchStatus is the API's PatchStatus.
type PatchStatus struct {
	DeploymentStatus DeploymentStatus         `json:"DeploymentStatus"`
	ComplianceLevel  patchkit.ComplianceLevel `json:"ComplianceLevel"`
	ApprovalDate     time.Time                `json:"ApprovalDate,omitzero"`
}

// EffectivePatches returns the view of DescribeEffectivePatchesForPatchBaseline
// for candidates: each candidate the baseline approves, rejects explicitly,
// or will approve once a delay passes, with its status; candidates the
// baseline does not select are left out.
func (c *Compiled) EffectivePatches(node Node, candidates []patchkit.Patch, now time.Time) ([]EffectivePatch, error) {
	ds, err := c.Evaluate(node, candidates, now)
	if err != nil {
		return nil, err
	}
	var out []EffectivePatch
	for i, d := range ds {
		if d.Status == 0 {
			continue
		}
		out = append(out, EffectivePatch{Patch: candidates[i], PatchStatus: PatchStatus{
			DeploymentStatus: d.Status, ComplianceLevel: d.ComplianceLevel, ApprovalDate: d.ApprovalDate}})
	}
	return out, nil
}
