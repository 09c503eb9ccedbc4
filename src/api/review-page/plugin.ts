import fs from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';

/**
 * Serves the review web page: `/review` (HTML) and its script and stylesheet under `/review/assets/`. The files
 * are static and public; the data comes from `/v1/reviews`, which needs the bearer token the user passes once
 * as `/review?token=...` (the page moves it to sessionStorage and removes it from the address bar). No inline
 * script, so the app's Content-Security-Policy (`script-src 'self'`) applies unchanged.
 */

const ASSETS = {
  'review.js': 'text/javascript; charset=utf-8',
  'review.css': 'text/css; charset=utf-8',
} as const;

export const reviewPage: FastifyPluginAsync = async (app) => {
  const dir = new URL('./', import.meta.url);
  const html = await fs.readFile(new URL('review.html', dir), 'utf8');
  const assets = new Map<string, { body: string; type: string }>();
  for (const [name, type] of Object.entries(ASSETS)) assets.set(name, { body: await fs.readFile(new URL(name, dir), 'utf8'), type });

  const headers = {
    // The token may sit in the URL for the first request: never send it on as a Referer.
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  };

  app.get('/review', { config: { auth: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    return reply.headers(headers).type('text/html; charset=utf-8').send(html);
  });

  app.get<{ Params: { file: string } }>('/review/assets/:file', { config: { auth: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const asset = assets.get(req.params.file);
    if (!asset) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No asset ${req.params.file}`, requestId: req.id } });
    return reply.headers(headers).type(asset.type).send(asset.body);
  });
};
