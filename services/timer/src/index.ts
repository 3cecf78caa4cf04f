import path from 'node:path';
import { type ServiceModule, serviceMigrations } from '@campusg/messaging';
import { loadMigrations, type Migration } from '@campusg/platform';
import { TimerService } from './timer-service.ts';

export { TimerService, timerHandlers } from './timer-service.ts';

export const TIMER_SCHEMA = 'timers';

export function timerMigrations(): Migration[] {
  return serviceMigrations(TIMER_SCHEMA, loadMigrations(path.join(import.meta.dirname, '..', 'migrations')));
}

/** The timer service: durable timers, fired once as `timer.expired`. It has no HTTP routes. */
export const timerService: ServiceModule = {
  name: 'timer',
  schema: TIMER_SCHEMA,
  source: 'timer-service',
  migrations: timerMigrations,
  manifest: [],
  open: ({ deps }) => {
    const timers = new TimerService(deps);
    return {
      registerRoutes: () => {},
      start: () => timers.start(),
      stop: async () => timers.stop(),
    };
  },
};
