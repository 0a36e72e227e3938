package kitaru

import (
	"context"

	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

// FlowsClient starts executions of the flows a runner serves: Client.Flows.
type FlowsClient struct {
	runner runnerv1.RunnerServiceClient
}

// Run starts an execution of flowName with a JSON object as input (nil: {})
// and returns it (usually running). The request carries a request ID
// (WithRequestID, or a new UUID) and is retried with it on UNAVAILABLE or
// DEADLINE_EXCEEDED, so one call starts one execution; the same ID again
// returns the same execution. Input the flow's schema rejects is a
// *UsageError with Violations; an unknown flow, a *NotFoundError.
func (f *FlowsClient) Run(ctx context.Context, flowName string, input map[string]any, opts ...StartOption) (*Execution, error) {
	in, err := jsonStruct("input", input)
	if err != nil {
		return nil, err
	}
	req := &runnerv1.StartExecutionRequest{FlowName: flowName, Input: in}
	for _, opt := range opts {
		opt(req)
	}
	res, err := f.runner.StartExecution(ctx, req)
	if err != nil {
		return nil, err
	}
	return executionFromProto(res.GetExecution()), nil
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
