import { KitaruBackendError } from "#contract/errors/index.ts";
import type { ExecutionStore } from "../store/execution-store.ts";
import type { ExecutionRecord, ExecutionStatus } from "../store/records.ts";
import type { EngineContext } from "./engine-context.ts";
import type { ExecutionCommands, ExecutionRef } from "./execution-commands.ts";
import type { ExecutionEvent, ExecutionEventBus } from "./execution-events.ts";
import { durableEvents, eventKey, isCallEnd, type KeyedEvent } from "./execution-history.ts";
import { PollPause } from "./poll-pause.ts";

/** How a watch behaves. */
export interface WatchOptions {
  /** Keep watching while the execution waits for input (default: end the stream at `waiting`). */
  readonly followWaits?: boolean;
  /**
   * Only status changes, starting with the current status: no history, no
   * call or wait events (what waiting for the end needs; the runner reads
   * the execution's state only).
   */
  readonly statusOnly?: boolean;
  /** Ends the stream when aborted (client went away, deadline). */
  readonly signal: AbortSignal;
}

/** Options of {@link ExecutionFeed}. */
export interface ExecutionFeedOptions {
  /** How often a watched execution is re-read for changes other runners made. Default 500 ms. */
  readonly pollMs?: number;
  /** Events a watcher may fall behind by before its stream is closed. Default 1000. */
  readonly bufferLimit?: number;
}

const TERMINAL: ReadonlySet<ExecutionStatus> = new Set(["completed", "failed", "cancelled"]);

/** One watcher: its queue of events not yet taken, and how to wake it. */
interface Watcher {
  readonly statusOnly: boolean;
  readonly queue: KeyedEvent[];
  overflowed: boolean;
  wake(): void;
}

/** What the feed keeps per watched execution, shared by all its watchers. */
interface Channel {
  readonly execId: string;
  readonly watchers: Set<Watcher>;
  /** Keys of the durable events already fanned out, so a poll passes on only what is new. */
  readonly seen: Set<string>;
  readonly pause: PollPause;
  readonly stop: AbortController;
  unsubscribe(): void;
}

/**
 * One change feed per runner process: every watch of an execution shares one
 * reader of it, however many watchers it has.
 *
 * Events of executions this process runs arrive at once from its event bus;
 * changes other runners make are found by one poll per watched execution
 * (every `pollMs`), not one per stream. Each watcher has a bounded queue: a
 * watcher that falls more than `bufferLimit` events behind (a client that
 * stopped reading) has its stream closed with `KitaruBackendError`, and
 * watching again replays the history first.
 */
export class ExecutionFeed {
  readonly #store: ExecutionStore;
  readonly #bus: ExecutionEventBus;
  readonly #commands: ExecutionCommands;
  readonly #pollMs: number;
  readonly #bufferLimit: number;
  readonly #channels = new Map<string, Channel>();

  constructor(context: EngineContext, commands: ExecutionCommands, options: ExecutionFeedOptions = {}) {
    this.#store = context.store;
    this.#bus = context.bus;
    this.#commands = commands;
    this.#pollMs = options.pollMs ?? 500;
    this.#bufferLimit = options.bufferLimit ?? 1000;
  }

  /** How many executions are being watched now (each read once per poll). */
  get watchedExecutions(): number {
    return this.#channels.size;
  }

