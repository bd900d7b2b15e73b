package main

import (
	"time"

	"github.com/liaison-bot/liaison/handlers"
	"github.com/liaison-bot/liaison/jobs"
)

// addJobs registers Liaison's periodic jobs, the same for run and console.
func addJobs(s *jobs.Scheduler, router *handlers.Router) {
	s.Add(jobs.FoldStats(router.DB))
	s.Add(jobs.Job{Name: "sla-reminders", Every: time.Minute, Run: router.RemindOverdue})
	s.Add(jobs.Job{Name: "moderation-failures", Every: 0, Run: router.ReportFailedActions})
	s.Add((&jobs.Expiries{Store: router.DB, Apply: router.ApplyExpiry}).Job())
	s.Add((&jobs.Digests{Store: router.DB, Poster: router, Digests: router.Config.Digests, Owner: s.Holder, Logger: s.Logger}).Job())
	for _, j := range jobs.DraftJobs(router) {
		s.Add(j)
	}
}
