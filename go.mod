module github.com/patchkit/patchkit

go 1.26.8

require (
	github.com/Masterminds/semver/v3 v3.5.0
	github.com/knqyf263/go-deb-version v0.0.0-20241115132648-6f4aee6ccd23
	github.com/knqyf263/go-rpm-version v0.0.0-20260811110310-1815e1f1b790
	golang.org/x/sys v0.49.0
)

require (
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
