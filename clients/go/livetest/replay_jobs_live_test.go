package livetest

// kitaru.Client.ReplayJobs against the live planner and runner: Start, Plan,
// Get, List, Items, Cancel, Watch. Each test selects its sources by ID, so
// executions of other tests never join its jobs.

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kitaru-dev/kitaru/clients/go/kitaru"
)

func completedPipelines(t *testing.T, c *kitaru.Client, ctx context.Context, n int) []string {
	t.Helper()
	tag := time.Now().UnixNano()
	ids := []string{}
	for i := range n {
		ids = append(ids, run(t, c, ctx, "content_pipeline", map[string]any{"topic": fmt.Sprintf("go job %d %d", tag, i)}).ExecID)
	}
	for _, id := range ids {
		if e := settle(t, c, ctx, id); e.Status != kitaru.StatusCompleted {
			t.Fatalf("source %s: %s", id, e.Status)
		}
	}
	return ids
}

func jobEnded(t *testing.T, c *kitaru.Client, ctx context.Context, jobID string) *kitaru.ReplayJob {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		job := must(c.ReplayJobs.Get(ctx, jobID)).ok(t)
		if job.Ended() || time.Now().After(deadline) {
			return job
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func itemIndexes(items []kitaru.ReplayJobItem) []int {
	out := []int{}
	for _, item := range items {
		out = append(out, item.Index)
	}
	return out
}

func TestLiveClientReplayJobReplaysEachSourceReportsRefusedOnesAndCompares(t *testing.T) {
	c, ctx := live(t)
	good := completedPipelines(t, c, ctx, 3)
	otherFlow := settle(t, c, ctx, run(t, c, ctx, "chatty", map[string]any{"label": "no write_draft here"}).ExecID).ExecID
	ids := []string{good[0], "kr-doesnotexist0000", good[1], otherFlow, good[2]}
	requestID := "go-job-" + kitaru.NewRequestID()
	opts := kitaru.ReplayJobOptions{
		ReplayJobSelection: kitaru.ReplayJobSelection{ExecIDs: ids},
		From:               "write_draft",
		Overrides:          map[string]any{"checkpoint.research": "Edited notes"},
		Concurrency:        2,
		RequestID:          requestID,
	}
	job := must(c.ReplayJobs.Start(ctx, opts)).ok(t)
	if !strings.HasPrefix(job.JobID, "rj-") || job.RequestID != requestID || !reflect.DeepEqual(job.SourceExecIDs, ids) {
		t.Fatalf("started job: %+v", job)
	}
	if job.Spec.From != "write_draft" || job.Spec.Concurrency != 2 || job.Spec.Overrides["checkpoint.research"] != "Edited notes" {
		t.Fatalf("spec: %+v", job.Spec)
	}

	var reports []kitaru.ReplayJobProgress
	for report, err := range c.ReplayJobs.Watch(ctx, job.JobID) {
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, report)
	}
	if len(reports) == 0 || !reflect.DeepEqual(itemIndexes(reports[0].Items), []int{0, 1, 2, 3, 4}) {
		t.Fatalf("the first report holds every source: %+v", reports)
	}
	last := reports[len(reports)-1].Job
	if !last.Ended() || last.State != kitaru.ReplayJobSucceeded {
		t.Fatalf("last report: %+v", last)
	}
	if got := last.Totals.Summary(); got != "3 completed, 2 refused, 3 results changed" {
		t.Fatalf("totals: %q", got)
	}

	items := must(c.ReplayJobs.Items(ctx, job.JobID, kitaru.ReplayJobItemsOptions{})).ok(t)
	for _, i := range []int{0, 2, 4} {
		item := items[i]
		if item.State != kitaru.ReplayJobItemSettled || item.Err != nil || item.ReplayStatus != kitaru.StatusCompleted || !item.ResultChanged {
			t.Fatalf("item %d: %+v", i, item)
		}
		if got := []int{item.ReusedCalls, item.ReexecutedCalls, item.ChangedCalls, item.NewCalls}; !reflect.DeepEqual(got, []int{0, 0, 3, 0}) {
			t.Fatalf("item %d calls: %v", i, got)
		}
		change := item.ResultChanges[0]
		if change.Path != "" || change.Kind != "changed" || !strings.HasSuffix(fmt.Sprint(change.After), "from [Edited notes]") {
			t.Fatalf("item %d result change: %+v", i, change)
		}
		replay := must(c.Executions.Get(ctx, item.ReplayExecID)).ok(t)
		if replay.OriginalExecID != item.SourceExecID || replay.Result != change.After {
			t.Fatalf("replay %s of %s: %+v", item.ReplayExecID, item.SourceExecID, replay)
		}
	}
	var notFound *kitaru.NotFoundError
	if items[1].State != kitaru.ReplayJobItemRefused || items[1].ReplayExecID != "" || !errors.As(items[1].Err, &notFound) {
		t.Fatalf("unknown source: %+v (%T)", items[1], items[1].Err)
	}
	var state *kitaru.StateError
	if items[3].State != kitaru.ReplayJobItemRefused || !errors.As(items[3].Err, &state) || errors.As(items[3].Err, &notFound) {
		t.Fatalf("source of another flow: %+v (%T %v)", items[3], items[3].Err, items[3].Err)
	}

	changed := must(c.ReplayJobs.Items(ctx, job.JobID, kitaru.ReplayJobItemsOptions{ChangedOnly: true})).ok(t)
	if got := itemIndexes(changed); !reflect.DeepEqual(got, []int{0, 2, 4}) {
		t.Fatalf("changed only: %v", got)
	}
	if got := itemIndexes(must(c.ReplayJobs.Items(ctx, job.JobID, kitaru.ReplayJobItemsOptions{Limit: 2})).ok(t)); !reflect.DeepEqual(got, []int{0, 1}) {
		t.Fatalf("limit 2: %v", got)
	}

	// The same request ID: the same job, no replay more.
	again := must(c.ReplayJobs.Start(ctx, opts)).ok(t)
	if again.JobID != job.JobID {
		t.Fatalf("same request ID, another job: %s != %s", again.JobID, job.JobID)
	}
	if nodes := must(c.Executions.Lineage(ctx, good[0])).ok(t).GetNodes(); len(nodes) != 2 {
		t.Fatalf("one replay of the source, not %d", len(nodes)-1)
	}
	got := must(c.ReplayJobs.Get(ctx, job.JobID)).ok(t)
	if got.Totals != last.Totals || got.CreatedAt.IsZero() {
		t.Fatalf("Get: %+v", got)
	}
	listed := must(c.ReplayJobs.List(ctx, 50)).ok(t)
	found := false
	for _, j := range listed {
		found = found || j.JobID == job.JobID
	}
	if !found || len(must(c.ReplayJobs.List(ctx, 1)).ok(t)) != 1 {
		t.Fatalf("List: job %s not among %d jobs", job.JobID, len(listed))
	}
}

func TestLiveClientReplayJobPlanCreatesNothing(t *testing.T) {
	c, ctx := live(t)
	sources := completedPipelines(t, c, ctx, 2)
	jobsBefore := len(must(c.ReplayJobs.List(ctx, 0)).ok(t))
	plans := must(c.ReplayJobs.Plan(ctx, kitaru.ReplayJobOptions{
		ReplayJobSelection: kitaru.ReplayJobSelection{ExecIDs: sources},
		From:               "publish",
		Args:               map[string]any{"topic": "planned topic"},
	})).ok(t)
	if plans.Job.JobID != "" || !plans.Job.Spec.PlanOnly || plans.Job.Totals.Planned != 2 || len(plans.Items) != 2 {
		t.Fatalf("plans: %+v", plans.Job)
	}
	for i, item := range plans.Items {
		if item.State != kitaru.ReplayJobItemPlanned || item.Plan == nil || item.Plan.SourceExecID != sources[i] {
			t.Fatalf("item %d: %+v", i, item)
		}
		if got := invocationIDs(item.Plan.Reexecute, planned); !reflect.DeepEqual(got, []string{"publish"}) {
			t.Fatalf("item %d re-executes %v", i, got)
		}
		if item.Plan.Input["topic"] != "planned topic" {
			t.Fatalf("item %d input %v", i, item.Plan.Input)
		}
	}
	if after := len(must(c.ReplayJobs.List(ctx, 0)).ok(t)); after != jobsBefore {
		t.Fatalf("a job was stored: %d -> %d", jobsBefore, after)
	}
	for _, source := range sources {
		if nodes := must(c.Executions.Lineage(ctx, source)).ok(t).GetNodes(); len(nodes) != 1 {
			t.Fatalf("a replay of %s was created", source)
		}
	}
}

func TestLiveClientReplayJobCancelStopsStartingReplays(t *testing.T) {
	c, ctx := live(t)
	sources := []string{}
	for i := range 4 {
		e := run(t, c, ctx, "sleeping", map[string]any{"label": fmt.Sprintf("go-job-cancel-%d-%d", time.Now().UnixNano(), i)})
		must(c.Executions.Cancel(ctx, e.ExecID)).ok(t)
		if s := settle(t, c, ctx, e.ExecID).Status; s != kitaru.StatusCancelled {
			t.Fatalf("source %s: %s", e.ExecID, s)
		}
		sources = append(sources, e.ExecID)
	}
	job := must(c.ReplayJobs.Start(ctx, kitaru.ReplayJobOptions{
		ReplayJobSelection: kitaru.ReplayJobSelection{ExecIDs: sources}, From: "sleeper", Concurrency: 1,
	})).ok(t)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if must(c.ReplayJobs.Get(ctx, job.JobID)).ok(t).Totals.Running >= 1 {
			break
		}
	}
	cancelled := must(c.ReplayJobs.Cancel(ctx, job.JobID)).ok(t)
	if cancelled.CancelledAt.IsZero() || cancelled.Ended() {
		t.Fatalf("cancelled: %+v", cancelled)
	}
	items := must(c.ReplayJobs.Items(ctx, job.JobID, kitaru.ReplayJobItemsOptions{})).ok(t)
	if items[0].ReplayExecID == "" || items[1].ReplayExecID != "" {
		t.Fatalf("only the first source's replay started: %+v", items)
	}
	must(c.Executions.Cancel(ctx, items[0].ReplayExecID)).ok(t) // the started replay sleeps on until cancelled

	done := jobEnded(t, c, ctx, job.JobID)
	if done.State != kitaru.ReplayJobCancelled || done.Totals.Summary() != "1 cancelled, 3 skipped, 0 results changed" {
		t.Fatalf("ended: %s, %s", done.State, done.Totals.Summary())
	}
}

