/**
 * The key bin/berth-cli.js sets on `globalThis` (the same string is written there) once its `.ts` hook for
 * Node's `require` is registered.
 */
export const LAUNCHER_MARK = 'berth.cli.require-loads-typescript';

/**
 * Whether `require` loads the TypeScript sources here: under the launcher it does, without starting an ES module
 * loader; elsewhere (tests) `import()` does. Node's own `.ts` hook (type stripping, Node 22.18 and later) does not
 * count: it resolves no require without an extension and cannot compile every source.
 */
export function requireLoadsTypeScript(): boolean {
  return (globalThis as Record<symbol, unknown>)[Symbol.for(LAUNCHER_MARK)] === true;
}
