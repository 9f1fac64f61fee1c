// Command sample prints one event of each op as the service marshals it.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"example.com/comment-svc/events"
)

func main() {
	at := time.Date(2026, 1, 28, 12, 34, 56, 123456789, time.UTC)
	code := "LOW_SCORE"
	comment := &events.Comment{
		ID: "t1_kq2x9ab", LinkID: "t3_1aa7xyz", ParentID: "t3_1aa7xyz", Author: "gopher_gal",
		Subreddit: "golang", Body: "Rewrote it in <Go> & kept the wire format.", Score: 0,
		CreatedAt: at, Awards: nil, Depth: 0, Toxicity: 0.0123, CollapsedReasonCode: &code,
	}
	list := []events.Event{
		{Op: events.OpCreate, EventID: "0d9a4c4e-3c51-4f1b-9a57-5f0e5a1c2b3d", EmittedAt: at, Comment: comment},
		{Op: events.OpUpdate, EventID: "1d9a4c4e-3c51-4f1b-9a57-5f0e5a1c2b3d", EmittedAt: at,
			Comment: &events.Comment{ID: "t1_a", LinkID: "t3_b", ParentID: "t1_c", CreatedAt: at, EditedAt: &at,
				Awards: []events.Award{{Name: "Gold", Count: 1}}, Score: 7}},
		{Op: events.OpIncrement, EventID: "2d9a4c4e-3c51-4f1b-9a57-5f0e5a1c2b3d", EmittedAt: at,
			CommentID: "t1_kq2x9ab", Field: "score", Delta: 1},
		{Op: events.OpDelete, EventID: "3d9a4c4e-3c51-4f1b-9a57-5f0e5a1c2b3d", EmittedAt: at,
			CommentID: "t1_kq2x9ab", Reason: events.ReasonRemovedByAdmin},
	}
	for _, event := range list {
		line, err := json.Marshal(event)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(string(line))
	}
}
