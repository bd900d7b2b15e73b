package main

import (
	"github.com/liaison-bot/liaison/handlers"
	"github.com/liaison-bot/liaison/jobs"
)

// addJobs registers Liaison's periodic jobs, the same for run and console:
// those the capabilities declare on the router, in their order.
func addJobs(s *jobs.Scheduler, router *handlers.Router) {
	for _, j := range router.Jobs(s.Holder, s.Logger) {
		s.Add(j)
	}
}
