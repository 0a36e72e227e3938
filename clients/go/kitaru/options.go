package kitaru

// Where a Client connects and how: URLs, TLS, the bearer token, and the
// defaults from the same environment variables as the kitaru CLI:
//
//	KITARU_RUNNER_URL    RunnerService URL, default http://127.0.0.1:50051
//	KITARU_PLANNER_URL   PlannerService URL, default http://127.0.0.1:50052
//	KITARU_TOKEN         sent as "authorization: Bearer <token>" on every call
//	KITARU_CA_FILE       PEM CA(s) to trust for https:// (default: system roots)
//	KITARU_CLIENT_CERT   PEM client certificate for mutual TLS, with ...
//	KITARU_CLIENT_KEY    ... its PEM private key
//
// http://host:port means plaintext (h2c), https://host:port means TLS.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Defaults of Options.
const (
	DefaultRunnerURL   = "http://127.0.0.1:50051"
	DefaultPlannerURL  = "http://127.0.0.1:50052"
	DefaultTimeout     = 30 * time.Second
	DefaultMaxAttempts = 4
)

// Options configures NewClient. Every zero field takes its default: the
// environment variable, then the local default.
type Options struct {
	// RunnerURL is the RunnerService URL (KITARU_RUNNER_URL, DefaultRunnerURL).
	RunnerURL string
	// PlannerURL is the PlannerService URL (KITARU_PLANNER_URL, DefaultPlannerURL).
	PlannerURL string
	// Token is sent as "authorization: Bearer <token>" on every call (KITARU_TOKEN).
	Token string
	// Timeout is the deadline of each unary call whose context has none
	// (0: DefaultTimeout; negative: none). Streams get no default deadline.
	Timeout time.Duration
	// CAFile is a PEM file of the CA(s) to trust for https:// URLs
	// (KITARU_CA_FILE; default: the system roots).
	CAFile string
	// ClientCert and ClientKey are PEM files of a client certificate and its
	// key, for mutual TLS (KITARU_CLIENT_CERT, KITARU_CLIENT_KEY).
	ClientCert, ClientKey string
	// TLSConfig, when set, is used for https:// URLs instead of CAFile,
	// ClientCert and ClientKey (setting both is a *UsageError).
	TLSConfig *tls.Config
	// MaxAttempts bounds how often the idempotent creating calls
	// (StartExecution, StartReplay, ReplayExecution) are sent when the
	// service is unavailable, always with the same request ID (0: DefaultMaxAttempts).
	MaxAttempts int
	// DialOptions are added to the options of both connections.
	DialOptions []grpc.DialOption
}

// endpoint is a service address: the URL as given, the gRPC target host:port, and TLS or not.
type endpoint struct {
	url    string
	target string
	secure bool
}

// parseEndpoint reads http://host[:port] or https://host[:port] (and, with
// allowBare, a plain host:port meaning plaintext).
func parseEndpoint(option, raw string, allowBare bool) (endpoint, error) {
	text := strings.TrimSpace(raw)
	if allowBare && text != "" && !strings.Contains(text, "://") {
		return endpoint{url: text, target: text}, nil
	}
	u, err := url.Parse(text)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return endpoint{}, usageError(
			fmt.Sprintf("`%s` must be an http:// or https:// URL (http://host:port). Received: '%s'.", option, raw),
			map[string]string{"option": option, "url": raw})
	}
	secure := u.Scheme == "https"
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "443", false: "80"}[secure]
	}
	return endpoint{url: text, target: net.JoinHostPort(u.Hostname(), port), secure: secure}, nil
}

// firstSet is value when it is not blank, else the environment variable name (trimmed).
func firstSet(value, name string) string {
	if v := strings.TrimSpace(value); v != "" {
		return v
	}
	return strings.TrimSpace(os.Getenv(name))
}

// settings are Options with every default applied.
type settings struct {
	runner, planner endpoint
	token           string
	timeout         time.Duration
	maxAttempts     int
	transport       credentials.TransportCredentials // for https endpoints; nil when both are plaintext
	dialOptions     []grpc.DialOption
}