  /**
   * Streams an execution's events: its recorded history first (in issue
   * order), then new events until it reaches a terminal status (or
   * `waiting`, unless `followWaits`). Durable events come from the store, so
   * they are complete whichever runner runs the execution; `call_started`
   * events only from this process's runs.
   */
  async *watch(ref: ExecutionRef, options: WatchOptions): AsyncGenerator<ExecutionEvent> {
    const statusOnly = options.statusOnly === true;
    const watcher: Watcher = { statusOnly, queue: [], overflowed: false, wake: () => undefined };
    // Joined before the first read: nothing falls between what is read and what is live.
    const channel = this.#join(ref.execId, watcher);
    const sent = new Set<string>();
    let lastStatus: ExecutionStatus | undefined;
    try {
      const first = await this.#commands.require(ref);
      const history = statusOnly ? [statusEvent(first)] : await this.#read(first.execId, first);
      for (;;) {
        const batch = history.splice(0).concat(watcher.queue.splice(0));
        if (watcher.overflowed) {
          throw new KitaruBackendError(
            `This watch of execution '${ref.execId}' fell more than ${this.#bufferLimit} events behind and was closed. Watch again: the history comes first.`,
            { metadata: { execId: ref.execId, bufferLimit: String(this.#bufferLimit) } },
          );
        }
        for (const { key, event } of batch) {
          if (event.kind === "status_changed") {
            if (event.state.status === lastStatus) continue;
            lastStatus = event.state.status;
            yield event;
            if (TERMINAL.has(lastStatus) || (lastStatus === "waiting" && !options.followWaits)) return;
            continue;
          }
          if (sent.has(key)) continue;
          if (event.kind === "call_started" && sent.has(eventKey.callEnded(event.call.invocationId))) continue;
          sent.add(key);
          if (isCallEnd(event)) sent.add(eventKey.callEnded(event.call.invocationId));
          yield event;
        }
        if (options.signal.aborted) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            options.signal.removeEventListener("abort", done);
            resolve();
          };
          watcher.wake = done;
          options.signal.addEventListener("abort", done, { once: true });
          if (watcher.queue.length > 0 || watcher.overflowed) done();
        });
        watcher.wake = () => undefined;
        if (options.signal.aborted) return;
      }
    } finally {
      this.#leave(channel, watcher);
    }
  }

  /** The durable events the store holds for an execution now, ending with its status (as of `known` when it is gone). */
  async #read(execId: string, known: ExecutionRecord): Promise<KeyedEvent[]> {
    const [current, calls, waits] = await Promise.all([this.#store.getExecution(execId), this.#store.listCalls(execId), this.#store.listWaits(execId)]);
    return [...durableEvents(execId, calls, waits), statusEvent(current ?? known)];
  }

  #join(execId: string, watcher: Watcher): Channel {
    let channel = this.#channels.get(execId);
    if (channel === undefined) {
      const created: Channel = {
        execId,
        watchers: new Set(),
        seen: new Set(),
        pause: new PollPause(),
        stop: new AbortController(),
        unsubscribe: () => undefined,
      };
      created.unsubscribe = this.#bus.subscribe(execId, (event) => {
        if (event.kind === "log_line") return; // logs have a stream of their own
        this.#fanOut(created, [{ key: eventKey.of(event), event }]);
      });
      this.#channels.set(execId, created);
      void this.#poll(created);
      channel = created;
    }
    channel.watchers.add(watcher);
    return channel;
  }

  #leave(channel: Channel, watcher: Watcher): void {
    channel.watchers.delete(watcher);
    if (channel.watchers.size > 0) return;
    channel.unsubscribe();
    channel.stop.abort();
    this.#channels.delete(channel.execId);
  }

  /** One reader per watched execution: reads the store every `pollMs` and passes on what is new. */
  async #poll(channel: Channel): Promise<void> {
    const { signal } = channel.stop;
    while (!signal.aborted) {
      await channel.pause.pause(this.#pollMs, signal);
      if (signal.aborted) return;
      try {
        const execution = await this.#store.getExecution(channel.execId);
        if (execution === undefined) continue;
        // Watchers that want status changes only cost one point read per poll.
        const wantHistory = [...channel.watchers].some((w) => !w.statusOnly);
        const events = wantHistory ? await this.#read(channel.execId, execution) : [statusEvent(execution)];
        this.#fanOut(
          channel,
          events.filter(({ key }) => !channel.seen.has(key)),
        );
        for (const { key } of events) channel.seen.add(key);
      } catch {
        // A failed read (the database is down) is retried at the next poll; watchers keep their streams.
      }
    }
  }

  #fanOut(channel: Channel, events: readonly KeyedEvent[]): void {
    if (events.length === 0) return;
    const statuses = events.filter(({ event }) => event.kind === "status_changed");
    for (const watcher of channel.watchers) {
      const wanted = watcher.statusOnly ? statuses : events;
      if (wanted.length === 0) continue;
      if (watcher.queue.length + wanted.length > this.#bufferLimit) watcher.overflowed = true;
      else watcher.queue.push(...wanted);
      watcher.wake();
    }
  }
}

/** The event of an execution's current status. */
function statusEvent(execution: ExecutionRecord): KeyedEvent {
  const { execId, state } = execution;
  return { key: eventKey.status(state.seq), event: { kind: "status_changed", execId, at: state.at, state } };
}
