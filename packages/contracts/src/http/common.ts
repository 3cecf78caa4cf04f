import { z } from 'zod';
import { uuid } from './fields.ts';

/** Path parameters of every `/{id}` route. */
export const idParams = z.object({ id: uuid });
export type IdParams = z.infer<typeof idParams>;

/** `GET /health`. */
export const healthResponse = z.object({ status: z.literal('ok') });
export type HealthResponse = z.infer<typeof healthResponse>;
