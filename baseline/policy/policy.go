package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/patchkit/patchkit"
	"github.com/patchkit/patchkit/baseline"
)

// QuickSetupType is the Quick Setup configuration type of patch policies.
const QuickSetupType = "AWSQuickSetupType-PatchPolicy"

// Operation is ConfigurationOptionsPatchOperation.
type Operation string

// The operations a patch policy runs.
const (
	Scan           Operation = "Scan"
	ScanAndInstall Operation = "ScanAndInstall"
)

// RebootOption is the policy's RebootOption, passed to AWS-RunPatchBaseline.
type RebootOption string

// The reboot options.
const (
	RebootIfNeeded RebootOption = "RebootIfNeeded"
	NoReboot       RebootOption = "NoReboot"
)

// The defaults a patch policy gets for parameters it does not give
// (docs/semantics.md §15 lists where each comes from).
const (
	DefaultScanSchedule    = "cron(0 1 * * ? *)"   // daily at 01:00 UTC
	DefaultInstallSchedule = "cron(0 2 ? * SUN *)" // weekly, Sunday 02:00 UTC
)

// SelectedBaseline is one operating system's entry of the
// SelectedPatchBaselines parameter.
type SelectedBaseline struct {
	// Value is the baseline's ID or ARN.
	Value       string `json:"value"`
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
	// Disabled is carried as given; the sources do not say what it changes.
	Disabled bool `json:"disabled"`
}

// Target says which nodes of the target accounts and Regions a policy
// covers (the Target* parameters and ResourceGroupName).
type Target struct {
	Type                string   // "*", "InstanceIds", "ResourceGroups", "Tags", or "" (not given)
	Instances           []string // TargetInstances
	TagKey, TagValue    string   // TargetTagKey, TargetTagValue
	ResourceGroupName   string
	Accounts            []string // TargetAccounts
	OrganizationalUnits []string // TargetOrganizationalUnits
	Regions             []string // TargetRegions
}

// Output is where command output goes (the Output* parameters).
type Output struct {
	LogEnableS3  bool
	S3Location   string
	BucketRegion string
	BucketName   string
	KeyPrefix    string
}

// Policy is a Quick Setup patch policy: the baseline per operating system,
// when to scan and install, with which reboot option, how fast to roll out,
// and which nodes it covers.
type Policy struct {
	Name      string    // PatchPolicyName
	Operation Operation // ConfigurationOptionsPatchOperation
	// ScanSchedule and InstallSchedule are the association schedules
	// (ConfigurationOptionsScanValue, ConfigurationOptionsInstallValue);
	// InstallSchedule is "" for a Scan policy.
	ScanSchedule    string
	InstallSchedule string
	// ScanNextInterval and InstallNextInterval
	// (ConfigurationOptions*NextInterval): wait for the next cron interval
	// instead of running as soon as a node joins.
	ScanNextInterval    bool
	InstallNextInterval bool
	RebootOption        RebootOption
	// Concurrency and ErrorThreshold are RateControlConcurrency and
	// RateControlErrorThreshold, checked with ValidateConcurrency and
	// ValidateErrorThreshold.
	Concurrency    string
	ErrorThreshold string
	// BaselineRegion is PatchBaselineRegion; UseDefault is
	// PatchBaselineUseDefault ("default": every selected baseline is
	// AWS-owned; "custom"; "" when not given).
	BaselineRegion string
	UseDefault     string
	// Selected is SelectedPatchBaselines, by operating system.
	Selected map[patchkit.OperatingSystem]SelectedBaseline
	// Baselines, when set (SetOverrides), are the policy's
	// baseline_overrides.json: the whole baseline per operating system.
	Baselines             []baseline.Baseline
	Target                Target
	IsPolicyAttachAllowed bool
	Output                Output
	HasDeletedBaseline    bool
	// Extra holds parameters patchkit does not know, kept only under
	// AllowUnknownParameters.
	Extra map[string]string
	// Defaulted names the parameters the input did not give and that got
	// their default, sorted.
	Defaulted []string
}

// Option changes how a parameter map is read.
type Option func(*options) error

type options struct{ allowUnknown bool }

// AllowUnknownParameters keeps parameters patchkit does not know in
// Policy.Extra instead of refusing them.
func AllowUnknownParameters() Option {
	return func(o *options) error { o.allowUnknown = true; return nil }
}

