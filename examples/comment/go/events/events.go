// Package events declares the comment service's CDC events: what the Go
// writer puts on the comment stream with encoding/json.
//
// Derive the writer view with:
//
//	cdccheck schema derive go:examples/comment/go/events:Event
package events

import "time"

// Op is the kind of change.
type Op string

// The ops the consumers dispatch on.
const (
	OpCreate    Op = "create"
	OpUpdate    Op = "update"
	OpIncrement Op = "increment"
	OpDelete    Op = "delete"
)

// Reason says why a comment was deleted.
type Reason string

// The deletion reasons. ReasonRemovedByAdmin is new in the Go service: the
// monolith filed admin removals under ReasonRemovedByModerator.
const (
	ReasonDeletedByUser      Reason = "deleted_by_user"
	ReasonRemovedByModerator Reason = "removed_by_moderator"
	ReasonRemovedByAdmin     Reason = "removed_by_admin"
	ReasonSpam               Reason = "spam"
)

// Event is one change to a comment. Which optional parts are set depends on Op.
type Event struct {
	Op        Op        `json:"op"`
	EventID   string    `json:"event_id"`
	EmittedAt time.Time `json:"emitted_at"`
	// Comment is set for create and update.
	Comment *Comment `json:"comment,omitempty"`
	// CommentID, Field and Delta are set for increment; CommentID and Reason for delete.
	CommentID string `json:"comment_id,omitempty"`
	Field     string `json:"field,omitempty"`
	Delta     int64  `json:"delta,omitempty"`
	Reason    Reason `json:"reason,omitempty"`
}

// Comment is the full comment after a create or an update.
type Comment struct {
	ID        string     `json:"id"`
	LinkID    string     `json:"link_id"`
	ParentID  string     `json:"parent_id"`
	Author    string     `json:"author"`
	Subreddit string     `json:"subreddit"`
	Body      string     `json:"body"`
	Score     int64      `json:"score,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	EditedAt  *time.Time `json:"edited_at"`
	Awards    []Award    `json:"awards"`
	Depth     int        `json:"depth"`
	Toxicity  float64    `json:"toxicity"`
	// CollapsedReasonCode is new in the Go service (LOW_SCORE, ...).
	CollapsedReasonCode *string `json:"collapsed_reason_code,omitempty"`
}

// Award is one award kind on a comment and how many times it was given.
type Award struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}
