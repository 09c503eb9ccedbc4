import crypto from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiToken } from '../route-options.ts';
import { apiError } from '../errors.ts';
import { SESSION_COOKIE, SESSION_TTL_MS, issueSession } from '../session.ts';

/**
 * `POST /v1/session` exchanges an API token (in the JSON body, never in a URL) for the review page's session
 * cookie: HttpOnly (no script can read it), SameSite=Strict (no other site can send it), Secure when served over
 * HTTPS, Path=/. `GET` says who is signed in; `DELETE` signs out.
 */

const Login = z.object({ token: z.string().min(1).max(512) }).strict();
const Who = z.object({ name: z.string(), role: z.enum(['reader', 'reviewer', 'admin']), expiresAt: z.string().optional() });

export const sessionRoutes: FastifyPluginAsync<{ tokens: ApiToken[]; now: () => number }> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const byDigest = new Map(opts.tokens.map((t) => [digest(t.token), t]));

  app.post(
    '/v1/session',
    { config: { auth: 'public' }, schema: { tags: ['session'], summary: 'Sign in to the review page: exchange an API token for a session cookie', body: Login, response: { 200: Who } } },
    async (req, reply) => {
      const token = byDigest.get(digest(req.body.token));
      if (!token) throw apiError('UNAUTHORIZED', 'That API token is not valid');
      const session = issueSession(token, opts.now());
      void reply.setCookie(SESSION_COOKIE, session.value, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.protocol === 'https',
        path: '/',
        maxAge: Math.floor(SESSION_TTL_MS / 1000),
      });
      return { name: token.name, role: token.role, expiresAt: new Date(session.expiresAt).toISOString() };
    },
  );

  app.get(
    '/v1/session',
    { config: { auth: 'reader' }, schema: { tags: ['session'], summary: 'Who is signed in', response: { 200: Who } } },
    async (req) => ({ name: req.principal!.name, role: req.principal!.role }),
  );

  app.delete(
    '/v1/session',
    { config: { auth: 'public' }, schema: { tags: ['session'], summary: 'Sign out of the review page', response: { 204: z.null() } } },
    async (req, reply) => {
      void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https', path: '/' });
      return reply.status(204).send(null);
    },
  );
};

function digest(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}
