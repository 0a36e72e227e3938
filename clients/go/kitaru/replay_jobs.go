package kitaru

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	plannerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/planner/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

// Page sizes ListReplayJobs and ListReplayJobItems allow at most.
const (
	maxJobPageSize     = 200
	maxJobItemPageSize = 1000
)

// ReplayJobsClient replays many executions at once and compares each replay
// with its source: Client.ReplayJobs. A job selects its sources once, replays
// each with the same From, Args and Overrides, and records per source its
// replay, how it settled, whether its result changed (with the JSON changes)
// and how many calls were reused, re-executed or changed. The planner runs
// it; these methods start, read, cancel and follow it. Every error is a
// KitaruError; a source the plan cannot apply to is not an error of the call
// but an item in state ReplayJobItemRefused, with its typed error in Err.
type ReplayJobsClient struct {
	planner plannerv1.PlannerServiceClient
}

// ReplayJobSelection says which executions a job replays; every field given
// must hold. Flow or ExecIDs is required.
type ReplayJobSelection struct {
	// Flow: executions of this flow.
	Flow string `json:"flow"`
	// Statuses: executions in one of these; empty: completed, failed, cancelled and waiting.
	Statuses []ExecutionStatus `json:"statuses"`
	// Since and Until: created at or after Since and before Until (zero: no bound).
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Labels: metadata keys (logged by the flow) that must hold these values.
	Labels map[string]string `json:"labels"`
	// ExecIDs: these executions, in this order.
	ExecIDs []string `json:"exec_ids"`
	// Limit: at most this many sources, newest first; 0: every match (a job holds at most 10 000).
	Limit int `json:"limit"`
}

// ReplayJobOptions says what a job replays and how. From (the checkpoint
// selector every replay starts from) is required; Args are flow input fields
// shallow-merged onto each source's input; Overrides maps
// "checkpoint.<selector>" keys to outputs, for every source;
// AnswerWaitsFromSource names waits each replay answers with its source's
// recorded answer instead of stopping there; Concurrency bounds the replays
// running at once (0: the planner's setting). RequestID (a new UUID when "")
// makes Start idempotent: the same ID returns the same job and never replays
// a source twice.
type ReplayJobOptions struct {
	ReplayJobSelection
	From                    string
	Args                    map[string]any
	Overrides               map[string]any
	AllowOverrideTypeChange bool
	AnswerWaitsFromSource   []string
	Concurrency             int
	RequestID               string
}

// ReplayJobItemsOptions filters and bounds Items: ChangedOnly keeps the
// sources whose replay's result changed; Limit returns the first Limit (0: all).
type ReplayJobItemsOptions struct {
	ChangedOnly bool
	Limit       int
}

// Start starts a job replaying every selected execution; it returns at once
// (state running; follow it with Watch). The request carries opts.RequestID
// (a new UUID when "") and is retried with it on UNAVAILABLE or
// DEADLINE_EXCEEDED; another spec under the same ID, no Flow nor ExecIDs, or
// a selection larger than a job holds is a *UsageError.
func (j *ReplayJobsClient) Start(ctx context.Context, opts ReplayJobOptions) (*ReplayJob, error) {
	spec, err := replayJobSpec(opts, false)
	if err != nil {
		return nil, err
	}
	res, err := j.planner.StartReplayJob(ctx, &plannerv1.StartReplayJobRequest{Spec: spec, RequestId: opts.RequestID})
	if err != nil {
		return nil, err
	}
	return replayJobFromProto(res.GetJob()), nil
}

// Plan returns what Start with the same options would do, creating nothing
// (a plan-only request): every selected source with its plan (state
// planned) or the typed error its replay would fail with (state refused).
// opts.RequestID is not used.
func (j *ReplayJobsClient) Plan(ctx context.Context, opts ReplayJobOptions) (*ReplayJobPlans, error) {
	spec, err := replayJobSpec(opts, true)
	if err != nil {
		return nil, err
	}
	res, err := j.planner.StartReplayJob(ctx, &plannerv1.StartReplayJobRequest{Spec: spec})
	if err != nil {
		return nil, err
	}
	return &ReplayJobPlans{Job: replayJobFromProto(res.GetJob()), Items: replayJobItemsFromProto(res.GetItems())}, nil
}

