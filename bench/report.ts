/**
 * Charts (docs/bench/*.svg) and tables (docs/performance.md, between the generated-results markers)
 * from benchmark results. Sections of a new run replace the same sections of docs/bench/results.json,
 * so a partial run (`npm run bench -- growth`) keeps the other figures.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './lib/platform.ts';
import { renderCharts } from './lib/report-charts.ts';
import type { Json } from './lib/report-format.ts';
import { SUMMARY_END, SUMMARY_START, summary, tables } from './lib/report-tables.ts';

const SECTIONS = ['platform', 'engines', 'baseline', 'bus', 'timers', 'bytes', 'growth', 'scaling', 'profile'];
const DOCS = path.join(ROOT, 'docs/bench');
const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/** The results of a run over the recorded ones: each section present in the run replaces the recorded one. */
export function merge(results: Json): Json {
  const file = path.join(DOCS, 'results.json');
  const old: Json = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const merged: Json = { ...old, machine: results.machine ?? old.machine, runs: { ...((old.runs as Json) ?? {}) } };
  for (const s of SECTIONS) {
    if (results[s] === undefined) continue;
    merged[s] = results[s];
    // Re-rendering a results file (`npm run bench -- report`) keeps the runs it records.
    if (results.startedAt === undefined) continue;
    (merged.runs as Json)[s] = {
      startedAt: results.startedAt,
      command: results.command,
      phase: (results.phaseSeconds as Json | undefined)?.[s],
    };
  }
  return merged;
}

/** Writes results.json, the charts, docs/performance.md's generated section and the README's summary. */
export function writeReport(results: Json): void {
  mkdirSync(DOCS, { recursive: true });
  const r = merge(results);
  writeFileSync(path.join(DOCS, 'results.json'), `${JSON.stringify(r, null, 2)}\n`);
  const charts = renderCharts(r);
  for (const [name, svg] of Object.entries(charts)) writeFileSync(path.join(DOCS, name), `${svg}\n`);
  const md = tables(r);
  const doc = path.join(ROOT, 'docs/performance.md');
  const text = existsSync(doc) ? readFileSync(doc, 'utf8') : `# Performance\n\n${START}\n${END}\n`;
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  const next = i >= 0 && j > i ? `${text.slice(0, i + START.length)}\n${md}\n${text.slice(j)}` : `${text}\n${START}\n${md}\n${END}\n`;
  writeFileSync(doc, next);
  const readme = path.join(ROOT, 'README.md');
  const intro = readFileSync(readme, 'utf8');
  const a = intro.indexOf(SUMMARY_START);
  const b = intro.indexOf(SUMMARY_END);
  if (a >= 0 && b > a) writeFileSync(readme, `${intro.slice(0, a + SUMMARY_START.length)}\n${summary(r)}\n${intro.slice(b)}`);
}
