/**
 * Raw gRPC clients of the services a test started (in-process or as
 * processes), each on an HTTP/2 connection of its own, all closed by one
 * `close()` in the test's `after`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";

/** How to reach a service; plain HTTP/2 unless `ca` is given. */
export interface ClientOptions {
  /** PEM of the CA that signed the server's certificate: the client speaks TLS (https). */
  readonly ca?: string;
  /** Largest message the client reads or writes, in bytes (connect's default otherwise). */
  readonly readMaxBytes?: number;
  readonly writeMaxBytes?: number;
}

/** The clients a test opened; {@link close} aborts their connections. */
export class ClientSessions {
  readonly #sessions: Http2SessionManager[] = [];

  /** A client of `service` at `address` ("host:port"), on a new connection. */
  client<S extends DescService>(service: S, address: string, options: ClientOptions = {}): Client<S> {
    const baseUrl = `${options.ca === undefined ? "http" : "https"}://${address}`;
    const sessionManager = new Http2SessionManager(baseUrl, undefined, options.ca === undefined ? undefined : { ca: options.ca });
    this.#sessions.push(sessionManager);
    const { readMaxBytes, writeMaxBytes } = options;
    return createClient(
      service,
      createGrpcTransport({ baseUrl, sessionManager, ...(readMaxBytes ? { readMaxBytes } : {}), ...(writeMaxBytes ? { writeMaxBytes } : {}) }),
    );
  }

  /** Aborts every connection opened so far (calls in flight fail); more clients may be opened after. */
  close(): void {
    for (const session of this.#sessions.splice(0)) session.abort();
  }
}

/** The ConnectError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}
