package osdetect

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// plistPath is where macOS keeps its version.
const plistPath = "System/Library/CoreServices/SystemVersion.plist"

// fromSystemVersion reads macOS's SystemVersion.plist (an XML property list).
func fromSystemVersion(file string, data []byte) (OS, error) {
	if bytes.HasPrefix(data, []byte("bplist")) {
		return OS{}, &ParseError{File: file, Reason: "binary property lists are not supported"}
	}
	vals, err := plistStrings(data)
	if err != nil {
		return OS{}, &ParseError{File: file, Reason: err.Error()}
	}
	v := vals["ProductVersion"]
	if !versionLike(v) {
		return OS{}, &ParseError{File: file, Reason: "no ProductVersion"}
	}
	o := OS{
		ID:        "macos",
		Name:      vals["ProductName"],
		Version:   v,
		VersionID: v,
		Build:     vals["ProductBuildVersion"],
		Sources:   []string{file},
	}
	o.Major, o.Minor = splitVersion(v)
	o.PrettyName = strings.TrimSpace(o.Name + " " + v)
	return finish(o, file)
}

// plistStrings returns the string values of the top-level dictionary of an
// XML property list.
func plistStrings(data []byte) (map[string]string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	out := map[string]string{}
	depth, key := 0, ""
	inDict := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1 && t.Name.Local != "plist":
				return nil, errors.New("not a property list")
			case depth == 2 && t.Name.Local == "dict":
				inDict = true
			case depth == 3 && inDict && t.Name.Local == "key":
				var s string
				if err := d.DecodeElement(&s, &t); err != nil {
					return nil, err
				}
				depth--
				key = s
			case depth == 3 && inDict && t.Name.Local == "string":
				var s string
				if err := d.DecodeElement(&s, &t); err != nil {
					return nil, err
				}
				depth--
				if key != "" {
					out[key] = s
				}
				key = ""
			case depth == 3:
				key = ""
			}
		case xml.EndElement:
			depth--
		}
	}
	if !inDict {
		return nil, errors.New("no dictionary")
	}
	return out, nil
}