// Get returns a job with its totals; an unknown ID is a *NotFoundError.
func (j *ReplayJobsClient) Get(ctx context.Context, jobID string) (*ReplayJob, error) {
	res, err := j.planner.GetReplayJob(ctx, &plannerv1.GetReplayJobRequest{JobId: jobID})
	if err != nil {
		return nil, err
	}
	return replayJobFromProto(res.GetJob()), nil
}

// List returns jobs, newest first, with their totals: the first limit, or
// all of them when limit is 0 (paging as needed). A negative limit is a *UsageError.
func (j *ReplayJobsClient) List(ctx context.Context, limit int) ([]*ReplayJob, error) {
	if err := notNegative("limit", limit); err != nil {
		return nil, err
	}
	return collectPages(limit, maxJobPageSize, func(size int32, token string) ([]*ReplayJob, string, error) {
		res, err := j.planner.ListReplayJobs(ctx, &plannerv1.ListReplayJobsRequest{PageSize: size, PageToken: token})
		if err != nil {
			return nil, "", err
		}
		jobs := make([]*ReplayJob, 0, len(res.GetJobs()))
		for _, job := range res.GetJobs() {
			jobs = append(jobs, replayJobFromProto(job))
		}
		return jobs, res.GetNextPageToken(), nil
	})
}

// Items returns a job's sources in the job's order, each with its replay
// and the comparison with its source (paging as needed).
func (j *ReplayJobsClient) Items(ctx context.Context, jobID string, opts ReplayJobItemsOptions) ([]ReplayJobItem, error) {
	if err := notNegative("Limit", opts.Limit); err != nil {
		return nil, err
	}
	return collectPages(opts.Limit, maxJobItemPageSize, func(size int32, token string) ([]ReplayJobItem, string, error) {
		res, err := j.planner.ListReplayJobItems(ctx, &plannerv1.ListReplayJobItemsRequest{
			JobId: jobID, ChangedOnly: opts.ChangedOnly, PageSize: size, PageToken: token,
		})
		if err != nil {
			return nil, "", err
		}
		return replayJobItemsFromProto(res.GetItems()), res.GetNextPageToken(), nil
	})
}

// Cancel cancels a job: no replay is started after it (its unstarted
// sources end skipped); replays already started run on. An ended job is
// returned unchanged.
func (j *ReplayJobsClient) Cancel(ctx context.Context, jobID string) (*ReplayJob, error) {
	res, err := j.planner.CancelReplayJob(ctx, &plannerv1.CancelReplayJobRequest{JobId: jobID})
	if err != nil {
		return nil, err
	}
	return replayJobFromProto(res.GetJob()), nil
}

// Watch yields the job's progress as it happens: first the job with every
// item, then the job with the items that changed, until the job ends (the
// last report's Job.Ended() is true). A failure is yielded once, as the last
// pair. Stopping the loop early cancels the stream.
func (j *ReplayJobsClient) Watch(ctx context.Context, jobID string) iter.Seq2[ReplayJobProgress, error] {
	open := func(ctx context.Context) (receiver[*plannerv1.WatchReplayJobResponse], error) {
		return j.planner.WatchReplayJob(ctx, &plannerv1.WatchReplayJobRequest{JobId: jobID})
	}
	return streamSeq(ctx, open, func(res *plannerv1.WatchReplayJobResponse) (ReplayJobProgress, bool) {
		return ReplayJobProgress{Job: replayJobFromProto(res.GetJob()), Items: replayJobItemsFromProto(res.GetItems())}, true
	})
}