// The parameters of AWSQuickSetupType-PatchPolicy: those the Quick Setup API
// reference lists, and those AWS's own example adds (RateControl*,
// HasDeletedBaseline).

func knownParameters() []string {
	return []string{
		"ConfigurationOptionsInstallNextInterval", "ConfigurationOptionsInstallValue",
		"ConfigurationOptionsPatchOperation", "ConfigurationOptionsScanNextInterval",
		"ConfigurationOptionsScanValue", "HasDeletedBaseline", "IsPolicyAttachAllowed",
		"OutputBucketRegion", "OutputLogEnableS3", "OutputS3BucketName", "OutputS3KeyPrefix",
		"OutputS3Location", "PatchBaselineRegion", "PatchBaselineUseDefault", "PatchPolicyName",
		"RateControlConcurrency", "RateControlErrorThreshold", "RebootOption", "ResourceGroupName",
		"SelectedPatchBaselines", "TargetAccounts", "TargetInstances", "TargetOrganizationalUnits",
		"TargetRegions", "TargetTagKey", "TargetTagValue", "TargetType",
	}
}

// ParseParameters reads the parameter map of an AWSQuickSetupType-PatchPolicy
// configuration definition. Parameters not given get their defaults
// (listed in Policy.Defaulted): ConfigurationOptionsPatchOperation Scan,
// ConfigurationOptionsScanNextInterval and
// ConfigurationOptionsInstallNextInterval false, IsPolicyAttachAllowed
// false, OutputLogEnableS3 false, HasDeletedBaseline false, RebootOption
// RebootIfNeeded, the scan schedule DefaultScanSchedule and, for
// ScanAndInstall, the install schedule DefaultInstallSchedule. Required:
// PatchPolicyName, SelectedPatchBaselines, PatchBaselineRegion,
// TargetRegions, TargetAccounts or TargetOrganizationalUnits, and the rate
// controls RateControlConcurrency and RateControlErrorThreshold (which have
// no documented default). Unknown parameters are an error unless
// AllowUnknownParameters is given. Every problem is reported, each naming
// its parameter.
func ParseParameters(params map[string]string, opts ...Option) (*Policy, error) {
	var o options
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	c := collector{input: "patch policy parameters"}
	p := &Policy{Selected: map[patchkit.OperatingSystem]SelectedBaseline{}}
	known := map[string]bool{}
	for _, k := range knownParameters() {
		known[k] = true
	}
	for _, k := range sortedKeys(params) {
		if !known[k] {
			if o.allowUnknown {
				if p.Extra == nil {
					p.Extra = map[string]string{}
				}
				p.Extra[k] = params[k]
				continue
			}
			c.add(k, "unknown parameter of %s (AllowUnknownParameters keeps it)", QuickSetupType)
		}
	}
	get := func(k string) (string, bool) { v, ok := params[k]; return v, ok }
	str := func(k string) string { return params[k] }
	boolean := func(k string, def bool) bool {
		v, ok := get(k)
		if !ok {
			p.Defaulted = append(p.Defaulted, k)
			return def
		}
		switch v {
		case "true":
			return true
		case "false":
			return false
		}
		c.add(k, "%q is neither \"true\" nor \"false\"", v)
		return def
	}
	required := func(k string) string {
		v, ok := get(k)
		if !ok || v == "" {
			c.add(k, "required")
		}
		return v
	}

	p.Name = required("PatchPolicyName")
	if n := utf8.RuneCountInString(p.Name); n > 256 {
		c.add("PatchPolicyName", "%d characters; it becomes a tag value, at most 256", n)
	}

	switch v, ok := get("ConfigurationOptionsPatchOperation"); {
	case !ok:
		p.Operation = Scan
		p.Defaulted = append(p.Defaulted, "ConfigurationOptionsPatchOperation")
	case v == string(Scan) || v == string(ScanAndInstall):
		p.Operation = Operation(v)
	default:
		c.add("ConfigurationOptionsPatchOperation", "%q is neither Scan nor ScanAndInstall", v)
	}
	schedule := func(k, def string) string {
		v, ok := get(k)
		if !ok {
			p.Defaulted = append(p.Defaulted, k)
			return def
		}
		if err := baseline.ValidateSchedule(v, baseline.Association); err != nil {
			c.add(k, "%s", strings.TrimPrefix(err.Error(), "schedule "))
		}
		return v
	}
	p.ScanSchedule = schedule("ConfigurationOptionsScanValue", DefaultScanSchedule)
	p.ScanNextInterval = boolean("ConfigurationOptionsScanNextInterval", false)
	if p.Operation == ScanAndInstall {
		p.InstallSchedule = schedule("ConfigurationOptionsInstallValue", DefaultInstallSchedule)
		p.InstallNextInterval = boolean("ConfigurationOptionsInstallNextInterval", false)
	} else {
		if v, ok := get("ConfigurationOptionsInstallValue"); ok && v != "" {
			c.add("ConfigurationOptionsInstallValue", "an install schedule needs ConfigurationOptionsPatchOperation ScanAndInstall, not %s", p.Operation)
		}
		if v, ok := get("ConfigurationOptionsInstallNextInterval"); ok && v != "false" {
			c.add("ConfigurationOptionsInstallNextInterval", "%q needs ConfigurationOptionsPatchOperation ScanAndInstall, not %s", v, p.Operation)
		}
	}
	switch v, ok := get("RebootOption"); {
	case !ok:
		p.RebootOption = RebootIfNeeded
		p.Defaulted = append(p.Defaulted, "RebootOption")
	case v == string(RebootIfNeeded) || v == string(NoReboot):
		p.RebootOption = RebootOption(v)
	default:
		c.add("RebootOption", "%q is neither RebootIfNeeded nor NoReboot", v)
	}
	p.Concurrency = required("RateControlConcurrency")
	if p.Concurrency != "" {
		if err := ValidateConcurrency(p.Concurrency); err != nil {
			c.add("RateControlConcurrency", "%s", err.(*baseline.FieldError).Reason)
		}
	}
	p.ErrorThreshold = required("RateControlErrorThreshold")
	if p.ErrorThreshold != "" {
		if err := ValidateErrorThreshold(p.ErrorThreshold); err != nil {
			c.add("RateControlErrorThreshold", "%s", err.(*baseline.FieldError).Reason)
		}
	}
	p.IsPolicyAttachAllowed = boolean("IsPolicyAttachAllowed", false)
	p.HasDeletedBaseline = boolean("HasDeletedBaseline", false)
	p.Output = Output{LogEnableS3: boolean("OutputLogEnableS3", false), S3Location: str("OutputS3Location"),
		BucketRegion: str("OutputBucketRegion"), BucketName: str("OutputS3BucketName"), KeyPrefix: str("OutputS3KeyPrefix")}
	if p.Output.LogEnableS3 && p.Output.BucketName == "" && p.Output.S3Location == "" {
		c.add("OutputS3BucketName", "OutputLogEnableS3 is true but no bucket is named")
	}

	p.BaselineRegion = required("PatchBaselineRegion")
	if p.BaselineRegion != "" && !validRegion(p.BaselineRegion) {
		c.add("PatchBaselineRegion", "%q is not a Region name", p.BaselineRegion)
	}
	switch p.UseDefault = str("PatchBaselineUseDefault"); p.UseDefault {
	case "", "default", "custom":
	default:
		c.add("PatchBaselineUseDefault", "%q is neither default nor custom", p.UseDefault)
	}
	if sel := required("SelectedPatchBaselines"); sel != "" {
		p.Selected = parseSelected(sel, p.UseDefault, &c)
	}

	t := &p.Target
	t.Type = str("TargetType")
	t.Instances = list(str("TargetInstances"))
	t.TagKey, t.TagValue = str("TargetTagKey"), str("TargetTagValue")
	t.ResourceGroupName = str("ResourceGroupName")
	t.Accounts = list(str("TargetAccounts"))
	t.OrganizationalUnits = list(str("TargetOrganizationalUnits"))
	t.Regions = list(required("TargetRegions"))
	switch t.Type {
	case "", "*":
	case "Tags":
		if t.TagKey == "" {
			c.add("TargetTagKey", "required with TargetType Tags")
		}
		if t.TagValue == "" {
			c.add("TargetTagValue", "required with TargetType Tags")
		}
	case "InstanceIds":
		if len(t.Instances) == 0 {
			c.add("TargetInstances", "required with TargetType InstanceIds")
		}
	case "ResourceGroups":
		if t.ResourceGroupName == "" {
			c.add("ResourceGroupName", "required with TargetType ResourceGroups")
		}
	default:
		c.add("TargetType", "%q is not *, InstanceIds, ResourceGroups or Tags", t.Type)
	}
	for i, id := range t.Instances {
		if !validInstanceID(id) {
			c.add("TargetInstances", "item %d, %q, is not an instance ID (i-… or mi-…)", i+1, id)
		}
	}
	for i, a := range t.Accounts {
		if len(a) != 12 || strings.Trim(a, "0123456789") != "" {
			c.add("TargetAccounts", "item %d, %q, is not a 12-digit account ID", i+1, a)
		}
	}
	for i, r := range t.Regions {
		if !validRegion(r) {
			c.add("TargetRegions", "item %d, %q, is not a Region name", i+1, r)
		}
	}
	if len(t.Accounts) == 0 && len(t.OrganizationalUnits) == 0 {
		c.add("TargetAccounts", "TargetAccounts or TargetOrganizationalUnits is required")
	}
	for _, k := range []string{"TargetInstances", "TargetAccounts", "TargetOrganizationalUnits", "TargetRegions"} {
		if v := str(k); v != "" && strings.Contains(","+v+",", ",,") {
			c.add(k, "%q has an empty item", v)
		}
	}
	sort.Strings(p.Defaulted)
	if err := c.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// list splits a comma-separated parameter; "" is no items.
func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// validRegion checks the shape of a Region name: "us-east-1",
// "ap-southeast-2", "us-gov-west-1".
func validRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		last := i == len(parts)-1
		for j := 0; j < len(p); j++ {
			c := p[j]
			if last && !('0' <= c && c <= '9') || !last && !('a' <= c && c <= 'z') {
				return false
			}
		}
	}
	return true
}

