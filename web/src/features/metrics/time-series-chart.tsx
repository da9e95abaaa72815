// A time-series chart over uPlot (chosen over ECharts by bundle size and render time; see
// web/README.md for the measurement).
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  /** Unix seconds, ascending. */
  times: number[];
  values: (number | null)[];
}

const kPalette = [
  '#5b8def',
  '#e5a54b',
  '#4cb782',
  '#d1625c',
  '#a77bd6',
  '#45b5c4',
  '#c9b458',
  '#8a94a6',
];

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

export function TimeSeriesChart({ series, height = 320 }: { series: Series[]; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const styles = getComputedStyle(document.documentElement);
    const axisColor = styles.getPropertyValue('--text-2').trim() || '#888';
    const gridColor = styles.getPropertyValue('--border').trim() || '#333';
    const axis = {
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor },
    };
    const plot = new uPlot(
      {
        width: el.clientWidth || 800,
        height,
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: kPalette[i % kPalette.length],
            width: 1.25,
            spanGaps: false,
          })),
        ],
        axes: [axis, axis],
        legend: { show: series.length <= 12 },
      },
      alignSeries(series),
      el,
    );
    const ro = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [series, height]);
  return (
    <div ref={host} className="chart" role="img" aria-label={`Chart of ${series.length} series`} />
  );
}
