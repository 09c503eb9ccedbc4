import fs from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';

/**
 * Serves the review queue (`/review`), the dashboard (`/review/dashboard`) and their scripts and stylesheet under
 * `/review/assets/`. The files are static and public; the data comes from the API with the session cookie that
 * `POST /v1/session` sets after the user pastes a token once. No inline script, so the app's
 * Content-Security-Policy (`script-src 'self'`) applies unchanged.
 */

const ASSETS = {
  'common.js': 'text/javascript; charset=utf-8',
  'review.js': 'text/javascript; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'review.css': 'text/css; charset=utf-8',
} as const;

const PAGES = { '/review': 'review.html', '/review/dashboard': 'dashboard.html' } as const;

export const reviewPage: FastifyPluginAsync = async (app) => {
  const dir = new URL('./', import.meta.url);
  const files = new Map<string, { body: string; type: string }>();
  for (const [name, type] of Object.entries(ASSETS)) files.set(name, { body: await fs.readFile(new URL(name, dir), 'utf8'), type });
  const pages = new Map<string, string>();
  for (const [route, file] of Object.entries(PAGES)) pages.set(route, await fs.readFile(new URL(file, dir), 'utf8'));

  const headers = {
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  };

  for (const [route, html] of pages) {
    app.get(route, { config: { auth: 'public' }, schema: { hide: true } }, async (req, reply) => {
      // Old links carried the token in the URL; it is never used from there (and the access log masks it):
      // send the browser to the clean address, where the page asks for the token in a form.
      if (req.url.includes('?')) return reply.headers(headers).redirect(route, 303);
      return reply.headers(headers).type('text/html; charset=utf-8').send(html);
    });
  }

  app.get<{ Params: { file: string } }>('/review/assets/:file', { config: { auth: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const asset = files.get(req.params.file);
    if (!asset) return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `No asset ${req.params.file}`, requestId: req.id } });
    return reply.headers(headers).type(asset.type).send(asset.body);
  });
};
