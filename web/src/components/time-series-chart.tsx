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

/** A point to ring on the chart (an anomaly): series index, Unix seconds, value. */
export interface Mark {
  series: number;
  t: number;
  value: number;
}

export function TimeSeriesChart({
  series,
  height = 320,
  marks = [],
}: {
  series: Series[];
  height?: number;
  marks?: Mark[];
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const styles = getComputedStyle(document.documentElement);
    const axisColor = styles.getPropertyValue('--text-2').trim() || '#888';
    const markColor = styles.getPropertyValue('--crit').trim() || '#e5645c';
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
        hooks: {
          // Anomalies: a ring in the alert colour around each marked point.
          draw: [
            (u: uPlot) => {
              if (marks.length === 0) return;
              const ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = markColor;
              ctx.lineWidth = 2 * devicePixelRatio;
              for (const m of marks) {
                const x = u.valToPos(m.t, 'x', true);
                const y = u.valToPos(m.value, 'y', true);
                if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
                ctx.beginPath();
                ctx.arc(x, y, 5 * devicePixelRatio, 0, 2 * Math.PI);
                ctx.stroke();
              }
              ctx.restore();
            },
          ],
        },
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
  }, [series, height, marks]);
  return (
    <div
      ref={host}
      className="chart"
      role="img"
      aria-label={`Chart of ${series.length} series${marks.length ? `, ${marks.length} anomalies marked` : ''}`}
    />
  );
}
