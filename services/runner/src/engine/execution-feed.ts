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
  /** Start the history after this call sequence number (a watch resuming where it broke off); 0 for all of it. */
  readonly afterSequence?: number;
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

/** Why a channel's poll stops: no one watches the execution any more (made once: see RUN_ENDED in execution-run.ts). */
const UNWATCHED = new DOMException("No one watches this execution any more.", "AbortError");

/** Calls read from the store at a time for a watch's history (by sequence number); half the default buffer. */
const HISTORY_PAGE = 500;

/** One watcher: its queue of events not yet taken, and how to wake it. */
interface Watcher {
  readonly statusOnly: boolean;
  /**
   * While the watch reads its history: the highest sequence number whose
   * page it has asked the store for. A call event above it is not queued (a
   * page read later holds it). Infinity once the history is read.
   */
  issuedThrough: number;
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
  /**
   * The generation whose calls the poll follows, and the highest sequence
   * number up to which every call of it has ended (the poll reads only the
   * calls above it); sequences above it seen ended.
   */
  generation: number;
  settled: number;
  readonly ended: Set<number>;
  /** Resolved once the history of the watcher that opened the channel is read (it sets `settled`): the poll starts then. */
  readonly ready: Promise<void>;
  markReady(): void;
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
   * order, from `afterSequence`), then new events until it reaches a terminal
   * status (or `waiting`, unless `followWaits`). Durable events come from the
   * store, so they are complete whichever runner runs the execution;
   * `call_started` events only from this process's runs.
   *
   * The history is read and sent a page of {@link HISTORY_PAGE} calls at a
   * time, as the stream takes them: what a watch holds is one page, its
   * queue (at most `bufferLimit` events) and the keys of the events it sent.
   */
  async *watch(ref: ExecutionRef, options: WatchOptions): AsyncGenerator<ExecutionEvent> {
    const statusOnly = options.statusOnly === true;
    const watcher: Watcher = { statusOnly, issuedThrough: statusOnly ? Number.POSITIVE_INFINITY : 0, queue: [], overflowed: false, wake: () => undefined };
    // Joined before the first read: nothing falls between what is read and what is live.
    const { channel, opened } = this.#join(ref.execId, watcher);
    const sent = new Set<string>();
    let lastStatus: ExecutionStatus | undefined;
    let ended = false;
    /** The events of `batch` this watch has not sent yet, up to its last one. */
    const fresh = (batch: readonly KeyedEvent[]): ExecutionEvent[] => {
      const events: ExecutionEvent[] = [];
      for (const { key, event } of batch) {
        if (ended) break;
        if (event.kind === "status_changed") {
          if (event.state.status === lastStatus) continue;
          lastStatus = event.state.status;
          events.push(event);
          ended = TERMINAL.has(lastStatus) || (lastStatus === "waiting" && !options.followWaits);
          continue;
        }
        if (sent.has(key)) continue;
        if (event.kind === "call_started" && sent.has(eventKey.callEnded(event.call.invocationId))) continue;
        sent.add(key);
        if (isCallEnd(event)) sent.add(eventKey.callEnded(event.call.invocationId));
        events.push(event);
      }
      return events;
    };
    const checkBehind = () => {
      if (!watcher.overflowed) return;
      throw new KitaruBackendError(
        `This watch of execution '${ref.execId}' fell more than ${this.#bufferLimit} events behind and was closed. Watch again: the history comes first.`,
        { metadata: { execId: ref.execId, bufferLimit: String(this.#bufferLimit) } },
      );
    };
    try {
      const first = await this.#commands.require(ref);
      const history = statusOnly ? oneBatch([statusEvent(first)]) : this.#history(first, watcher, options.afterSequence ?? 0, opened ? channel : undefined);
      for await (const page of history) {
        checkBehind();
        yield* fresh(page);
        if (ended || options.signal.aborted) return;
      }
      if (opened) channel.markReady();
      for (;;) {
        checkBehind();
        yield* fresh(watcher.queue.splice(0));
        if (ended || options.signal.aborted) return;
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
      if (opened) channel.markReady();
      this.#leave(channel, watcher);
    }
  }

  /**
   * The durable events the store holds for an execution, in pages of calls
   * after `afterSequence`, the last batch ending with its status (as of
   * `known` when it is gone). The status is read first: every call recorded
   * before it is in the pages; later ones reach the watch live. The watcher
   * that opened `channel` also tells it which calls have ended, so that its
   * poll reads only the calls after them.
   */
  async *#history(known: ExecutionRecord, watcher: Watcher, afterSequence: number, channel: Channel | undefined): AsyncGenerator<KeyedEvent[]> {
    const { execId } = known;
    const [current, waitRecords] = await Promise.all([this.#store.getExecution(execId), this.#store.listWaits(execId)]);
    if (channel !== undefined) {
      channel.generation = (current ?? known).state.generation;
      if (afterSequence > 0) channel.settled = afterSequence; // what lies below is the watcher's to have
    }
    const listCalls = (range: { afterSequence: number; throughSequence?: number }) => {
      watcher.issuedThrough = range.throughSequence ?? Number.POSITIVE_INFINITY;
      return this.#store.listCalls(execId, range);
    };
    // Waits go with the page of calls that started before them (a page's events are sorted by time).
    const waits = [...waitRecords].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    for (let after = afterSequence; ; after += HISTORY_PAGE) {
      let calls = await listCalls({ afterSequence: after, throughSequence: after + HISTORY_PAGE });
      let last = false;
      if (calls.length === 0) {
        // A whole page of sequences not recorded (calls in flight): whatever comes after them, at once.
        calls = await listCalls({ afterSequence: after + HISTORY_PAGE });
        if (calls.length === 0) break;
        last = true;
      }
      const until = calls.reduce((latest, call) => Math.max(latest, call.startedAt.getTime()), Number.NEGATIVE_INFINITY);
      let taken = 0;
      while (taken < waits.length && (waits[taken]?.createdAt.getTime() ?? Number.POSITIVE_INFINITY) <= until) taken++;
      const page = durableEvents(execId, calls, waits.splice(0, taken));
      if (channel !== undefined) noteEnded(channel, page);
      yield page;
      if (last) break;
    }
    watcher.issuedThrough = Number.POSITIVE_INFINITY;
    yield [...durableEvents(execId, [], waits), statusEvent(current ?? known)];
  }

  /** What a poll passes on: the status, and for watchers that want more, the calls not known to have ended and the waits. */
  async #read(channel: Channel, execution: ExecutionRecord, wantHistory: boolean): Promise<KeyedEvent[]> {
    if (!wantHistory) return [statusEvent(execution)];
    if (execution.state.generation !== channel.generation) {
      // A retry runs the calls again as a new generation, under the same sequence numbers.
      channel.generation = execution.state.generation;
      channel.settled = 0;
      channel.ended.clear();
    }
    const [calls, waits] = await Promise.all([
      this.#store.listCalls(channel.execId, { afterSequence: channel.settled }),
      this.#store.listWaits(channel.execId),
    ]);
    return [...durableEvents(channel.execId, calls, waits), statusEvent(execution)];
  }

  /** The channel of `execId` with `watcher` in it; `opened` when this watcher created it. */
  #join(execId: string, watcher: Watcher): { channel: Channel; opened: boolean } {
    let channel = this.#channels.get(execId);
    const opened = channel === undefined;
    if (channel === undefined) {
      let markReady: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (markReady = resolve));
      const created: Channel = {
        execId,
        watchers: new Set(),
        seen: new Set(),
        pause: new PollPause(),
        stop: new AbortController(),
        generation: 0,
        settled: 0,
        ended: new Set(),
        ready,
        markReady,
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
    if (opened && watcher.statusOnly) channel.markReady();
    return { channel, opened };
  }

  #leave(channel: Channel, watcher: Watcher): void {
    channel.watchers.delete(watcher);
    if (channel.watchers.size > 0) return;
    channel.unsubscribe();
    channel.stop.abort(UNWATCHED);
    this.#channels.delete(channel.execId);
  }

  /** One reader per watched execution: reads the store every `pollMs` and passes on what is new. */
  async #poll(channel: Channel): Promise<void> {
    const { signal } = channel.stop;
    await channel.ready;
    while (!signal.aborted) {
      await channel.pause.pause(this.#pollMs, signal);
      if (signal.aborted) return;
      try {
        const execution = await this.#store.getExecution(channel.execId);
        if (execution === undefined) continue;
        // Watchers that want status changes only cost one point read per poll.
        const events = await this.#read(
          channel,
          execution,
          [...channel.watchers].some((w) => !w.statusOnly),
        );
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
    noteEnded(channel, events);
    const statuses = events.filter(({ event }) => event.kind === "status_changed");
    for (const watcher of channel.watchers) {
      const wanted = watcher.statusOnly
        ? statuses
        : watcher.issuedThrough === Number.POSITIVE_INFINITY
          ? events
          : events.filter(({ event }) => !("call" in event) || event.call.sequence <= watcher.issuedThrough);
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

/** A history of one batch. */
async function* oneBatch(batch: KeyedEvent[]): AsyncGenerator<KeyedEvent[]> {
  yield batch;
}

/** Notes the calls of the channel's generation that ended, and how far every call has. */
function noteEnded(channel: Channel, events: readonly KeyedEvent[]): void {
  for (const { event } of events) {
    if (isCallEnd(event) && event.call.generation === channel.generation && event.call.sequence > channel.settled) channel.ended.add(event.call.sequence);
  }
  while (channel.ended.delete(channel.settled + 1)) channel.settled += 1;
}