func TestLiveClientReplayJobErrorsAreTyped(t *testing.T) {
	c, ctx := live(t)
	var notFound *kitaru.NotFoundError
	if _, err := c.ReplayJobs.Get(ctx, "rj-doesnotexist"); !errors.As(err, &notFound) {
		t.Fatalf("unknown job: %T %v", err, err)
	}
	var usage *kitaru.UsageError
	if _, err := c.ReplayJobs.Start(ctx, kitaru.ReplayJobOptions{From: "publish"}); !errors.As(err, &usage) {
		t.Fatalf("neither a flow nor IDs: %T %v", err, err)
	}
	bad := kitaru.ReplayJobOptions{ReplayJobSelection: kitaru.ReplayJobSelection{Flow: "content_pipeline", Statuses: []kitaru.ExecutionStatus{"finished"}}, From: "publish"}
	if _, err := c.ReplayJobs.Start(ctx, bad); !errors.As(err, &usage) || usage.Metadata["status"] != "finished" {
		t.Fatalf("unknown status: %T %v", err, err)
	}
	source := completedPipelines(t, c, ctx, 1)
	requestID := "go-job-" + kitaru.NewRequestID()
	first := kitaru.ReplayJobOptions{ReplayJobSelection: kitaru.ReplayJobSelection{ExecIDs: source}, From: "publish", RequestID: requestID}
	must(c.ReplayJobs.Start(ctx, first)).ok(t)
	first.From = "write_draft"
	if _, err := c.ReplayJobs.Start(ctx, first); !errors.As(err, &usage) {
		t.Fatalf("another spec under the same request ID: %T %v", err, err)
	}
}
