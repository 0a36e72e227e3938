package kitaru

import (
	"fmt"
	"strings"

	errorsv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/errors/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

// outcome is the result of a settled execution, or the error waiting on it
// returns (the same rules as the TypeScript client's executionOutcomeError):
// failed with origin divergence → *DivergenceError, failed in user code →
// *UserCodeError, failed otherwise or cancelled → *ExecutionError, waiting
// with pending waits → *PendingWaitError.
func outcome(e *runnerv1.Execution) (any, error) {
	execID := e.GetExecId()
	status := executionStatusFromProto(e.GetStatus())
	metadata := map[string]string{"execId": execID, "status": string(status)}
	switch status {
	case StatusCompleted, StatusRunning:
		return jsonValue(e.GetResult()), nil
	case StatusWaiting:
		return nil, newPendingWaitError(execID, waitsFromProto(e.GetPendingWaits()))
	case StatusCancelled:
		return nil, &ExecutionError{
			BaseError: clientError(fmt.Sprintf("Execution '%s' was cancelled.", execID), ReasonExecution, metadata),
			ExecID:    execID, Status: string(status), Failure: e.GetFailure(),
		}
	}
	failure := e.GetFailure()
	origin := OriginUnknown
	if failure != nil {
		origin = lookup(origins, failure.GetOrigin(), OriginUnknown)
	}
	metadata["origin"] = string(origin)
	if origin == OriginDivergence {
		detail := failure.GetDivergence()
		invocationID := detail.GetInvocationId()
		if detail == nil {
			invocationID = failure.GetInvocationId()
		}
		metadata["invocationId"] = invocationID
		message := fmt.Sprintf("Execution '%s' diverged from its recorded call sequence at '%s': %s Check that the flow "+
			"still issues reused checkpoints in the same order with the same inputs, or replay from an earlier checkpoint.",
			execID, invocationID, failure.GetMessage())
		return nil, &DivergenceError{
			ExecutionError: ExecutionError{BaseError: clientError(message, ReasonDivergence, metadata), ExecID: execID, Status: string(status), Failure: failure},
			Detail:         detail,
		}
	}
	text := "no failure metadata was recorded"
	if failure != nil {
		text = failure.GetMessage()
		if t := failure.GetExceptionType(); t != "" {
			text = t + ": " + text
		}
		if id := failure.GetInvocationId(); id != "" {
			text += fmt.Sprintf(" (checkpoint '%s')", id)
		}
	}
	message := fmt.Sprintf("Execution '%s' failed: %s.", execID, text)
	if origin == OriginUserCode {
		return nil, &UserCodeError{ExecutionError: ExecutionError{
			BaseError: clientError(message, ReasonUserCode, metadata), ExecID: execID, Status: string(status), Failure: failure,
		}}
	}
	return nil, &ExecutionError{BaseError: clientError(message, ReasonExecution, metadata), ExecID: execID, Status: string(status), Failure: failure}
}

func newPendingWaitError(execID string, waits []Wait) *PendingWaitError {
	names := make([]string, 0, len(waits))
	for _, w := range waits {
		names = append(names, w.Name)
	}
	var message string
	if len(waits) == 1 {
		question := "."
		if waits[0].Question != "" {
			question = ": " + waits[0].Question
		}
		message = fmt.Sprintf("Execution '%s' is waiting for input at wait '%s'%s Answer it with "+
			"client.Executions.Input(ctx, %q, %q, value), then wait again.", execID, waits[0].Name, question, execID, waits[0].Name)
	} else {
		message = fmt.Sprintf("Execution '%s' is waiting for input at %d waits (%s). Answer each with "+
			"client.Executions.Input(ctx, %q, <name>, value), then wait again.", execID, len(waits), strings.Join(names, ", "), execID)
	}
	base := clientError(message, ReasonState, map[string]string{"execId": execID, "waitNames": strings.Join(names, ",")})
	state := &errorsv1.ExecutionStateDetail{ExecId: execID, Status: "waiting", Operation: "wait"}
	return &PendingWaitError{StateError: StateError{BaseError: base, State: state}, ExecID: execID, PendingWaits: waits}
}
