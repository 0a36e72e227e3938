package kitaru_test

// Connection options without the real services: environment defaults, URLs,
// the bearer token, TLS and mutual TLS, deadlines, and retries with one
// request ID, against small in-process gRPC servers built on the generated
// server interfaces.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	plannerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/planner/v1"
	runnerv1 "github.com/kitaru-dev/kitaru/clients/go/gen/kitaru/runner/v1"
	"github.com/kitaru-dev/kitaru/clients/go/kitaru"
)

// recorder is what the fake services saw, and the failures to inject.
type recorder struct {
	mu          sync.Mutex
	calls       []string // method names, in order
	auth        []string // the authorization header of each call
	requestIDs  []string
	unavailable int           // the next N creating calls fail with UNAVAILABLE
	delay       time.Duration // GetExecution sleeps this long
}

func (r *recorder) saw(ctx context.Context, method string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	md, _ := metadata.FromIncomingContext(ctx)
	r.calls = append(r.calls, method)
	r.auth = append(r.auth, strings.Join(md.Get("authorization"), ","))
}

func (r *recorder) creating(requestID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requestIDs = append(r.requestIDs, requestID)
	if r.unavailable > 0 {
		r.unavailable--
		return status.Error(codes.Unavailable, "try again")
	}
	return nil
}

// reset forgets what was seen and fails the next `unavailable` creating calls.
func (r *recorder) reset(unavailable int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls, r.auth, r.requestIDs, r.unavailable = nil, nil, nil, unavailable
}

func (r *recorder) snapshot() (calls, auth, requestIDs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...), append([]string(nil), r.auth...), append([]string(nil), r.requestIDs...)
}

type fakeRunner struct {
	runnerv1.UnimplementedRunnerServiceServer
	r *recorder
}

func execution(id string) *runnerv1.Execution {
	return &runnerv1.Execution{ExecId: id, FlowName: "f", Status: runnerv1.ExecutionStatus_EXECUTION_STATUS_RUNNING}
}

func (f fakeRunner) StartExecution(ctx context.Context, req *runnerv1.StartExecutionRequest) (*runnerv1.StartExecutionResponse, error) {
	f.r.saw(ctx, "StartExecution")
	if err := f.r.creating(req.GetRequestId()); err != nil {
		return nil, err
	}
	if req.GetFlowName() == "refused" {
		return nil, status.Error(codes.InvalidArgument, "refused")
	}
	return &runnerv1.StartExecutionResponse{Execution: execution("kr-started")}, nil
}

func (f fakeRunner) GetExecution(ctx context.Context, req *runnerv1.GetExecutionRequest) (*runnerv1.GetExecutionResponse, error) {
	f.r.saw(ctx, "GetExecution")
	select {
	case <-time.After(f.r.delay):
	case <-ctx.Done():
	}
	return &runnerv1.GetExecutionResponse{Execution: execution(req.GetExecId())}, nil
}

func (f fakeRunner) ResolveWait(ctx context.Context, _ *runnerv1.ResolveWaitRequest) (*runnerv1.ResolveWaitResponse, error) {
	f.r.saw(ctx, "ResolveWait")
	return nil, status.Error(codes.Unavailable, "down")
}

func (f fakeRunner) WatchExecution(req *runnerv1.WatchExecutionRequest, stream grpc.ServerStreamingServer[runnerv1.WatchExecutionResponse]) error {
	f.r.saw(stream.Context(), "WatchExecution")
	change := &runnerv1.StatusChange{Status: runnerv1.ExecutionStatus_EXECUTION_STATUS_COMPLETED}
	event := &runnerv1.ExecutionEvent{ExecId: req.GetExecId(), Kind: &runnerv1.ExecutionEvent_StatusChanged{StatusChanged: change}}
	return stream.Send(&runnerv1.WatchExecutionResponse{Event: event})
}

type fakePlanner struct {
	plannerv1.UnimplementedPlannerServiceServer
	r *recorder
}

func (f fakePlanner) ReplayExecution(ctx context.Context, req *plannerv1.ReplayExecutionRequest) (*plannerv1.ReplayExecutionResponse, error) {
	f.r.saw(ctx, "ReplayExecution")
	if err := f.r.creating(req.GetRequestId()); err != nil {
		return nil, err
	}
	return &plannerv1.ReplayExecutionResponse{Execution: execution("kr-replayed")}, nil
}

