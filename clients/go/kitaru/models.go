package kitaru

// The plain results of Client.Executions and Client.Flows: Go structs with
// string statuses, JSON values as any (map[string]any for objects, []any,
// string, float64, bool, nil, as encoding/json decodes them) and time.Time
// (the zero time when unset). The generated messages stay available through
// Client.Runner.Stub and Client.Planner.Stub. JSON tags use the names of the
// CLI's `-o json` items and Kitaru's Python client (exec_id, started_at,
// original_call_id, ...).

import "time"

// ExecutionStatus is the public status of an execution.
type ExecutionStatus string

// The execution statuses.
const (
	StatusRunning   ExecutionStatus = "running"
	StatusWaiting   ExecutionStatus = "waiting"
	StatusCompleted ExecutionStatus = "completed"
	StatusFailed    ExecutionStatus = "failed"
	StatusCancelled ExecutionStatus = "cancelled"
)

// Terminal reports whether the execution will not change by itself again
// (completed, failed or cancelled).
func (s ExecutionStatus) Terminal() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// CheckpointStatus is the status of one checkpoint call.
type CheckpointStatus string

// The checkpoint call statuses; reused means a replay took the source's output.
const (
	CheckpointRunning   CheckpointStatus = "running"
	CheckpointCompleted CheckpointStatus = "completed"
	CheckpointFailed    CheckpointStatus = "failed"
	CheckpointReused    CheckpointStatus = "reused"
	CheckpointCancelled CheckpointStatus = "cancelled"
)

// WaitStatus is the status of one wait.
type WaitStatus string

// The wait statuses.
const (
	WaitPending  WaitStatus = "pending"
	WaitResolved WaitStatus = "resolved"
	WaitAborted  WaitStatus = "aborted"
)

// FailureOrigin says where a failure came from.
type FailureOrigin string

// The failure origins (Kitaru's).
const (
	OriginUserCode   FailureOrigin = "user_code"
	OriginRuntime    FailureOrigin = "runtime"
	OriginBackend    FailureOrigin = "backend"
	OriginDivergence FailureOrigin = "divergence"
	OriginUnknown    FailureOrigin = "unknown"
)

// DivergenceKind says which durable-sequence rule a run broke.
type DivergenceKind string

// The divergence kinds.
const (
	DivergenceDependenciesChanged  DivergenceKind = "dependencies_changed"
	DivergenceDependsOnChangedCall DivergenceKind = "depends_on_changed_call"
	DivergenceOrderChanged         DivergenceKind = "order_changed"
	DivergenceNameChanged          DivergenceKind = "name_changed"
	// DivergenceCallReplaced: on a resume by code of another flow version, a
	// call the record does not hold was issued where the record holds another
	// (a renamed or inserted checkpoint).
	DivergenceCallReplaced DivergenceKind = "call_replaced"
	// DivergenceWaitChanged: on a resume by code of another flow version, a
	// wait the record does not hold was reached while recorded waits were not
	// reached yet.
	DivergenceWaitChanged DivergenceKind = "wait_changed"
)

// LogLevel is the severity of a log line.
type LogLevel string

// The log levels.
const (
	LevelDebug LogLevel = "debug"
	LevelInfo  LogLevel = "info"
	LevelWarn  LogLevel = "warn"
	LevelError LogLevel = "error"
)

// EventKind says what an Event reports.
type EventKind string

// The event kinds.
const (
	EventCallStarted   EventKind = "call_started"
	EventCallCompleted EventKind = "call_completed"
	EventCallReused    EventKind = "call_reused"
	EventCallFailed    EventKind = "call_failed"
	EventCallCancelled EventKind = "call_cancelled"
	EventWaitPending   EventKind = "wait_pending"
	EventWaitResolved  EventKind = "wait_resolved"
	EventStatusChanged EventKind = "status_changed"
)

// Divergence is the evidence of a divergence: what was recorded and what the
// new run did at one invocation ID.
type Divergence struct {
	ExecID string `json:"exec_id"`
	// SourceExecID is the execution compared against (the replay source, or
	// the same one on retry and recovery).
	SourceExecID         string         `json:"source_exec_id"`
	InvocationID         string         `json:"invocation_id"`
	Kind                 DivergenceKind `json:"kind"`
	Recorded             string         `json:"recorded"`
	Seen                 string         `json:"seen"`
	RecordedDependencies []string       `json:"recorded_dependencies"`
	SeenDependencies     []string       `json:"seen_dependencies"`
	// RecordedFlowVersion is the flow version that recorded the calls
	// compared against; "" when unknown or the same.
	RecordedFlowVersion string `json:"recorded_flow_version"`
	// FlowVersion is the flow version of the code that diverged; "" when unknown.
	FlowVersion string `json:"flow_version"`
	// ReplayCommand is, on a resume by code of another flow version, the
	// command that continues the work on that code (e.g. `kitaru executions
	// replay kr-... --from write_draft`); "" otherwise.
	ReplayCommand string `json:"replay_command"`
	// ReplayFrom is the From of that replay (an invocation ID of ExecID).
	ReplayFrom string `json:"replay_from"`
}

