import { describe, expect, it } from 'vitest';
import { alignSeries, seriesLabel, toSeries } from './prometheus';

describe('toSeries', () => {
  it('reads a matrix', () => {
    const s = toSeries({
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'up', job: 'api' },
          values: [
            [10, '1'],
            [20, 'NaN'],
          ],
        },
      ],
    });
    expect(s).toEqual([{ label: 'up{job="api"}', times: [10, 20], values: [1, null] }]);
  });
  it('rejects what it cannot chart', () => {
    expect(() => toSeries({ resultType: 'scalar', result: [] })).toThrow(/scalar/);
    expect(() => toSeries('nope')).toThrow(/not a Prometheus result/);
  });
  it('labels a series without a name', () => {
    expect(seriesLabel({ a: '1', b: '2' })).toBe('{a="1", b="2"}');
  });
});

describe('alignSeries', () => {
  it('puts series on the union of timestamps with gaps as null', () => {
    const data = alignSeries([
      { label: 'a', times: [1, 2], values: [10, 20] },
      { label: 'b', times: [2, 3], values: [5, 6] },
    ]);
    expect(data).toEqual([
      [1, 2, 3],
      [10, 20, null],
      [null, 5, 6],
    ]);
  });
});
