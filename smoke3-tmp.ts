import { openPglite } from '@campusg/platform';
const db = await openPglite(undefined);
const r = await db.query('select pg_terminate_backend(pg_backend_pid())').catch((e) => e);
console.log('terminate ->', r);
console.log('after ->', await db.query('select 1 as x').catch((e) => e));
await db.close().catch((e) => console.log('close err', e));
console.log('done');
