package picartotest

import (
	"fmt"
	"strconv"
	"strings"
)

// A parsed GraphQL operation: just enough of the language for the queries
// of the alert route (spec §3.2, §3.3): one query with variable definitions,
// root fields with arguments, aliases and one level of subfields.
type alertGQLOp struct {
	name   string
	vars   map[string]string // name -> type, e.g. "String!"
	fields []alertGQLField
}

type alertGQLField struct {
	alias, name string
	args        map[string]alertGQLValue
	sub         []string
}

type alertGQLValue struct {
	variable string // set for $name
	literal  any    // string, float64, bool or nil otherwise
}

type alertGQLParser struct {
	toks []string
	pos  int
}

// alertParseQuery parses q or reports a syntax error.
func alertParseQuery(q string) (*alertGQLOp, error) {
	toks, err := alertLex(q)
	if err != nil {
		return nil, err
	}
	p := &alertGQLParser{toks: toks}
	op := &alertGQLOp{vars: map[string]string{}}
	switch p.peek() {
	case "mutation", "subscription":
		return nil, fmt.Errorf("the schema has no %s type", p.peek())
	case "query":
		p.pos++
		if alertIsName(p.peek()) {
			op.name = p.next()
		}
		if p.peek() == "(" {
			p.pos++
			for p.peek() != ")" {
				if err := p.expect("$"); err != nil {
					return nil, err
				}
				name := p.next()
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				typ, err := p.typ()
				if err != nil {
					return nil, err
				}
				if p.peek() == "=" {
					return nil, fmt.Errorf("default values are not supported by this fake")
				}
				op.vars[name] = typ
			}
			p.pos++
		}
	}
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	for p.peek() != "}" {
		f, err := p.field()
		if err != nil {
			return nil, err
		}
		op.fields = append(op.fields, f)
	}
	p.pos++
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q after the operation", p.peek())
	}
	return op, nil
}

func (p *alertGQLParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return "<EOF>"
}

func (p *alertGQLParser) next() string { t := p.peek(); p.pos++; return t }

func (p *alertGQLParser) expect(t string) error {
	if got := p.next(); got != t {
		return fmt.Errorf("expected %q, found %q", t, got)
	}
	return nil
}

func (p *alertGQLParser) typ() (string, error) {
	var t string
	if p.peek() == "[" {
		p.pos++
		inner, err := p.typ()
		if err != nil {
			return "", err
		}
		if err := p.expect("]"); err != nil {
			return "", err
		}
		t = "[" + inner + "]"
	} else if alertIsName(p.peek()) {
		t = p.next()
	} else {
		return "", fmt.Errorf("expected a type, found %q", p.peek())
	}
	if p.peek() == "!" {
		p.pos++
		t += "!"
	}
	return t, nil
}

func (p *alertGQLParser) field() (alertGQLField, error) {
	name := p.next()
	if !alertIsName(name) {
		return alertGQLField{}, fmt.Errorf("expected a field name, found %q", name)
	}
	f := alertGQLField{alias: name, name: name, args: map[string]alertGQLValue{}}
	if p.peek() == ":" {
		p.pos++
		if f.name = p.next(); !alertIsName(f.name) {
			return f, fmt.Errorf("expected a field name after alias, found %q", f.name)
		}
	}
	if p.peek() == "(" {
		p.pos++
		for p.peek() != ")" {
			arg := p.next()
			if !alertIsName(arg) {
				return f, fmt.Errorf("expected an argument name, found %q", arg)
			}
			if err := p.expect(":"); err != nil {
				return f, err
			}
			v, err := p.value()
			if err != nil {
				return f, err
			}
			f.args[arg] = v
		}
		p.pos++
	}
	if p.peek() == "{" {
		p.pos++
		for p.peek() != "}" {
			sf := p.next()
			if !alertIsName(sf) {
				return f, fmt.Errorf("expected a subfield, found %q", sf)
			}
			if p.peek() == "{" || p.peek() == "(" {
				return f, fmt.Errorf("field %q has no nested selections in this schema", sf)
			}
			f.sub = append(f.sub, sf)
		}
		p.pos++
	}
	return f, nil
}

func (p *alertGQLParser) value() (alertGQLValue, error) {
	t := p.next()
	switch {
	case t == "$":
		name := p.next()
		if !alertIsName(name) {
			return alertGQLValue{}, fmt.Errorf("expected a variable name, found %q", name)
		}
		return alertGQLValue{variable: name}, nil
	case strings.HasPrefix(t, `"`):
		s, err := strconv.Unquote(t)
		if err != nil {
			return alertGQLValue{}, fmt.Errorf("bad string %s", t)
		}
		return alertGQLValue{literal: s}, nil
	case t == "true" || t == "false":
		return alertGQLValue{literal: t == "true"}, nil
	case t == "null":
		return alertGQLValue{}, nil
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return alertGQLValue{}, fmt.Errorf("unexpected %q as a value", t)
	}
	return alertGQLValue{literal: n}, nil
}

func alertIsName(t string) bool {
	if t == "" || t == "<EOF>" {
		return false
	}
	for i, r := range t {
		if r != '_' && !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z') && !(i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// alertLex splits a query into names, punctuators, strings and numbers;
// commas and whitespace separate, # starts a comment.
func alertLex(q string) ([]string, error) {
	var toks []string
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case c == '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case strings.IndexByte("{}():!$[]=", c) >= 0:
			toks = append(toks, string(c))
			i++
		case c == '"':
			j := i + 1
			for j < len(q) && q[j] != '"' {
				if q[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(q) {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, q[i:j+1])
			i = j + 1
		case c == '-' || c >= '0' && c <= '9' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(q) && (q[j] == '_' || q[j] == '.' || q[j] == '-' || q[j] == '+' ||
				q[j] >= '0' && q[j] <= '9' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z') {
				j++
			}
			toks = append(toks, q[i:j])
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q", c)
		}
	}
	return toks, nil
}