// serve starts both fake services on one port; returns the recorder and "127.0.0.1:port".
func serve(t *testing.T, opts ...grpc.ServerOption) (*recorder, string) {
	t.Helper()
	r := &recorder{}
	address := serveWith(t, func(server *grpc.Server) {
		runnerv1.RegisterRunnerServiceServer(server, fakeRunner{r: r})
		plannerv1.RegisterPlannerServiceServer(server, fakePlanner{r: r})
	}, opts...)
	return r, address
}

// serveWith starts a gRPC server with the services register adds, stopped at
// the end of the test; returns "127.0.0.1:port".
func serveWith(t *testing.T, register func(*grpc.Server), opts ...grpc.ServerOption) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer(opts...)
	register(server)
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(server.Stop)
	return listener.Addr().String()
}

// clearEnv unsets the connection variables for one test.
func clearEnv(t *testing.T) {
	for _, name := range []string{"KITARU_RUNNER_URL", "KITARU_PLANNER_URL", "KITARU_TOKEN", "KITARU_CA_FILE", "KITARU_CLIENT_CERT", "KITARU_CLIENT_KEY"} {
		t.Setenv(name, "")
	}
}

func newClient(t *testing.T, opts kitaru.Options) *kitaru.Client {
	t.Helper()
	c, err := kitaru.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// plainClient starts the fake services and a plaintext client of both, with opts besides the URLs.
func plainClient(t *testing.T, opts kitaru.Options) (*recorder, *kitaru.Client) {
	t.Helper()
	r, address := serve(t)
	opts.RunnerURL, opts.PlannerURL = "http://"+address, "http://"+address
	return r, newClient(t, opts)
}

func TestDefaultsComeFromTheEnvironmentLikeTheCLI(t *testing.T) {
	clearEnv(t)
	c := newClient(t, kitaru.Options{})
	if c.RunnerURL != kitaru.DefaultRunnerURL || c.PlannerURL != kitaru.DefaultPlannerURL {
		t.Errorf("urls = %s, %s", c.RunnerURL, c.PlannerURL)
	}
	t.Setenv("KITARU_RUNNER_URL", " http://runner:7000 ")
	t.Setenv("KITARU_PLANNER_URL", "https://planner:7001")
	c = newClient(t, kitaru.Options{})
	if c.RunnerURL != "http://runner:7000" || c.PlannerURL != "https://planner:7001" {
		t.Errorf("urls = %s, %s", c.RunnerURL, c.PlannerURL)
	}
	c = newClient(t, kitaru.Options{RunnerURL: "http://other:1"})
	if c.RunnerURL != "http://other:1" {
		t.Errorf("an option must win over its variable: %s", c.RunnerURL)
	}
}

func TestBadURLsAndTLSOptionsAreUsageErrors(t *testing.T) {
	clearEnv(t)
	cases := []kitaru.Options{
		{RunnerURL: "127.0.0.1:50051"},
		{RunnerURL: "grpc://host:1"},
		{PlannerURL: "http://host:1/path"},
		{RunnerURL: "https://h:1", ClientCert: "cert.pem"},
		{RunnerURL: "https://h:1", CAFile: "/no/such/ca.pem"},
		{TLSConfig: &tls.Config{}, CAFile: "ca.pem"},
		{MaxAttempts: -1},
		{Token: strings.Repeat("t", 300_000)}, // past what a request header carries
	}
	for _, opts := range cases {
		_, err := kitaru.NewClient(opts)
		var u *kitaru.UsageError
		if !errors.As(err, &u) {
			t.Errorf("NewClient(%+v) = %v, want a *UsageError", opts, err)
		}
	}
}

func TestTheTokenIsSentOnEveryUnaryAndStreamingCall(t *testing.T) {
	clearEnv(t)
	t.Setenv("KITARU_TOKEN", "s3cret")
	r, c := plainClient(t, kitaru.Options{})
	ctx := context.Background()
	if _, err := c.Executions.Get(ctx, "kr-x"); err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Executions.Watch(ctx, "kr-x", kitaru.WatchOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Executions.Replay(ctx, "kr-x", kitaru.ReplayOptions{From: "a"}); err != nil {
		t.Fatal(err)
	}
	calls, auth, _ := r.snapshot()
	if strings.Join(calls, ",") != "GetExecution,WatchExecution,ReplayExecution" {
		t.Errorf("calls = %v", calls)
	}
	for i, a := range auth {
		if a != "Bearer s3cret" {
			t.Errorf("call %s sent authorization %q", calls[i], a)
		}
	}
}

func TestDeadlinesPerClientAndPerCall(t *testing.T) {
	clearEnv(t)
	r, c := plainClient(t, kitaru.Options{Timeout: 100 * time.Millisecond})
	r.delay = 500 * time.Millisecond
	_, err := c.Executions.Get(context.Background(), "kr-slow")
	var b *kitaru.BackendError
	if !errors.As(err, &b) || b.Code() != codes.DeadlineExceeded {
		t.Fatalf("got %T %v, want a *BackendError with DEADLINE_EXCEEDED", err, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if e, err := c.Executions.Get(ctx, "kr-slow"); err != nil || e.ExecID != "kr-slow" {
		t.Fatalf("a context deadline must replace the default: %v %v", e, err)
	}
}

func TestRunAndReplayRetryUnavailableWithOneRequestID(t *testing.T) {
	clearEnv(t)
	r, c := plainClient(t, kitaru.Options{})
	ctx := context.Background()

	r.reset(2)
	started, err := c.Flows.Run(ctx, "f", map[string]any{"topic": "x"})
	if err != nil || started.ExecID != "kr-started" {
		t.Fatalf("Run = %v, %v", started, err)
	}
	_, _, ids := r.snapshot()
	if len(ids) != 3 || ids[0] == "" || ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("request IDs of the attempts = %q, want 3 equal non-empty IDs", ids)
	}

	r.reset(1)
	if _, err := c.Executions.Replay(ctx, "kr-src", kitaru.ReplayOptions{From: "a", RequestID: "mine"}); err != nil {
		t.Fatal(err)
	}
	if _, _, ids := r.snapshot(); strings.Join(ids, ",") != "mine,mine" {
		t.Errorf("request IDs = %q", ids)
	}

	r.reset(0)
	for range 2 {
		if _, err := c.Flows.Run(ctx, "f", nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, ids := r.snapshot(); len(ids) != 2 || ids[0] == ids[1] {
		t.Errorf("two runs without an ID must send two IDs: %q", ids)
	}
}

func TestRetriesAreBoundedAndOnlyForUnavailableCreatingCalls(t *testing.T) {
	clearEnv(t)
	r, c := plainClient(t, kitaru.Options{MaxAttempts: 2})
	ctx := context.Background()

	r.reset(5)
	_, err := c.Flows.Run(ctx, "f", nil)
	var b *kitaru.BackendError
	if !errors.As(err, &b) {
		t.Fatalf("got %T %v, want *BackendError", err, err)
	}
	if _, _, ids := r.snapshot(); len(ids) != 2 {
		t.Errorf("attempts = %d, want MaxAttempts = 2", len(ids))
	}

	r.reset(0)
	_, err = c.Flows.Run(ctx, "refused", nil)
	var u *kitaru.UsageError
	if !errors.As(err, &u) {
		t.Fatalf("got %T %v, want *UsageError", err, err)
	}
	if _, _, ids := r.snapshot(); len(ids) != 1 {
		t.Errorf("a refused request was sent %d times", len(ids))
	}

	// An answer to a wait carries no request ID: it is never sent twice.
	r.reset(0)
	if _, err := c.Executions.Input(ctx, "kr-x", "w", 1); !errors.As(err, &b) {
		t.Fatalf("got %T %v, want *BackendError", err, err)
	}
	if calls, _, _ := r.snapshot(); strings.Join(calls, ",") != "ResolveWait" {
		t.Errorf("calls = %v", calls)
	}
}

// pki is a throwaway CA with a server certificate for 127.0.0.1 and a client certificate, as PEM files.
type pki struct {
	caFile, clientCert, clientKey string
	server                        tls.Certificate
	pool                          *x509.CertPool
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), cryptorand.Reader)
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kitaru test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(cryptorand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), cryptorand.Reader)
		template := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, KeyUsage: x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(cryptorand.Reader, template, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	}
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p := &pki{caFile: write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})), pool: x509.NewCertPool()}
	p.pool.AddCert(caCert)
	serverCert, serverKey := leaf(2, x509.ExtKeyUsageServerAuth)
	if p.server, err = tls.X509KeyPair(serverCert, serverKey); err != nil {
		t.Fatal(err)
	}
	clientCert, clientKey := leaf(3, x509.ExtKeyUsageClientAuth)
	p.clientCert, p.clientKey = write("client.pem", clientCert), write("client-key.pem", clientKey)
	return p
}

