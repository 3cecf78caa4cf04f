import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  name: string;
  where: string;
  selfMs: number;
  selfPct: number;
  totalPct?: number;
}

export interface ProfileSummary {
  file: string;
  durationMs: number;
  /** Share of sampled time by area (idle excluded from the percentages). */
  byArea: Record<string, number>;
  /** The same, with Node internals (fs, streams, microtasks) charged to the package or code that called them. */
  byAreaWithCallsCharged: Record<string, number>;
  idlePct: number;
  topSelf: Frame[];
  /** Inclusive time of project functions (what calls into the expensive leaves). */
  topProjectTotal: Frame[];
}

/** Which part of the stack a frame belongs to. */
export function areaOf(url: string, name: string): string {
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'gc';
  if (name === '(program)') return 'native/program';
  if (url.includes('@electric-sql/pglite') || url.startsWith('wasm://') || name.startsWith('wasm-')) return 'pglite (PostgreSQL in WASM)';
  if (url.includes('node_modules/@platformatic/kafka')) return 'Kafka client';
  if (url.includes('node_modules/amqplib')) return 'amqplib';
  if (url.includes('node_modules/pg') || url.includes('node_modules/pg-protocol')) return 'pg driver';
  if (
    url.includes('node_modules/fastify') ||
    url.includes('node_modules/@fastify') ||
    url.includes('find-my-way') ||
    url.includes('light-my-request')
  )
    return 'fastify';
  if (url.includes('node_modules/zod') || url.includes('fastify-type-provider-zod')) return 'zod';
  if (url.includes('node_modules/pino') || url.includes('thread-stream') || url.includes('sonic-boom')) return 'pino';
  if (url.includes('node_modules/jose')) return 'jose (JWT)';
  if (url.includes('node_modules/prom-client')) return 'prom-client';
  if (url.includes('node_modules/tsx') || url.includes('esbuild')) return 'tsx (load)';
  if (url.includes('node_modules/')) return 'other packages';
  if (url.startsWith('node:') || url === '' || !url.includes('/')) return 'node internals';
  if (url.includes('/bench/')) return 'bench observer';
  return 'project code';
}

/** Self time per function and per area, from a V8 `.cpuprofile`. */
export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  const fnKey = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}|${n.callFrame.url}:${n.callFrame.lineNumber + 1}`;
  const selfByFn = new Map<string, number>();
  const totalByFn = new Map<string, number>();
  const byArea: Record<string, number> = {};
  const byOwner: Record<string, number> = {};
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const area = areaOf(n.callFrame.url, n.callFrame.functionName);
    total += ms;
    if (area === 'idle') {
      idle += ms;
      continue;
    }
    byArea[area] = (byArea[area] ?? 0) + ms;
    let owner = area;
    for (let cur = parent.get(id); (owner === 'node internals' || owner === 'native/program') && cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!;
      const a = areaOf(f.callFrame.url, f.callFrame.functionName);
      if (a !== 'node internals' && a !== 'native/program' && f.callFrame.functionName !== '(root)') owner = a;
    }
    byOwner[owner] = (byOwner[owner] ?? 0) + ms;
    selfByFn.set(fnKey(n), (selfByFn.get(fnKey(n)) ?? 0) + ms);
    // Inclusive time: charge every distinct project function on the stack once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!;
      if (areaOf(f.callFrame.url, f.callFrame.functionName) !== 'project code') continue;
      const k = fnKey(f);
      if (seen.has(k)) continue;
      seen.add(k);
      totalByFn.set(k, (totalByFn.get(k) ?? 0) + ms);
    }
  }
  const busy = total - idle;
  const pct = (ms: number) => Math.round((ms / busy) * 1000) / 10;
  const frames = (m: Map<string, number>, kind: 'self' | 'total'): Frame[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => {
        const [name, where] = k.split('|') as [string, string];
        const short = where.replace(/^file:\/\/.*?\/work\/main\//, '').replace(/^.*node_modules\//, 'node_modules/');
        return kind === 'self'
          ? { name, where: short, selfMs: Math.round(ms), selfPct: pct(ms) }
          : { name, where: short, selfMs: Math.round(selfByFn.get(k) ?? 0), selfPct: pct(selfByFn.get(k) ?? 0), totalPct: pct(ms) };
      });
  return {
    file,
    durationMs: Math.round((p.endTime - p.startTime) / 1000),
    byArea: Object.fromEntries(
      Object.entries(byArea)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, pct(v)]),
    ),
    byAreaWithCallsCharged: Object.fromEntries(
      Object.entries(byOwner)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, pct(v)]),
    ),
    idlePct: Math.round((idle / total) * 1000) / 10,
    topSelf: frames(selfByFn, 'self'),
    topProjectTotal: frames(totalByFn, 'total'),
  };
}