func resolve(o Options) (*settings, error) {
	runnerURL := firstSet(o.RunnerURL, "KITARU_RUNNER_URL")
	if runnerURL == "" {
		runnerURL = DefaultRunnerURL
	}
	plannerURL := firstSet(o.PlannerURL, "KITARU_PLANNER_URL")
	if plannerURL == "" {
		plannerURL = DefaultPlannerURL
	}
	runner, err := parseEndpoint("RunnerURL", runnerURL, false)
	if err != nil {
		return nil, err
	}
	planner, err := parseEndpoint("PlannerURL", plannerURL, false)
	if err != nil {
		return nil, err
	}
	s := &settings{
		runner:      runner,
		planner:     planner,
		token:       firstSet(o.Token, "KITARU_TOKEN"),
		timeout:     o.Timeout,
		maxAttempts: o.MaxAttempts,
		dialOptions: o.DialOptions,
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	if s.maxAttempts == 0 {
		s.maxAttempts = DefaultMaxAttempts
	}
	if len(s.token) > maxTokenChars {
		// The services refuse request headers above 16 KiB; beyond ~64 KiB HTTP/2 closes the connection unexplained.
		option := "KITARU_TOKEN"
		if o.Token != "" {
			option = "Token"
		}
		return nil, usageError(fmt.Sprintf("`%s` is %d characters; a token is at most %d (it travels in a request header, and the services refuse headers above 16 KiB).",
			option, len(s.token), maxTokenChars), map[string]string{"option": option, "chars": fmt.Sprint(len(s.token))})
	}
	if s.maxAttempts < 0 {
		return nil, usageError("`MaxAttempts` must be >= 1.", map[string]string{"maxAttempts": fmt.Sprint(o.MaxAttempts)})
	}
	if o.TLSConfig != nil && (o.CAFile != "" || o.ClientCert != "" || o.ClientKey != "") {
		return nil, usageError("Give either `TLSConfig` or `CAFile`/`ClientCert`/`ClientKey`, not both.",
			map[string]string{"option": "TLSConfig"})
	}
	if runner.secure || planner.secure {
		config := o.TLSConfig
		if config == nil {
			config, err = tlsConfig(firstSet(o.CAFile, "KITARU_CA_FILE"),
				firstSet(o.ClientCert, "KITARU_CLIENT_CERT"), firstSet(o.ClientKey, "KITARU_CLIENT_KEY"))
			if err != nil {
				return nil, err
			}
		}
		s.transport = credentials.NewTLS(config)
	}
	return s, nil
}

// tlsConfig trusts the CAs in caFile (system roots when ""), and presents
// the client certificate when certFile and keyFile are given (both or neither).
func tlsConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, usageError(fmt.Sprintf("Cannot read `CAFile` '%s': %v.", caFile, err), map[string]string{"path": caFile})
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageError(fmt.Sprintf("`CAFile` '%s' holds no PEM certificate.", caFile), map[string]string{"path": caFile})
		}
		config.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, usageError("`ClientCert` and `ClientKey` go together (KITARU_CLIENT_CERT / KITARU_CLIENT_KEY): "+
			"give both for mutual TLS, or neither.", map[string]string{"clientCert": certFile, "clientKey": keyFile})
	}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, usageError(fmt.Sprintf("Cannot load the client certificate '%s' / '%s': %v.", certFile, keyFile, err),
				map[string]string{"clientCert": certFile, "clientKey": keyFile})
		}
		config.Certificates = []tls.Certificate{pair}
	}
	return config, nil
}

// maxTokenChars is the longest token sent (it travels in the authorization header).
const maxTokenChars = 8192

// bearerToken sends "authorization: Bearer <token>" on every call, over
// plaintext too (a TLS-terminating proxy in front of an http:// service).
type bearerToken string

func (t bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(t)}, nil
}

func (bearerToken) RequireTransportSecurity() bool { return false }

// dial opens (lazily) a connection to e with the client's credentials and interceptors.
func (s *settings) dial(e endpoint) (*grpc.ClientConn, error) {
	transport := insecure.NewCredentials()
	if e.secure {
		transport = s.transport
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(1 << 30)),
		grpc.WithChainUnaryInterceptor(interceptors(s.maxAttempts, s.timeout)...),
		grpc.WithChainStreamInterceptor(decodeStreamErrors),
	}
	if s.token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearerToken(s.token)))
	}
	conn, err := grpc.NewClient(e.target, append(opts, s.dialOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("kitaru: connecting to %s: %w", e.url, err)
	}
	return conn, nil
}
