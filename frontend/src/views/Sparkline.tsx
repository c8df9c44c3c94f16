// A channel's recent history on a small canvas: a line for numbers, a 0/1 step line for
// booleans, and dashed lines at the channel's limits when it has any (the scale keeps them in
// view). It redraws when its points change (the store publishes once per frame) or its box
// resizes; data-points and data-limits say how many points and limit lines the last drawing used.
import { useLayoutEffect, useRef } from "preact/hooks";
import type { Point } from "../channels";

const PAD = 3;

/** The channel's limits; either may be null. */
export type Limits = readonly [low: number | null, high: number | null];
const NO_LIMITS: Limits = [null, null];

interface Props {
  points: Point[];
  isStep?: boolean;
  limits?: Limits;
  label: string;
}

export function Sparkline({ points, isStep = false, limits = NO_LIMITS, label }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const latest = useRef({ points, isStep, limits });
  latest.current = { points, isStep, limits };

  useLayoutEffect(() => {
    const el = canvas.current!;
    const redraw = () => drawn(el, latest.current.points, latest.current.isStep, latest.current.limits);
    const observer = new ResizeObserver(redraw);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useLayoutEffect(() => drawn(canvas.current!, points, isStep, limits), [points, isStep, limits[0], limits[1]]);

  return <canvas class="sparkline" ref={canvas} role="img" aria-label={label} data-testid="sparkline" />;
}

function drawn(canvas: HTMLCanvasElement, points: Point[], isStep: boolean, limits: Limits): void {
  const [count, lines] = draw(canvas, points, isStep, limits);
  canvas.dataset.points = String(count);
  canvas.dataset.limits = String(lines);
}

/** Draws; returns how many points and how many limit lines it drew. */
function draw(canvas: HTMLCanvasElement, points: Point[], isStep: boolean, limits: Limits): [number, number] {
  const ctx = sized(canvas);
  if (!ctx) return [0, 0];
  const xy = numeric(points);
  if (xy.length === 0) return [0, 0];
  const { width, height } = canvas.getBoundingClientRect();
  const bounds = isStep ? [] : limits.filter((v): v is number => v !== null && Number.isFinite(v));
  const scale = scaler(xy, bounds, width, height, isStep);
  const line = new Path2D();
  xy.forEach(([t, v], i) => {
    const [x, y] = scale(t, v);
    if (i === 0) line.moveTo(x, y);
    else if (isStep) line.lineTo(x, scale(xy[i - 1]![0], xy[i - 1]![1])[1]);
    if (i > 0) line.lineTo(x, y);
  });
  paint(ctx, line, scale(...xy.at(-1)!), scale(...xy[0]!)[0], height);
  for (const bound of bounds) limitLine(ctx, scale(xy[0]![0], bound)[1], width);
  return [xy.length, bounds.length];
}

/** A dashed line across the chart at a limit, in the stylesheet's `--limit` colour. */
function limitLine(ctx: CanvasRenderingContext2D, y: number, width: number): void {
  ctx.save();
  ctx.strokeStyle = getComputedStyle(ctx.canvas).getPropertyValue("--limit").trim() || "#c62828";
  ctx.lineWidth = 1;
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  ctx.moveTo(0, Math.round(y) + 0.5);
  ctx.lineTo(width, Math.round(y) + 0.5);
  ctx.stroke();
  ctx.restore();
}

/** Matches the backing store to the box and the pixel ratio; null when the canvas is hidden. */
function sized(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  const { width, height } = canvas.getBoundingClientRect();
  const ctx = canvas.getContext("2d");
  if (!ctx || width === 0 || height === 0) return null;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.round(width * dpr);
  const h = Math.round(height * dpr);
  if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

function numeric(points: Point[]): [number, number][] {
  const xy: [number, number][] = [];
  for (const [t, v] of points) {
    if (typeof v === "number" && Number.isFinite(v)) xy.push([t, v]);
    else if (typeof v === "boolean") xy.push([t, v ? 1 : 0]);
  }
  return xy;
}

/** Maps (t, value) to the canvas: time across, values (and the limits, so they stay in view) up. */
function scaler(xy: [number, number][], bounds: number[], width: number, height: number, isStep: boolean) {
  const t0 = xy[0]![0];
  const span = xy.at(-1)![0] - t0;
  let lo = isStep ? 0 : Math.min(...xy.map((p) => p[1]), ...bounds);
  let hi = isStep ? 1 : Math.max(...xy.map((p) => p[1]), ...bounds);
  if (hi - lo < 1e-12) [lo, hi] = [lo - 1, hi + 1];
  return (t: number, v: number): [number, number] => [
    span > 0 ? PAD + ((t - t0) / span) * (width - 2 * PAD) : width - PAD,
    height - PAD - ((v - lo) / (hi - lo)) * (height - 2 * PAD),
  ];
}

/** Colours come from the stylesheet: the canvas's `color` (and `--limit` for limit lines). */
function paint(ctx: CanvasRenderingContext2D, line: Path2D, [lastX, lastY]: [number, number], firstX: number, height: number) {
  const colour = getComputedStyle(ctx.canvas).color;
  const area = new Path2D(line);
  area.lineTo(lastX, height);
  area.lineTo(firstX, height);
  area.closePath();
  ctx.fillStyle = colour;
  ctx.globalAlpha = 0.1;
  ctx.fill(area);
  ctx.globalAlpha = 1;
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1.5;
  ctx.lineJoin = "round";
  ctx.stroke(line);
  ctx.beginPath();
  ctx.arc(lastX, lastY, 2.5, 0, 2 * Math.PI);
  ctx.fill();
}
