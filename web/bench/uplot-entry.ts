import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { afterPaint, makeData, report } from './data';

const { xs, ys } = makeData();
const el = document.getElementById('chart')!;
const t = performance.now();
new uPlot(
  {
    width: 1200,
    height: 400,
    series: [{}, ...ys.map((_, i) => ({ label: `s${i}`, stroke: '#5b8def' }))],
  },
  [xs, ...ys],
  el,
);
void afterPaint().then(() => report('uplot', performance.now() - t));
