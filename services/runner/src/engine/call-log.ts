import type { LogSource, LogLevel } from "../authoring/flow-runtime.ts";
import type { LogChunkRecord, LogLineRecord } from "../store/records.ts";

/** Bounds on what one attempt of a checkpoint call may log. */
export interface CallLogLimits {
  /** Lines kept per attempt; later ones are dropped after one notice line. Default 1000. */
  readonly linesPerAttempt: number;
  /** Bytes (UTF-8) kept per attempt. Default 256 KiB. */
  readonly bytesPerAttempt: number;
  /** Longer lines are cut to this many characters and end with "…". Default 8192. */
  readonly lineLength: number;
}

/** Default {@link CallLogLimits}. */
const defaultCallLogLimits: CallLogLimits = { linesPerAttempt: 1000, bytesPerAttempt: 256 * 1024, lineLength: 8192 };

/** The call a log belongs to. */
export type CallLogIdentity = Pick<LogChunkRecord, "execId" | "invocationId" | "callId" | "name" | "sequence" | "generation">;

interface AttemptState {
  readonly attempt: number;
  /** Index of the next line; also counts lines kept. */
  next: number;
  bytes: number;
  chunks: number;
  truncated: boolean;
  pending: LogLineRecord[];
}

/**
 * The log lines of one checkpoint call, buffered in memory and handed out
 * in chunks for the store: at the end of the call (written with its record)
 * and periodically while it runs. Bounded per attempt; nothing here does I/O.
 */
export class CallLog {
  readonly identity: CallLogIdentity;
  readonly #limits: CallLogLimits;
  readonly #attempts: AttemptState[] = [];

  constructor(identity: CallLogIdentity, limits: CallLogLimits = defaultCallLogLimits) {
    this.identity = identity;
    this.#limits = limits;
  }

  /** Starts collecting lines of attempt `attempt`. */
  beginAttempt(attempt: number): void {
    this.#attempts.push({ attempt, next: 0, bytes: 0, chunks: 0, truncated: false, pending: [] });
  }

  /**
   * Keeps one line of attempt `attempt`; returns the kept line, or undefined
   * when the attempt's limit dropped it (the first dropped line is replaced
   * by a notice saying so).
   */
  write(attempt: number, level: LogLevel, message: string, source: LogSource, at: Date = new Date()): LogLineRecord | undefined {
    const state = this.#attempts.find((a) => a.attempt === attempt);
    if (state === undefined || state.truncated) return undefined;
    const text = message.length > this.#limits.lineLength ? `${message.slice(0, this.#limits.lineLength - 1)}…` : message;
    const bytes = Buffer.byteLength(text, "utf8");
    if (state.next >= this.#limits.linesPerAttempt || state.bytes + bytes > this.#limits.bytesPerAttempt) {
      state.truncated = true;
      const notice =
        `[kitaru] log limit reached (${this.#limits.linesPerAttempt} lines or ${this.#limits.bytesPerAttempt} bytes per attempt): ` +
        "later lines of this attempt are not stored";
      return this.#keep(state, { index: state.next, at, level: "warn", message: notice, source: "logger" });
    }
    state.bytes += bytes;
    return this.#keep(state, { index: state.next, at, level, message: text, source });
  }

  /** True when lines wait to be handed out. */
  get hasPending(): boolean {
    return this.#attempts.some((a) => a.pending.length > 0);
  }

  /** Hands out the lines kept since the last call, one chunk per attempt that has any. */
  takeChunks(): LogChunkRecord[] {
    const chunks: LogChunkRecord[] = [];
    for (const state of this.#attempts) {
      if (state.pending.length === 0) continue;
      chunks.push({ ...this.identity, attempt: state.attempt, chunk: state.chunks, lines: state.pending });
      state.chunks += 1;
      state.pending = [];
    }
    return chunks;
  }

  #keep(state: AttemptState, line: LogLineRecord): LogLineRecord {
    state.next += 1;
    state.pending.push(line);
    return line;
  }
}
