// Builds the chart benchmark pages (bench/*.html) into dist-bench/; run by
// tests/e2e/chart-bench.mjs in headless Chromium.
import { defineConfig } from 'vite';
import { resolve } from 'node:path';

export default defineConfig({
  root: resolve(__dirname, 'bench'),
  base: './',
  build: {
    outDir: resolve(__dirname, 'dist-bench'),
    emptyOutDir: true,
    rollupOptions: {
      input: {
        uplot: resolve(__dirname, 'bench/uplot.html'),
        echarts: resolve(__dirname, 'bench/echarts.html'),
        canvas: resolve(__dirname, 'bench/canvas.html'),
      },
    },
  },
});
