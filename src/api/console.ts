/**
 * The web console: the files `npm run build` puts in web/dist, served at `/`. The console is a
 * single-page app, so a GET of any other path outside /v1 (a deep link, a reload) answers its
 * index.html and the app routes in the browser; /v1 and the routes registered beside it (/metrics,
 * /healthz, /readyz, /v1/docs) keep their own answers because a registered route always wins over
 * this fallback.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Vite names every file under assets/ by a hash of its content, so a browser may keep it for good. */
const ASSETS = '/assets/';
/**
 * Only this origin's scripts, styles and API: the console keeps a bearer token in sessionStorage,
 * so injected markup must not be able to run script or send it elsewhere.
 */
const CONSOLE_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface ConsoleFiles {
  /** Whether the directory holds a build; when it does not, `/` says how to make one. */
  built: boolean;
  /** For the not-found handler: answers the request with the console, or returns false when it is not the console's. */
  fallback(request: FastifyRequest, reply: FastifyReply): boolean;
}

export async function registerConsole(app: FastifyInstance, dir: string): Promise<ConsoleFiles> {
  const built = existsSync(join(dir, 'index.html'));
  if (built) {
    // wildcard: false makes one route per file present at start, so a path that names no file
    // reaches the not-found handler (the fallback below) rather than a static 404.
    await app.register(fastifyStatic, {
      root: dir, prefix: '/', wildcard: false, index: false, schemaHide: true,
      setHeaders: (reply, path) => {
        if (path.startsWith(join(dir, ASSETS))) reply.header('cache-control', 'public, max-age=31536000, immutable');
        else reply.header('cache-control', 'no-cache').headers(CONSOLE_HEADERS);
      },
    });
  }
  return {
    built,
    fallback(request, reply) {
      const path = request.url.split('?')[0]!;
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      if (path === '/v1' || path.startsWith('/v1/') || path.startsWith(ASSETS)) return false;
      if (!built) return false;
      void reply.header('cache-control', 'no-cache').headers(CONSOLE_HEADERS).sendFile('index.html');
      return true;
    },
  };
}