// validInstanceID checks (^i-(\w{8}|\w{17})$)|(^mi-\w{17}$).
func validInstanceID(s string) bool {
	word := func(s string) bool {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
				return false
			}
		}
		return true
	}
	if r, ok := strings.CutPrefix(s, "mi-"); ok {
		return len(r) == 17 && word(r)
	}
	if r, ok := strings.CutPrefix(s, "i-"); ok {
		return (len(r) == 8 || len(r) == 17) && word(r)
	}
	return false
}

// parseSelected reads SelectedPatchBaselines: a JSON object, in a string,
// from operating system to {value, label, description, disabled}.
func parseSelected(s, useDefault string, c *collector) map[patchkit.OperatingSystem]SelectedBaseline {
	const k = "SelectedPatchBaselines"
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		c.add(k, "not a JSON object: %v", err)
		return nil
	}
	if len(raw) == 0 {
		c.add(k, "selects no baseline")
	}
	out := map[patchkit.OperatingSystem]SelectedBaseline{}
	aws := awsIDs()
	for _, name := range sortedRaw(raw) {
		path := k + "." + name
		os, err := patchkit.ParseOperatingSystem(name)
		if err != nil {
			c.add(path, "%q is not an OperatingSystem", name)
			continue
		}
		var w struct {
			Value       *string `json:"value"`
			Label       string  `json:"label"`
			Description string  `json:"description"`
			Disabled    bool    `json:"disabled"`
		}
		d := json.NewDecoder(bytes.NewReader(raw[name]))
		d.DisallowUnknownFields()
		if err := d.Decode(&w); err != nil {
			c.add(path, "%v", err)
			continue
		}
		if w.Value == nil || !validBaselineID(*w.Value) {
			c.add(path+".value", "missing, or not a baseline ID (20 to 128 letters, digits or _-:/)")
			continue
		}
		if useDefault == "default" && !strings.HasPrefix(w.Label, "AWS-") {
			if _, ok := aws[idKey(*w.Value)]; !ok {
				c.add(path+".value", "PatchBaselineUseDefault is default, but %s (%s) is not an AWS-owned baseline", *w.Value, w.Label)
			}
		}
		out[os] = SelectedBaseline{Value: *w.Value, Label: w.Label, Description: w.Description, Disabled: w.Disabled}
	}
	return out
}

