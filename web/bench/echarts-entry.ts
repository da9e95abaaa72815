import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { afterPaint, makeData, report } from './data';

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);
const { xs, ys } = makeData();
const el = document.getElementById('chart')!;
const t = performance.now();
const chart = echarts.init(el, undefined, { renderer: 'canvas', width: 1200, height: 400 });
chart.setOption({
  animation: false,
  tooltip: { trigger: 'axis' },
  legend: {},
  xAxis: { type: 'time' },
  yAxis: { type: 'value', scale: true },
  series: ys.map((y, i) => ({
    name: `s${i}`,
    type: 'line',
    showSymbol: false,
    sampling: 'lttb',
    data: xs.map((x, j) => [x * 1000, y[j]]),
  })),
});
void afterPaint().then(() => report('echarts', performance.now() - t));
