package kitaru

// The interceptors every connection of a Client (and of NewRunnerClient)
// carries, so that every RPC of the generated clients behaves the same,
// whether called through Executions/Flows or through Runner.Stub and
// Planner.Stub. Outermost first:
//
//  1. decodeUnaryErrors / decodeStreamErrors: failures become KitaruErrors (FromStatus);
//  2. retryCreating: StartExecution, StartReplay, ReplayExecution and StartReplayJob always
//     carry a request ID (a new UUID when the request has none) and are sent
//     again with that same ID on UNAVAILABLE or DEADLINE_EXCEEDED, at most
//     maxAttempts times, with backoff; the services answer a repeated ID with
//     the execution (or job) the first attempt created, so a retry never duplicates work;
//  3. defaultDeadline: a unary call whose context has no deadline gets the
//     client's Timeout, per attempt.
//
// The token travels as per-RPC credentials (options.go).

import (
	"context"
	cryptorand "crypto/rand"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	plannerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/planner/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
)

// Backoff between attempts of a creating call: it starts here and doubles
// (with jitter) up to maxBackoff.
const (
	initialBackoff = 200 * time.Millisecond
	maxBackoff     = 2 * time.Second
)

// NewRequestID returns a fresh request ID (a random UUID), as sent when a
// creating call has none.
func NewRequestID() string {
	var b [16]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("kitaru: no randomness for a request ID: %v", err)) // crypto/rand.Read does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func interceptors(maxAttempts int, timeout time.Duration) []grpc.UnaryClientInterceptor {
	return []grpc.UnaryClientInterceptor{decodeUnaryErrors, retryCreating(maxAttempts), defaultDeadline(timeout)}
}

func decodeUnaryErrors(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return FromStatus(invoker(ctx, method, req, reply, cc, opts...))
}

// withRequestID returns req, or a copy carrying a new request ID when it is
// one of the creating requests and has none; ok reports whether req is one.
func withRequestID(req any) (out any, ok bool) {
	switch req.(type) {
	case *runnerv1.StartExecutionRequest, *runnerv1.StartReplayRequest,
		*plannerv1.ReplayExecutionRequest, *plannerv1.StartReplayJobRequest:
	default:
		return req, false
	}
	m := req.(proto.Message)
	field := m.ProtoReflect().Descriptor().Fields().ByName("request_id")
	if m.ProtoReflect().Get(field).String() != "" {
		return req, true
	}
	m = proto.Clone(m)
	m.ProtoReflect().Set(field, protoreflect.ValueOfString(NewRequestID()))
	return m, true
}

func retryCreating(maxAttempts int) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		req, creating := withRequestID(req)
		if !creating {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		return retryUnderRequestID(ctx, maxAttempts, func() error { return invoker(ctx, method, req, reply, cc, opts...) })
	}
}

// retryUnderRequestID makes a creating call (one carrying its request ID) up
// to maxAttempts times while it fails with UNAVAILABLE or DEADLINE_EXCEEDED,
// with backoff: the services answer a repeated ID with what the first attempt
// created. Unary calls get it from retryCreating, Flows.Execute's stream directly.
func retryUnderRequestID(ctx context.Context, maxAttempts int, call func() error) error {
	for attempt := 1; ; attempt++ {
		err := call()
		code := status.Code(err)
		if err == nil || (code != codes.Unavailable && code != codes.DeadlineExceeded) || attempt >= maxAttempts || ctx.Err() != nil {
			return err
		}
		pause := min(maxBackoff, initialBackoff<<(attempt-1))
		pause = pause/2 + rand.N(pause/2+1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
	}
}

func defaultDeadline(timeout time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, has := ctx.Deadline(); has || timeout <= 0 {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

func decodeStreamErrors(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, FromStatus(err)
	}
	return decodingStream{s}, nil
}

// decodingStream turns the errors of a server stream into KitaruErrors (io.EOF, the end, stays).
type decodingStream struct{ grpc.ClientStream }

func (s decodingStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err == nil || err == io.EOF {
		return err
	}
	return FromStatus(err)
}
