package kitaru

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

// OmittedValue names a value a response left out to stay small (a response
// carries at most 2 MiB of values, as encoded); read it with Executions.ReadValue.
type OmittedValue struct {
	// Path is "input", "result", "checkpoints/<invocation_id>/output",
	// "checkpoints/<invocation_id>/override_value" or "waits/<name>/value".
	Path string `json:"path"`
	// Bytes is its size as JSON text.
	Bytes int64 `json:"bytes"`
}

// ReadValue returns one value of an execution by its path (see
// OmittedValue.Path), as encoding/json decodes it into an any. Get already
// reads what its response left out; this reads the values List results name
// in OmittedValues. No such value is a *NotFoundError; a malformed path a
// *UsageError.
func (e *ExecutionsClient) ReadValue(ctx context.Context, execID, path string) (any, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := e.runner.ReadExecutionValue(ctx, &runnerv1.ReadExecutionValueRequest{ExecId: execID, Path: path})
	if err != nil {
		return nil, err
	}
	var text bytes.Buffer
	total := int64(-1)
	for {
		message, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		text.Write(message.GetChunk())
		total = int64(message.GetTotalBytes())
	}
	if int64(text.Len()) != total {
		return nil, &InternalError{BaseError: clientError(
			fmt.Sprintf("ReadExecutionValue sent %d of %d bytes of '%s'.", text.Len(), total, path), ReasonInternal,
			map[string]string{"exec_id": execID, "path": path})}
	}
	var value any
	if err := json.Unmarshal(text.Bytes(), &value); err != nil {
		return nil, &InternalError{BaseError: clientError(
			fmt.Sprintf("ReadExecutionValue sent text that is not JSON for '%s': %v", path, err), ReasonInternal,
			map[string]string{"exec_id": execID, "path": path})}
	}
	return value, nil
}

// fillOmittedValues reads each value the response for execution left out
// and puts it in place.
func (e *ExecutionsClient) fillOmittedValues(ctx context.Context, execution *Execution) error {
	for _, omitted := range execution.OmittedValues {
		value, err := e.ReadValue(ctx, execution.ExecID, omitted.Path)
		if err != nil {
			return err
		}
		if !placeValue(execution, omitted.Path, value) {
			return &InternalError{BaseError: clientError(
				fmt.Sprintf("The server left out a value at '%s', which names no value of the execution.", omitted.Path), ReasonInternal,
				map[string]string{"exec_id": execution.ExecID, "path": omitted.Path})}
		}
	}
	execution.OmittedValues = nil
	return nil
}

func placeValue(execution *Execution, path string, value any) bool {
	switch path {
	case "input":
		object, ok := value.(map[string]any)
		execution.Input = object
		return ok
	case "result":
		execution.Result = value
		return true
	}
	parts := strings.Split(path, "/")
	if len(parts) == 3 && parts[0] == "waits" && parts[2] == "value" {
		for i := range execution.Waits {
			if execution.Waits[i].Name == parts[1] {
				execution.Waits[i].Value = value
				return true
			}
		}
		return false
	}
	if len(parts) != 3 || parts[0] != "checkpoints" {
		return false
	}
	for i := range execution.Checkpoints {
		call := &execution.Checkpoints[i]
		if call.InvocationID != parts[1] {
			continue
		}
		switch parts[2] {
		case "output":
			call.Output = value
			return true
		case "override_value":
			call.OverrideValue = value
			return true
		}
	}
	return false
}

func omittedValuesFromProto(values []*runnerv1.OmittedValue) []OmittedValue {
	omitted := make([]OmittedValue, 0, len(values))
	for _, v := range values {
		omitted = append(omitted, OmittedValue{Path: v.GetPath(), Bytes: int64(v.GetBytes())})
	}
	return omitted
}

// fillOmittedEventValue reads the result or the wait's answer a watch event
// left out (beyond one message's value budget) into event. A value that
// cannot be read stays nil; the stream goes on.
func (e *ExecutionsClient) fillOmittedEventValue(ctx context.Context, source *runnerv1.ExecutionEvent, event *Event) {
	switch k := source.GetKind().(type) {
	case *runnerv1.ExecutionEvent_StatusChanged:
		e.fillOmittedResult(ctx, source.GetExecId(), event.StatusChange, k.StatusChanged.GetOmittedValues())
	case *runnerv1.ExecutionEvent_WaitResolved:
		for _, omitted := range k.WaitResolved.GetOmittedValues() {
			if value, err := e.ReadValue(ctx, source.GetExecId(), omitted.GetPath()); err == nil && event.Wait != nil {
				event.Wait.Value = value
			}
		}
	}
}

// fillOmittedResult reads the result a status change left out into change.
func (e *ExecutionsClient) fillOmittedResult(ctx context.Context, execID string, change *StatusChange, omitted []*runnerv1.OmittedValue) {
	for _, o := range omitted {
		if value, err := e.ReadValue(ctx, execID, o.GetPath()); err == nil && change != nil {
			change.Result = value
		}
	}
}
