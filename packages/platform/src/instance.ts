import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type { InstanceResponse, ServiceInstance } from '@campusg/contracts';
import type { Clock } from './clock.ts';

/** CampusG's version: the repository's package.json, which every process's image carries. */
export const CAMPUSG_VERSION: string = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

/** Who a process is: what `GET /instance` says of it, besides its uptime and readiness. */
export interface InstanceInfo {
  /** `<host name>:<pid>`: the machine (or container) and the process to look at. */
  id: string;
  /** The services it runs (`gateway` for the gateway). */
  services: string[];
  version: string;
  startedAt: Date;
}

/** This process, running `services`, started now (by `clock`). */
export function thisInstance(services: readonly string[], clock: Clock): InstanceInfo {
  return { id: `${hostname()}:${process.pid}`, services: [...services], version: CAMPUSG_VERSION, startedAt: clock.now() };
}

/** What `GET /instance` answers for `instance`: who it is, how long it has run by `clock`, and whether it is ready. */
export function instanceStatus(instance: InstanceInfo, clock: Clock, ready: boolean): InstanceResponse {
  return {
    id: instance.id,
    services: instance.services,
    version: instance.version,
    startedAt: instance.startedAt.toISOString(),
    uptimeSeconds: Math.max(0, Math.round((clock.now().getTime() - instance.startedAt.getTime()) / 1000)),
    ready,
  };
}

/** An instance as the operator's health report lists it: from its `GET /instance` answer, or from why there was none. */
export function reportedInstance(url: string | null, answer: InstanceResponse | { problem: string }): ServiceInstance {
  if ('problem' in answer) {
    return { url, state: 'down', id: null, services: [], version: null, startedAt: null, uptimeSeconds: null, problem: answer.problem };
  }
  const { ready, ...who } = answer;
  return {
    url,
    state: ready ? 'ready' : 'up',
    ...who,
    problem: ready ? null : 'not ready: starting, or its database or the bus does not answer',
  };
}