// Failure says why an execution, a checkpoint call or one attempt failed.
type Failure struct {
	Origin  FailureOrigin `json:"origin"`
	Message string        `json:"message"`
	// ExceptionType is the class name of the thrown error, e.g. "TypeError".
	ExceptionType string `json:"exception_type"`
	// Traceback is the stack trace as the runtime printed it; "" when none.
	Traceback string `json:"traceback"`
	// InvocationID is the failing checkpoint call's, when one failed.
	InvocationID string `json:"invocation_id"`
	// Divergence is set when Origin is OriginDivergence.
	Divergence *Divergence `json:"divergence,omitempty"`
}

// CallAttempt is one run of a checkpoint function.
type CallAttempt struct {
	// Number is 1 for the first attempt, then 2, 3, ...
	Number int `json:"attempt"`
	// Status is "completed", "failed" or "cancelled".
	Status    string    `json:"status"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	Failure   *Failure  `json:"failure"`
}

// CheckpointCall is one recorded call of a checkpoint. A call reused by a
// replay has status reused, no attempts, and names its source call in
// ReusedFromCallID. Output and OverrideValue are only filled by Get/Latest.
type CheckpointCall struct {
	CallID string `json:"call_id"`
	// InvocationID is deterministic within the execution: name, name_2, ... or the flow's explicit id.
	InvocationID string           `json:"invocation_id"`
	Name         string           `json:"name"`
	Status       CheckpointStatus `json:"status"`
	// Sequence is the issue order within the execution, from 1.
	Sequence int `json:"sequence"`
	// AttemptCount is the number of attempts made (1 without retries, 0 when reused).
	AttemptCount int `json:"attempt_count"`
	// Attempts lists every attempt, oldest first, each with its own failure.
	Attempts []CallAttempt `json:"attempts"`
	// Output is what the call returned (for a reused call, what the source recorded).
	Output any `json:"output"`
	// Overridden is true when a replay override replaced the output the flow and the consumers saw.
	Overridden bool `json:"overridden"`
	// OverrideValue is what they saw instead, when Overridden.
	OverrideValue any `json:"override_value"`
	// ReusedFromCallID is, for a reused call, the call ID in the source execution.
	ReusedFromCallID string         `json:"reused_from_call_id"`
	DataDependencies []string       `json:"data_dependencies"`
	LoadDependencies []string       `json:"load_dependencies"`
	OutputNames      []string       `json:"output_names"`
	Metadata         map[string]any `json:"metadata"`
	Failure          *Failure       `json:"failure"`
	StartedAt        time.Time      `json:"started_at"`
	EndedAt          time.Time      `json:"ended_at"`
}

// OriginalCallID is Kitaru's name for ReusedFromCallID.
func (c CheckpointCall) OriginalCallID() string { return c.ReusedFromCallID }

// Wait is a point in a flow body waiting for input (pending), or, in watch
// events, one that was resolved or aborted. Answer a pending wait with
// Executions.Input(ctx, execID, wait.Name (or wait.WaitID), value).
type Wait struct {
	WaitID string     `json:"wait_id"`
	Name   string     `json:"name"`
	ExecID string     `json:"exec_id"`
	Status WaitStatus `json:"status"`
	// Question is shown to whoever answers; "" when the flow gave none.
	Question string `json:"question"`
	// Schema is the JSON Schema of the expected value; nil when any value is accepted.
	Schema     map[string]any `json:"schema"`
	Metadata   map[string]any `json:"metadata"`
	Value      any            `json:"value"`
	CreatedAt  time.Time      `json:"created_at"`
	ResolvedAt time.Time      `json:"resolved_at"`
	// AnsweredBy says who or what answered, when it was not an input:
	// "copied from execution <id>" for an answer a replay copied from its
	// source; "" otherwise.
	AnsweredBy string `json:"answered_by"`
	// AnswerSourceExecID is the execution whose recorded answer was copied; "" unless copied.
	AnswerSourceExecID string `json:"answer_source_exec_id"`
	// SourceAnswerNote says why a wait the replay was asked to answer from its
	// source waits for input instead; "" otherwise.
	SourceAnswerNote string `json:"source_answer_note"`
}

// ReplayOrigin is what the replay that created an execution asked for.
type ReplayOrigin struct {
	From         string   `json:"from"`
	Roots        []string `json:"roots"`
	OverrideKeys []string `json:"override_keys"`
	// SourceFlowVersion is the flow version that had last run the source when
	// the replay was created ("" when unknown); the replay runs on
	// Execution.FlowVersion.
	SourceFlowVersion string `json:"source_flow_version"`
	// AnswerWaitsFromSource names the waits the replay answers from the source's recorded answers.
	AnswerWaitsFromSource []string `json:"answer_waits_from_source"`
}

// FlowVersionRun is one flow version that ran an execution's body, from when
// it took the body over.
type FlowVersionRun struct {
	FlowVersion string    `json:"flow_version"`
	StartedAt   time.Time `json:"started_at"`
}

// VersionHold keeps an execution for runners of one flow version: code of
// another version resumed it and does not issue the recorded calls the
// recorded way. Divergence.ReplayCommand continues the work on that code.
type VersionHold struct {
	// RequiredFlowVersion: only a runner serving it continues the execution.
	RequiredFlowVersion string      `json:"required_flow_version"`
	Divergence          *Divergence `json:"divergence"`
	CreatedAt           time.Time   `json:"created_at"`
}

// Execution is one run of a flow. Checkpoints is filled by Get and Latest,
// empty in List results and in what the mutating calls return;
// CheckpointCount is always set.
type Execution struct {
	ExecID   string          `json:"exec_id"`
	FlowName string          `json:"flow_name"`
	Status   ExecutionStatus `json:"status"`
	Input    map[string]any  `json:"input"`
	// Result is the flow's return value once completed.
	Result  any      `json:"result"`
	Failure *Failure `json:"failure"`
	// OriginalExecID is the execution this one was replayed from; "" otherwise.
	OriginalExecID  string           `json:"original_exec_id"`
	RetryCount      int              `json:"retry_count"`
	PendingWaits    []Wait           `json:"pending_waits"`
	Checkpoints     []CheckpointCall `json:"checkpoints"`
	CheckpointCount int              `json:"checkpoint_count"`
	Replay          *ReplayOrigin    `json:"replay"`
	Metadata        map[string]any   `json:"metadata"`
	StartedAt       time.Time        `json:"started_at"`
	UpdatedAt       time.Time        `json:"updated_at"`
	EndedAt         time.Time        `json:"ended_at"`
	// OmittedValues lists the values this response left out: empty from
	// Get, which reads them; read one of a List result with ReadValue.
	OmittedValues []OmittedValue `json:"omitted_values"`
	// FlowVersion is the version of the flow code that created it (the
	// runner's --flow-version, by default a digest of its flows module); ""
	// for executions recorded before flow versions.
	FlowVersion string `json:"flow_version"`
	// FlowVersionRuns are the flow versions that ran its body, in the order
	// they took it over; the last ran it most recently.
	FlowVersionRuns []FlowVersionRun `json:"flow_version_runs"`
	// VersionHold is set while it waits for a runner of one flow version
	// (Status stays running).
	VersionHold *VersionHold `json:"version_hold"`
	// Waits holds every wait the body reached, in the order reached, with
	// its status and answer (Get and Latest only).
	Waits []Wait `json:"waits"`
}

// PlannedCall names one call of the source execution in a replay plan.
type PlannedCall struct {
	InvocationID string `json:"invocation_id"`
	CallID       string `json:"call_id"`
	Name         string `json:"name"`
	Sequence     int    `json:"sequence"`
}

// PlannedOverride is one "checkpoint.<selector>" override: the call it
// targets, the value, and the consumers that receive it (replay roots).
type PlannedOverride struct {
	Key       string       `json:"key"`
	Selector  string       `json:"selector"`
	Target    *PlannedCall `json:"target"`
	Value     any          `json:"value"`
	Consumers []string     `json:"consumers"`
}

// ReplayPlan is what a replay would re-execute and reuse, computed without
// creating anything: Reexecute holds the roots and their descendants, Reuse
// every other recorded call, both in issue order.
type ReplayPlan struct {
	SourceExecID string            `json:"source_exec_id"`
	FlowName     string            `json:"flow_name"`
	From         string            `json:"from"`
	FromCall     *PlannedCall      `json:"from_call"`
	Roots        []PlannedCall     `json:"roots"`
	Reexecute    []PlannedCall     `json:"reexecute"`
	Reuse        []PlannedCall     `json:"reuse"`
	Overrides    []PlannedOverride `json:"overrides"`
	// Input is the new execution's input: the source's, shallow-merged with Args.
	Input map[string]any `json:"input"`
	// SourceFlowVersion is the flow version that last ran the source; "" when unknown.
	SourceFlowVersion string `json:"source_flow_version"`
	// FlowVersion is the flow version the replay would run on (the runner's).
	FlowVersion string `json:"flow_version"`
	// AnswerWaitsFromSource names the waits the replay would answer from the source's recorded answers.
	AnswerWaitsFromSource []string `json:"answer_waits_from_source"`
}

// LogEntry is one line checkpoint code wrote (console.* or the authoring API's logger).
type LogEntry struct {
	ExecID         string   `json:"exec_id"`
	InvocationID   string   `json:"invocation_id"`
	CheckpointName string   `json:"checkpoint_name"`
	CallID         string   `json:"call_id"`
	Attempt        int      `json:"attempt"`
	Level          LogLevel `json:"level"`
	Message        string   `json:"message"`
	// Source is "console" or "logger".
	Source string    `json:"source"`
	Time   time.Time `json:"time"`
}

// Flow is a flow the runner serves.
type Flow struct {
	Name string `json:"name"`
	// InputSchema is the JSON Schema of its input; nil when it has none.
	InputSchema map[string]any `json:"input_schema"`
	// FlowVersion is the flow version of the code the runner serves it with
	// (--flow-version, or a digest of its flows module).
	FlowVersion string `json:"flow_version"`
}

// StatusChange is an execution's new status, with its result (completed) or
// failure (failed) and its metadata as of the change.
type StatusChange struct {
	Status   ExecutionStatus `json:"status"`
	Result   any             `json:"result"`
	Failure  *Failure        `json:"failure"`
	Metadata map[string]any  `json:"metadata"`
	// FlowVersion is the flow version that ran (or runs) the body as of this
	// change; "" when unknown.
	FlowVersion string `json:"flow_version"`
	// VersionHold is set when the execution is held for runners of one flow version.
	VersionHold *VersionHold `json:"version_hold"`
}

// Event is one thing that happened to an execution, as Executions.Watch
// yields it: Call is set for the call_* kinds, Wait for wait_pending and
// wait_resolved (see Wait.Status), StatusChange for status_changed.
type Event struct {
	Kind         EventKind       `json:"kind"`
	ExecID       string          `json:"exec_id"`
	Time         time.Time       `json:"time"`
	Call         *CheckpointCall `json:"call,omitempty"`
	Wait         *Wait           `json:"wait,omitempty"`
	StatusChange *StatusChange   `json:"status_change,omitempty"`
}

// LogEvent is what Executions.FollowLogs yields: a log line (Entry) or a
// status change of the execution (StatusChange; the last one is terminal).
type LogEvent struct {
	Entry        *LogEntry     `json:"entry,omitempty"`
	StatusChange *StatusChange `json:"status_change,omitempty"`
}

// VerificationVerdict is what checking a recorded execution against flow code found.
type VerificationVerdict string

// The verdicts of Executions.Verify.
const (
	// VerdictCompatible: the code issues every recorded call and wait the
	// recorded way; it would continue the execution.
	VerdictCompatible VerificationVerdict = "compatible"
	// VerdictDiverged: the code diverges from the record (Divergence says where).
	VerdictDiverged VerificationVerdict = "diverged"
	// VerdictFailed: the flow body threw before it reached the end of the record.
	VerdictFailed VerificationVerdict = "failed"
	// VerdictSkipped: not checked (the flow is not served by the code, or nothing ran yet).
	VerdictSkipped VerificationVerdict = "skipped"
)

// Verification is the result of checking one recorded execution against flow
// code, without running a checkpoint or writing anything.
type Verification struct {
	ExecID   string          `json:"exec_id"`
	FlowName string          `json:"flow_name"`
	Status   ExecutionStatus `json:"status"`
	// RecordedFlowVersion is the flow version that last ran its body; "" when unknown.
	RecordedFlowVersion string              `json:"recorded_flow_version"`
	Verdict             VerificationVerdict `json:"verdict"`
	// Divergence is the evidence, when diverged.
	Divergence *Divergence `json:"divergence,omitempty"`
	// Outcome says in words where the check stopped: "would wait at
	// 'approve'", "would complete", the error it would fail with, or why it
	// was skipped.
	Outcome string `json:"outcome"`
	// MatchedCalls is how many recorded calls the code issued the recorded way.
	MatchedCalls int `json:"matched_calls"`
	// RecordedCalls is how many checkpoint calls the execution has recorded.
	RecordedCalls int `json:"recorded_calls"`
}

// VerifyResult is what Executions.Verify found.
type VerifyResult struct {
	// FlowVersion is the flow version of the code checked: the runner's.
	FlowVersion string         `json:"flow_version"`
	Results     []Verification `json:"results"`
}
