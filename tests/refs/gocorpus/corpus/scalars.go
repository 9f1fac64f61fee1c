// Package corpus holds Go types covering every encoding/json rule cdccheck's
// Go deriver follows. The test derives a schema for each type and checks
// what the real encoding/json writes for generated values against it.
package corpus

// Scalars has every scalar kind, plain, with omitempty and with ,string.
type Scalars struct {
	B   bool    `json:"b"`
	BO  bool    `json:"bo,omitempty"`
	BS  bool    `json:"bs,string"`
	BSO bool    `json:"bso,string,omitempty"`
	I   int     `json:"i"`
	I8  int8    `json:"i8"`
	I16 int16   `json:"i16"`
	I32 int32   `json:"i32"`
	I64 int64   `json:"i64"`
	U   uint    `json:"u"`
	U8  uint8   `json:"u8"`
	U16 uint16  `json:"u16"`
	U32 uint32  `json:"u32"`
	U64 uint64  `json:"u64"`
	UP  uintptr `json:"up"`
	R   rune    `json:"r"`
	By  byte    `json:"by"`
	F32 float32 `json:"f32"`
	F64 float64 `json:"f64"`
	S   string  `json:"s"`

	IO   int     `json:"io,omitempty"`
	I8O  int8    `json:"i8o,omitempty"`
	U64O uint64  `json:"u64o,omitempty"`
	F32O float32 `json:"f32o,omitempty"`
	F64O float64 `json:"f64o,omitempty"`
	SO   string  `json:"so,omitempty"`

	IS   int64   `json:"is,string"`
	ISO  int64   `json:"iso,string,omitempty"`
	US   uint16  `json:"us,string"`
	USO  uint32  `json:"uso,string,omitempty"`
	FS   float64 `json:"fs,string"`
	FSO  float64 `json:"fso,string,omitempty"`
	F32S float32 `json:"f32s,string"`
	SS   string  `json:"ss,string"`
	SSO  string  `json:"sso,string,omitempty"`
	PIS  *int    `json:"pis,string"`
	SlS  []int   `json:"sls,string"`

	Untagged int
	Renamed  string `json:",omitempty"`
	Dash     string `json:"-,"`
	Skipped  string `json:"-"`
	BadTag   int    `json:"bad\\name"`
	Spaced   int    `json:"with space"`
	Ignored  func() `json:"-"`
	//lint:ignore U1000 an unexported field is never written
	unexported int
}
