import path from 'node:path';
import { messagingTablesSql } from '@campusg/messaging';
import { loadMigrations, type Migration } from '@campusg/platform';

export { TimerService, timerHandlers } from './timer-service.ts';

export const TIMER_SCHEMA = 'timers';

export function timerMigrations(): Migration[] {
  return [
    { id: '000_messaging', sql: messagingTablesSql(TIMER_SCHEMA) },
    ...loadMigrations(path.join(import.meta.dirname, '..', 'migrations')),
  ];
}
