/**
 * Gates keyed by label, for fixture checkpoints that must block until a test
 * lets them go: `gates.until(label)` is the promise to await, `gates.open(label)`
 * releases it. Either may come first.
 */
export function labelledGates(): { until(label: string): Promise<void>; open(label: string): void } {
  const gates = new Map<string, { promise: Promise<void>; open: () => void }>();
  const gate = (label: string) => {
    let entry = gates.get(label);
    if (entry === undefined) {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      entry = { promise, open };
      gates.set(label, entry);
    }
    return entry;
  };
  return { until: (label) => gate(label).promise, open: (label) => gate(label).open() };
}
