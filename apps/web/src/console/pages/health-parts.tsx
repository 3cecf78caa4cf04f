import type { OperatorHealth, ServiceInstance } from '@campusg/contracts';
import type { ReactNode } from 'react';
import { Notice } from '../../components/feedback.tsx';
import { seconds } from '../format.ts';

const STATE_TONE: Record<ServiceInstance['state'], string> = { ready: 'success', up: 'progress', down: 'danger' };

/** One process, under every service it runs (a process may run several, the one process all of them). */
interface Process extends ServiceInstance {
  key: string;
  configuredAs: string[];
}

/** The distinct processes of a report: by URL (the gateway's view) or by id (the process's own). */
export function processesOf(health: OperatorHealth): Process[] {
  const byKey = new Map<string, Process>();
  for (const service of health.services) {
    for (const instance of service.instances) {
      const key = instance.url ?? instance.id ?? service.name;
      const known = byKey.get(key);
      if (known) known.configuredAs.push(service.name);
      else byKey.set(key, { ...instance, key, configuredAs: [service.name] });
    }
  }
  return [...byKey.values()];
}

/** Whose instances the report lists. */
function viewNote(health: OperatorHealth, processes: Process[]): string {
  if (health.view === 'gateway') return 'Every instance in the gateway’s <SERVICE>_SERVICE_URLS, asked just now.';
  if (processes.length === 1 && health.services.every((s) => s.instances.length === 1)) return 'One process runs every service.';
  return 'Only the process that answered: through the gateway, every instance is listed.';
}

const badge = (tone: string, text: string) => <span className={`badge badge--${tone}`}>{text}</span>;

/** The parts of the deployment and whether each answers: the bus, the databases, each service and its instances. */
export function HealthParts({ health }: { health: OperatorHealth }) {
  const processes = processesOf(health);
  const count = (state: ServiceInstance['state']) => processes.filter((p) => p.state === state).length;
  return (
    <>
      {health.problem && <Notice tone="warning">{health.problem}</Notice>}
      <div className="console-cards">
        <section className="card" aria-label="Bus">
          <h2>Bus</h2>
          {health.transport ? (
            <p>
              {badge(health.transport.up ? 'success' : 'danger', health.transport.up ? 'up' : 'down')} {health.transport.name} ·{' '}
              {health.transport.replay ? 'keeps history (replay)' : 'no history (no replay)'}
            </p>
          ) : (
            <p>{badge('neutral', 'unknown')}</p>
          )}
        </section>
        <section className="card" aria-label="Databases">
          <h2>Databases</h2>
          {health.databases.length === 0 && <p>{badge('neutral', 'unknown')}</p>}
          <ul className="console-list">
            {health.databases.map((d) => (
              <li key={d.schemas.join()}>
                {badge(d.up ? 'success' : 'danger', d.up ? 'up' : 'down')} <span className="small">{d.schemas.join(', ')}</span>
              </li>
            ))}
          </ul>
        </section>
        <section className="card" aria-label="Instances at a glance">
          <h2>Processes</h2>
          <p>
            {badge(
              count('down') > 0 ? 'danger' : count('up') > 0 ? 'progress' : 'success',
              `${count('ready')} of ${processes.length} ready`,
            )}{' '}
            {count('up') > 0 && badge('progress', `${count('up')} not ready`)}{' '}
            {count('down') > 0 && badge('danger', `${count('down')} down`)}
          </p>
          <p className="small muted">{viewNote(health, processes)}</p>
        </section>
        <ServicesTable health={health} />
        <InstancesTable processes={processes} />
      </div>
    </>
  );
}

/** A full-width card holding one table: its title, its column heads (`num` ones right-aligned), its rows. */
function TableCard({ title, columns, children }: { title: string; columns: (string | { num: string })[]; children: ReactNode }) {
  return (
    <section className="card console-full" aria-label={title}>
      <h2>{title}</h2>
      <div className="console-scroll">
        <table className="table small">
          <thead>
            <tr>
              {columns.map((c) =>
                typeof c === 'string' ? (
                  <th key={c}>{c}</th>
                ) : (
                  <th key={c.num} className="num">
                    {c.num}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
      </div>
    </section>
  );
}

function ServicesTable({ health }: { health: OperatorHealth }) {
  return (
    <TableCard title="Services" columns={['Service', 'Instances', { num: 'Lag' }, 'Groups']}>
      {health.services.map((s) => {
        const ready = s.instances.filter((i) => i.state === 'ready').length;
        const down = s.instances.filter((i) => i.state === 'down').length;
        const tone = down > 0 ? 'danger' : ready < s.instances.length ? 'progress' : 'success';
        return (
          <tr key={s.name}>
            <td>{s.name}</td>
            <td>
              {s.instances.length === 0 ? (
                <span className="muted">not watched</span>
              ) : (
                <>
                  {badge(tone, `${ready}/${s.instances.length} ready`)} {down > 0 && badge('danger', `${down} down`)}
                </>
              )}
            </td>
            <td className="num">{s.lag ?? '–'}</td>
            <td className="mono small">{s.groups.join(', ') || '–'}</td>
          </tr>
        );
      })}
    </TableCard>
  );
}

function InstancesTable({ processes }: { processes: Process[] }) {
  return (
    <TableCard title="Instances" columns={['Instance', 'State', { num: 'Up for' }, 'Version', 'Services']}>
      {processes.map((p) => (
        <tr key={p.key}>
          <td>
            <div className="mono">{p.url ?? 'this process'}</div>
            <div className="mono small muted">{p.id ?? '–'}</div>
          </td>
          <td>
            {badge(STATE_TONE[p.state], p.state)}
            {p.problem && <div className="small muted">{p.problem}</div>}
          </td>
          <td className="num">{seconds(p.uptimeSeconds)}</td>
          <td>{p.version ?? '–'}</td>
          <td>{(p.services.length > 0 ? p.services : p.configuredAs).join(', ')}</td>
        </tr>
      ))}
    </TableCard>
  );
}
