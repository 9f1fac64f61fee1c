package corpus

import (
	"encoding/json"
	"strconv"
	"time"

	"cdccheck.test/gocorpus/corpus/sub"
)

// Money marshals itself with a value receiver.
type Money struct {
	Cents int64
}

// MarshalJSON writes an object of its own making.
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(`{"cents":` + strconv.FormatInt(m.Cents, 10) + `}`), nil
}

// Code marshals itself as text, pointer receiver only.
type Code int

// MarshalText is only used when the Code is addressable.
func (c *Code) MarshalText() ([]byte, error) {
	return []byte("code-" + strconv.Itoa(int(*c))), nil
}

// Color marshals itself as text with a value receiver.
type Color int

// MarshalText writes a color name.
func (c Color) MarshalText() ([]byte, error) {
	return []byte("c" + strconv.Itoa(int(c))), nil
}

// WithTime embeds time.Time: the promoted MarshalJSON makes it a timestamp.
type WithTime struct {
	time.Time
	Extra int `json:"extra"`
}

// PlainTime is defined on time.Time: it has none of its methods, and no exported fields.
type PlainTime time.Time

// Marshalers covers custom and well-known marshalers.
type Marshalers struct {
	Money  Money           `json:"money"`
	MoneyP *Money          `json:"moneyp"`
	Code   Code            `json:"code"`
	Color  Color           `json:"color"`
	ColorO Color           `json:"coloro,omitempty"`
	Raw    json.RawMessage `json:"raw"`
	Num    json.Number     `json:"num"`
	NumS   json.Number     `json:"nums,string"`
	When   time.Time       `json:"when"`
	WhenO  time.Time       `json:"wheno,omitempty"`
	WhenP  *time.Time      `json:"whenp"`
	WhenPO *time.Time      `json:"whenpo,omitempty"`
	Dur    time.Duration   `json:"dur"`
	WT     WithTime        `json:"wt"`
	MC     map[Color]int   `json:"mc"`
	Plain  PlainTime       `json:"plain"`
	Sub    sub.Thing       `json:"sub"`
	SubP   *sub.Thing      `json:"subp"`
}
