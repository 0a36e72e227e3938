/**
 * The PlanReplay targets of issue 8 (bench/README.md) and their verdicts, for
 * the benches that measure it.
 *
 * @module
 */

/** PlanReplay of a 10,000-call execution; "≤ 10 × that" for 100,000 calls (the ratio of the sizes). */
const PLAN_TARGET_MS = 50;

/** "met" or "MISSED". */
export const verdict = (ok: boolean) => (ok ? "met" : "MISSED");

/**
 * The verdict lines for medians `small` (of `calls` calls) and `large` (of
 * `largeCalls`): the first against its target, the second against both
 * readings of "10 × that" (10 × the first's target, and 10 × the first as
 * measured).
 */
export function planTargetLines(calls: number, small: number, largeCalls: number, large: number): string[] {
  const sizes = largeCalls / calls;
  const largeTarget = PLAN_TARGET_MS * sizes;
  const growth = large / small;
  return [
    `${calls} calls ≤ ${PLAN_TARGET_MS} ms: ${verdict(small <= PLAN_TARGET_MS)}`,
    `${largeCalls} calls ≤ ${sizes} × the ${calls}-call target (${largeTarget} ms): ${verdict(large <= largeTarget)}`,
    `${largeCalls} / ${calls} as measured here: ${growth.toFixed(1)}× (≤ ${sizes}×: ${verdict(growth <= sizes)})`,
  ];
}
