// A chart series and the alignment uPlot needs, shared by every page that draws time series.
import type uPlot from 'uplot';

export interface Series {
  label: string;
  /** Unix seconds, ascending. */
  times: number[];
  values: (number | null)[];
}

/** Aligns series on the union of their timestamps (uPlot needs one shared x axis). */
export function alignSeries(series: Series[]): uPlot.AlignedData {
  const xs = Array.from(new Set(series.flatMap((s) => s.times))).sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    s.times.forEach((t, i) => {
      col[index.get(t)!] = s.values[i] ?? null;
    });
    return col;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}
