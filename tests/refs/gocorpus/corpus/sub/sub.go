// Package sub is another package of the same module: the deriver parses it too.
package sub

// Thing is declared in a sibling package.
type Thing struct {
	Name  string `json:"name"`
	Count uint8  `json:"count,omitempty"`
}
