/**
 * The chart: fan-out latency (p50/p95/p99 per server) and the throughput ceiling, as an SVG drawn here,
 * rendered to PNG with Chromium (playwright-core) so it shows anywhere.
 */
import { writeFile } from "node:fs/promises";
import { chromium } from "playwright-core";
import { BenchError, withTimeout } from "../errors.js";
import { TIMEOUTS } from "../limits.js";
import { SERVERS } from "../servers/catalog.js";
import { round } from "../stats.js";
import type { Summary } from "./summary.js";

const WIDTH = 1100;
const HEIGHT = 460;
const PANEL = { top: 60, bottom: 110, left: 70, width: 440 };
const COLORS = ["#9aa5b1", "#3e7cb1", "#e07a5f", "#2a9d8f", "#264653", "#e9c46a", "#8d5a97"];
const PERCENTILE_SHADES = [0.45, 0.7, 1];

interface Bar {
  group: string;
  value: number;
  color: string;
  opacity: number;
  tag: string;
}

const escapeXml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Bar height as a share of the plot: linear, or log10 from 1 (the relay can be 30× the rest). */
function scaler(kind: "linear" | "log", max: number): (value: number) => number {
  if (kind === "linear") return (value) => value / max;
  const top = Math.log10(Math.max(10, max));
  return (value) => Math.max(0, Math.log10(Math.max(1, value)) / top);
}

function panel(title: string, unit: string, bars: Bar[], x0: number, kind: "linear" | "log" = "linear"): string {
  const plotHeight = HEIGHT - PANEL.top - PANEL.bottom;
  const max = Math.max(1e-9, ...bars.map((bar) => bar.value)) * 1.15;
  const share = scaler(kind, max);
  const groups = [...new Set(bars.map((bar) => bar.group))];
  const groupWidth = PANEL.width / Math.max(1, groups.length);
  const parts = [
    `<text x="${x0 + PANEL.width / 2}" y="30" text-anchor="middle" font-size="17" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="${x0 - 50}" y="${PANEL.top + plotHeight / 2}" font-size="12" transform="rotate(-90 ${x0 - 50} ${PANEL.top + plotHeight / 2})" text-anchor="middle">${escapeXml(unit)}</text>`,
    `<line x1="${x0}" y1="${PANEL.top + plotHeight}" x2="${x0 + PANEL.width}" y2="${PANEL.top + plotHeight}" stroke="#333"/>`,
  ];
  const ticks = kind === "linear" ? [0, 1, 2, 3, 4].map((tick) => (max * tick) / 4) : decades(max);
  for (const value of ticks) {
    const y = PANEL.top + plotHeight - plotHeight * share(value);
    parts.push(`<line x1="${x0}" y1="${y}" x2="${x0 + PANEL.width}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x0 - 6}" y="${y + 4}" font-size="11" text-anchor="end">${round(value)}</text>`);
  }
  groups.forEach((group, g) => {
    const inGroup = bars.filter((bar) => bar.group === group);
    const barWidth = (groupWidth * 0.8) / inGroup.length;
    inGroup.forEach((bar, i) => {
      const height = plotHeight * share(bar.value);
      const x = x0 + g * groupWidth + groupWidth * 0.1 + i * barWidth;
      const y = PANEL.top + plotHeight - height;
      parts.push(`<rect x="${x}" y="${y}" width="${barWidth - 2}" height="${height}" fill="${bar.color}" fill-opacity="${bar.opacity}"/>`);
      parts.push(`<text x="${x + barWidth / 2}" y="${y - 4}" font-size="10" text-anchor="middle">${round(bar.value)}</text>`);
      if (bar.tag) parts.push(`<text x="${x + barWidth / 2}" y="${PANEL.top + plotHeight + 13}" font-size="9" text-anchor="middle">${bar.tag}</text>`);
    });
    const labelY = PANEL.top + plotHeight + 30;
    const labelX = x0 + g * groupWidth + groupWidth / 2;
    parts.push(`<text x="${labelX}" y="${labelY}" font-size="12" text-anchor="end" transform="rotate(-25 ${labelX} ${labelY})">${escapeXml(group)}</text>`);
  });
  return parts.join("\n");
}

/** 1, 10, 100, … up to `max`. */
const decades = (max: number): number[] => Array.from({ length: Math.floor(Math.log10(Math.max(10, max))) + 1 }, (_, i) => 10 ** i);

export function renderSvg(summary: Summary, subtitle: string): string {
  const row = (scenario: string, key: string) => summary.rows.find((candidate) => candidate.def.scenario === scenario && candidate.def.key === key);
  const latencyBars: Bar[] = [];
  const throughputBars: Bar[] = [];
  SERVERS.forEach((spec, s) => {
    const color = COLORS[s % COLORS.length] as string;
    ["p50Ms", "p95Ms", "p99Ms"].forEach((key, p) => {
      const value = row("fanout", key)?.values[spec.id];
      if (value != null) latencyBars.push({ group: spec.label, value, color, opacity: PERCENTILE_SHADES[p] as number, tag: key.slice(0, 3) });
    });
    const updates = row("throughput", "updatesPerSec")?.values[spec.id];
    if (updates != null) throughputBars.push({ group: spec.label, value: updates, color, opacity: 1, tag: "" });
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel("Fan-out latency (10 rooms × 10 clients)", "milliseconds (lower is better)", latencyBars, PANEL.left),
    panel("Throughput ceiling (one room)", "updates/s at a receiver, log scale (higher is better)", throughputBars, PANEL.left + PANEL.width + 110, "log"),
    `<text x="${WIDTH / 2}" y="${HEIGHT - 8}" font-size="11" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`,
    "</svg>",
  ].join("\n");
}

/** Writes the SVG and its PNG rendering next to each other. */
export async function writeChart(svg: string, svgPath: string, pngPath: string): Promise<void> {
  await writeFile(svgPath, svg);
  const browser = await withTimeout(chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] }), TIMEOUTS.chartMs, "chromium launch");
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT } });
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    await page.screenshot({ path: pngPath, clip: { x: 0, y: 0, width: WIDTH, height: HEIGHT } });
  } catch (error) {
    throw new BenchError("ERR_CHART", `chart rendering failed: ${(error as Error).message}`);
  } finally {
    await browser.close();
  }
}
