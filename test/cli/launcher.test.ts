import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LAUNCHER_MARK, requireLoadsTypeScript } from '../../src/cli/launcher';
import { REPO_ROOT } from '../support/app';

const mark = Symbol.for(LAUNCHER_MARK);
const global = globalThis as Record<symbol, unknown>;

describe('requireLoadsTypeScript', () => {
  afterEach(() => {
    delete global[mark];
  });

  it('given no launcher (vitest, or Node with its own .ts hook), when asked, then import() is the way', () => {
    expect(requireLoadsTypeScript()).toBe(false);
  });

  it("given the launcher's mark, when asked, then require loads the sources", () => {
    global[mark] = true;
    expect(requireLoadsTypeScript()).toBe(true);
  });

  it('given bin/berth-cli.js, when read, then it sets the same mark after registering its .ts hook', () => {
    const bin = readFileSync(path.join(REPO_ROOT, 'bin', 'berth-cli.js'), 'utf8');
    const hook = bin.indexOf("extensions['.ts'] =");
    const set = bin.indexOf(`globalThis[Symbol.for('${LAUNCHER_MARK}')] = true;`);
    expect(hook).toBeGreaterThan(0);
    expect(set).toBeGreaterThan(hook);
  });
});
