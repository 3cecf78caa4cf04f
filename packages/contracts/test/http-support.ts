import type { z } from 'zod';
import { fieldErrors } from '../src/index.ts';

/** Ids and an instant for the response shapes: any valid UUIDs and ISO time will do. */
export const ID = '6f1c2a0e-4b7d-4c1e-9a2b-3d4e5f6a7b8c';
export const OTHER_ID = '0b8e7f6a-5d4c-4b3a-8f9e-1a2b3c4d5e6f';
export const AT = '2026-11-26T10:00:00.000Z';

/** The first issue of a failed parse as `{path, message}`, or undefined when it passed. */
export function firstError(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value);
  return result.success ? undefined : fieldErrors(result.error)[0];
}
