import { describe, expect, it } from 'vitest';
import { ConfigError, loadExtprocConfig } from '../../src/index.js';

describe('ACC_EXTPROC_HEAP_GROWING_PERCENT', () => {
  it('fixes V8 old-generation growth at 2x the live heap by default, 0 leaves it to V8', () => {
    expect(loadExtprocConfig({}).heapGrowingPercent).toBe(100);
    expect(loadExtprocConfig({ ACC_EXTPROC_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0);
    expect(loadExtprocConfig({ ACC_EXTPROC_HEAP_GROWING_PERCENT: '50' }).heapGrowingPercent).toBe(50);
  });

  it('refuses values that are not a whole percentage in range', () => {
    for (const value of ['-1', '1.5', 'lots', '1001']) {
      expect(() => loadExtprocConfig({ ACC_EXTPROC_HEAP_GROWING_PERCENT: value })).toThrow(ConfigError);
    }
  });
});
