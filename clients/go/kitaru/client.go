package kitaru

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	plannerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/planner/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

// Client is a connection to a kitaru runner and planner over gRPC.
//
//	client, err := kitaru.NewClient(kitaru.Options{}) // KITARU_RUNNER_URL, KITARU_PLANNER_URL, KITARU_TOKEN
//	if err != nil { ... }
//	defer client.Close()
//	replayed, err := client.Executions.Replay(ctx, "kr-a8f3c2", kitaru.ReplayOptions{From: "write_draft"})
type Client struct {
	// Executions reads, steers, replays and follows executions.
	Executions *ExecutionsClient
	// Flows starts executions and lists the flows.
	Flows *FlowsClient
	// ReplayJobs replays many executions at once and compares each replay with its source.
	ReplayJobs *ReplayJobsClient
	// Runner is the lower layer: Runner.Stub is the generated RunnerService
	// client, every RPC (Runner.Internal: the internal GetCallGraph and StartReplay), with the
	// client's token, deadline, request IDs and retries, and KitaruErrors.
	Runner *RunnerClient
	// Planner is the same for the PlannerService.
	Planner *PlannerClient
	// RunnerURL and PlannerURL are the URLs in use.
	RunnerURL, PlannerURL string
}

// NewClient opens a client of the runner and planner that opts (and the
// environment) name. Connections open lazily, on the first call; close the
// client when done. A bad URL or TLS option is a *UsageError.
func NewClient(opts Options) (*Client, error) {
	s, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	runnerConn, err := s.dial(s.runner)
	if err != nil {
		return nil, err
	}
	plannerConn, err := s.dial(s.planner)
	if err != nil {
		_ = runnerConn.Close()
		return nil, err
	}
	timeout := max(s.timeout, 0)
	runner := &RunnerClient{Stub: runnerv1.NewRunnerServiceClient(runnerConn), Internal: runnerv1.NewRunnerInternalServiceClient(runnerConn), Timeout: timeout, conn: runnerConn}
	planner := &PlannerClient{Stub: plannerv1.NewPlannerServiceClient(plannerConn), conn: plannerConn}
	executions := &ExecutionsClient{runner: runner.Stub, planner: planner.Stub}
	return &Client{
		Executions: executions,
		Flows:      &FlowsClient{runner: runner.Stub, executions: executions, maxAttempts: s.maxAttempts},
		ReplayJobs: &ReplayJobsClient{planner: planner.Stub},
		Runner:     runner,
		Planner:    planner,
		RunnerURL:  s.runner.url,
		PlannerURL: s.planner.url,
	}, nil
}

// Close closes both connections; calls in flight fail.
func (c *Client) Close() error {
	return errors.Join(c.Runner.Close(), c.Planner.Close())
}

// PlannerClient holds the generated PlannerService client of a Client.
type PlannerClient struct {
	// Stub is the generated client, with the Client's token, deadline,
	// request IDs and retries, and KitaruErrors.
	Stub plannerv1.PlannerServiceClient

	conn *grpc.ClientConn
}

// Close closes the connection.
func (c *PlannerClient) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// RunnerClient is the lower layer of the RunnerService: Stub, the generated
// client, and a few wrappers taking plain arguments. Every method returns
// the generated message, or a KitaruError when the call failed. The Runner
// of a Client, and a RunnerClient from NewRunnerClient, decode the errors of
// every Stub call, send request IDs and retry the creating calls (see
// interceptors.go); with NewRunnerClientFromConn, pass Stub's errors through
// FromStatus yourself.
//
//	runner, err := kitaru.NewRunnerClient("127.0.0.1:50051")
//	if err != nil { ... }
//	defer runner.Close()
//	execution, err := runner.StartExecution(ctx, "content_pipeline", map[string]any{"topic": "agents"})
type RunnerClient struct {
	// Stub is the generated client.
	Stub runnerv1.RunnerServiceClient
	// Internal is the generated client of the runner's internal service
	// (GetCallGraph, StartReplay): what the planner calls. Applications use
	// the PlannerService; a runner that requires tokens accepts only service
	// tokens here.
	Internal runnerv1.RunnerInternalServiceClient
	// Timeout is the deadline of each call whose context has none (0: none).
	Timeout time.Duration

	conn *grpc.ClientConn // owned connection, closed by Close; nil for NewRunnerClientFromConn
}

