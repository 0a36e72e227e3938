const brand = Symbol.for("kitaru.nonRetryable");

/**
 * An error that fails a checkpoint call at once, skipping its remaining
 * retries (like Temporal's non-retryable failures or Restate's
 * `TerminalError`).
 *
 * Throw it from checkpoint code for failures another attempt cannot fix (a
 * rejected input, a missing permission). Every other error is retried as the
 * checkpoint's `retries` option says. The call and the execution fail with
 * this error's message and stack trace; `cause` is kept.
 *
 * @example
 * ```ts
 * const charge = checkpoint("charge", async (order: Order) => {
 *   if (order.total <= 0) throw new NonRetryableError(`order ${order.id} has no amount to charge`);
 *   return paymentApi.charge(order);
 * }, { retries: 5 });
 * ```
 */
export class NonRetryableError extends Error {
  override name = "NonRetryableError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, brand, { value: true });
  }

  /** True for a {@link NonRetryableError}, also one created by another copy of this package. */
  static isNonRetryable(error: unknown): boolean {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[brand] === true;
  }
}
