import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '@campusg/platform';
import type { Client } from '@temporalio/client';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { SagaActivities } from './protocol.ts';

const require = createRequire(import.meta.url);
/**
 * The SDK's worker, loaded on first use: it is the heaviest part of starting a process, and a
 * process whose sagas run on the bus engine never needs it.
 */
const workerSdk = () => import('@temporalio/worker');

/** Where the Temporal engine finds its server (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_TASK_QUEUE`). */
export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
}

/** A process's link to Temporal: the client that starts and signals workflows, and the worker that runs them. */
export interface TemporalLink {
  client: Client;
  close(): Promise<void>;
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
let runtimeInstalled: Promise<void> | undefined;

/**
 * The workflow code of `workflowsPath`, bundled once per process and kept in the temporary
 * directory under a hash of every source file it may include (`sourceDirs`) and of the SDK's
 * version: the bundler takes many seconds, and a restart with the same code reuses its bundle.
 */
export function workflowBundle(workflowsPath: string, sourceDirs: readonly string[]): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = cachedBundle(workflowsPath, sourceDirs);
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

async function cachedBundle(workflowsPath: string, sourceDirs: readonly string[]): Promise<WorkflowBundleWithSourceMap> {
  const hash = createHash('sha256').update(workflowsPath);
  const sdk = path.join(path.dirname(require.resolve('@temporalio/workflow')), '..', 'package.json');
  hash.update(readFileSync(sdk));
  for (const dir of sourceDirs) {
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .sort();
    for (const f of files) hash.update(f).update(readFileSync(path.join(dir, f)));
  }
  const dir = path.join(tmpdir(), 'campusg-workflow-bundles');
  const file = path.join(dir, `${hash.digest('hex').slice(0, 32)}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as WorkflowBundleWithSourceMap;
  } catch {
    const { bundleWorkflowCode, DefaultLogger } = await workerSdk();
    const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    mkdirSync(dir, { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, JSON.stringify(bundle));
    renameSync(partial, file);
    return bundle;
  }
}

/** The SDK's own log lines (worker state changes) only when something is wrong; once per process, before any worker. */
export function quietTemporalRuntime(): Promise<void> {
  runtimeInstalled ??= workerSdk().then(({ Runtime, DefaultLogger }) => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  });
  return runtimeInstalled;
}

/**
 * Connects to Temporal and runs a worker for the saga workflows of `workflowsPath` on the task
 * queue, with the sagas' activities. `close` drains the worker and closes both connections.
 */
export async function openTemporal(
  settings: TemporalSettings,
  o: {
    workflowsPath: string;
    /** Every directory whose code the workflows may import (the bundle is cached under their contents). */
    sourceDirs: readonly string[];
    activities: SagaActivities;
    log: Logger;
  },
): Promise<TemporalLink> {
  await quietTemporalRuntime();
  const [{ Client, Connection }, { NativeConnection, Worker }] = await Promise.all([import('@temporalio/client'), workerSdk()]);
  const workflowBundleCode = await workflowBundle(o.workflowsPath, o.sourceDirs);
  const nativeConnection = await NativeConnection.connect({ address: settings.address });
  const connection = await Connection.connect({ address: settings.address });
  const client = new Client({ connection, namespace: settings.namespace });
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    workflowBundle: workflowBundleCode,
    activities: o.activities,
    shutdownGraceTime: '5 seconds',
    // A worker killed with workflows in its cache: the server hands their next task to another
    // worker after this, rather than after the default 10 s.
    stickyQueueScheduleToStartTimeout: '2 seconds',
  });
  const running = worker.run().catch((err) => o.log.error({ err }, 'Temporal worker stopped'));
  return {
    client,
    async close() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}
