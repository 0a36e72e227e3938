package livetest

// The Go client against a live runner (address in KITARU_RUNNER_ADDR) serving
// the content_pipeline flow (test/fixtures/flows/content-pipeline.ts). Error
// types are checked from the status details alone. Every test is named
// TestLive* (test/clients/go-client.test.ts checks that they ran and passed).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
	"github.com/kitaru-dev/kitaru/clients/go/kitaru"
)

func client(t *testing.T) *kitaru.RunnerClient {
	t.Helper()
	address := os.Getenv("KITARU_RUNNER_ADDR")
	if address == "" {
		t.Skip("KITARU_RUNNER_ADDR is not set (no live runner)")
	}
	c, err := kitaru.NewRunnerClient(address)
	if err != nil {
		t.Fatal(err)
	}
	c.Timeout = 20 * time.Second
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func terminal(s runnerv1.ExecutionStatus) bool {
	switch s {
	case runnerv1.ExecutionStatus_EXECUTION_STATUS_COMPLETED,
		runnerv1.ExecutionStatus_EXECUTION_STATUS_FAILED,
		runnerv1.ExecutionStatus_EXECUTION_STATUS_CANCELLED:
		return true
	}
	return false
}

// waitUntilTerminal polls GetExecution (full view) until the execution ends or 20s pass.
func waitUntilTerminal(t *testing.T, c *kitaru.RunnerClient, execID string) *runnerv1.Execution {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		execution, err := c.GetExecution(context.Background(), execID, true)
		if err != nil {
			t.Fatalf("GetExecution(%s): %v", execID, err)
		}
		if terminal(execution.GetStatus()) || time.Now().After(deadline) {
			return execution
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLiveGeneratedStubRunsContentPipeline(t *testing.T) {
	c := client(t)
	// The raw generated stub, no wrapper: what any protoc-gen-go-grpc user gets.
	conn, err := grpc.NewClient(os.Getenv("KITARU_RUNNER_ADDR"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	input, err := structpb.NewStruct(map[string]any{"topic": "go clients"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := runnerv1.NewRunnerServiceClient(conn).StartExecution(ctx, &runnerv1.StartExecutionRequest{FlowName: "content_pipeline", Input: input})
	if err != nil {
		t.Fatalf("StartExecution: %v", kitaru.FromStatus(err))
	}
	started := res.GetExecution()
	if !strings.HasPrefix(started.GetExecId(), "kr-") || started.GetFlowName() != "content_pipeline" {
		t.Fatalf("started = %v", started)
	}

	done := waitUntilTerminal(t, c, started.GetExecId())
	if done.GetStatus() != runnerv1.ExecutionStatus_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("execution did not complete: %v", done)
	}
	if got, want := done.GetResult().AsInterface(), "published: draft about go clients from [notes on go clients]"; got != want {
		t.Errorf("result = %v, want %q", got, want)
	}
	var ids []string
	for _, call := range done.GetCheckpoints() {
		ids = append(ids, call.GetInvocationId())
	}
	if fmt.Sprint(ids) != "[research write_draft publish]" {
		t.Errorf("checkpoints = %v", ids)
	}
}

func TestLiveStartExecutionIsIdempotentOnRequestID(t *testing.T) {
	c := client(t)
	ctx := context.Background()
	requestID := fmt.Sprintf("go-%d", time.Now().UnixNano())
	first, err := c.StartExecution(ctx, "content_pipeline", map[string]any{"topic": "idempotency"}, kitaru.WithRequestID(requestID))
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.StartExecution(ctx, "content_pipeline", map[string]any{"topic": "idempotency"}, kitaru.WithRequestID(requestID))
	if err != nil {
		t.Fatal(err)
	}
	if first.GetExecId() != second.GetExecId() {
		t.Errorf("two executions for one request ID: %s, %s", first.GetExecId(), second.GetExecId())
	}
	if s := waitUntilTerminal(t, c, first.GetExecId()).GetStatus(); s != runnerv1.ExecutionStatus_EXECUTION_STATUS_COMPLETED {
		t.Errorf("status = %s", s)
	}
}

func TestLiveUnknownExecutionIsNotFoundWithResourceFromDetails(t *testing.T) {
	c := client(t)
	const id = "kr-aaaaaaaaaaaaaaaa"
	_, err := c.GetExecution(context.Background(), id, false)
	var nf *kitaru.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("got %T %v, want *kitaru.NotFoundError", err, err)
	}
	if nf.Code() != codes.NotFound || nf.Reason() != kitaru.ReasonNotFound {
		t.Errorf("code, reason = %s, %s", nf.Code(), nf.Reason())
	}
	if nf.ResourceType != "execution" || nf.ResourceName != id || nf.ResourceInfo == nil {
		t.Errorf("resource = %q %q", nf.ResourceType, nf.ResourceName)
	}
	if nf.Metadata["execId"] != id {
		t.Errorf("metadata = %v", nf.Metadata)
	}
	if _, has := nf.Metadata["grpcCode"]; has {
		t.Errorf("the runner's status had no kitaru ErrorInfo (metadata %v)", nf.Metadata)
	}
	var st *kitaru.StateError
	if !errors.As(err, &st) || st != &nf.StateError {
		t.Errorf("errors.As(*kitaru.StateError) failed on a NotFoundError")
	}
	var u *kitaru.UsageError
	if errors.As(err, &u) {
		t.Errorf("a NotFoundError matched UsageError")
	}
	if nf.Cause == nil {
		t.Errorf("Cause (the gRPC error) is nil")
	}
}

func TestLiveUnknownFlowIsNotFoundNamingTheFlow(t *testing.T) {
	c := client(t)
	_, err := c.StartExecution(context.Background(), "no_such_flow", nil)
	var nf *kitaru.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("got %T %v, want *kitaru.NotFoundError", err, err)
	}
	if nf.ResourceType != "flow" || nf.ResourceName != "no_such_flow" {
		t.Errorf("resource = %q %q", nf.ResourceType, nf.ResourceName)
	}
}

func TestLiveInvalidInputIsUsageErrorWithFieldViolations(t *testing.T) {
	c := client(t)
	_, err := c.StartExecution(context.Background(), "content_pipeline", map[string]any{"topic": ""})
	u, ok := err.(*kitaru.UsageError)
	if !ok {
		t.Fatalf("got %T %v, want *kitaru.UsageError", err, err)
	}
	if u.Code() != codes.InvalidArgument || u.Reason() != kitaru.ReasonUsage {
		t.Errorf("code, reason = %s, %s", u.Code(), u.Reason())
	}
	if u.Metadata["flowName"] != "content_pipeline" {
		t.Errorf("metadata = %v", u.Metadata)
	}
	if len(u.Violations) != 1 || u.Violations[0].Field != "topic" || u.Violations[0].Description == "" {
		t.Errorf("violations = %+v", u.Violations)
	}
	if u.BadRequest == nil || len(u.BadRequest.GetFieldViolations()) != 1 {
		t.Errorf("BadRequest = %v", u.BadRequest)
	}
}

func TestLiveResolveWaitWithoutPendingWaitsIsStateError(t *testing.T) {
	c := client(t)
	ctx := context.Background()
	execution, err := c.StartExecution(ctx, "content_pipeline", map[string]any{"topic": "no waits"})
	if err != nil {
		t.Fatal(err)
	}
	if s := waitUntilTerminal(t, c, execution.GetExecId()).GetStatus(); s != runnerv1.ExecutionStatus_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("status = %s", s)
	}
	_, err = c.ResolveWait(ctx, execution.GetExecId(), "approval", map[string]any{"approved": true})
	st, ok := err.(*kitaru.StateError)
	if !ok {
		t.Fatalf("got %T %v, want *kitaru.StateError", err, err)
	}
	if st.Code() != codes.FailedPrecondition || st.Reason() != kitaru.ReasonState {
		t.Errorf("code, reason = %s, %s", st.Code(), st.Reason())
	}
	if st.State == nil || st.State.GetExecId() != execution.GetExecId() || st.State.GetStatus() != "completed" || st.State.GetOperation() != "input" {
		t.Errorf("state detail = %v", st.State)
	}
	if st.WaitSelection != nil {
		t.Errorf("unexpected WaitSelection: %v", st.WaitSelection)
	}
}

func TestLiveMetadataAndLogsOfAChattyExecution(t *testing.T) {
	c := client(t)
	ctx := context.Background()
	// The chatty flow (test/fixtures/flows/observability.ts) logs metadata and writes log lines.
	execution, err := c.StartExecution(ctx, "chatty", map[string]any{"label": "go"})
	if err != nil {
		t.Fatal(err)
	}
	done := waitUntilTerminal(t, c, execution.GetExecId())
	if done.GetStatus() != runnerv1.ExecutionStatus_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("status = %s", done.GetStatus())
	}
	if got := done.GetMetadata().AsMap(); fmt.Sprint(got) != fmt.Sprint(map[string]any{"run": "go", "stage": "end"}) {
		t.Errorf("execution metadata = %v", got)
	}
	logs, err := c.Stub.ListExecutionLogs(ctx, &runnerv1.ListExecutionLogsRequest{ExecId: execution.GetExecId(), Checkpoint: "talk"})
	if err != nil {
		t.Fatal(kitaru.FromStatus(err))
	}
	var messages []string
	for _, entry := range logs.GetEntries() {
		messages = append(messages, entry.GetLevel().String()+" "+entry.GetMessage())
	}
	want := "LOG_LEVEL_INFO starting go with 3 items|LOG_LEVEL_INFO from the logger { label: 'go' }|LOG_LEVEL_WARN careful|LOG_LEVEL_ERROR something odd"
	if strings.Join(messages, "|") != want {
		t.Errorf("log lines = %q", messages)
	}
}

func TestLiveFailureCarriesItsStackTraceAndEveryAttempt(t *testing.T) {
	c := client(t)
	execution, err := c.StartExecution(context.Background(), "always_flaky", map[string]any{"label": "go"})
	if err != nil {
		t.Fatal(err)
	}
	failed := waitUntilTerminal(t, c, execution.GetExecId())
	if failed.GetStatus() != runnerv1.ExecutionStatus_EXECUTION_STATUS_FAILED {
		t.Fatalf("status = %s", failed.GetStatus())
	}
	if !strings.HasPrefix(failed.GetFailure().GetTraceback(), "UpstreamError: upstream refused attempt 3\n") {
		t.Errorf("traceback = %q", failed.GetFailure().GetTraceback())
	}
	attempts := failed.GetCheckpoints()[0].GetAttemptHistory()
	if len(attempts) != 3 || attempts[0].GetFailure().GetMessage() != "upstream refused attempt 1" {
		t.Errorf("attempt history = %v", attempts)
	}
}
