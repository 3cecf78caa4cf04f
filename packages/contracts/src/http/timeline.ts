import { z } from 'zod';
import { MESSAGES, type MessageType } from '../messages.ts';
import { TOPIC_NAMES } from '../topics.ts';
import { isoTime, uuid } from './fields.ts';

const messageTypes = Object.keys(MESSAGES) as [MessageType, ...MessageType[]];

/** One bus message about an order, as the audit log recorded it; `summary` is one human sentence. */
export const timelineItem = z.object({
  messageId: uuid,
  at: isoTime,
  topic: z.enum(TOPIC_NAMES),
  type: z.enum(messageTypes),
  source: z.string(),
  summary: z.string(),
});
export type TimelineItem = z.infer<typeof timelineItem>;

/** `GET /api/orders/{id}/timeline`: every message about the order, oldest first. */
export const timelineResponse = z.object({ items: z.array(timelineItem) });
export type TimelineResponse = z.infer<typeof timelineResponse>;
