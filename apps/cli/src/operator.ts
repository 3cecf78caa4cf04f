import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

/** Where the running platform answers, and the operator token (ADMIN_TOKEN, else the embedded data dir's). */
function target(env: NodeJS.ProcessEnv) {
  const url = (env.CAMPUSG_URL ?? `http://127.0.0.1:${env.PORT ?? 3000}`).replace(/\/$/, '');
  const file = path.join(path.resolve(env.CAMPUSG_DATA_DIR ?? './data'), 'admin-token');
  const token = env.ADMIN_TOKEN ?? (existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined);
  if (!token) throw new Error('no operator token: set ADMIN_TOKEN (or run from the folder whose ./data holds the embedded platform)');
  return { url, token };
}

async function call<T>(env: NodeJS.ProcessEnv, method: string, route: string, body?: unknown): Promise<T> {
  const { url, token } = target(env);
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  }).catch((err: Error) => {
    throw new Error(`cannot reach CampusG at ${url}: ${err.message}`);
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

type Out = (text: string) => void;

interface SagaDetail {
  id: string;
  type: string;
  orderId: string;
  status: string;
  step: string | null;
  startedAt: string;
  endedAt: string | null;
  error: string | null;
  deadlineAt: string | null;
  waitingFor: { type: string; messageId: string; sentAt: string }[];
  history: Record<string, unknown>[];
}

/** `campusg saga …`, `campusg dlq …`, `campusg lag`, `campusg db sizes`, `campusg group reset`: the operator's view of a running platform. */
export async function operatorCommand(argv: string[], env: NodeJS.ProcessEnv, out: Out): Promise<number> {
  const { values, positionals: words } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      status: { type: 'string' },
      type: { type: 'string' },
      limit: { type: 'string' },
      id: { type: 'string' },
      json: { type: 'boolean' },
      estimate: { type: 'boolean' },
      'to-earliest': { type: 'boolean' },
      'to-time': { type: 'string' },
    },
  });
  const [area, action, ...positionals] = words;
  const print = (value: unknown, render: () => string) => out(values.json ? JSON.stringify(value, null, 2) : render());

  if (area === 'saga' && action === 'list') {
    const q = new URLSearchParams(
      Object.entries({ status: values.status, type: values.type, limit: values.limit }).filter(([, v]) => v) as [string, string][],
    );
    const res = await call<{ items: Record<string, unknown>[] }>(env, 'GET', `/admin/sagas?${q}`);
    print(res, () => table(res.items, ['id', 'type', 'status', 'step', 'orderId', 'startedAt', 'error']));
    return 0;
  }
  if (area === 'saga' && action === 'show' && positionals[0]) {
    const s = await call<SagaDetail>(env, 'GET', `/admin/sagas/${positionals[0]}`);
    print(s, () =>
      [
        `saga ${s.id} (${s.type}) for order ${s.orderId}`,
        `status ${s.status}, step ${s.step ?? '-'}, started ${s.startedAt}${s.endedAt ? `, ended ${s.endedAt}` : ''}`,
        s.error ? `error: ${s.error}` : null,
        s.waitingFor.length
          ? `waiting for a reply to: ${s.waitingFor.map((w) => `${w.type} (${w.messageId}, sent ${w.sentAt})`).join(', ')}; deadline ${s.deadlineAt}`
          : 'waiting for nothing',
        '',
        table(s.history, ['at', 'kind', 'type', 'messageId', 'note']),
      ]
        .filter((l) => l !== null)
        .join('\n'),
    );
    return 0;
  }
  if (area === 'saga' && action === 'retry' && positionals[0]) {
    const res = await call<{ retried: boolean; status: string }>(env, 'POST', `/admin/sagas/${positionals[0]}/retry`, {});
    print(res, () => (res.retried ? `retried: the saga is ${res.status} again` : `not retried: the saga is ${res.status}, not FAILED`));
    return res.retried ? 0 : 1;
  }
  if (area === 'dlq' && action === 'list' && positionals[0]) {
    const res = await call<{ items: Record<string, unknown>[] }>(
      env,
      'GET',
      `/admin/dlq/${positionals[0]}${values.limit ? `?limit=${values.limit}` : ''}`,
    );
    print(res, () => table(res.items, ['offset', 'at', 'messageId', 'type', 'reason', 'group', 'error']));
    return 0;
  }
  if (area === 'dlq' && action === 'replay' && positionals[0]) {
    const res = await call<{ replayed: number }>(
      env,
      'POST',
      `/admin/dlq/${positionals[0]}/replay`,
      values.id ? { messageId: values.id } : {},
    );
    print(res, () => `replayed ${res.replayed} message(s) to ${positionals[0]}`);
    return 0;
  }
  if (area === 'group' && action === 'reset' && positionals[0]) {
    const time = values['to-time'];
    if (time !== undefined && values['to-earliest']) throw new Error('give --to-earliest or --to-time, not both');
    const at = time === undefined ? undefined : new Date(time);
    if (at && Number.isNaN(at.getTime())) throw new Error(`--to-time: not a time: ${time} (e.g. 2026-12-05T10:00:00Z)`);
    const res = await call<{ group: string; to: string; lag: number }>(env, 'POST', `/admin/groups/${positionals[0]}/reset`, {
      to: at ? at.toISOString() : 'earliest',
    });
    print(res, () => `${res.group} rewound to ${res.to}: ${res.lag} message(s) to read again`);
    return 0;
  }
  if (area === 'lag') {
    const res = await call<{ groups: { group: string; lag: number }[] }>(env, 'GET', '/admin/lag');
    print(res, () => table(res.groups, ['group', 'lag']));
    return 0;
  }
  if (area === 'db' && action === 'sizes') {
    const res = await call<{ tables: Record<string, unknown>[]; totalBytes: number }>(
      env,
      'GET',
      `/admin/db/sizes${values.estimate ? '?estimate=true' : ''}`,
    );
    print(res, () => `${table(res.tables, ['schema', 'table', 'rows', 'bytes'])}\ntotal ${res.totalBytes} bytes`);
    return 0;
  }
  throw new Error(`unknown command: campusg ${argv.join(' ')}`);
}
