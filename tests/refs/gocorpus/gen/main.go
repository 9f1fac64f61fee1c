// Command gen writes generated values of the corpus types as encoding/json
// marshals them: one "TypeName<TAB>JSON" line per value.
//
// Usage: gen SEED COUNT
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"reflect"
	"strconv"
	"time"

	"cdccheck.test/gocorpus/corpus"
)

var types = map[string]reflect.Type{
	"Scalars":    reflect.TypeOf(corpus.Scalars{}),
	"Containers": reflect.TypeOf(corpus.Containers{}),
	"Embeds":     reflect.TypeOf(corpus.Embeds{}),
	"Twice":      reflect.TypeOf(corpus.Twice{}),
	"Outer":      reflect.TypeOf(corpus.Outer{}),
	"Tree":       reflect.TypeOf(corpus.Tree{}),
	"Forest":     reflect.TypeOf(corpus.Forest{}),
	"Generics":   reflect.TypeOf(corpus.Generics{}),
	"WithAlias":  reflect.TypeOf(corpus.WithAlias{}),
	"Marshalers": reflect.TypeOf(corpus.Marshalers{}),
	"Leaf":       reflect.TypeOf(corpus.Leaf{}),
	"Names":      reflect.TypeOf(corpus.Names{}),
	"List":       reflect.TypeOf(corpus.List{}),
}

var (
	timeType   = reflect.TypeOf(time.Time{})
	rawType    = reflect.TypeOf(json.RawMessage{})
	numberType = reflect.TypeOf(json.Number(""))
)

// Strings that exercise escaping: HTML characters, U+2028, control
// characters, quotes, invalid UTF-8 (written as U+FFFD), non-ASCII.
var strs = []string{"", "a", "<b>&amp;</b>", "line\u2028sep", "tab\there\x01", `quote " back \ slash`, "bad \xff utf8", "日本語", "0", "-"}

var rawValues = []string{`null`, `1`, `"s"`, `{"a": [1, 2, {}]}`, `[]`, `true`, `-0.5e3`}

var numbers = []string{"0", "-1", "3.25", "1e10", "-2.5E-3", "12345678901234567890"}

type gen struct {
	r *rand.Rand
}

func (g gen) pick(n int) int { return g.r.Intn(n) }

func (g gen) signed(bits int) int64 {
	low, high := int64(-1)<<(bits-1), int64(1)<<(bits-1)-1
	switch g.pick(5) {
	case 0:
		return 0
	case 1:
		return low
	case 2:
		return high
	default:
		return g.r.Int63n(high/2+1) - g.r.Int63n(-(low/2)+1)
	}
}

func (g gen) unsigned(bits int) uint64 {
	high := uint64(math.MaxUint64)
	if bits < 64 {
		high = uint64(1)<<bits - 1
	}
	switch g.pick(4) {
	case 0:
		return 0
	case 1:
		return high
	default:
		return g.r.Uint64() & high
	}
}

func (g gen) float(bits int) float64 {
	choices := []float64{0, math.Copysign(0, -1), 1.5, -2.25e-7, 3e22, 1e21, 123456.789, 1}
	if bits == 32 {
		choices = append(choices, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32)
	} else {
		choices = append(choices, math.MaxFloat64, math.SmallestNonzeroFloat64, -1e-300)
	}
	if g.pick(3) == 0 {
		return (g.r.Float64() - 0.5) * math.Pow(10, float64(g.pick(30)-10))
	}
	return choices[g.pick(len(choices))]
}

func (g gen) moment() time.Time {
	zones := []*time.Location{
		time.UTC,
		time.FixedZone("", 2*3600),
		time.FixedZone("", -(9*3600 + 30*60)),
		time.FixedZone("", 23*3600+59*60),
		time.FixedZone("", -30), // a sub-minute offset is written as +00:00
	}
	// Year 0 is left out: python-jsonschema's date-time check refuses it (see go.py).
	seconds := g.r.Int63n(253402300799-(-62135596800)) + (-62135596800)
	nanos := []int64{0, 1, 500000000, 123456789, 100, int64(g.pick(1000000000))}[g.pick(6)]
	t := time.Unix(seconds, nanos).In(zones[g.pick(len(zones))])
	if t.Year() < 1 || t.Year() > 9999 {
		t = time.Date(2026, 1, 28, 12, 0, 0, 0, time.UTC)
	}
	if g.pick(10) == 0 {
		return time.Time{}
	}
	return t
}

func (g gen) fill(v reflect.Value, depth int) {
	if !v.CanSet() {
		return
	}
	switch v.Type() {
	case timeType:
		v.Set(reflect.ValueOf(g.moment()))
		return
	case rawType:
		if g.pick(4) == 0 {
			v.Set(reflect.Zero(rawType))
		} else {
			v.Set(reflect.ValueOf(json.RawMessage(rawValues[g.pick(len(rawValues))])))
		}
		return
	case numberType:
		v.SetString(numbers[g.pick(len(numbers))])
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(g.pick(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(g.signed(v.Type().Bits()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(g.unsigned(v.Type().Bits()))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(g.float(v.Type().Bits()))
	case reflect.String:
		v.SetString(strs[g.pick(len(strs))])
	case reflect.Pointer:
		if depth > 3 || g.pick(3) == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		p := reflect.New(v.Type().Elem())
		g.fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		switch n := g.pick(5); {
		case n == 0 || depth > 3:
			v.Set(reflect.Zero(v.Type()))
		case n == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := 0; i < n-1; i++ {
				g.fill(s.Index(i), depth+1)
			}
			v.Set(s)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			g.fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		switch n := g.pick(5); {
		case n == 0 || depth > 3:
			v.Set(reflect.Zero(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			for i := 0; i < n-1; i++ {
				key := reflect.New(v.Type().Key()).Elem()
				g.fill(key, depth+1)
				value := reflect.New(v.Type().Elem()).Elem()
				g.fill(value, depth+1)
				m.SetMapIndex(key, value)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			g.fill(v.Field(i), depth+1)
		}
	case reflect.Interface:
		var choices []interface{}
		if v.Type().NumMethod() == 0 {
			choices = []interface{}{nil, 7, "s", 2.5, true, []int{1}, map[string]int{"k": 1}, (*int)(nil), corpus.Leaf{V: 3}}
		} else {
			choices = []interface{}{nil}
		}
		choice := choices[g.pick(len(choices))]
		if choice == nil {
			v.Set(reflect.Zero(v.Type()))
		} else {
			v.Set(reflect.ValueOf(choice))
		}
	}
}

func main() {
	seed, _ := strconv.ParseInt(os.Args[1], 10, 64)
	count, _ := strconv.Atoi(os.Args[2])
	g := gen{rand.New(rand.NewSource(seed))}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	names := make([]string, 0, len(types))
	for name := range types {
		names = append(names, name)
	}
	for _, name := range sortedKeys(names) {
		for i := 0; i < count; i++ {
			p := reflect.New(types[name])
			g.fill(p.Elem(), 0)
			// Half the values are passed by pointer (addressable: pointer-receiver
			// marshalers apply), half by value (they do not).
			var b []byte
			var err error
			if i%2 == 0 {
				b, err = json.Marshal(p.Interface())
			} else {
				b, err = json.Marshal(p.Elem().Interface())
			}
			if err != nil {
				fmt.Fprintf(out, "%s\tERROR\t%s\n", name, err)
				continue
			}
			fmt.Fprintf(out, "%s\t%s\n", name, b)
		}
	}
}

func sortedKeys(names []string) []string {
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if names[j] < names[i] {
				names[i], names[j] = names[j], names[i]
			}
		}
	}
	return names
}
