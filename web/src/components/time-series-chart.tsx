// A time-series chart over uPlot (chosen over ECharts by bundle size and render time; see
// web/README.md for the measurement).
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

import { alignSeries, type Series } from './series';

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