// NewRunnerClient opens a client to a runner at address ("host:port"). With
// no options the connection is plaintext (insecure credentials); pass
// grpc.WithTransportCredentials to use TLS. Timeout defaults to 30s. Prefer
// NewClient, which reads URLs, token and TLS options like the CLI.
func NewRunnerClient(address string, opts ...grpc.DialOption) (*RunnerClient, error) {
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	opts = append(opts,
		grpc.WithChainUnaryInterceptor(interceptors(DefaultMaxAttempts, 0)...),
		grpc.WithChainStreamInterceptor(decodeStreamErrors))
	conn, err := grpc.NewClient(address, opts...)
	if err != nil {
		return nil, fmt.Errorf("kitaru: connecting to runner %q: %w", address, err)
	}
	return &RunnerClient{Stub: runnerv1.NewRunnerServiceClient(conn), Internal: runnerv1.NewRunnerInternalServiceClient(conn), Timeout: DefaultTimeout, conn: conn}, nil
}

// NewRunnerClientFromConn wraps a connection you own (Close leaves it open).
func NewRunnerClientFromConn(conn grpc.ClientConnInterface) *RunnerClient {
	return &RunnerClient{Stub: runnerv1.NewRunnerServiceClient(conn), Internal: runnerv1.NewRunnerInternalServiceClient(conn), Timeout: DefaultTimeout}
}

// Close closes the connection opened by NewRunnerClient.
func (c *RunnerClient) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

func (c *RunnerClient) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, has := ctx.Deadline(); has || c.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.Timeout)
}

// StartOption configures StartExecution and Flows.Run.
type StartOption func(*runnerv1.StartExecutionRequest)

// WithRequestID sets the request ID of StartExecution / Flows.Run: the same
// ID returns the same execution. Without it a new UUID is sent.
func WithRequestID(id string) StartOption {
	return func(r *runnerv1.StartExecutionRequest) { r.RequestId = id }
}

// StartExecution starts an execution of flowName with a JSON object as input
// (nil: {}); returns it (status RUNNING). Input failing the flow's schema is a
// *UsageError with Violations.
func (c *RunnerClient) StartExecution(ctx context.Context, flowName string, input map[string]any, opts ...StartOption) (*runnerv1.Execution, error) {
	in, err := structpb.NewStruct(input)
	if err != nil {
		return nil, fmt.Errorf("kitaru: flow input is not JSON-like: %w", err)
	}
	req := &runnerv1.StartExecutionRequest{FlowName: flowName, Input: in}
	for _, opt := range opts {
		opt(req)
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	res, err := c.Stub.StartExecution(ctx, req)
	if err != nil {
		return nil, FromStatus(err)
	}
	return res.GetExecution(), nil
}

// GetExecution reads one execution; full includes the checkpoint calls and
// their outputs (EXECUTION_VIEW_FULL). An unknown ID is a *NotFoundError.
func (c *RunnerClient) GetExecution(ctx context.Context, execID string, full bool) (*runnerv1.Execution, error) {
	view := runnerv1.ExecutionView_EXECUTION_VIEW_BASIC
	if full {
		view = runnerv1.ExecutionView_EXECUTION_VIEW_FULL
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	res, err := c.Stub.GetExecution(ctx, &runnerv1.GetExecutionRequest{ExecId: execID, View: view})
	if err != nil {
		return nil, FromStatus(err)
	}
	return res.GetExecution(), nil
}

// ListPendingWaits returns the pending waits of an execution, oldest first.
func (c *RunnerClient) ListPendingWaits(ctx context.Context, execID string) ([]*runnerv1.Wait, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	res, err := c.Stub.ListPendingWaits(ctx, &runnerv1.ListPendingWaitsRequest{ExecId: execID})
	if err != nil {
		return nil, FromStatus(err)
	}
	return res.GetWaits(), nil
}

// ResolveWait answers a pending wait (by name or wait ID) with a JSON-like
// value (as accepted by structpb.NewValue); the execution continues. A value
// failing the wait's schema is a *WaitValidationError; an execution without
// such a pending wait gives a *StateError.
func (c *RunnerClient) ResolveWait(ctx context.Context, execID, wait string, value any) (*runnerv1.Execution, error) {
	v, err := structpb.NewValue(value)
	if err != nil {
		return nil, fmt.Errorf("kitaru: wait value is not JSON-like: %w", err)
	}
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	res, err := c.Stub.ResolveWait(ctx, &runnerv1.ResolveWaitRequest{ExecId: execID, Wait: wait, Value: v})
	if err != nil {
		return nil, FromStatus(err)
	}
	return res.GetExecution(), nil
}
