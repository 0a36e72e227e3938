package kitaru

import (
	"context"
	"errors"
	"io"

	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

// FlowsClient starts executions of the flows a runner serves: Client.Flows.
type FlowsClient struct {
	runner     runnerv1.RunnerServiceClient
	executions *ExecutionsClient
	// maxAttempts bounds Execute's attempts, as Options.MaxAttempts bounds the unary creating calls'.
	maxAttempts int
}

// Run starts an execution of flowName with a JSON object as input (nil: {})
// and returns it (usually running). The request carries a request ID
// (WithRequestID, or a new UUID) and is retried with it on UNAVAILABLE or
// DEADLINE_EXCEEDED, so one call starts one execution; the same ID again
// returns the same execution. Input the flow's schema rejects is a
// *UsageError with Violations; an unknown flow, a *NotFoundError.
func (f *FlowsClient) Run(ctx context.Context, flowName string, input map[string]any, opts ...StartOption) (*Execution, error) {
	req, err := startRequest(flowName, input, opts)
	if err != nil {
		return nil, err
	}
	res, err := f.runner.StartExecution(ctx, req)
	if err != nil {
		return nil, err
	}
	return executionFromProto(res.GetExecution()), nil
}

// Execute runs an execution of flowName to its end and returns the flow's
// result (a JSON value), in one call where Run and then Executions.Result
// make several: StartAndWatchExecution starts it as Run does (WithRequestID,
// or a new UUID; retried with it on UNAVAILABLE or DEADLINE_EXCEEDED up to
// Options.MaxAttempts times, which starts nothing new and follows the same
// execution) and streams its status
// until it settles; the settled execution is then read once. It returns the
// errors Run and Result return (a *PendingWaitError for an execution that
// stops at a wait: answer it, then call Executions.Result).
func (f *FlowsClient) Execute(ctx context.Context, flowName string, input map[string]any, opts ...StartOption) (any, error) {
	start, err := startRequest(flowName, input, opts)
	if err != nil {
		return nil, err
	}
	if start.GetRequestId() == "" {
		start.RequestId = NewRequestID()
	}
	req := &runnerv1.StartAndWatchExecutionRequest{FlowName: start.GetFlowName(), Input: start.GetInput(), RequestId: start.GetRequestId()}
	var execID string
	var settled bool
	err = retryUnderRequestID(ctx, f.maxAttempts, func() (err error) {
		execID, settled, err = f.startAndWatch(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !settled { // the stream ended first (a runner restarting): follow it as Result does
		return f.executions.Result(ctx, execID)
	}
	res, err := f.runner.GetExecution(ctx, &runnerv1.GetExecutionRequest{ExecId: execID})
	if err != nil {
		return nil, err
	}
	return outcome(res.GetExecution())
}

// startRequest is the StartExecutionRequest of Run (and the fields Execute
// sends): flowName, the input as a Struct, the options applied.
func startRequest(flowName string, input map[string]any, opts []StartOption) (*runnerv1.StartExecutionRequest, error) {
	in, err := jsonStruct("input", input)
	if err != nil {
		return nil, err
	}
	req := &runnerv1.StartExecutionRequest{FlowName: flowName, Input: in}
	for _, opt := range opts {
		opt(req)
	}
	return req, nil
}

// startAndWatch reads one StartAndWatchExecution stream to its end: the
// execution's ID, and whether a settling status change came.
func (f *FlowsClient) startAndWatch(ctx context.Context, req *runnerv1.StartAndWatchExecutionRequest) (execID string, settled bool, err error) {
	stream, err := f.runner.StartAndWatchExecution(ctx, req)
	if err != nil {
		return "", false, err
	}
	for {
		res, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return execID, settled, nil
		}
		if err != nil {
			return execID, settled, err
		}
		if execution := res.GetExecution(); execution != nil {
			execID = execution.GetExecId()
		}
		if change := res.GetEvent().GetStatusChanged(); change != nil {
			s := executionStatusFromProto(change.GetStatus())
			settled = settled || s.Terminal() || s == StatusWaiting
		}
	}
}

// List returns the flows the runner serves, sorted by name, with the JSON
// Schema of their input and the flow version the runner serves them with.
func (f *FlowsClient) List(ctx context.Context) ([]Flow, error) {
	res, err := f.runner.ListFlows(ctx, &runnerv1.ListFlowsRequest{})
	if err != nil {
		return nil, err
	}
	flows := make([]Flow, 0, len(res.GetFlows()))
	for _, flow := range res.GetFlows() {
		flows = append(flows, Flow{Name: flow.GetFlowName(), InputSchema: optionalObject(flow.GetInputSchema()), FlowVersion: res.GetFlowVersion()})
	}
	return flows, nil
}