func sortedRaw(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Parameters writes the policy back as a parameter map that ParseParameters
// reads to the same policy. Every parameter is written, defaults included,
// except empty optional strings.
func (p *Policy) Parameters() (map[string]string, error) {
	m := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	b := func(v bool) string {
		if v {
			return "true"
		}
		return "false"
	}
	set("PatchPolicyName", p.Name)
	set("ConfigurationOptionsPatchOperation", string(p.Operation))
	set("ConfigurationOptionsScanValue", p.ScanSchedule)
	m["ConfigurationOptionsScanNextInterval"] = b(p.ScanNextInterval)
	if p.Operation == ScanAndInstall {
		set("ConfigurationOptionsInstallValue", p.InstallSchedule)
		m["ConfigurationOptionsInstallNextInterval"] = b(p.InstallNextInterval)
	}
	set("RebootOption", string(p.RebootOption))
	set("RateControlConcurrency", p.Concurrency)
	set("RateControlErrorThreshold", p.ErrorThreshold)
	set("PatchBaselineRegion", p.BaselineRegion)
	set("PatchBaselineUseDefault", p.UseDefault)
	if len(p.Selected) > 0 {
		sel := map[string]SelectedBaseline{}
		for os, s := range p.Selected {
			sel[string(os)] = s
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(sel); err != nil {
			return nil, err
		}
		m["SelectedPatchBaselines"] = strings.TrimSpace(buf.String())
	}
	m["IsPolicyAttachAllowed"] = b(p.IsPolicyAttachAllowed)
	m["HasDeletedBaseline"] = b(p.HasDeletedBaseline)
	m["OutputLogEnableS3"] = b(p.Output.LogEnableS3)
	set("OutputS3Location", p.Output.S3Location)
	set("OutputBucketRegion", p.Output.BucketRegion)
	set("OutputS3BucketName", p.Output.BucketName)
	set("OutputS3KeyPrefix", p.Output.KeyPrefix)
	t := p.Target
	set("TargetType", t.Type)
	set("TargetInstances", strings.Join(t.Instances, ","))
	set("TargetTagKey", t.TagKey)
	set("TargetTagValue", t.TagValue)
	set("ResourceGroupName", t.ResourceGroupName)
	set("TargetAccounts", strings.Join(t.Accounts, ","))
	set("TargetOrganizationalUnits", strings.Join(t.OrganizationalUnits, ","))
	set("TargetRegions", strings.Join(t.Regions, ","))
	for k, v := range p.Extra {
		m[k] = v
	}
	return m, nil
}

// LoadQuickSetup reads a patch policy from JSON: a configuration definition
// as the Quick Setup API takes it ({"Type": "AWSQuickSetupType-PatchPolicy",
// "Parameters": {...}, ...}), a JSON array of definitions holding exactly
// one patch policy (what --configuration-definitions takes), or the bare
// parameter map. Parameter values are strings. Options are those of
// ParseParameters.
func LoadQuickSetup(r io.Reader, opts ...Option) (*Policy, error) {
	const input = "Quick Setup configuration"
	data, err := readAll(r, input)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	type definition struct {
		Type                                 *string                    `json:"Type"`
		Parameters                           map[string]json.RawMessage `json:"Parameters"`
		ID                                   string                     `json:"Id"`
		TypeVersion                          string                     `json:"TypeVersion"`
		LocalDeploymentAdministrationRoleArn string                     `json:"LocalDeploymentAdministrationRoleArn"`
		LocalDeploymentExecutionRoleName     string                     `json:"LocalDeploymentExecutionRoleName"`
	}
	if len(data) > 0 && data[0] == '[' {
		var defs []definition
		if err := decodeStrict(data, &defs, input); err != nil {
			return nil, err
		}
		var found []int
		for i, d := range defs {
			if d.Type != nil && *d.Type == QuickSetupType {
				found = append(found, i)
			}
		}
		if len(found) != 1 {
			return nil, &ValidationError{Input: input, Errors: []*baseline.FieldError{{Path: "[*].Type", Reason: fmt.Sprintf("%d definitions of type %s; one is needed", len(found), QuickSetupType)}}}
		}
		return parseRaw(defs[found[0]].Parameters, fmt.Sprintf("[%d].Parameters.", found[0]), input, opts)
	}
	var keys map[string]json.RawMessage
	if err := decodeStrict(data, &keys, input); err != nil {
		return nil, err
	}
	_, hasType := keys["Type"]
	_, hasParams := keys["Parameters"]
	if !hasType && !hasParams {
		return parseRaw(keys, "", input, opts)
	}
	var d definition
	if err := decodeStrict(data, &d, input); err != nil {
		return nil, err
	}
	if d.Type == nil || *d.Type != QuickSetupType {
		got := "missing"
		if d.Type != nil {
			got = fmt.Sprintf("%q", *d.Type)
		}
		return nil, &ValidationError{Input: input, Errors: []*baseline.FieldError{{Path: "Type", Reason: fmt.Sprintf("%s, not %s", got, QuickSetupType)}}}
	}
	if d.Parameters == nil {
		return nil, &ValidationError{Input: input, Errors: []*baseline.FieldError{{Path: "Parameters", Reason: "missing"}}}
	}
	return parseRaw(d.Parameters, "Parameters.", input, opts)
}

// parseRaw checks that every parameter value is a JSON string, naming the
// parameter when one is not, and parses the map.
func parseRaw(raw map[string]json.RawMessage, prefix, input string, opts []Option) (*Policy, error) {
	c := collector{input: input}
	params := make(map[string]string, len(raw))
	for _, k := range sortedRaw(raw) {
		var v string
		if err := json.Unmarshal(raw[k], &v); err != nil {
			c.add(prefix+k, "%s is not a string; Quick Setup parameter values are strings", bytes.TrimSpace(raw[k]))
			continue
		}
		params[k] = v
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	return ParseParameters(params, opts...)
}

// Targets reports whether the policy covers node, and why in words. A
// node's Region and Account are checked when the node has them; an account
// under TargetOrganizationalUnits cannot be checked without the
// organization and is taken as covered.
func (p *Policy) Targets(node Node) (bool, string) {
	t := p.Target
	var why []string
	if node.Region != "" {
		if !contains(t.Regions, node.Region) {
			return false, fmt.Sprintf("Region %s is not among TargetRegions %s", node.Region, strings.Join(t.Regions, ","))
		}
		why = append(why, "Region "+node.Region)
	}
	if node.Account != "" {
		switch {
		case contains(t.Accounts, node.Account):
			why = append(why, "account "+node.Account)
		case len(t.OrganizationalUnits) > 0:
			why = append(why, "account "+node.Account+" taken to be in "+strings.Join(t.OrganizationalUnits, ","))
		default:
			return false, fmt.Sprintf("account %s is not among TargetAccounts %s", node.Account, strings.Join(t.Accounts, ","))
		}
	}
	switch t.Type {
	case "", "*":
		why = append(why, "every node")
	case "Tags":
		v, ok := node.Tags[t.TagKey]
		if !ok || v != t.TagValue {
			if ok {
				return false, fmt.Sprintf("its tag %s is %q, not %q", t.TagKey, v, t.TagValue)
			}
			return false, fmt.Sprintf("it has no tag %s (the policy targets %s=%s)", t.TagKey, t.TagKey, t.TagValue)
		}
		why = append(why, "tag "+t.TagKey+"="+t.TagValue)
	case "InstanceIds":
		if !contains(t.Instances, node.ID) {
			return false, fmt.Sprintf("%q is not among TargetInstances", node.ID)
		}
		why = append(why, "instance "+node.ID)
	case "ResourceGroups":
		if !contains(node.ResourceGroups, t.ResourceGroupName) {
			return false, fmt.Sprintf("the node is not in resource group %s", t.ResourceGroupName)
		}
		why = append(why, "resource group "+t.ResourceGroupName)
	}
	return true, strings.Join(why, ", ")
}

// baselineFor returns the policy's baseline for os: from its
// baseline_overrides.json when set, else the selected baseline looked up in
// reg or among the AWS-owned ones.
func (p *Policy) baselineFor(os patchkit.OperatingSystem, reg *Registry, opts []baseline.Option) (baseline.Baseline, int, string, error) {
	if len(p.Baselines) > 0 {
		b, code, why := pickByOS(p.Baselines, os)
		if code != 0 {
			return b, code, "", fmt.Errorf("its baseline_overrides.json: %s", why)
		}
		return b, 0, fmt.Sprintf("its baseline_overrides.json has %s for %s", describe(b), os), nil
	}
	s, ok := p.Selected[os]
	if !ok {
		have := make([]string, 0, len(p.Selected))
		for o := range p.Selected {
			have = append(have, string(o))
		}
		sort.Strings(have)
		return baseline.Baseline{}, 163, "", fmt.Errorf("the policy selects no baseline for %s (only for %s)", os, strings.Join(have, ", "))
	}
	b, err := reg.Lookup(s.Value, opts...)
	if err != nil {
		if pb, perr := baseline.PredefinedByName(s.Label, opts...); perr == nil && pb.OperatingSystem == os && strings.HasPrefix(s.Label, "AWS-") {
			return pb, 0, fmt.Sprintf("it selects %s for %s (the AWS-owned baseline named by its label)", s.Label, os), nil
		}
		return baseline.Baseline{}, 0, "", fmt.Errorf("the policy selects %s (%s) for %s: %w", s.Value, s.Label, os, err)
	}
	if b.OperatingSystem != os {
		return baseline.Baseline{}, 0, "", fmt.Errorf("the policy selects %s for %s, but it is a %s baseline", describe(b), os, b.OperatingSystem)
	}
	return b, 0, fmt.Sprintf("it selects %s for %s", describe(b), os), nil
}

// OverrideBaselines returns the baselines the policy's
// baseline_overrides.json holds: Baselines when set, else each selected
// baseline looked up in reg or among the AWS-owned ones, in the API's order
// of operating systems.
func (p *Policy) OverrideBaselines(reg *Registry, opts ...baseline.Option) ([]baseline.Baseline, error) {
	if len(p.Baselines) > 0 {
		out := make([]baseline.Baseline, len(p.Baselines))
		for i, b := range p.Baselines {
			out[i] = cloneBaseline(b)
		}
		return out, nil
	}
	var out []baseline.Baseline
	for _, os := range patchkit.OperatingSystems() {
		if _, ok := p.Selected[os]; !ok {
			continue
		}
		b, _, _, err := p.baselineFor(os, reg, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// SetOverrides sets the policy's baselines from its baseline_overrides.json
// (ReadOverrides): one per operating system, one for every selected
// operating system, and where a baseline has an ID, the one selected.
func (p *Policy) SetOverrides(bs []baseline.Baseline) error {
	c := collector{input: "baseline_overrides.json of policy " + p.Name}
	seen := map[patchkit.OperatingSystem]int{}
	for i, b := range bs {
		if j, dup := seen[b.OperatingSystem]; dup {
			c.add(fmt.Sprintf("[%d].OperatingSystem", i), "a second baseline for %s (the first is element %d)", b.OperatingSystem, j)
			continue
		}
		seen[b.OperatingSystem] = i
		if len(p.Selected) == 0 {
			continue
		}
		s, ok := p.Selected[b.OperatingSystem]
		switch {
		case !ok:
			c.add(fmt.Sprintf("[%d].OperatingSystem", i), "the policy selects no baseline for %s", b.OperatingSystem)
		case b.BaselineID != "" && idKey(b.BaselineID) != idKey(s.Value):
			c.add(fmt.Sprintf("[%d].BaselineId", i), "%s, but the policy selects %s for %s", b.BaselineID, s.Value, b.OperatingSystem)
		}
	}
	for _, os := range patchkit.OperatingSystems() {
		if _, ok := p.Selected[os]; ok {
			if _, have := seen[os]; !have {
				c.add("$", "no baseline for %s, which the policy selects", os)
			}
		}
	}
	if err := c.err(); err != nil {
		return err
	}
	p.Baselines = make([]baseline.Baseline, len(bs))
	for i, b := range bs {
		p.Baselines[i] = cloneBaseline(b)
	}
	return nil
}

// ReadOverrides reads a baseline_overrides.json (or any BaselineOverride
// file): a JSON array of baselines in the GetPatchBaseline shape, at most
// one per operating system.
func ReadOverrides(r io.Reader, opts ...baseline.Option) ([]baseline.Baseline, error) {
	bs, err := baseline.Load(r, opts...)
	if err != nil {
		return nil, err
	}
	if err := checkOnePerOS(bs); err != nil {
		return nil, err
	}
	return bs, nil
}

func checkOnePerOS(bs []baseline.Baseline) error {
	c := collector{input: "baseline override file"}
	seen := map[patchkit.OperatingSystem]int{}
	for i, b := range bs {
		if j, dup := seen[b.OperatingSystem]; dup {
			c.add(fmt.Sprintf("[%d].OperatingSystem", i), "a second baseline for %s (the first is element %d); the node would fail with payload error 165", b.OperatingSystem, j)
			continue
		}
		seen[b.OperatingSystem] = i
	}
	return c.err()
}

// WriteOverrides writes baselines as a baseline_overrides.json: a JSON array
// of baselines in the GetPatchBaseline shape, which ReadOverrides and the
// node's BaselineOverride read. At most one per operating system.
func WriteOverrides(w io.Writer, bs []baseline.Baseline) error {
	if err := checkOnePerOS(bs); err != nil {
		return err
	}
	if bs == nil {
		bs = []baseline.Baseline{}
	}
	return writeJSON(w, bs)
}
