import type {
  MongoClient,
  ServerHeartbeatFailedEvent,
  ServerHeartbeatStartedEvent,
  ServerHeartbeatSucceededEvent,
  TopologyDescriptionChangedEvent,
} from "mongodb";

/** What the driver last did and saw for one server. */
interface ServerCheck {
  type: string;
  /** The error the driver holds against the server (why it is not selectable), if any. */
  error?: string;
  lastCheckStarted?: number;
  lastCheckEnded?: { at: number; ok: boolean; detail: string };
}

/**
 * Follows the MongoDB driver's own checks of its servers (the monitor's
 * `hello` every `heartbeatFrequencyMS`) and the topology it derives from
 * them, so that a runner whose database cannot be reached can say what the
 * driver is doing about it: whether it still checks, when it last did, and
 * with what result. Read only while the database is down (for logs).
 */
export class MongoServerChecks {
  readonly #servers = new Map<string, ServerCheck>();

  constructor(client: MongoClient) {
    client.on("serverHeartbeatStarted", (event: ServerHeartbeatStartedEvent) => {
      this.#server(event.connectionId).lastCheckStarted = Date.now();
    });
    client.on("serverHeartbeatSucceeded", (event: ServerHeartbeatSucceededEvent) => {
      this.#server(event.connectionId).lastCheckEnded = { at: Date.now(), ok: true, detail: `answered in ${Math.round(event.duration)} ms` };
    });
    client.on("serverHeartbeatFailed", (event: ServerHeartbeatFailedEvent) => {
      this.#server(event.connectionId).lastCheckEnded = { at: Date.now(), ok: false, detail: event.failure.message };
    });
    client.on("topologyDescriptionChanged", (event: TopologyDescriptionChangedEvent) => {
      for (const [address, server] of event.newDescription.servers) {
        const check = this.#server(address);
        check.type = server.type;
        if (server.error) check.error = server.error.message;
        else delete check.error;
      }
    });
  }

  /**
   * One clause per server, e.g. `127.0.0.1:27017 Unknown (connect
   * ECONNREFUSED), last check started 0.4 s ago, last ended 2.4 s ago:
   * failed (connect ECONNREFUSED)`; "no server checked yet" before any.
   */
  describe(now = Date.now()): string {
    if (this.#servers.size === 0) return "no server checked yet";
    const ago = (at: number) => `${((now - at) / 1000).toFixed(1)} s ago`;
    return [...this.#servers]
      .map(([address, check]) => {
        const started = check.lastCheckStarted === undefined ? "no check started" : `last check started ${ago(check.lastCheckStarted)}`;
        const ended =
          check.lastCheckEnded === undefined
            ? "none ended"
            : `last ended ${ago(check.lastCheckEnded.at)}: ${check.lastCheckEnded.ok ? "ok" : "failed"} (${check.lastCheckEnded.detail.slice(0, 200)})`;
        const error = check.error === undefined ? "" : ` (${check.error.slice(0, 200)})`;
        return `${address} ${check.type}${error}, ${started}, ${ended}`;
      })
      .join("; ");
  }

  #server(address: string): ServerCheck {
    let check = this.#servers.get(address);
    if (check === undefined) {
      check = { type: "Unknown" };
      this.#servers.set(address, check);
    }
    return check;
  }
}