func replayJobSpec(opts ReplayJobOptions, planOnly bool) (*runnerv1.ReplayJobSpec, error) {
	args, overrides, err := replayInputs(ReplayOptions{Args: opts.Args, Overrides: opts.Overrides})
	if err != nil {
		return nil, err
	}
	selection, err := replayJobSelectionToProto(opts.ReplayJobSelection)
	if err != nil {
		return nil, err
	}
	if err := notNegative("Concurrency", opts.Concurrency); err != nil {
		return nil, err
	}
	return &runnerv1.ReplayJobSpec{
		Selection: selection, From: opts.From, Args: args, Overrides: overrides,
		AllowOverrideTypeChange: opts.AllowOverrideTypeChange, AnswerWaitsFromSource: opts.AnswerWaitsFromSource,
		PlanOnly: planOnly, Concurrency: uint32(opts.Concurrency),
	}, nil
}

func replayJobSelectionToProto(s ReplayJobSelection) (*runnerv1.ReplayJobSelection, error) {
	if err := notNegative("Limit", s.Limit); err != nil {
		return nil, err
	}
	statuses := make([]runnerv1.ExecutionStatus, 0, len(s.Statuses))
	for _, name := range s.Statuses {
		pb, err := statusFilter(name)
		if err != nil {
			return nil, err
		}
		statuses = append(statuses, pb)
	}
	out := &runnerv1.ReplayJobSelection{
		FlowName: s.Flow, Statuses: statuses, Labels: s.Labels, ExecIds: s.ExecIDs, Limit: uint32(s.Limit),
	}
	if !s.Since.IsZero() {
		out.Since = timestamppb.New(s.Since)
	}
	if !s.Until.IsZero() {
		out.Until = timestamppb.New(s.Until)
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// the plain results

// ReplayJobState is where a job stands.
type ReplayJobState string

// The job states.
const (
	// ReplayJobRunning: starting replays, or waiting for started ones to settle.
	ReplayJobRunning ReplayJobState = "running"
	// ReplayJobSucceeded: every source was replayed (or refused) and every replay settled.
	ReplayJobSucceeded ReplayJobState = "succeeded"
	// ReplayJobCancelled: no replay was started after the cancel; those started before ran on.
	ReplayJobCancelled ReplayJobState = "cancelled"
)

// ReplayJobItemState is where one source of a job stands.
type ReplayJobItemState string

// The item states.
const (
	ReplayJobItemPending ReplayJobItemState = "pending"
	// ReplayJobItemStarted: the replay was created and has not settled yet.
	ReplayJobItemStarted ReplayJobItemState = "started"
	// ReplayJobItemSettled: the replay settled and was compared with its source.
	ReplayJobItemSettled ReplayJobItemState = "settled"
	// ReplayJobItemRefused: the plan cannot apply to the source (Err says why); nothing was created.
	ReplayJobItemRefused ReplayJobItemState = "refused"
	// ReplayJobItemSkipped: not started, the job was cancelled first.
	ReplayJobItemSkipped ReplayJobItemState = "skipped"
	// ReplayJobItemPlanned: planned by Plan (Plan holds the plan); nothing was created.
	ReplayJobItemPlanned ReplayJobItemState = "planned"
)

// ReplayJobSpec is what a job asks every source's replay for.
type ReplayJobSpec struct {
	Selection               ReplayJobSelection `json:"selection"`
	From                    string             `json:"from"`
	Args                    map[string]any     `json:"args"`
	Overrides               map[string]any     `json:"overrides"`
	AllowOverrideTypeChange bool               `json:"allow_override_type_change"`
	AnswerWaitsFromSource   []string           `json:"answer_waits_from_source"`
	PlanOnly                bool               `json:"plan_only"`
	// Concurrency is 0 when the planner's setting applies.
	Concurrency int `json:"concurrency"`
}

// ReplayJobTotals counts a job's sources by outcome.
type ReplayJobTotals struct {
	Sources   int `json:"sources"`
	Pending   int `json:"pending"`
	Running   int `json:"running"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
	Waiting   int `json:"waiting"`
	Refused   int `json:"refused"`
	Skipped   int `json:"skipped"`
	Planned   int `json:"planned"`
	// ResultsChanged counts settled replays whose result differs from their source's.
	ResultsChanged int `json:"results_changed"`
}

// Summary is the totals as the CLI prints them, e.g. "41 completed, 3
// failed, 17 results changed": counts of 0 left out, the changed results
// always shown.
func (t ReplayJobTotals) Summary() string {
	counts := []struct {
		n     int
		label string
	}{
		{t.Completed, "completed"}, {t.Failed, "failed"}, {t.Cancelled, "cancelled"}, {t.Waiting, "waiting"},
		{t.Running, "running"}, {t.Pending, "pending"}, {t.Refused, "refused"}, {t.Skipped, "skipped"}, {t.Planned, "planned"},
	}
	parts := []string{}
	for _, c := range counts {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.label))
		}
	}
	plural := "s"
	if t.ResultsChanged == 1 {
		plural = ""
	}
	return strings.Join(append(parts, fmt.Sprintf("%d result%s changed", t.ResultsChanged, plural)), ", ")
}

// ReplayJob is a bulk replay: many sources, one request.
type ReplayJob struct {
	// JobID is "rj-..."; "" in Plan's answer (nothing is stored).
	JobID     string         `json:"job_id"`
	RequestID string         `json:"request_id"`
	State     ReplayJobState `json:"state"`
	Spec      ReplayJobSpec  `json:"spec"`
	// SourceExecIDs are the selected sources, in the order the job replays them.
	SourceExecIDs []string        `json:"source_exec_ids"`
	Totals        ReplayJobTotals `json:"totals"`
	CreatedAt     time.Time       `json:"created_at"`
	// CancelledAt is zero unless the job was cancelled.
	CancelledAt time.Time `json:"cancelled_at"`
	// EndedAt is zero while the job runs.
	EndedAt   time.Time `json:"ended_at"`
	Namespace string    `json:"namespace"`
}

// Ended reports whether every replay of the job settled.
func (j *ReplayJob) Ended() bool { return !j.EndedAt.IsZero() }

// JSONChange is one difference between two JSON values; Path is a JSON
// pointer ("" is the whole value), Kind "added", "removed" or "changed".
type JSONChange struct {
	Path   string `json:"path"`
	Kind   string `json:"kind"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// ReplayJobItem is one source of a job, its replay and how the two compare.
type ReplayJobItem struct {
	// Index is the source's position in the job, from 0.
	Index        int                `json:"index"`
	SourceExecID string             `json:"source_exec_id"`
	State        ReplayJobItemState `json:"state"`
	// ReplayExecID is "" until the replay is created.
	ReplayExecID string `json:"replay_exec_id"`
	// ReplayStatus is the replay's status when it settled (or last seen); "" before it exists.
	ReplayStatus ExecutionStatus `json:"replay_status"`
	// Err (refused): the KitaruError a single replay of this source fails with.
	Err error `json:"-"`
	// ResultChanged and ResultChanges (settled): whether and how the replay's
	// result differs from the source's (at most 50 changes).
	ResultChanged bool         `json:"result_changed"`
	ResultChanges []JSONChange `json:"result_changes"`
	// Calls the replay reused, ran again with the same output, ran again
	// with another output (or overrode), and issued anew (settled).
	ReusedCalls     int `json:"reused_calls"`
	ReexecutedCalls int `json:"reexecuted_calls"`
	ChangedCalls    int `json:"changed_calls"`
	NewCalls        int `json:"new_calls"`
	// Plan (planned) is the plan of this source's replay.
	Plan      *ReplayPlan `json:"plan"`
	UpdatedAt time.Time   `json:"updated_at"`
	// ReplayFailure is why the replay failed, when it settled failed.
	ReplayFailure *Failure `json:"replay_failure"`
}

// ReplayJobPlans is Plan's answer: the job as it would be (not stored) and
// every source's plan or error.
type ReplayJobPlans struct {
	Job   *ReplayJob      `json:"job"`
	Items []ReplayJobItem `json:"items"`
}

// ReplayJobProgress is one report of Watch: the job with its totals now, and
// the items that changed since the previous report (every item in the first).
type ReplayJobProgress struct {
	Job   *ReplayJob
	Items []ReplayJobItem
}
