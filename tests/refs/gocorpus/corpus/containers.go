package corpus

// Size is a constant array length.
const Size = 5

// MyByte is a named uint8: a slice of it is still base64.
type MyByte uint8

// Key is a named string map key.
type Key string

// Names is a named slice.
type Names []string

// Status is a named string.
type Status string

// Level is a named int16.
type Level int16

// Leaf is a small struct.
type Leaf struct {
	V int `json:"v"`
}

// Containers covers pointers, slices, arrays, maps, interfaces and named composites.
type Containers struct {
	P      *int             `json:"p"`
	PO     *int             `json:"po,omitempty"`
	PP     **string         `json:"pp"`
	PPO    **string         `json:"ppo,omitempty"`
	Sl     []string         `json:"sl"`
	SlO    []string         `json:"slo,omitempty"`
	SlP    []*int           `json:"slp"`
	By     []byte           `json:"by"`
	ByO    []byte           `json:"byo,omitempty"`
	MyBy   []MyByte         `json:"myby"`
	Arr    [3]int           `json:"arr"`
	ArrO   [2]bool          `json:"arro,omitempty"`
	Arr0   [0]int           `json:"arr0"`
	Arr0O  [0]int           `json:"arr0o,omitempty"`
	ArrB   [4]byte          `json:"arrb"`
	ArrC   [Size]uint8      `json:"arrc"`
	M      map[string]int   `json:"m"`
	MO     map[string]int   `json:"mo,omitempty"`
	MI     map[int]string   `json:"mi"`
	MU8    map[uint8]bool   `json:"mu8"`
	MK     map[Key]int      `json:"mk"`
	MP     map[string]*Leaf `json:"mp"`
	MS     map[string][]int `json:"ms"`
	Any    any              `json:"any"`
	AnyO   interface{}      `json:"anyo,omitempty"`
	Inline struct {
		X int     `json:"x"`
		Y *string `json:"y,omitempty"`
	} `json:"inline"`
	Named   Names   `json:"names"`
	NamedO  Names   `json:"nameso,omitempty"`
	Status  Status  `json:"status"`
	StatusO Status  `json:"statuso,omitempty"`
	Level   Level   `json:"level,string"`
	LeafP   *Leaf   `json:"leafp"`
	LeafPO  *Leaf   `json:"leafpo,omitempty"`
	Leaves  []Leaf  `json:"leaves"`
	LeafO   Leaf    `json:"leafo,omitempty"`
	Levels  []Level `json:"levels"`
}
