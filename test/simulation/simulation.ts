import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPeople } from './sim-client.ts';
import { openSimPlatform, type SimPlatform } from './sim-platform.ts';
import { runSchedule } from './sim-schedule.ts';

/**
 * Runs the schedules of seeds `first` … `first + count - 1` (or only `SIM_SEED`, when it is set) on
 * one simulated platform, checking the invariants after each. A failure names its seed and the
 * command that replays it; `file` is the test file, for that command.
 */
export function describeSimulation(file: string, first: number, count: number): void {
  const single = process.env.SIM_SEED === undefined ? undefined : Number(process.env.SIM_SEED);
  const from = single ?? first;
  const n = single === undefined ? count : 1;

  describe('the saga system under a simulated log with crashes, redeliveries, reordering and deadlines', () => {
    let p: SimPlatform;
    beforeAll(async () => {
      p = await openSimPlatform();
      await seedPeople(p);
    });
    afterAll(async () => {
      await p?.close();
    });

    it('replays a schedule exactly: the same moves, the same rows', async () => {
      // Each from a fresh process, as a replay is: the sagas' state cache holds the same ids otherwise.
      await p.restart();
      const once = await runSchedule(p, from);
      await p.restart();
      const again = await runSchedule(p, from);
      expect(again.trace).toEqual(once.trace);
      expect(again.digest).toBe(once.digest);
      expect(once.trace.length).toBeGreaterThan(20);
    });

    it(`keeps every invariant in ${n} seeded schedules (seeds ${from}…${from + n - 1})`, { timeout: 3_600_000 }, async () => {
      await p.restart();
      const started = performance.now();
      const cpu = process.cpuUsage();
      let orders = 0;
      let crashes = 0;
      for (let seed = from; seed < from + n; seed++) {
        const result = await runSchedule(p, seed);
        orders += result.orders;
        crashes += result.crashes;
        if (result.violations.length > 0) {
          const replay = `SIM_SEED=${seed} npx vitest run ${file}`;
          console.error(
            `schedule ${seed} (digest ${result.digest}) broke an invariant; replay it with: ${replay}\n${result.trace.join('\n')}`,
          );
          expect.fail(`seed ${seed}: ${result.violations.join('; ')}\nreplay: ${replay}`);
        }
      }
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const used = process.cpuUsage(cpu);
      const cpuSeconds = ((used.user + used.system) / 1e6).toFixed(1);
      console.log(`${n} schedules, ${orders} orders, ${crashes} crashes before a commit: ${seconds} s (${cpuSeconds} s of CPU)`);
      expect(orders).toBeGreaterThanOrEqual(n);
    });
  });
}
