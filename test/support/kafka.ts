import { execFileSync } from 'node:child_process';
import { describe, it } from 'vitest';

/**
 * Gate of the suites that need a real Kafka broker (and possibly PostgreSQL or client tools).
 * Without what they need they are reported as skipped, with the reason in the describe name; with
 * `CAMPUSG_REQUIRE_KAFKA=1` (CI) a missing requirement fails the run instead.
 */
export const kafkaBrokers: string[] = (process.env.KAFKA_BROKERS ?? '')
  .split(',')
  .map((b) => b.trim())
  .filter(Boolean);

export const requireKafka = process.env.CAMPUSG_REQUIRE_KAFKA === '1';

export interface KafkaRequirements {
  /** Also needs `DATABASE_URL` (a PostgreSQL server). */
  database?: boolean;
  /** Executables that must be on the system (e.g. `kcat`). */
  tools?: string[];
  /** Python modules the system interpreter `/usr/bin/python3` must import (e.g. `kafka`). */
  pythonModules?: string[];
}

/** Is `tool` an executable on PATH? */
export function hasTool(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Can Debian's system Python import `module` (isolated mode: no cwd, no user site)? */
export function hasPythonModule(module: string): boolean {
  try {
    execFileSync('/usr/bin/python3', ['-I', '-c', `import ${module}`], { stdio: 'ignore', cwd: '/' });
    return true;
  } catch {
    return false;
  }
}

/** What is missing for a suite, as human-readable reasons (empty: run it). */
export function missingForKafka(req: KafkaRequirements = {}): string[] {
  const missing: string[] = [];
  if (kafkaBrokers.length === 0) missing.push('KAFKA_BROKERS not set');
  if (req.database && !process.env.DATABASE_URL) missing.push('DATABASE_URL not set');
  for (const tool of req.tools ?? []) if (!hasTool(tool)) missing.push(`${tool} not installed`);
  for (const m of req.pythonModules ?? []) if (!hasPythonModule(m)) missing.push(`python module ${m} not importable by /usr/bin/python3`);
  return missing;
}

/**
 * Runs `body` when every requirement is met. Otherwise a describe named `<title> (<what is missing>)`
 * that is skipped, or — under `CAMPUSG_REQUIRE_KAFKA=1` — fails with a clear message.
 */
export function describeWithKafka(title: string, req: KafkaRequirements, body: () => void): void {
  const missing = missingForKafka(req);
  if (missing.length === 0) {
    body();
    return;
  }
  const named = `${title} (${missing.join(', ')})`;
  if (requireKafka) {
    describe(named, () => {
      it('has what it needs (CAMPUSG_REQUIRE_KAFKA=1)', () => {
        throw new Error(
          `CAMPUSG_REQUIRE_KAFKA=1 but ${missing.join(', ')}: start a broker with \`npm run kafka:start\`, ` +
            'set KAFKA_BROKERS=127.0.0.1:9092 (and DATABASE_URL where needed), and install the client tools ' +
            '(`apt-get install -y kcat python3-kafka`)',
        );
      });
    });
  } else {
    describe.skip(named, () => {
      it('skipped: needs a Kafka broker', () => {});
    });
  }
}
