// The benchmark's data: 10 series × 10,000 points, a seeded random walk (same every run).
export const kSeries = 10;
export const kPoints = 10_000;

export function makeData(): { xs: number[]; ys: number[][] } {
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const t0 = 1_700_000_000;
  const xs = Array.from({ length: kPoints }, (_, i) => t0 + i * 15);
  const ys = Array.from({ length: kSeries }, (_, s) => {
    let v = 100 + s * 10;
    return xs.map(() => (v += rand() - 0.5));
  });
  return { xs, ys };
}

/** Resolves after the browser has painted the frame that follows `start`. */
export function afterPaint(): Promise<void> {
  return new Promise((res) => requestAnimationFrame(() => setTimeout(res, 0)));
}

export function report(name: string, ms: number): void {
  (window as unknown as { benchResult: unknown }).benchResult = { name, ms };
  document.title = `done ${name}`;
}
