// A small line chart as data for an inline SVG: the template draws polylines from these points,
// so nothing but numbers reaches the page (no markup built here, no script, no chart library).
// Missing values (a minute without a sample) break the line rather than drawing a false zero.

export interface Sparkline {
  width: number;
  height: number;
  /** One `x,y x,y ...` list per unbroken run of values. */
  segments: string[];
  /** The top of the scale: the largest value, or the given ceiling (a memory limit). */
  max: number;
}

export function sparkline(
  values: readonly (number | undefined)[],
  options: { width?: number; height?: number; max?: number } = {},
): Sparkline {
  const width = options.width ?? 300;
  const height = options.height ?? 60;
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  const max = Math.max(options.max ?? 0, ...known, 0) || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const segments: string[] = [];
  let run: string[] = [];
  values.forEach((v, i) => {
    if (v === undefined || !Number.isFinite(v)) {
      if (run.length > 0) segments.push(run.join(' '));
      run = [];
      return;
    }
    // One pixel of margin keeps the stroke of a flat line at 0 or at the top inside the box.
    const y = height - 1 - (Math.max(0, v) / max) * (height - 2);
    run.push(`${round(i * step)},${round(y)}`);
  });
  if (run.length > 0) segments.push(run.join(' '));
  // A single point is drawn as a short flat line, so it shows.
  return { width, height, segments: segments.map((s) => (s.includes(' ') ? s : `${s} ${s}`)), max };
}

const round = (n: number) => Math.round(n * 10) / 10;
