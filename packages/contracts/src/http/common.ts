import { z } from 'zod';
import { isoTime, uuid } from './fields.ts';

/** Path parameters of every `/{id}` route. */
export const idParams = z.object({ id: uuid });
export type IdParams = z.infer<typeof idParams>;

/** `GET /health`. */
export const healthResponse = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof healthResponse>;

/** `GET /instance`: who the process is, how long it has run, and whether it is ready (as `GET /ready` says). */
export const instanceResponse = z.object({
  /** `<host name>:<pid>`. */
  id: z.string(),
  /** The services it runs (`gateway` for the gateway). */
  services: z.array(z.string()),
  version: z.string(),
  startedAt: isoTime,
  uptimeSeconds: z.number(),
  ready: z.boolean(),
});
export type InstanceResponse = z.infer<typeof instanceResponse>;
