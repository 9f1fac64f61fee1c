package events

import "time"

// CompatLayout is the layout the monolith's consumers read: microseconds and
// an explicit offset, never "Z".
const CompatLayout = "2006-01-02T15:04:05.000000-07:00"

// Timestamp is a time.Time written in CompatLayout.
type Timestamp time.Time

// MarshalJSON writes the timestamp in CompatLayout.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).Format(CompatLayout) + `"`), nil
}
