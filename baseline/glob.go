package baseline

// globMatch reports whether s matches the shell pattern p as Python's
// fnmatch does (the node payload's matcher): "*" any run of bytes, "?" one
// byte, "[...]" a class with ranges and "!" for negation; a "[" without a
// closing "]" is literal. The match is anchored at both ends. p and s are
// compared byte for byte (callers lower-case both).
func globMatch(p, s string) bool {
	px, sx := 0, 0
	nextP, nextS := -1, -1
	for px < len(p) || sx < len(s) {
		if px < len(p) {
			switch c := p[px]; c {
			case '*':
				nextP, nextS = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			case '[':
				if sx < len(s) {
					if ok, width, valid := matchClass(p[px:], s[sx]); valid {
						if ok {
							px += width
							sx++
							continue
						}
					} else if s[sx] == '[' {
						px++
						sx++
						continue
					}
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextS > 0 && nextS <= len(s) {
			px, sx = nextP+1, nextS
			nextS++
			continue
		}
		return false
	}
	return true
}

// matchClass matches c against the class at the start of p ("[...]"). It
// returns whether c is in the class, the class's width in p, and whether p
// starts with a well-formed class at all.
func matchClass(p string, c byte) (ok bool, width int, valid bool) {
	i := 1
	negate := false
	if i < len(p) && p[i] == '!' {
		negate = true
		i++
	}
	// A "]" right after "[" or "[!" is a member, not the end.
	start := i
	for j := start; j < len(p); j++ {
		if p[j] == ']' && j > start {
			width = j + 1
			break
		}
	}
	if width == 0 {
		return false, 0, false
	}
	for j := start; j < width-1; j++ {
		lo := p[j]
		hi := lo
		if j+2 < width-1 && p[j+1] == '-' {
			hi = p[j+2]
			j += 2
		}
		if lo <= c && c <= hi {
			ok = true
		}
	}
	return ok != negate, width, true
}

// hasMeta reports whether an entry is a pattern rather than a literal.
func hasMeta(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// literalPrefix returns the part of a pattern before its first
// metacharacter.
func literalPrefix(p string) string {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*', '?', '[':
			return p[:i]
		}
	}
	return p
}

// literalSuffix returns the part of a pattern after its last metacharacter.
func literalSuffix(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		switch p[i] {
		case '*', '?', ']', '[':
			return p[i+1:]
		}
	}
	return p
}
