// Anchor: the same lines drawn with plain Canvas 2D (no library), measured in the same run.
import { afterPaint, makeData, report } from './data';

const { xs, ys } = makeData();
const el = document.getElementById('chart')!;
const t = performance.now();
const canvas = document.createElement('canvas');
canvas.width = 1200;
canvas.height = 400;
el.appendChild(canvas);
const ctx = canvas.getContext('2d')!;
const x0 = xs[0]!;
const dx = xs[xs.length - 1]! - x0;
let lo = Infinity;
let hi = -Infinity;
for (const y of ys) {
  for (const v of y) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
}
for (const y of ys) {
  ctx.beginPath();
  y.forEach((v, i) => {
    const px = ((xs[i]! - x0) / dx) * 1200;
    const py = 400 - ((v - lo) / (hi - lo)) * 400;
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.stroke();
}
void afterPaint().then(() => report('canvas2d', performance.now() - t));
