package kitaru

// From the generated messages to the plain structs of models.go. Unset or
// unknown enum values (a newer server) read as the most cautious public
// value, as in the TypeScript and Python clients: an execution running (so
// waiting callers keep waiting), a call running, a wait pending, an origin
// unknown, a log line info.

import (
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	errorsv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/errors/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

var executionStatuses = map[runnerv1.ExecutionStatus]ExecutionStatus{
	runnerv1.ExecutionStatus_EXECUTION_STATUS_RUNNING:   StatusRunning,
	runnerv1.ExecutionStatus_EXECUTION_STATUS_WAITING:   StatusWaiting,
	runnerv1.ExecutionStatus_EXECUTION_STATUS_COMPLETED: StatusCompleted,
	runnerv1.ExecutionStatus_EXECUTION_STATUS_FAILED:    StatusFailed,
	runnerv1.ExecutionStatus_EXECUTION_STATUS_CANCELLED: StatusCancelled,
}

var callStatuses = map[runnerv1.CheckpointCallStatus]CheckpointStatus{
	runnerv1.CheckpointCallStatus_CHECKPOINT_CALL_STATUS_COMPLETED: CheckpointCompleted,
	runnerv1.CheckpointCallStatus_CHECKPOINT_CALL_STATUS_FAILED:    CheckpointFailed,
	runnerv1.CheckpointCallStatus_CHECKPOINT_CALL_STATUS_REUSED:    CheckpointReused,
	runnerv1.CheckpointCallStatus_CHECKPOINT_CALL_STATUS_CANCELLED: CheckpointCancelled,
}

var origins = map[runnerv1.FailureOrigin]FailureOrigin{
	runnerv1.FailureOrigin_FAILURE_ORIGIN_USER_CODE:  OriginUserCode,
	runnerv1.FailureOrigin_FAILURE_ORIGIN_RUNTIME:    OriginRuntime,
	runnerv1.FailureOrigin_FAILURE_ORIGIN_BACKEND:    OriginBackend,
	runnerv1.FailureOrigin_FAILURE_ORIGIN_DIVERGENCE: OriginDivergence,
}

var divergenceKinds = map[errorsv1.DivergenceKind]DivergenceKind{
	errorsv1.DivergenceKind_DIVERGENCE_KIND_DEPENDS_ON_CHANGED_CALL: DivergenceDependsOnChangedCall,
	errorsv1.DivergenceKind_DIVERGENCE_KIND_ORDER_CHANGED:           DivergenceOrderChanged,
	errorsv1.DivergenceKind_DIVERGENCE_KIND_NAME_CHANGED:            DivergenceNameChanged,
	errorsv1.DivergenceKind_DIVERGENCE_KIND_CALL_REPLACED:           DivergenceCallReplaced,
	errorsv1.DivergenceKind_DIVERGENCE_KIND_WAIT_CHANGED:            DivergenceWaitChanged,
}

var verdicts = map[runnerv1.VerificationVerdict]VerificationVerdict{
	runnerv1.VerificationVerdict_VERIFICATION_VERDICT_COMPATIBLE: VerdictCompatible,
	runnerv1.VerificationVerdict_VERIFICATION_VERDICT_DIVERGED:   VerdictDiverged,
	runnerv1.VerificationVerdict_VERIFICATION_VERDICT_FAILED:     VerdictFailed,
	runnerv1.VerificationVerdict_VERIFICATION_VERDICT_SKIPPED:    VerdictSkipped,
}

var logLevels = map[runnerv1.LogLevel]LogLevel{
	runnerv1.LogLevel_LOG_LEVEL_DEBUG: LevelDebug,
	runnerv1.LogLevel_LOG_LEVEL_WARN:  LevelWarn,
	runnerv1.LogLevel_LOG_LEVEL_ERROR: LevelError,
}

// lookup returns m[k], or fallback when k is not in m.
func lookup[K comparable, V any](m map[K]V, k K, fallback V) V {
	if v, ok := m[k]; ok {
		return v
	}
	return fallback
}

func executionStatusFromProto(s runnerv1.ExecutionStatus) ExecutionStatus {
	return lookup(executionStatuses, s, StatusRunning)
}

// executionStatusToProto is the enum value of a public status; false for an unknown one.
func executionStatusToProto(s ExecutionStatus) (runnerv1.ExecutionStatus, bool) {
	for pb, public := range executionStatuses {
		if public == s {
			return pb, true
		}
	}
	return runnerv1.ExecutionStatus_EXECUTION_STATUS_UNSPECIFIED, false
}

// jsonValue is the plain value of a google.protobuf.Value; nil when unset.
func jsonValue(v *structpb.Value) any {
	if v == nil {
		return nil
	}
	return v.AsInterface()
}

// jsonObject is the map of a google.protobuf.Struct; an empty map when unset.
func jsonObject(s *structpb.Struct) map[string]any {
	if s == nil {
		return map[string]any{}
	}
	return s.AsMap()
}

// optionalObject is the map of a google.protobuf.Struct; nil when unset.
func optionalObject(s *structpb.Struct) map[string]any {
	if s == nil {
		return nil
	}
	return s.AsMap()
}

func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func divergenceFromProto(d *errorsv1.DivergenceDetail) *Divergence {
	if d == nil {
		return nil
	}
	return &Divergence{
		ExecID:       d.GetExecId(),
		SourceExecID: d.GetSourceExecId(),
		InvocationID: d.GetInvocationId(),
		// An unset kind (only from a newer server) reads as the most general rule.
		Kind:                 lookup(divergenceKinds, d.GetKind(), DivergenceDependenciesChanged),
		Recorded:             d.GetRecorded(),
		Seen:                 d.GetSeen(),
		RecordedDependencies: d.GetRecordedDependencies(),
		SeenDependencies:     d.GetSeenDependencies(),
		RecordedFlowVersion:  d.GetRecordedFlowVersion(),
		FlowVersion:          d.GetFlowVersion(),
		ReplayCommand:        d.GetReplayCommand(),
		ReplayFrom:           d.GetReplayFrom(),
	}
}

func failureFromProto(f *runnerv1.Failure) *Failure {
	if f == nil {
		return nil
	}
	return &Failure{
		Origin:        lookup(origins, f.GetOrigin(), OriginUnknown),
		Message:       f.GetMessage(),
		ExceptionType: f.GetExceptionType(),
		Traceback:     f.GetTraceback(),
		InvocationID:  f.GetInvocationId(),
		Divergence:    divergenceFromProto(f.GetDivergence()),
	}
}

func attemptFromProto(a *runnerv1.CallAttempt) CallAttempt {
	status := "failed"
	switch a.GetStatus() {
	case runnerv1.CallAttemptStatus_CALL_ATTEMPT_STATUS_COMPLETED:
		status = "completed"
	case runnerv1.CallAttemptStatus_CALL_ATTEMPT_STATUS_CANCELLED:
		status = "cancelled"
	}
	return CallAttempt{
		Number:    int(a.GetNumber()),
		Status:    status,
		StartedAt: timeOf(a.GetStartTime()),
		EndedAt:   timeOf(a.GetEndTime()),
		Failure:   failureFromProto(a.GetFailure()),
	}
}

func checkpointFromProto(c *runnerv1.CheckpointCall) CheckpointCall {
	attempts := make([]CallAttempt, 0, len(c.GetAttemptHistory()))
	for _, a := range c.GetAttemptHistory() {
		attempts = append(attempts, attemptFromProto(a))
	}
	return CheckpointCall{
		CallID:           c.GetCallId(),
		InvocationID:     c.GetInvocationId(),
		Name:             c.GetName(),
		Status:           lookup(callStatuses, c.GetStatus(), CheckpointRunning),
		Sequence:         int(c.GetSequence()),
		AttemptCount:     int(c.GetAttempts()),
		Attempts:         attempts,
		Output:           jsonValue(c.GetOutput()),
		Overridden:       c.GetOverridden(),
		OverrideValue:    jsonValue(c.GetOverrideValue()),
		ReusedFromCallID: c.GetReusedFromCallId(),
		DataDependencies: c.GetDataDependencies(),
		LoadDependencies: c.GetLoadDependencies(),
		OutputNames:      c.GetOutputNames(),
		Metadata:         jsonObject(c.GetMetadata()),
		Failure:          failureFromProto(c.GetFailure()),
		StartedAt:        timeOf(c.GetStartTime()),
		EndedAt:          timeOf(c.GetEndTime()),
	}
}

func waitFromProto(w *runnerv1.Wait) Wait {
	status := WaitPending
	switch w.GetStatus() {
	case runnerv1.WaitStatus_WAIT_STATUS_RESOLVED:
		status = WaitResolved
	case runnerv1.WaitStatus_WAIT_STATUS_ABORTED:
		status = WaitAborted
	}
	return Wait{
		WaitID:     w.GetWaitId(),
		Name:       w.GetName(),
		ExecID:     w.GetExecId(),
		Status:     status,
		Question:   w.GetQuestion(),
		Schema:     optionalObject(w.GetSchema()),
		Metadata:   jsonObject(w.GetMetadata()),
		Value:      jsonValue(w.GetValue()),
		CreatedAt:  timeOf(w.GetCreateTime()),
		ResolvedAt: timeOf(w.GetResolveTime()),

		AnsweredBy:         w.GetAnsweredBy(),
		AnswerSourceExecID: w.GetAnswerSourceExecId(),
		SourceAnswerNote:   w.GetSourceAnswerNote(),
	}
}

func waitsFromProto(ws []*runnerv1.Wait) []Wait {
	out := make([]Wait, 0, len(ws))
	for _, w := range ws {
		out = append(out, waitFromProto(w))
	}
	return out
}

func executionFromProto(e *runnerv1.Execution) *Execution {
	checkpoints := make([]CheckpointCall, 0, len(e.GetCheckpoints()))
	for _, c := range e.GetCheckpoints() {
		checkpoints = append(checkpoints, checkpointFromProto(c))
	}
	var replay *ReplayOrigin
	if r := e.GetReplay(); r != nil {
		replay = &ReplayOrigin{From: r.GetFrom(), Roots: r.GetRoots(), OverrideKeys: r.GetOverrideKeys(), SourceFlowVersion: r.GetSourceFlowVersion(),
			AnswerWaitsFromSource: r.GetAnswerWaitsFromSource()}
	}
	runs := make([]FlowVersionRun, 0, len(e.GetFlowVersionRuns()))
	for _, r := range e.GetFlowVersionRuns() {
		runs = append(runs, FlowVersionRun{FlowVersion: r.GetFlowVersion(), StartedAt: timeOf(r.GetStartTime())})
	}
	return &Execution{
		ExecID:          e.GetExecId(),
		FlowName:        e.GetFlowName(),
		Status:          executionStatusFromProto(e.GetStatus()),
		Input:           jsonObject(e.GetInput()),
		Result:          jsonValue(e.GetResult()),
		Failure:         failureFromProto(e.GetFailure()),
		OriginalExecID:  e.GetOriginalExecId(),
		RetryCount:      int(e.GetRetryCount()),
		PendingWaits:    waitsFromProto(e.GetPendingWaits()),
		Checkpoints:     checkpoints,
		CheckpointCount: int(e.GetCheckpointCount()),
		Replay:          replay,
		Metadata:        jsonObject(e.GetMetadata()),
		StartedAt:       timeOf(e.GetCreateTime()),
		UpdatedAt:       timeOf(e.GetUpdateTime()),
		EndedAt:         timeOf(e.GetEndTime()),
		OmittedValues:   omittedValuesFromProto(e.GetOmittedValues()),
		FlowVersion:     e.GetFlowVersion(),
		FlowVersionRuns: runs,
		VersionHold:     versionHoldFromProto(e.GetVersionHold()),
		Waits:           waitsFromProto(e.GetWaits()),
	}
}

func versionHoldFromProto(h *runnerv1.VersionHold) *VersionHold {
	if h == nil {
		return nil
	}
	return &VersionHold{
		RequiredFlowVersion: h.GetRequiredFlowVersion(),
		Divergence:          divergenceFromProto(h.GetDivergence()),
		CreatedAt:           timeOf(h.GetCreateTime()),
	}
}

func plannedCallFromProto(c *runnerv1.PlannedCall) PlannedCall {
	return PlannedCall{InvocationID: c.GetInvocationId(), CallID: c.GetCallId(), Name: c.GetName(), Sequence: int(c.GetSequence())}
}

func plannedCallsFromProto(cs []*runnerv1.PlannedCall) []PlannedCall {
	out := make([]PlannedCall, 0, len(cs))
	for _, c := range cs {
		out = append(out, plannedCallFromProto(c))
	}
	return out
}

func replayPlanFromProto(p *runnerv1.ReplayPlan) *ReplayPlan {
	var from *PlannedCall
	if c := p.GetFromCall(); c != nil {
		call := plannedCallFromProto(c)
		from = &call
	}
	overrides := make([]PlannedOverride, 0, len(p.GetOverrides()))
	for _, o := range p.GetOverrides() {
		var target *PlannedCall
		if t := o.GetTarget(); t != nil {
			call := plannedCallFromProto(t)
			target = &call
		}
		overrides = append(overrides, PlannedOverride{
			Key:       o.GetKey(),
			Selector:  o.GetSelector(),
			Target:    target,
			Value:     jsonValue(o.GetValue()),
			Consumers: o.GetConsumerInvocationIds(),
		})
	}
	return &ReplayPlan{
		SourceExecID:      p.GetSourceExecId(),
		FlowName:          p.GetFlowName(),
		From:              p.GetFrom(),
		FromCall:          from,
		Roots:             plannedCallsFromProto(p.GetRoots()),
		Reexecute:         plannedCallsFromProto(p.GetReexecute()),
		Reuse:             plannedCallsFromProto(p.GetReuse()),
		Overrides:         overrides,
		Input:             jsonObject(p.GetInput()),
		SourceFlowVersion: p.GetSourceFlowVersion(),
		FlowVersion:       p.GetFlowVersion(),

		AnswerWaitsFromSource: p.GetAnswerWaitsFromSource(),
	}
}

func logEntryFromProto(e *runnerv1.LogEntry) LogEntry {
	return LogEntry{
		ExecID:         e.GetExecId(),
		InvocationID:   e.GetInvocationId(),
		CheckpointName: e.GetCheckpointName(),
		CallID:         e.GetCallId(),
		Attempt:        int(e.GetAttempt()),
		Level:          lookup(logLevels, e.GetLevel(), LevelInfo),
		Message:        e.GetMessage(),
		Source:         e.GetSource(),
		Time:           timeOf(e.GetTime()),
	}
}

func statusChangeFromProto(s *runnerv1.StatusChange) *StatusChange {
	return &StatusChange{
		Status:      executionStatusFromProto(s.GetStatus()),
		Result:      jsonValue(s.GetResult()),
		Failure:     failureFromProto(s.GetFailure()),
		Metadata:    jsonObject(s.GetMetadata()),
		FlowVersion: s.GetFlowVersion(),
		VersionHold: versionHoldFromProto(s.GetVersionHold()),
	}
}

// eventFromProto is the plain Event; false for a kind this client does not know (a newer server).
func eventFromProto(e *runnerv1.ExecutionEvent) (Event, bool) {
	ev := Event{ExecID: e.GetExecId(), Time: timeOf(e.GetTime())}
	call := func(kind EventKind, c *runnerv1.CheckpointCall) (Event, bool) {
		plain := checkpointFromProto(c)
		ev.Kind, ev.Call = kind, &plain
		return ev, true
	}
	wait := func(kind EventKind, w *runnerv1.Wait) (Event, bool) {
		plain := waitFromProto(w)
		ev.Kind, ev.Wait = kind, &plain
		return ev, true
	}
	switch k := e.GetKind().(type) {
	case *runnerv1.ExecutionEvent_CallStarted:
		return call(EventCallStarted, k.CallStarted)
	case *runnerv1.ExecutionEvent_CallCompleted:
		return call(EventCallCompleted, k.CallCompleted)
	case *runnerv1.ExecutionEvent_CallReused:
		return call(EventCallReused, k.CallReused)
	case *runnerv1.ExecutionEvent_CallFailed:
		return call(EventCallFailed, k.CallFailed)
	case *runnerv1.ExecutionEvent_CallCancelled:
		return call(EventCallCancelled, k.CallCancelled)
	case *runnerv1.ExecutionEvent_WaitPending:
		return wait(EventWaitPending, k.WaitPending)
	case *runnerv1.ExecutionEvent_WaitResolved:
		return wait(EventWaitResolved, k.WaitResolved)
	case *runnerv1.ExecutionEvent_StatusChanged:
		ev.Kind, ev.StatusChange = EventStatusChanged, statusChangeFromProto(k.StatusChanged)
		return ev, true
	}
	return Event{}, false
}

// verificationFromProto is the plain Verification; a verdict this client does
// not know (a newer server) reads as skipped (not checked here).
func verificationFromProto(v *runnerv1.ExecutionVerification) Verification {
	return Verification{
		ExecID:              v.GetExecId(),
		FlowName:            v.GetFlowName(),
		Status:              executionStatusFromProto(v.GetStatus()),
		RecordedFlowVersion: v.GetRecordedFlowVersion(),
		Verdict:             lookup(verdicts, v.GetVerdict(), VerdictSkipped),
		Divergence:          divergenceFromProto(v.GetDivergence()),
		Outcome:             v.GetOutcome(),
		MatchedCalls:        int(v.GetMatchedCalls()),
		RecordedCalls:       int(v.GetRecordedCalls()),
	}
}
