package jobs

import (
	"context"
	"time"
)

// draftKeeper is implemented by *handlers.Approvals.
type draftKeeper interface {
	SettleDrafts(ctx context.Context, now time.Time) (int, error)
	CheckDraftTargets(ctx context.Context, now time.Time) (int, error)
}

// DraftTargetsEvery is how often waiting drafts are checked against Discord
// for a target deleted while Liaison was not listening (deletions it hears
// about act at once): each check reads one message per waiting draft.
const DraftTargetsEvery = 10 * time.Minute

// DraftJobs returns the jobs that keep drafted replies current. "drafts"
// runs on every tick (it is two indexed queries when nothing is due): a
// reply Discord accepted or refused shows on its Slack message within a
// tick, and a draft past its deadline expires. "draft-targets" marks stale
// the drafts whose Discord message is gone.
func DraftJobs(k draftKeeper) []Job {
	return []Job{
		{Name: "drafts", Every: 0, Run: k.SettleDrafts},
		{Name: "draft-targets", Every: DraftTargetsEvery, Run: k.CheckDraftTargets},
	}
}
