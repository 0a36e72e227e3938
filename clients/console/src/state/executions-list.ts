/**
 * The executions list without the page: its filters (flow, status) and the
 * address that names them, paging by page tokens, and what a row says.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type Execution, ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { ListExecutionsRequestSchema } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { executionStatusToProto, isExecutionStatus } from "#contract/status.ts";
import { PageCursor } from "./page-cursor.ts";

/** Executions per page. */
const PAGE_SIZE = 25;

/** The link to one execution's view. */
export function executionHref(execId: string): string {
  return `#/executions/${encodeURIComponent(execId)}`;
}

/** Where an execution comes from, as its row says: "replay of <source> from <call>", "retry <n>", or nothing. */
export function originText(execution: Execution): string {
  if (execution.replay?.from) return `replay of ${execution.originalExecId} from ${execution.replay.from}`;
  return execution.retryCount ? `retry ${execution.retryCount}` : "";
}

/** The list's filters and the page shown. */
export class ExecutionsListState {
  /** The flow shown ("" for all). */
  flow: string;
  /** The status shown (an execution status name; "" for any). */
  status: string;
  readonly #pages = new PageCursor();

  /** The filters of the address's query (`?flow=&status=`). */
  constructor(query: URLSearchParams) {
    this.flow = query.get("flow") ?? "";
    this.status = query.get("status") ?? "";
  }

  /** The ListExecutions request for the page shown. */
  request(): MessageInitShape<typeof ListExecutionsRequestSchema> {
    return {
      flowName: this.flow,
      status: isExecutionStatus(this.status) ? executionStatusToProto(this.status) : ExecutionStatus.UNSPECIFIED,
      pageSize: PAGE_SIZE,
      pageToken: this.#pages.token,
    };
  }

  /** New filters: the first page again. Returns the address that names them (`#/executions?flow=...`). */
  filter(flow: string, status: string): string {
    this.flow = flow;
    this.status = status;
    this.#pages.reset();
    const query = new URLSearchParams();
    if (flow) query.set("flow", flow);
    if (status) query.set("status", status);
    return `#/executions${query.size ? `?${query}` : ""}`;
  }

  /** A page arrived; `nextPageToken` is where the next (older) one starts ("" at the end). */
  received(nextPageToken: string): void {
    this.#pages.received(nextPageToken);
  }

  /** Goes one page back, to newer executions. */
  newer(): void {
    this.#pages.back();
  }

  /** Goes one page on, to older executions. */
  older(): void {
    this.#pages.forward();
  }

  get hasNewer(): boolean {
    return this.#pages.hasPrevious;
  }

  get hasOlder(): boolean {
    return this.#pages.hasNext;
  }

  /** "page N", counted from the newest. */
  get pageLabel(): string {
    return this.#pages.pageLabel;
  }
}
