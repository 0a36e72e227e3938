package kitaru

// Replay jobs from the generated messages to the plain structs of
// replay_jobs.go. Unset or unknown states read as the most cautious value:
// a job running, an item pending.

import (
	"google.golang.org/grpc/status"

	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

var replayJobStates = map[runnerv1.ReplayJobState]ReplayJobState{
	runnerv1.ReplayJobState_REPLAY_JOB_STATE_RUNNING:   ReplayJobRunning,
	runnerv1.ReplayJobState_REPLAY_JOB_STATE_SUCCEEDED: ReplayJobSucceeded,
	runnerv1.ReplayJobState_REPLAY_JOB_STATE_CANCELLED: ReplayJobCancelled,
}

var replayJobItemStates = map[runnerv1.ReplayJobItemState]ReplayJobItemState{
	runnerv1.ReplayJobItemState_REPLAY_JOB_ITEM_STATE_PENDING: ReplayJobItemPending,
	runnerv1.ReplayJobItemState_REPLAY_JOB_ITEM_STATE_STARTED: ReplayJobItemStarted,
	runnerv1.ReplayJobItemState_REPLAY_JOB_ITEM_STATE_SETTLED: ReplayJobItemSettled,
	runnerv1.ReplayJobItemState_REPLAY_JOB_ITEM_STATE_REFUSED: ReplayJobItemRefused,
	runnerv1.ReplayJobItemState_REPLAY_JOB_ITEM_STATE_SKIPPED: ReplayJobItemSkipped,
	runnerv1.ReplayJobItemState_REPLAY_JOB_ITEM_STATE_PLANNED: ReplayJobItemPlanned,
}

var jsonChangeKinds = map[runnerv1.JsonChangeKind]string{
	runnerv1.JsonChangeKind_JSON_CHANGE_KIND_ADDED:   "added",
	runnerv1.JsonChangeKind_JSON_CHANGE_KIND_REMOVED: "removed",
	runnerv1.JsonChangeKind_JSON_CHANGE_KIND_CHANGED: "changed",
}

func replayJobFromProto(j *runnerv1.ReplayJob) *ReplayJob {
	spec, sel, t := j.GetSpec(), j.GetSpec().GetSelection(), j.GetTotals()
	statuses := make([]ExecutionStatus, 0, len(sel.GetStatuses()))
	for _, s := range sel.GetStatuses() {
		statuses = append(statuses, executionStatusFromProto(s))
	}
	return &ReplayJob{
		JobID:     j.GetJobId(),
		RequestID: j.GetRequestId(),
		State:     lookup(replayJobStates, j.GetState(), ReplayJobRunning),
		Spec: ReplayJobSpec{
			Selection: ReplayJobSelection{
				Flow: sel.GetFlowName(), Statuses: statuses, Since: timeOf(sel.GetSince()), Until: timeOf(sel.GetUntil()),
				Labels: sel.GetLabels(), ExecIDs: sel.GetExecIds(), Limit: int(sel.GetLimit()),
			},
			From: spec.GetFrom(), Args: jsonObject(spec.GetArgs()), Overrides: jsonObject(spec.GetOverrides()),
			AllowOverrideTypeChange: spec.GetAllowOverrideTypeChange(), AnswerWaitsFromSource: spec.GetAnswerWaitsFromSource(),
			PlanOnly: spec.GetPlanOnly(), Concurrency: int(spec.GetConcurrency()),
		},
		SourceExecIDs: j.GetSourceExecIds(),
		Totals: ReplayJobTotals{
			Sources: int(t.GetSources()), Pending: int(t.GetPending()), Running: int(t.GetRunning()),
			Completed: int(t.GetCompleted()), Failed: int(t.GetFailed()), Cancelled: int(t.GetCancelled()),
			Waiting: int(t.GetWaiting()), Refused: int(t.GetRefused()), Skipped: int(t.GetSkipped()),
			Planned: int(t.GetPlanned()), ResultsChanged: int(t.GetResultsChanged()),
		},
		CreatedAt:   timeOf(j.GetCreateTime()),
		CancelledAt: timeOf(j.GetCancelTime()),
		EndedAt:     timeOf(j.GetEndTime()),
		Namespace:   j.GetNamespace(),
	}
}

func replayJobItemsFromProto(items []*runnerv1.ReplayJobItem) []ReplayJobItem {
	out := make([]ReplayJobItem, 0, len(items))
	for _, item := range items {
		out = append(out, replayJobItemFromProto(item))
	}
	return out
}

func replayJobItemFromProto(i *runnerv1.ReplayJobItem) ReplayJobItem {
	item := ReplayJobItem{
		Index:           int(i.GetIndex()),
		SourceExecID:    i.GetSourceExecId(),
		State:           lookup(replayJobItemStates, i.GetState(), ReplayJobItemPending),
		ReplayExecID:    i.GetReplayExecId(),
		ResultChanged:   i.GetResultChanged(),
		ResultChanges:   make([]JSONChange, 0, len(i.GetResultChanges())),
		ReusedCalls:     int(i.GetReusedCalls()),
		ReexecutedCalls: int(i.GetReexecutedCalls()),
		ChangedCalls:    int(i.GetChangedCalls()),
		NewCalls:        int(i.GetNewCalls()),
		UpdatedAt:       timeOf(i.GetUpdateTime()),
	}
	if i.GetReplayStatus() != runnerv1.ExecutionStatus_EXECUTION_STATUS_UNSPECIFIED {
		item.ReplayStatus = executionStatusFromProto(i.GetReplayStatus())
	}
	if e := i.GetError(); e != nil {
		item.Err = FromGRPCStatus(status.FromProto(e))
	}
	for _, c := range i.GetResultChanges() {
		item.ResultChanges = append(item.ResultChanges, JSONChange{
			Path: c.GetPath(), Kind: lookup(jsonChangeKinds, c.GetKind(), "changed"), Before: jsonValue(c.GetBefore()), After: jsonValue(c.GetAfter()),
		})
	}
	if p := i.GetPlan(); p != nil {
		item.Plan = replayPlanFromProto(p)
	}
	if f := i.GetReplayFailure(); f != nil {
		item.ReplayFailure = failureFromProto(f)
	}
	return item
}
