import type { ServiceDeps } from '@campusg/messaging';
import { sendProblem } from '@campusg/platform';
import { type AdmissionTicket, SagaAdmission, sagaStore } from '@campusg/saga';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Seconds a refused client is asked to wait: about how long the sagas in flight take to end at saturation. */
export const OVERLOADED_RETRY_AFTER_S = 1;

/**
 * Admission control of new orders (`SAGAS_IN_FLIGHT_LIMIT`): a `POST /api/orders` that finds the
 * limit of sagas in flight reached is answered at once, 503 `OVERLOADED` with `Retry-After`, before
 * its caller is authenticated or its body read, and has written nothing. Admitted requests hold a
 * place until answered; their saga then counts until it ends. Orders are the work callers add at
 * will; what moves an order already there (accept, complete, cancel) is never refused.
 */
export function orderAdmission(deps: ServiceDeps) {
  const admission = new SagaAdmission({
    limit: deps.config.sagasInFlightLimit,
    count: () => sagaStore.inFlight(deps.db),
    clock: deps.clock,
  });
  const tickets = new WeakMap<FastifyRequest, AdmissionTicket>();
  const release = async (req: FastifyRequest) => {
    tickets.get(req)?.done();
  };
  return {
    /**
     * An `onRequest` hook, first in line: admits the request or answers it. A refusal is sent from
     * here, not thrown: under overload there are many, and an error's stack trace and log line each
     * would cost the platform what the refusal is meant to save.
     */
    async admit(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
      const ticket = await admission.enter();
      if (!ticket) {
        reply.header('retry-after', String(OVERLOADED_RETRY_AFTER_S));
        return sendProblem(reply, 503, 'OVERLOADED', 'CampusG is busy with the orders in progress; try again in a moment');
      }
      tickets.set(req, ticket);
      return undefined;
    },
    /** The request's saga start has committed: it now counts as in flight. */
    started(req: FastifyRequest): void {
      tickets.get(req)?.started();
    },
    /** `onResponse` and `onRequestAbort` hooks: the request no longer holds its place. */
    release,
  };
}
