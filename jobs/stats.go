package jobs

import (
	"context"
	"time"
)

// statsFolder is implemented by *store.DB.
type statsFolder interface {
	FoldStats(ctx context.Context) (int, error)
}

// FoldStatsEvery is how often the statistics appended by event handlers are
// added to the digest's roll-ups. The digest folds before it reads, so this
// only keeps the backlog, and each fold, small.
const FoldStatsEvery = 5 * time.Second

// FoldStats returns the job that adds appended statistics events to the
// roll-ups.
func FoldStats(store statsFolder) Job {
	return Job{Name: "fold-stats", Every: FoldStatsEvery, Run: func(ctx context.Context, _ time.Time) (int, error) {
		return store.FoldStats(ctx)
	}}
}
