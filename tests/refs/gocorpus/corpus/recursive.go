package corpus

// Tree is recursive through a slice of pointers.
type Tree struct {
	Value    int     `json:"value"`
	Children []*Tree `json:"children,omitempty"`
	Left     *Tree   `json:"left"`
}

// List is a named slice of itself.
type List []List

// Forest holds recursive types.
type Forest struct {
	Trees []Tree        `json:"trees"`
	Lists List          `json:"lists"`
	Index map[int]*Tree `json:"index"`
}

// Page is generic.
type Page[T any] struct {
	Items []T `json:"items"`
	Next  *T  `json:"next,omitempty"`
	Count int `json:"count"`
}

// Generics instantiates Page twice.
type Generics struct {
	Leaves Page[Leaf] `json:"leaves"`
	Ints   Page[int]  `json:"ints"`
}

// Alias is another name for Leaf.
type Alias = Leaf

// WithAlias uses the alias.
type WithAlias struct {
	A Alias  `json:"a"`
	P *Alias `json:"p,omitempty"`
}
