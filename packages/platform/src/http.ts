import { fieldErrors, type InstanceResponse, type Problem } from '@campusg/contracts';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import { type Clock, systemClock } from './clock.ts';
import { AppError, type FieldError, isAppError } from './errors.ts';
import { type InstanceInfo, instanceStatus } from './instance.ts';
import type { Metrics } from './metrics.ts';

export type App = Awaited<ReturnType<typeof createHttpApp>>;

const TITLES: Record<number, string> = {
  400: 'Validation failed',
  401: 'Unauthenticated',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  422: 'Unprocessable request',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Not ready',
};

/** Titles of codes that share a status with another but mean something else. */
const CODE_TITLES: Partial<Record<Problem['code'], string>> = {
  OVERLOADED: 'Service busy',
};

/** Codes outside the public contract are reported as their public equivalent. */
function publicCode(err: AppError): Problem['code'] {
  if (err.code === 'CONFLICT') return 'INVALID_TRANSITION';
  if (err.code === 'TRANSIENT') return 'NOT_READY';
  return err.code;
}

export function sendProblem(reply: FastifyReply, status: number, code: Problem['code'], detail: string, errors?: FieldError[]) {
  const body: Problem = { type: 'about:blank', title: CODE_TITLES[code] ?? TITLES[status] ?? 'Error', status, code, detail };
  if (errors) body.errors = errors;
  return reply.code(status).type('application/problem+json').send(body);
}

export interface HttpOptions {
  log: Logger;
  metrics: Metrics;
  /** Answers GET /ready: the database and the bus are connected and migrations applied. */
  isReady: () => Promise<boolean>;
  title?: string;
  /** Supplies the OpenAPI document instead of the one generated from this app's routes (the gateway's merged one). */
  openapi?: () => Promise<Record<string, unknown>>;
  /** Supplies the /metrics exposition instead of this process's registry (the gateway's deployment-wide one). */
  metricsText?: () => Promise<string>;
  /** Who this process is, for GET /instance (with its uptime by `clock`). */
  instance?: InstanceInfo;
  clock?: Clock;
}

/**
 * A Fastify instance with the platform's conventions: zod schemas for validation and OpenAPI,
 * every error as problem+json, 64 KiB bodies, security headers, request metrics, /health, /ready,
 * /instance, /metrics and the API documentation.
 */
export async function createHttpApp(options: HttpOptions) {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    // Requests are counted in /metrics; per-request log lines would drown the saga logs.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: '127.0.0.1',
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Plugins are awaited so their hooks (swagger's route collection above all) see every route added later.
  await app.register(cookie);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: options.title ?? 'CampusG API', version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  const spec = async () => (options.openapi ? await options.openapi() : app.swagger());
  let lastSpec: Record<string, unknown> | undefined;
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    transformSpecification: (generated: Record<string, unknown>) => (options.openapi ? (lastSpec ?? generated) : generated),
    uiHooks: {
      onRequest: async () => {
        if (options.openapi) lastSpec = await options.openapi();
      },
    },
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, spec);

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    req.log.debug({ method: req.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
    options.metrics.httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) });
    options.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      // An id that cannot exist names no resource the caller may see.
      if (err.validationContext === 'params') return sendProblem(reply, 404, 'NOT_FOUND', 'no such resource');
      const errors = err.validation.map((v) => ({
        path: validationPath(v.instancePath, err.validationContext),
        message: v.message ?? 'is invalid',
      }));
      return sendProblem(reply, 400, 'VALIDATION_FAILED', errors.map((e) => `${e.path} ${e.message}`).join('; '), errors);
    }
    if (err instanceof z.ZodError) {
      const errors = fieldErrors(err);
      return sendProblem(reply, 400, 'VALIDATION_FAILED', errors.map((e) => `${e.path} ${e.message}`).join('; '), errors);
    }
    if (isAppError(err)) {
      // A refusal under overload is the platform working as meant: counted in the metrics, not logged.
      if (err.status >= 500 && err.code !== 'OVERLOADED') req.log.error({ err }, 'request failed');
      return sendProblem(reply, err.status, publicCode(err), err.message, err.errors);
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendProblem(reply, 413, 'PAYLOAD_TOO_LARGE', 'request bodies are limited to 64 KiB');
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendProblem(reply, 400, 'VALIDATION_FAILED', 'the body must be application/json', [
        { path: 'body', message: 'must be application/json' },
      ]);
    }
    if (err.statusCode === 400 || err.code?.startsWith('FST_ERR_CTP')) {
      const message = `is malformed: ${err.message}`;
      return sendProblem(reply, 400, 'VALIDATION_FAILED', `body ${message}`, [{ path: 'body', message }]);
    }
    req.log.error({ err }, 'unhandled error');
    return sendProblem(reply, 500, 'INTERNAL', 'something went wrong; it has been logged');
  });

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/ready', { schema: { hide: true } }, async (_req, reply) => {
    const ready = await options.isReady().catch(() => false);
    if (!ready) return sendProblem(reply, 503, 'NOT_READY', 'the database or the bus is not connected yet');
    return { status: 'ready' };
  });
  const { instance } = options;
  if (instance) {
    const clock = options.clock ?? systemClock;
    app.get(
      '/instance',
      { schema: { hide: true } },
      async (): Promise<InstanceResponse> => instanceStatus(instance, clock, await options.isReady().catch(() => false)),
    );
  }
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    reply.type(options.metrics.contentType);
    return options.metricsText ? options.metricsText() : options.metrics.text();
  });
  app.get('/metrics.json', { schema: { hide: true } }, async () => options.metrics.json());
  return app;
}

function validationPath(instancePath: string, context: string | undefined): string {
  const path = instancePath
    .split('/')
    .filter(Boolean)
    .reduce((out, seg) => (/^\d+$/.test(seg) ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), '');
  return path || (context ?? 'body');
}

export { AppError };
