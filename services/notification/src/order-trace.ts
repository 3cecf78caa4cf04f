import { GROUP_TOPICS, type OrderTrace } from '@campusg/contracts';
import { type App, AppError, type AuthHook, type Sql } from '@campusg/platform';
import { z } from 'zod';

/** An audit log row as the trace reads it. */
export interface AuditRow {
  message_id: string;
  correlation_id: string;
  causation_id: string | null;
  type: string;
  topic: string;
  partition: number;
  offset: number;
  source: string;
  at: string;
  received_at: string;
  summary: string;
  payload: Record<string, unknown>;
}

type TraceItem = OrderTrace['items'][number];
const ORCHESTRATOR = 'saga-orchestrator';
const AUDITOR = 'notification-service';

/**
 * An order's messages in causal order: each message right after the one that caused it (its
 * `causation_id`), siblings and unrelated roots by time. For each message, the groups that read its
 * topic and, where one of them answered, its reply and when: the audit log as the order's path.
 */
export function traceOf(rows: AuditRow[]): TraceItem[] {
  const ids = new Set(rows.map((r) => r.message_id));
  const children = new Map<string | null, AuditRow[]>();
  for (const r of rows) {
    const parent = r.causation_id && ids.has(r.causation_id) ? r.causation_id : null;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  // Which saga each correlation id is, from the saga events: its orchestrator's group handled the replies.
  const sagaTypes = new Map(
    rows.filter((r) => r.type === 'saga.started').map((r) => [r.correlation_id, String(r.payload.saga_type ?? '')] as const),
  );
  const groupOf = (sender: AuditRow): string =>
    sender.source === ORCHESTRATOR ? `${sagaTypes.get(sender.correlation_id) ?? 'unknown'}-saga-orchestrator` : sender.source;
  const out: TraceItem[] = [];
  const visit = (r: AuditRow, depth: number) => {
    const replies = children.get(r.message_id) ?? [];
    const readers = Object.entries(GROUP_TOPICS)
      .filter(([, topics]) => (topics as string[]).includes(r.topic))
      .map(([group]) => group);
    // What each group sent in answer (an orchestrator may send a command and a saga event), first time first.
    const answers = new Map<string, { group: string; service: string; at: string; reply: string }>();
    for (const c of replies) {
      const seen = answers.get(groupOf(c));
      if (seen) seen.reply += `, ${c.type}`;
      else answers.set(groupOf(c), { group: groupOf(c), service: c.source, at: c.at, reply: c.type });
    }
    const handledBy = [
      ...answers.values(),
      // The audit log is this service's own record of reading it.
      ...(answers.has(AUDITOR) ? [] : [{ group: AUDITOR, service: AUDITOR, at: r.received_at, reply: null }]),
      // Groups that keep a view or figures read it too; the orchestrators only answer their own saga's replies.
      ...readers
        .filter((g) => g !== AUDITOR && !g.endsWith(ORCHESTRATOR) && !answers.has(g))
        .map((group) => ({ group, service: null, at: null, reply: null })),
    ];
    out.push({
      messageId: r.message_id,
      correlationId: r.correlation_id,
      causationId: r.causation_id,
      depth,
      type: r.type,
      topic: r.topic,
      partition: r.partition,
      offset: Number(r.offset),
      source: r.source,
      at: r.at,
      summary: r.summary,
      payload: r.payload,
      handledBy,
    });
    for (const c of replies) visit(c, depth + 1);
  };
  for (const root of children.get(null) ?? []) visit(root, 0);
  return out;
}

const ISO = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** `GET /admin/orders/:id/trace`: behind the operator's token; the audit log is this service's. */
export function registerOrderTraceRoute(app: App, db: Sql, operator: AuthHook): void {
  app.get(
    '/admin/orders/:id/trace',
    { onRequest: operator, schema: { hide: true, params: z.object({ id: z.uuid() }) } },
    async (req): Promise<OrderTrace> => {
      const rows = await db.query<AuditRow>(
        `select message_id, correlation_id, causation_id, type, topic, partition, "offset", source,
           ${ISO('at')} as at, ${ISO('received_at')} as received_at, summary, payload
         from notifications.audit_log where order_id = $1 order by at, seq`,
        [req.params.id],
      );
      if (rows.length === 0) throw new AppError('NOT_FOUND', 'no message about this order');
      return { orderId: req.params.id, items: traceOf(rows) };
    },
  );
}
