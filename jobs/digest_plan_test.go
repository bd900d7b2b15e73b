package jobs

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPlanSlotsPostsTheLatestAndSkipsTheRest(t *testing.T) {
	t.Parallel()
	mon := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC) // Monday 09:00 in Paris
	week := 7 * 24 * time.Hour
	grace, onTime := 24*time.Hour, 5*time.Minute
	superseded := "superseded by the run at 2026-11-30T08:00:00Z"
	tests := []struct {
		name    string
		slots   []time.Time
		now     time.Time
		prevRun time.Time
		want    []slotAction
	}{
		{"nothing due", nil, mon, time.Time{}, nil},
		{"due now", []time.Time{mon}, mon.Add(30 * time.Second), mon.Add(-30 * time.Second),
			[]slotAction{{slot: mon, post: true}}},
		{"a few minutes late after a restart is on time", []time.Time{mon}, mon.Add(4 * time.Minute), time.Time{},
			[]slotAction{{slot: mon, post: true}}},
		{"three hours late after downtime is delayed", []time.Time{mon}, mon.Add(3 * time.Hour), time.Time{},
			[]slotAction{{slot: mon, post: true, delayed: true}}},
		{"a day and an hour late after downtime is skipped", []time.Time{mon}, mon.Add(25 * time.Hour), time.Time{},
			[]slotAction{{slot: mon, why: "missed by 1d1h, more than the grace of 1d"}}},
		{"a slot that fell while the job kept running is on time, however the clock jumped", []time.Time{mon}, mon.Add(3 * 24 * time.Hour), mon.Add(-4 * 24 * time.Hour),
			[]slotAction{{slot: mon, post: true}}},
		{"after long downtime only the latest is posted", []time.Time{mon.Add(-2 * week), mon.Add(-week), mon}, mon.Add(2 * time.Hour), time.Time{},
			[]slotAction{{slot: mon.Add(-2 * week), why: superseded}, {slot: mon.Add(-week), why: superseded}, {slot: mon, post: true, delayed: true}}},
	}
	for _, tt := range tests {
		got := planSlots(tt.slots, tt.now, tt.prevRun, grace, onTime)
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(slotAction{})); diff != "" {
			t.Errorf("%s: planSlots (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestPlanSlotsKeepsTheLatestSkipsOnly(t *testing.T) {
	t.Parallel()
	var slots []time.Time
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i := range 2000 {
		slots = append(slots, start.Add(time.Duration(i)*time.Minute))
	}
	got := planSlots(slots, slots[len(slots)-1].Add(time.Hour), time.Time{}, time.Hour, time.Minute)
	if len(got) != maxSkips+1 || !got[0].slot.Equal(slots[len(slots)-1-maxSkips]) || !got[len(got)-1].post {
		t.Errorf("planSlots of 2000 missed slots kept %d actions from %s", len(got), got[0].slot)
	}
}
