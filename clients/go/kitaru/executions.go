package kitaru

import (
	"context"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	plannerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/planner/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

// Page sizes the services allow at most.
const (
	maxPageSize    = 200
	maxLogPageSize = 1000
)

// DefaultVerifyLimit is how many executions Verify checks by a filter when
// VerifyOptions.Limit is 0.
const DefaultVerifyLimit = 20

// ExecutionsClient reads, steers, replays and follows executions:
// Client.Executions. Replay and Plan go to the PlannerService, everything
// else to the RunnerService. Every error is a KitaruError (match it with
// errors.As), except client-side argument checks, which are *UsageError too,
// and context errors.
type ExecutionsClient struct {
	runner  runnerv1.RunnerServiceClient
	planner plannerv1.PlannerServiceClient
}

// Filter selects executions by flow and status (zero values: any).
type Filter struct {
	Flow   string
	Status ExecutionStatus
}

// ListOptions filters and pages List. Limit returns the first Limit
// executions; Page/Size return page Page (from 1) of Size executions (Size
// alone: page 1); neither: all of them. Limit with Page/Size, or Page
// without Size, is a *UsageError.
type ListOptions struct {
	Filter
	Limit, Page, Size int
}

// ReplayOptions says what to replay: the From selector (checkpoint name,
// invocation ID or call ID; required), Args (flow input fields,
// shallow-merged onto the source's input), Overrides ("checkpoint.<selector>"
// keys to the output the new execution sees instead), RequestID (a new
// UUID when ""; the same ID returns the same replay) and
// AllowOverrideTypeChange (accept an override value of another type than the
// output it replaces: without it, a value that does not fit the checkpoint's
// declared output schema, or the JSON type of its recorded output, is a
// *UsageError and nothing is created). AnswerWaitsFromSource names waits
// (the name given to wait()) the replay answers with the source's recorded
// answer to the wait of the same occurrence, recorded as copied from the
// source (Wait.AnsweredBy); a wait the source never answered waits for input
// as usual (Wait.SourceAnswerNote says why). By default every wait asks again.
type ReplayOptions struct {
	From                    string
	Args                    map[string]any
	Overrides               map[string]any
	RequestID               string
	AllowOverrideTypeChange bool
	AnswerWaitsFromSource   []string
}

// WatchOptions configures Watch: FollowWaits keeps the stream open while the
// execution waits for input (by default it ends there); StatusOnly streams
// status changes only, starting with the current status, without the history
// (the cheapest way to learn when an execution ends).
type WatchOptions struct {
	FollowWaits bool
	StatusOnly  bool
}

// VerifyOptions selects the executions Verify checks: ExecIDs (at most 200),
// or else the newest Limit executions (0: DefaultVerifyLimit) matching the
// Filter. IDs with a filter, or a negative Limit, is a *UsageError.
type VerifyOptions struct {
	ExecIDs []string
	Filter
	Limit int
}

// LogsOptions configures Logs and FollowLogs: Checkpoint keeps the lines of
// calls with that name, invocation ID or call ID; Limit (Logs only) returns
// at most that many lines (0: all).
type LogsOptions struct {
	Checkpoint string
	Limit      int
}

var statusNames = []string{"running", "waiting", "completed", "failed", "cancelled"}

func statusFilter(s ExecutionStatus) (runnerv1.ExecutionStatus, error) {
	if s == "" {
		return runnerv1.ExecutionStatus_EXECUTION_STATUS_UNSPECIFIED, nil
	}
	pb, ok := executionStatusToProto(s)
	if !ok {
		return pb, usageError(fmt.Sprintf("Unsupported status filter '%s'. Expected one of: %s.", s, strings.Join(statusNames, ", ")),
			map[string]string{"status": string(s)})
	}
	return pb, nil
}

func notNegative(name string, v int) error {
	if v < 0 {
		return usageError(fmt.Sprintf("`%s` must be >= 1 when provided.", name), map[string]string{name: fmt.Sprint(v)})
	}
	return nil
}

func jsonStruct(option string, m map[string]any) (*structpb.Struct, error) {
	s, err := structpb.NewStruct(m)
	if err != nil {
		return nil, usageError(fmt.Sprintf("`%s` must be a JSON object: %v.", option, err), map[string]string{"option": option})
	}
	return s, nil
}

// Get returns one execution with its checkpoint calls (outputs included).
// An unknown ID is a *NotFoundError.
func (e *ExecutionsClient) Get(ctx context.Context, execID string) (*Execution, error) {
	read := func(token string) (*Execution, string, error) {
		res, err := e.runner.GetExecution(ctx, &runnerv1.GetExecutionRequest{
			ExecId: execID, View: runnerv1.ExecutionView_EXECUTION_VIEW_FULL, CheckpointsPageToken: token,
		})
		if err != nil {
			return nil, "", err
		}
		return executionFromProto(res.GetExecution()), res.GetExecution().GetCheckpointsNextPageToken(), nil
	}
	execution, token, err := read("")
	if err != nil {
		return nil, err
	}
	if err := e.fillOmittedValues(ctx, execution); err != nil {
		return nil, err
	}
	// A long execution's calls come in several responses (each within the response bound): read on to the last.
	for token != "" {
		var page *Execution
		if page, token, err = read(token); err != nil {
			return nil, err
		}
		page.OmittedValues = slices.DeleteFunc(page.OmittedValues, func(o OmittedValue) bool { return !strings.HasPrefix(o.Path, "checkpoints/") })
		if err := e.fillOmittedValues(ctx, page); err != nil {
			return nil, err
		}
		execution.Checkpoints = append(execution.Checkpoints, page.Checkpoints...)
	}
	return execution, nil
}

// List returns executions, newest first, without checkpoint calls.
func (e *ExecutionsClient) List(ctx context.Context, opts ListOptions) ([]*Execution, error) {
	status, err := statusFilter(opts.Status)
	if err != nil {
		return nil, err
	}
	for name, v := range map[string]int{"Limit": opts.Limit, "Page": opts.Page, "Size": opts.Size} {
		if err := notNegative(name, v); err != nil {
			return nil, err
		}
	}
	if opts.Limit > 0 && (opts.Page > 0 || opts.Size > 0) {
		return nil, usageError("`Limit` cannot be combined with `Page`/`Size`.", nil)
	}
	if opts.Page > 0 && opts.Size == 0 {
		return nil, usageError("`Page` requires `Size`.", nil)
	}
	limit, skip := opts.Limit, 0
	if opts.Size > 0 {
		skip = (max(opts.Page, 1) - 1) * opts.Size
		limit = skip + opts.Size
	}
	out, err := collectPages(limit, maxPageSize, func(size int32, token string) ([]*Execution, string, error) {
		res, err := e.runner.ListExecutions(ctx, &runnerv1.ListExecutionsRequest{
			FlowName: opts.Flow, Status: status, PageSize: size, PageToken: token,
		})
		if err != nil {
			return nil, "", err
		}
		page := make([]*Execution, 0, len(res.GetExecutions()))
		for _, x := range res.GetExecutions() {
			page = append(page, executionFromProto(x))
		}
		return page, res.GetNextPageToken(), nil
	})
	if err != nil {
		return nil, err
	}
	if skip >= len(out) {
		return []*Execution{}, nil
	}
	return out[skip:], nil
}

// collectPages follows page tokens until the last page, or until limit
// items (0: no limit); fetch reads one page of the given size.
func collectPages[T any](limit, maxPage int, fetch func(size int32, token string) ([]T, string, error)) ([]T, error) {
	var items []T
	token := ""
	for {
		size := maxPage
		if limit > 0 {
			size = min(limit-len(items), maxPage)
		}
		page, next, err := fetch(int32(size), token)
		if err != nil {
			return nil, err
		}
		items, token = append(items, page...), next
		if token == "" || (limit > 0 && len(items) >= limit) {
			break
		}
	}
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}

// Latest returns the newest execution matching the filter, with its
// checkpoint calls; none is a *NotFoundError.
func (e *ExecutionsClient) Latest(ctx context.Context, filter Filter) (*Execution, error) {
	newest, err := e.List(ctx, ListOptions{Filter: filter, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(newest) == 0 {
		var parts []string
		metadata := map[string]string{}
		if filter.Flow != "" {
			parts, metadata["flow"] = append(parts, fmt.Sprintf("flow='%s'", filter.Flow)), filter.Flow
		}
		if filter.Status != "" {
			parts, metadata["status"] = append(parts, fmt.Sprintf("status='%s'", filter.Status)), string(filter.Status)
		}
		message := "No executions found."
		if len(parts) > 0 {
			message = "No executions found for " + strings.Join(parts, " and ") + "."
		}
		return nil, &NotFoundError{StateError: StateError{BaseError: clientError(message, ReasonNotFound, metadata)}, ResourceType: "execution"}
	}
	return e.Get(ctx, newest[0].ExecID)
}

// Verify checks recorded executions against the flow code the runner serves,
// without running a checkpoint or writing anything (`kitaru executions
// verify`): per execution, whether that code would continue it
// (VerdictCompatible), diverges from its record (VerdictDiverged, with the
// Divergence), would fail, or was skipped. A filter is paged up to the limit.
func (e *ExecutionsClient) Verify(ctx context.Context, opts VerifyOptions) (*VerifyResult, error) {
	if len(opts.ExecIDs) > 0 {
		if opts.Flow != "" || opts.Status != "" || opts.Limit != 0 {
			return nil, usageError("Give execution IDs or a filter (Flow, Status, Limit), not both.", nil)
		}
		res, err := e.runner.VerifyExecutions(ctx, &runnerv1.VerifyExecutionsRequest{ExecIds: opts.ExecIDs})
		if err != nil {
			return nil, err
		}
		return &VerifyResult{FlowVersion: res.GetFlowVersion(), Results: verificationsFromProto(res.GetResults())}, nil
	}
	status, err := statusFilter(opts.Status)
	if err != nil {
		return nil, err
	}
	if err := notNegative("Limit", opts.Limit); err != nil {
		return nil, err
	}
	limit := opts.Limit
	if limit == 0 {
		limit = DefaultVerifyLimit
	}
	result := &VerifyResult{}
	result.Results, err = collectPages(limit, maxPageSize, func(size int32, token string) ([]Verification, string, error) {
		res, err := e.runner.VerifyExecutions(ctx, &runnerv1.VerifyExecutionsRequest{
			FlowName: opts.Flow, Status: status, PageSize: size, PageToken: token,
		})
		if err != nil {
			return nil, "", err
		}
		result.FlowVersion = res.GetFlowVersion()
		return verificationsFromProto(res.GetResults()), res.GetNextPageToken(), nil
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

func verificationsFromProto(vs []*runnerv1.ExecutionVerification) []Verification {
	out := make([]Verification, 0, len(vs))
	for _, v := range vs {
		out = append(out, verificationFromProto(v))
	}
	return out
}

// PendingWaits returns the pending waits of an execution, oldest first.
func (e *ExecutionsClient) PendingWaits(ctx context.Context, execID string) ([]Wait, error) {
	res, err := e.runner.ListPendingWaits(ctx, &runnerv1.ListPendingWaitsRequest{ExecId: execID})
	if err != nil {
		return nil, err
	}
	return waitsFromProto(res.GetWaits()), nil
}

// Input answers a pending wait (wait: its name, else its wait ID) with a
// JSON-like value (as structpb.NewValue takes); the execution continues by
// itself. A value the wait's schema rejects is a *WaitValidationError (the
// execution keeps waiting); no such pending wait, a *StateError. Returns the
// execution right after, without checkpoint calls. Never retried.
func (e *ExecutionsClient) Input(ctx context.Context, execID, wait string, value any) (*Execution, error) {
	v, err := structpb.NewValue(value)
	if err != nil {
		return nil, usageError(fmt.Sprintf("The wait input must be a JSON value: %v.", err), map[string]string{"execId": execID})
	}
	res, err := e.runner.ResolveWait(ctx, &runnerv1.ResolveWaitRequest{ExecId: execID, Wait: wait, Value: v})
	if err != nil {
		return nil, err
	}
	return executionFromProto(res.GetExecution()), nil
}

// AbortWait aborts a pending wait (name, else wait ID); the execution ends cancelled.
func (e *ExecutionsClient) AbortWait(ctx context.Context, execID, wait string) (*Execution, error) {
	res, err := e.runner.AbortWait(ctx, &runnerv1.AbortWaitRequest{ExecId: execID, Wait: wait})
	if err != nil {
		return nil, err
	}
	return executionFromProto(res.GetExecution()), nil
}

// Retry restarts a failed execution under the same ID; completed calls are
// reused. Any other status is a *StateError.
func (e *ExecutionsClient) Retry(ctx context.Context, execID string) (*Execution, error) {
	res, err := e.runner.RetryExecution(ctx, &runnerv1.RetryExecutionRequest{ExecId: execID})
	if err != nil {
		return nil, err
	}
	return executionFromProto(res.GetExecution()), nil
}

// Cancel cancels a running or waiting execution; it ends cancelled.
func (e *ExecutionsClient) Cancel(ctx context.Context, execID string) (*Execution, error) {
	res, err := e.runner.CancelExecution(ctx, &runnerv1.CancelExecutionRequest{ExecId: execID})
	if err != nil {
		return nil, err
	}
	return executionFromProto(res.GetExecution()), nil
}

// Replay replays an execution as a new one from opts.From; the source never
// changes, and the result's OriginalExecID names it. The request carries
// opts.RequestID (a new UUID when "") and is retried with it on UNAVAILABLE
// or DEADLINE_EXCEEDED, so one call creates one execution. Bad selectors or
// override keys are *UsageError / *StateError; nothing is created then.
func (e *ExecutionsClient) Replay(ctx context.Context, execID string, opts ReplayOptions) (*Execution, error) {
	args, overrides, err := replayInputs(opts)
	if err != nil {
		return nil, err
	}
	res, err := e.planner.ReplayExecution(ctx, &plannerv1.ReplayExecutionRequest{
		ExecId: execID, From: opts.From, Args: args, Overrides: overrides, RequestId: opts.RequestID,
		AllowOverrideTypeChange: opts.AllowOverrideTypeChange, AnswerWaitsFromSource: opts.AnswerWaitsFromSource,
	})
	if err != nil {
		return nil, err
	}
	return executionFromProto(res.GetExecution()), nil
}

// Plan returns the plan Replay with the same options would follow, computed
// without creating anything (opts.RequestID is not used); the same errors as Replay.
func (e *ExecutionsClient) Plan(ctx context.Context, execID string, opts ReplayOptions) (*ReplayPlan, error) {
	args, overrides, err := replayInputs(opts)
	if err != nil {
		return nil, err
	}
	res, err := e.planner.PlanReplay(ctx, &plannerv1.PlanReplayRequest{
		ExecId: execID, From: opts.From, Args: args, Overrides: overrides,
		AllowOverrideTypeChange: opts.AllowOverrideTypeChange, AnswerWaitsFromSource: opts.AnswerWaitsFromSource,
	})
	if err != nil {
		return nil, err
	}
	return replayPlanFromProto(res.GetPlan()), nil
}

func replayInputs(opts ReplayOptions) (args, overrides *structpb.Struct, err error) {
	if args, err = jsonStruct("Args", opts.Args); err != nil {
		return nil, nil, err
	}
	if overrides, err = jsonStruct("Overrides", opts.Overrides); err != nil {
		return nil, nil, err
	}
	return args, overrides, nil
}

// Watch yields the execution's events: its history first, then live ones
// until it ends (or waits, unless opts.FollowWaits). A failure is yielded
// once, as the last pair. Stopping the loop early cancels the stream.
//
//	for event, err := range client.Executions.Watch(ctx, execID, kitaru.WatchOptions{}) {
//		if err != nil { ... }
//		fmt.Println(event.Kind)
//	}
func (e *ExecutionsClient) Watch(ctx context.Context, execID string, opts WatchOptions) iter.Seq2[Event, error] {
	open := func(ctx context.Context) (receiver[*runnerv1.WatchExecutionResponse], error) {
		return e.runner.WatchExecution(ctx, &runnerv1.WatchExecutionRequest{ExecId: execID, FollowWaits: opts.FollowWaits, StatusOnly: opts.StatusOnly})
	}
	return streamSeq(ctx, open, func(res *runnerv1.WatchExecutionResponse) (Event, bool) {
		event, ok := eventFromProto(res.GetEvent())
		e.fillOmittedEventValue(ctx, res.GetEvent(), &event)
		return event, ok
	})
}

// receiver is a server stream of R (the generated grpc.ServerStreamingClient).
type receiver[R any] interface {
	Recv() (R, error)
}

// streamSeq yields convert(message) for each message of the stream open
// starts, skipping those convert does not know; a failure is yielded once,
// last. Leaving the loop early cancels the stream.
func streamSeq[R, T any](ctx context.Context, open func(context.Context) (receiver[R], error), convert func(R) (T, bool)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := open(ctx)
		if err != nil {
			yield(zero, err)
			return
		}
		for {
			message, err := stream.Recv()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(zero, err)
				return
			}
			if item, known := convert(message); known && !yield(item, nil) {
				return
			}
		}
	}
}

// Logs returns the lines checkpoint code wrote, oldest first (by call,
// attempt, then time). opts.Limit below 0 is a *UsageError.
func (e *ExecutionsClient) Logs(ctx context.Context, execID string, opts LogsOptions) ([]LogEntry, error) {
	if err := notNegative("Limit", opts.Limit); err != nil {
		return nil, err
	}
	return collectPages(opts.Limit, maxLogPageSize, func(size int32, token string) ([]LogEntry, string, error) {
		res, err := e.runner.ListExecutionLogs(ctx, &runnerv1.ListExecutionLogsRequest{
			ExecId: execID, Checkpoint: opts.Checkpoint, PageSize: size, PageToken: token,
		})
		if err != nil {
			return nil, "", err
		}
		page := make([]LogEntry, 0, len(res.GetEntries()))
		for _, entry := range res.GetEntries() {
			page = append(page, logEntryFromProto(entry))
		}
		return page, res.GetNextPageToken(), nil
	})
}

// FollowLogs yields the log lines written so far, then new ones as they are
// written, with the execution's status changes, until it ends (the last
// LogEvent is its terminal status). opts.Limit is not used. A failure is
// yielded once, as the last pair; stopping early cancels the stream.
func (e *ExecutionsClient) FollowLogs(ctx context.Context, execID string, opts LogsOptions) iter.Seq2[LogEvent, error] {
	open := func(ctx context.Context) (receiver[*runnerv1.WatchExecutionLogsResponse], error) {
		return e.runner.WatchExecutionLogs(ctx, &runnerv1.WatchExecutionLogsRequest{ExecId: execID, Checkpoint: opts.Checkpoint})
	}
	return streamSeq(ctx, open, func(res *runnerv1.WatchExecutionLogsResponse) (LogEvent, bool) {
		switch k := res.GetKind().(type) {
		case *runnerv1.WatchExecutionLogsResponse_Entry:
			entry := logEntryFromProto(k.Entry)
			return LogEvent{Entry: &entry}, true
		case *runnerv1.WatchExecutionLogsResponse_StatusChanged:
			change := statusChangeFromProto(k.StatusChanged)
			e.fillOmittedResult(ctx, execID, change, k.StatusChanged.GetOmittedValues())
			return LogEvent{StatusChange: change}, true
		}
		return LogEvent{}, false // a kind this client does not know (a newer server)
	})
}

// Result waits for the execution to finish and returns the flow's result
// (a JSON value). It returns a *DivergenceError (failed with origin
// divergence, Detail set), a *UserCodeError (failed in user code), an
// *ExecutionError (failed otherwise, or cancelled), or a *PendingWaitError
// when the execution stops at pending waits (answer them, then call Result
// again). The context bounds the wait: when it ends, the error wraps
// ctx.Err() and the execution goes on. It follows the watch stream and
// opens it again if it ends early.
func (e *ExecutionsClient) Result(ctx context.Context, execID string) (any, error) {
	quietRounds := 0
	for {
		seen := 0
		for _, err := range e.Watch(ctx, execID, WatchOptions{}) {
			if err != nil {
				return nil, interrupted(ctx, execID, err)
			}
			seen++
		}
		res, err := e.runner.GetExecution(ctx, &runnerv1.GetExecutionRequest{ExecId: execID})
		if err != nil {
			return nil, interrupted(ctx, execID, err)
		}
		execution := res.GetExecution()
		status := executionStatusFromProto(execution.GetStatus())
		if status.Terminal() || (status == StatusWaiting && len(execution.GetPendingWaits()) > 0) {
			return outcome(execution)
		}
		// The stream ended while the execution still runs: back off so that a
		// server closing streams early is not hammered.
		if seen == 0 {
			quietRounds++
		} else {
			quietRounds = 0
		}
		if quietRounds > 0 {
			select {
			case <-ctx.Done():
				return nil, interrupted(ctx, execID, ctx.Err())
			case <-time.After(min(2*time.Second, 50*time.Millisecond<<quietRounds)):
			}
		}
	}
}

// interrupted is the error Result returns for err: one wrapping the context's
// error when the context ended (its deadline may reach the server first, so
// a DEADLINE_EXCEEDED status under a context deadline counts too), else err.
func interrupted(ctx context.Context, execID string, err error) error {
	cause := ctx.Err()
	if _, has := ctx.Deadline(); cause == nil && has && status.Code(err) == codes.DeadlineExceeded {
		cause = context.DeadlineExceeded
	}
	if cause == nil {
		return err
	}
	return fmt.Errorf("kitaru: waiting for execution %s: %w", execID, cause)
}

// Lineage returns the replay family of any of its members: the original
// (RootExecId), then its replays and theirs, depth first, as the generated
// message (`kitaru executions tree`). Unknown ID: a *NotFoundError.
func (e *ExecutionsClient) Lineage(ctx context.Context, execID string) (*runnerv1.ExecutionLineage, error) {
	res, err := e.runner.GetExecutionLineage(ctx, &runnerv1.GetExecutionLineageRequest{ExecId: execID})
	if err != nil {
		return nil, err
	}
	return res.GetLineage(), nil
}

// Compare returns other next to base call by call (reused, same output,
// changed output with its JSON changes, overridden, new, not reached), with
// the input and result changes, as the generated message (`kitaru executions diff`).
func (e *ExecutionsClient) Compare(ctx context.Context, baseExecID, otherExecID string) (*runnerv1.ExecutionComparison, error) {
	res, err := e.runner.CompareExecutions(ctx, &runnerv1.CompareExecutionsRequest{BaseExecId: baseExecID, OtherExecId: otherExecID})
	if err != nil {
		return nil, err
	}
	return res.GetComparison(), nil
}
