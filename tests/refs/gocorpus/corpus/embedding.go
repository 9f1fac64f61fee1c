package corpus

import "time"

// Base is embedded by value.
type Base struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"`
	Note string
}

// Meta is embedded through a pointer: its fields are absent when it is nil.
type Meta struct {
	Kind    string `json:"kind"`
	Version int    `json:"version"`
	Note    string `json:"Note"`
}

// Audit sits two levels down.
type Audit struct {
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// Deep embeds Audit.
type Deep struct {
	Audit
}

// Tagged is embedded with a tag name, so it is an ordinary field.
type Tagged struct {
	X int `json:"x"`
}

type unexportedStruct struct {
	Hidden int `json:"hidden"`
}

// Embeds exercises Go's visibility rules as encoding/json amends them.
type Embeds struct {
	Base
	*Meta
	Deep
	Tagged `json:"tagged"`
	Status
	*Leaf `json:"leaf,omitempty"`
	unexportedStruct
	By string `json:"by"`
}

// Common is reached twice at the same depth in Twice: its field is dropped.
type Common struct {
	C int `json:"c"`
}

// A1 embeds Common.
type A1 struct {
	Common
	A int `json:"a"`
}

// A2 embeds Common too.
type A2 struct {
	Common
	B int `json:"b"`
}

// Twice has no "c": two equal candidates at one depth cancel out.
type Twice struct {
	A1
	A2
}

// Inner is embedded through a pointer two levels down.
type Inner struct {
	Z string `json:"z"`
}

// Middle embeds *Inner.
type Middle struct {
	*Inner
	Y int `json:"y"`
}

// Outer embeds Middle by value: z is absent when Middle.Inner is nil.
type Outer struct {
	Middle
}
