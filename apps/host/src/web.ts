import { existsSync } from 'node:fs';
import path from 'node:path';
import type { App } from '@campusg/platform';
import fastifyStatic from '@fastify/static';

/** Serves the built web app at `/` (single-page: unknown non-API paths get index.html). */
export function registerWebApp(app: App, distDir: string | undefined): void {
  const dir = distDir ?? path.resolve(import.meta.dirname, '../../web/dist');
  if (!existsSync(path.join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply
        .type('text/html')
        .send('<!doctype html><title>CampusG</title><p>CampusG API is running. See <a href="/api/docs">/api/docs</a>.</p>'),
    );
    return;
  }
  app.register(fastifyStatic, { root: dir, wildcard: false });
  app.get('/*', { schema: { hide: true } }, async (req, reply) => {
    if (req.url.startsWith('/api/')) return reply.callNotFound();
    return reply.sendFile('index.html');
  });
}