func TestHTTPSURLsUseTLSWithTheCAFile(t *testing.T) {
	clearEnv(t)
	p := newPKI(t)
	r, address := serve(t, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{p.server}})))
	url := "https://" + address
	ctx := context.Background()
	c := newClient(t, kitaru.Options{RunnerURL: url, PlannerURL: url, CAFile: p.caFile, Token: "over-tls"})
	if _, err := c.Executions.Get(ctx, "kr-tls"); err != nil {
		t.Fatal(err)
	}
	if _, auth, _ := r.snapshot(); auth[len(auth)-1] != "Bearer over-tls" {
		t.Errorf("authorization = %q", auth[len(auth)-1])
	}
	t.Setenv("KITARU_CA_FILE", p.caFile)
	if _, err := newClient(t, kitaru.Options{RunnerURL: url}).Executions.Get(ctx, "kr-env"); err != nil {
		t.Fatalf("KITARU_CA_FILE: %v", err)
	}
	t.Setenv("KITARU_CA_FILE", "")
	var b *kitaru.BackendError
	short := kitaru.Options{RunnerURL: url, Timeout: 5 * time.Second}
	if _, err := newClient(t, short).Executions.Get(ctx, "kr-untrusted"); !errors.As(err, &b) {
		t.Errorf("system roots must not trust the test CA: %v", err)
	}
	short.RunnerURL = "http://" + address
	if _, err := newClient(t, short).Executions.Get(ctx, "kr-plaintext"); !errors.As(err, &b) {
		t.Errorf("plaintext must not reach a TLS server: %v", err)
	}
}

