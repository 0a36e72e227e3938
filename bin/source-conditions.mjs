// Module resolution hook for running kitaru from its sources: resolves every
// module with the "kitaru-source" condition of package.json, so the package's
// own specifiers (`kitaru`, `kitaru/client`, `#gen/*`, `#contract/*`) load the
// TypeScript sources instead of the compiled dist/. The same as
// `node --conditions=kitaru-source` (which scripts/test.sh sets).
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes("kitaru-source") ? context.conditions : [...context.conditions, "kitaru-source"];
  return nextResolve(specifier, { ...context, conditions });
}
