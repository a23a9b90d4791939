// Small statistics for the bench: median, min, max of a few runs, and how to print them.

export interface Summary {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarize(xs: readonly number[]): Summary {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: [...xs] };
}

/** 0.42 → "0.42", 12.345 → "12.3", 1234.5 → "1235": three significant figures or whole numbers. */
export function fmtNumber(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** "123 ms (110–140)" — median, then min–max when there was more than one run. */
export function fmtSummary(s: Summary | null, unit = 'ms'): string {
  if (!s) return '–';
  const range = s.runs.length > 1 ? ` (${fmtNumber(s.min)}–${fmtNumber(s.max)})` : ' (1 run)';
  return `${fmtNumber(s.median)} ${unit}${range}`;
}

export function ratio(value: number, baseline: number | null): number | null {
  if (baseline === null || !Number.isFinite(baseline) || baseline <= 0) return null;
  return value / baseline;
}

/** The p-th percentile (nearest rank); NaN for no samples. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
