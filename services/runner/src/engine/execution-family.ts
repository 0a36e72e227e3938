/**
 * Executions in relation to each other: an execution's family (the original
 * it descends from through replays, and every replay of it and of its
 * replays) and the comparison of two executions call by call.
 *
 * @module
 */
import { type CallComparison, countByKind, type ExecutionComparison as ComparisonOf } from "#contract/comparison.ts";
import { KitaruUsageError } from "#contract/errors/index.ts";
import type { ExecutionRecord, CallRecord } from "../store/records.ts";
import { hasOutput, recordedFlowVersion, seenOutput } from "../store/records.ts";
import type { EngineContext } from "./engine-context.ts";
import { namespaceOf, type ExecutionCommands, type ExecutionRef } from "./execution-commands.ts";
import { latestCalls } from "./execution-queries.ts";
import { jsonDiff, jsonEqual } from "./json-diff.ts";

/** One execution of a family, with its place in the tree. */
export interface FamilyMember {
  readonly execution: ExecutionRecord;
  /** The execution it is a replay of; undefined for the original. */
  readonly parentExecId: string | undefined;
  readonly callCount: number;
}

/** An execution's family, parents before children. */
export interface ExecutionFamily {
  readonly execId: string;
  readonly rootExecId: string;
  readonly members: readonly FamilyMember[];
  /** More executions exist than `members` holds. */
  readonly truncated: boolean;
}

/** Two executions compared call by call (the contract's shape), over the engine's call records. */
export type ExecutionComparison = ComparisonOf<CallRecord>;

const DEFAULT_MAX_NODES = 200;
const MAX_NODES = 1000;
/** A family deeper than this is not walked up further (replays of replays, this many times). */
const MAX_DEPTH = 1000;

/** Reads families and comparisons. */
export class ExecutionFamilies {
  readonly #context: EngineContext;
  readonly #commands: ExecutionCommands;

  constructor(context: EngineContext, commands: ExecutionCommands) {
    this.#context = context;
    this.#commands = commands;
  }

  /**
   * The family of `ref`: up through `originalExecId` to the original, then
   * down level by level (one store query per level), oldest first within a
   * level, at most `maxNodes` (default 200, at most 1000) executions.
   */
  async lineage(ref: ExecutionRef, maxNodes = 0): Promise<ExecutionFamily> {
    if (!Number.isInteger(maxNodes) || maxNodes < 0) {
      throw new KitaruUsageError(`\`max_nodes\` must be a non-negative integer; got ${maxNodes}.`, {
        violations: [{ field: "max_nodes", description: "must be >= 0" }],
      });
    }
    const limit = Math.min(maxNodes === 0 ? DEFAULT_MAX_NODES : maxNodes, MAX_NODES);
    const { store } = this.#context;
    const options = { signal: ref.signal };
    const asked = await this.#commands.require(ref);
    let root = asked;
    for (let depth = 0; root.originalExecId !== undefined && depth < MAX_DEPTH; depth++) {
      const parent = await store.getExecution(root.originalExecId, options);
      // A parent of another namespace (impossible through the API) or deleted ends the walk.
      if (parent === undefined || namespaceOf(parent) !== ref.namespace) break;
      root = parent;
    }
    const members: ExecutionRecord[] = [root];
    let level: ExecutionRecord[] = [root];
    let truncated = false;
    while (level.length > 0) {
      const children = await store.listReplaysOf(
        level.map((e) => e.execId),
        ref.namespace,
        options,
      );
      const room = limit - members.length;
      if (children.length > room) {
        members.push(...children.slice(0, room));
        truncated = true;
        break;
      }
      members.push(...children);
      level = children;
    }
    const counts = await store.countCalls(
      members.map((e) => e.execId),
      options,
    );
    return {
      execId: asked.execId,
      rootExecId: root.execId,
      members: members.map((execution) => ({
        execution,
        parentExecId: execution.execId === root.execId ? undefined : execution.originalExecId,
        callCount: counts.get(execution.execId) ?? 0,
      })),
      truncated,
    };
  }

  /**
   * `other` against `base`, by invocation ID, in `other`'s issue order and
   * then `base`'s calls `other` never reached. Outputs are loaded only for
   * calls both ran (a reused call has its source's output by definition).
   */
  async compare(baseRef: ExecutionRef, otherRef: ExecutionRef): Promise<ExecutionComparison> {
    const { store, values } = this.#context;
    const options = { signal: otherRef.signal };
    const [base, other] = await Promise.all([this.#commands.require(baseRef), this.#commands.require(otherRef)]);
    const [baseCalls, otherCalls] = await Promise.all([store.listCalls(base.execId, options), store.listCalls(other.execId, options)]);
    const baseInOrder = latestCalls(baseCalls);
    const baseByInvocation = new Map(baseInOrder.map((call) => [call.invocationId, call]));
    const otherInOrder = latestCalls(otherCalls);
    const load = (call: CallRecord) => values.loadOptional(seenOutput(call), options);
    const calls: CallComparison<CallRecord>[] = [];
    for (const call of otherInOrder) {
      const source = baseByInvocation.get(call.invocationId);
      const entry = { invocationId: call.invocationId, name: call.name, base: source, other: call };
      if (source === undefined) {
        calls.push({ ...entry, kind: "new", changes: [] });
      } else if (call.overridden === true) {
        calls.push({ ...entry, kind: "overridden", changes: jsonDiff(await load(source), await load(call)) });
      } else if (call.status === "reused") {
        calls.push({ ...entry, kind: "reused", changes: [] });
      } else if (call.status !== source.status || !hasOutput(call)) {
        calls.push({ ...entry, kind: "changed_output", changes: hasOutput(call) && hasOutput(source) ? jsonDiff(await load(source), await load(call)) : [] });
      } else {
        const [before, after] = [await load(source), await load(call)];
        calls.push(
          jsonEqual(before, after) ? { ...entry, kind: "same_output", changes: [] } : { ...entry, kind: "changed_output", changes: jsonDiff(before, after) },
        );
      }
    }
    const reached = new Set(otherInOrder.map((c) => c.invocationId));
    for (const source of baseInOrder) {
      if (!reached.has(source.invocationId))
        calls.push({ invocationId: source.invocationId, name: source.name, kind: "not_reached", base: source, other: undefined, changes: [] });
    }
    const [baseInput, otherInput] = await Promise.all([values.load(base.input, options), values.load(other.input, options)]);
    const [baseResult, otherResult] = await Promise.all([values.loadOptional(base.state.result, options), values.loadOptional(other.state.result, options)]);
    return {
      baseExecId: base.execId,
      otherExecId: other.execId,
      calls,
      inputChanges: jsonDiff(baseInput, otherInput),
      resultChanges: baseResult === undefined || otherResult === undefined ? [] : jsonDiff(baseResult, otherResult),
      counts: countByKind(calls),
      baseFlowVersion: recordedFlowVersion(base) ?? "",
      otherFlowVersion: recordedFlowVersion(other) ?? "",
    };
  }
}