func TestMutualTLSSendsTheClientCertificate(t *testing.T) {
	clearEnv(t)
	p := newPKI(t)
	_, address := serve(t, grpc.Creds(credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{p.server}, ClientCAs: p.pool, ClientAuth: tls.RequireAndVerifyClientCert,
	})))
	url := "https://" + address
	ctx := context.Background()
	c := newClient(t, kitaru.Options{RunnerURL: url, CAFile: p.caFile, ClientCert: p.clientCert, ClientKey: p.clientKey})
	if _, err := c.Executions.Get(ctx, "kr-mtls"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KITARU_CLIENT_CERT", p.clientCert)
	t.Setenv("KITARU_CLIENT_KEY", p.clientKey)
	if _, err := newClient(t, kitaru.Options{RunnerURL: url, CAFile: p.caFile}).Executions.Get(ctx, "kr-env"); err != nil {
		t.Fatalf("KITARU_CLIENT_CERT/KEY: %v", err)
	}
	t.Setenv("KITARU_CLIENT_CERT", "")
	t.Setenv("KITARU_CLIENT_KEY", "")
	var b *kitaru.BackendError
	without := newClient(t, kitaru.Options{RunnerURL: url, CAFile: p.caFile, Timeout: 5 * time.Second})
	if _, err := without.Executions.Get(ctx, "kr-no-cert"); !errors.As(err, &b) {
		t.Errorf("a server requiring a client certificate accepted none: %v", err)
	}
	pair, err := tls.LoadX509KeyPair(p.clientCert, p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	own := newClient(t, kitaru.Options{RunnerURL: url, TLSConfig: &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{pair}}})
	if _, err := own.Executions.Get(ctx, "kr-own"); err != nil {
		t.Fatalf("TLSConfig: %v", err)
	}
}

func TestNewRequestIDIsAUUID(t *testing.T) {
	id := kitaru.NewRequestID()
	if len(id) != 36 || id[14] != '4' || strings.Count(id, "-") != 4 || id == kitaru.NewRequestID() {
		t.Errorf("NewRequestID() = %q", id)
	}
}
