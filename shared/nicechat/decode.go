package nicechat

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// The typed views are read in one pass over the data, whatever its shape:
// each value is either decoded into the field it belongs to or skipped,
// and neither reads a byte twice, so the time and the memory a view takes
// grow with the data's size only. (encoding/json calling each level's
// UnmarshalJSON on its own subtree read a nested form again at every
// level: a 55 KB body cost 1.7 GB of allocations.) Nothing nested deeper
// than MaxDepth is decoded: it is skipped, as an odd-typed value is, by a
// scan that keeps a bit a level.

// scalarDecoder is a leaf type of the views: it takes a JSON scalar, its
// kind ('"' a string, its text decoded; '0' a number; 't' or 'f' a
// boolean; 'n' null) and its text, and never fails.
type scalarDecoder interface{ decodeScalar(kind byte, text string) }

var (
	scalarType = reflect.TypeFor[scalarDecoder]()
	rawType    = reflect.TypeFor[json.RawMessage]()
	viewFields sync.Map // reflect.Type of a view struct → map[string]int, json name → field index
)

// decodeView fills *dst from the JSON value b, leniently: a field whose
// value has the wrong shape is left zero instead of failing the whole
// view, and text that is not JSON leaves it all zero. depth is the level
// of b's value in its body (data is 2), so that MaxDepth counts from the
// body as ingest counts it.
func decodeView(b []byte, dst any, depth int) {
	v := reflect.ValueOf(dst).Elem()
	d := decoder{sc: scanner{s: string(b), anyText: true}}
	end := d.value(d.sc.ws(0), v, depth)
	if end < 0 || d.sc.ws(end) != len(d.sc.s) {
		v.SetZero()
	}
}

type decoder struct{ sc scanner }

// maxChunk bounds the elements of a list read into one chunk.
const maxChunk = 1024

// value decodes the JSON value at s[i], of level depth, into v and
// returns the index after it, or -1 when the text is not JSON.
func (d *decoder) value(i int, v reflect.Value, depth int) int {
	s := d.sc.s
	if i >= len(s) {
		return -1
	}
	c := s[i]
	container := c == '{' || c == '['
	if container && depth > MaxDepth {
		v.SetZero()
		return d.sc.value(i, unbounded)
	}
	t := v.Type()
	switch {
	case reflect.PointerTo(t).Implements(scalarType):
		if container {
			v.SetZero()
			return d.sc.value(i, unbounded)
		}
		kind, text, end := d.scalar(i)
		if end >= 0 {
			v.Addr().Interface().(scalarDecoder).decodeScalar(kind, text)
		}
		return end
	case t.Kind() == reflect.Struct:
		v.SetZero()
		if c != '{' {
			return d.sc.value(i, unbounded)
		}
		fields := fieldsOf(t)
		return d.object(i, func(key string, j int) int {
			f, ok := fields[key]
			if !ok {
				return d.sc.value(j, unbounded)
			}
			return d.value(j, v.Field(f), depth+1)
		})
	case t.Kind() == reflect.Slice:
		v.SetZero()
		if c != '[' {
			return d.sc.value(i, unbounded)
		}
		// Elements are read into chunks, then copied once into a slice of
		// their number: twice the list's memory at most, where append's
		// growth by a quarter would allocate it about five times over.
		var (
			chunks []reflect.Value
			chunk  reflect.Value
			n, in  int
		)
		end := d.array(i, func(j int) int {
			if !chunk.IsValid() || in == chunk.Len() {
				chunk = reflect.MakeSlice(t, min(max(n, 4), maxChunk), min(max(n, 4), maxChunk))
				chunks = append(chunks, chunk)
				in = 0
			}
			in, n = in+1, n+1
			return d.value(j, chunk.Index(in-1), depth+1)
		})
		if end >= 0 {
			all := reflect.MakeSlice(t, n, n)
			at := 0
			for _, c := range chunks {
				at += reflect.Copy(all.Slice(at, n), c)
			}
			v.Set(all)
		}
		return end
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		v.SetZero()
		if c != '{' {
			return d.sc.value(i, unbounded)
		}
		v.Set(reflect.MakeMap(t))
		return d.object(i, func(key string, j int) int {
			elem := reflect.New(t.Elem()).Elem()
			var end int
			if t.Elem() == rawType {
				// Kept as it is: an address whose shape the vendor
				// leaves undocumented.
				if end = d.sc.value(j, unbounded); end >= 0 {
					elem.SetBytes([]byte(s[j:end]))
				}
			} else {
				end = d.value(j, elem, depth+1)
			}
			v.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), elem)
			return end
		})
	}
	panic("nicechat: a view holds a field of a type the decoder does not read: " + t.String())
}

// scalar reads the string, number or literal at s[i].
func (d *decoder) scalar(i int) (kind byte, text string, end int) {
	s := d.sc.s
	switch c := s[i]; c {
	case '"':
		end, escaped := d.sc.str(i)
		if end < 0 {
			return 0, "", -1
		}
		return '"', d.text(s[i:end], escaped), end
	case 't', 'f', 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if lit[0] == c {
				if !hasPrefix(s[i:], lit) {
					return 0, "", -1
				}
				return c, lit, i + len(lit)
			}
		}
	}
	end = d.sc.number(i)
	if end < 0 {
		return 0, "", -1
	}
	return '0', s[i:end], end
}

// text decodes a scanned JSON string, quotes included, as encoding/json
// does: each byte of invalid UTF-8 becomes U+FFFD.
func (d *decoder) text(quoted string, escaped bool) string {
	v := quoted[1 : len(quoted)-1]
	if escaped || !utf8.ValidString(v) {
		_ = json.Unmarshal([]byte(quoted), &v)
	}
	return v
}

// object reads the object at s[i], handing member each key and the index
// of its value; member returns the index after the value, or -1.
func (d *decoder) object(i int, member func(key string, j int) int) int {
	s := d.sc.s
	i = d.sc.ws(i + 1)
	if i < len(s) && s[i] == '}' {
		return i + 1
	}
	for {
		end, escaped := d.sc.str(i)
		if end < 0 {
			return -1
		}
		key := d.text(s[i:end], escaped)
		i = d.sc.ws(end)
		if i >= len(s) || s[i] != ':' {
			return -1
		}
		if i = member(key, d.sc.ws(i+1)); i < 0 {
			return -1
		}
		var done bool
		if i, done = d.next(i, '}'); done {
			return i
		}
	}
}

// array reads the array at s[i], handing elem the index of each element;
// elem returns the index after it, or -1.
func (d *decoder) array(i int, elem func(j int) int) int {
	s := d.sc.s
	i = d.sc.ws(i + 1)
	if i < len(s) && s[i] == ']' {
		return i + 1
	}
	for {
		if i = elem(i); i < 0 {
			return -1
		}
		var done bool
		if i, done = d.next(i, ']'); done {
			return i
		}
	}
}

// next reads what follows a member or an element at s[i]: the closer
// ends the object or array (done, the index after it), a comma leads to
// the next one (its index); anything else is an error (done, -1).
func (d *decoder) next(i int, closer byte) (int, bool) {
	s := d.sc.s
	i = d.sc.ws(i)
	switch {
	case i >= len(s):
		return -1, true
	case s[i] == closer:
		return i + 1, true
	case s[i] == ',':
		return d.sc.ws(i + 1), false
	default:
		return -1, true
	}
}

// fieldsOf is a view struct's fields by their JSON names.
func fieldsOf(t reflect.Type) map[string]int {
	if f, ok := viewFields.Load(t); ok {
		return f.(map[string]int)
	}
	fields := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	viewFields.Store(t, fields)
	return fields
}
