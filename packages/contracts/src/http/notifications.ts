import { z } from 'zod';
import { isoTime, uuid } from './fields.ts';

/** `GET /api/notifications?unread=true|false`. */
export const notificationsQuery = z.object({
  unread: z.stringbool({ truthy: ['true'], falsy: ['false'], case: 'sensitive', error: 'must be true or false' }).optional(),
});
export type NotificationsQuery = z.infer<typeof notificationsQuery>;

/** One notification; `kind` names what happened (free-form, owned by the notification service). */
export const notificationItem = z.object({
  id: uuid,
  at: isoTime,
  orderId: uuid.nullable(),
  kind: z.string().min(1),
  text: z.string(),
  read: z.boolean(),
});
export type NotificationItem = z.infer<typeof notificationItem>;

/** `GET /api/notifications`: newest first, with the unread count. */
export const notificationsView = z.object({ items: z.array(notificationItem), unread: z.number().int().min(0) });
export type NotificationsView = z.infer<typeof notificationsView>;
