import type { RouteOptions } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import './route-options.ts';

/**
 * The OpenAPI document says what the code answers: every route gets a stable `operationId` and the error
 * responses the app can actually produce for it, all in the one error format. Routes declare their success
 * schema; this module adds the rest when the route is registered (`documentRoute`, an onRoute hook), so a new
 * route is documented the same way without repeating a dozen lines.
 */

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('Stable error code, e.g. VALIDATION_FAILED, UNAUTHORIZED, RATE_LIMITED, STALE, UNAVAILABLE'),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .describe('The one error format of the API');

const WHY: Record<number, string> = {
  400: 'Invalid request (VALIDATION_FAILED, INVALID_JSON, BAD_REQUEST, INVALID_WEBHOOK)',
  401: 'Missing or invalid credentials (UNAUTHORIZED, INVALID_SIGNATURE)',
  403: "The token's role is not enough (FORBIDDEN)",
  404: 'No such resource (NOT_FOUND)',
  409: 'Conflicts with the current state: the review is no longer pending, or the record changed since the proposal (CONFLICT, STALE)',
  413: 'Request body too large (PAYLOAD_TOO_LARGE)',
  415: 'Unsupported Content-Type (UNSUPPORTED_MEDIA_TYPE)',
  429: 'Rate limit exceeded, per token or per client address (RATE_LIMITED); see Retry-After',
  500: 'Unexpected error; the server log has it under the request id (INTERNAL)',
  503: 'A backend (queue, database, vector store, HubSpot) is unavailable; retry later (UNAVAILABLE)',
};

interface Operation {
  id: string;
  /** Error statuses beyond those every route of its kind gets. */
  errors?: number[];
}

/** operationIds are part of the API (client generators name methods after them): keep them stable. */
const OPERATIONS: Record<string, Operation> = {
  'GET /healthz': { id: 'getHealth' },
  'GET /readyz': { id: 'getReadiness' },
  'POST /webhooks/hubspot': { id: 'receiveHubSpotWebhooks' },
  'POST /webhooks/hubspot/workflow': { id: 'receiveHubSpotWorkflowAction' },
  'GET /v1/accounts/:id/similar': { id: 'listSimilarAccounts' },
  'POST /v1/accounts/search': { id: 'searchAccounts' },
  'GET /v1/accounts/:id/context': { id: 'getAccountContext' },
  'POST /v1/accounts/:id/generate/:agent': { id: 'generateForAccount' },
  'GET /v1/reviews': { id: 'listReviews' },
  'GET /v1/reviews/:id': { id: 'getReview' },
  'POST /v1/reviews/:id/approve': { id: 'approveReview', errors: [409] },
  'POST /v1/reviews/:id/reject': { id: 'rejectReview', errors: [409] },
  'POST /v1/reviews/bulk': { id: 'bulkReviewAction' },
  'POST /v1/writes/undo': { id: 'undoWrite', errors: [404] },
  'GET /v1/owners': { id: 'listOwners' },
  'GET /v1/dashboard': { id: 'getDashboard' },
  'POST /v1/session': { id: 'createSession', errors: [401] },
  'GET /v1/session': { id: 'getSession' },
  'DELETE /v1/session': { id: 'deleteSession' },
  'GET /v1/audit': { id: 'listAuditEntries' },
  'GET /v1/jobs/stats': { id: 'getJobStats' },
  'GET /v1/jobs/dead': { id: 'listDeadJobs' },
  'POST /v1/jobs/dead/retry': { id: 'retryDeadJobs' },
  // A portalId this deployment does not serve is 404.
  'GET /v1/validations': { id: 'listValidations', errors: [404] },
  'POST /v1/validations/judgments': { id: 'validateJudgments', errors: [404] },
};

/** `POST /v1/reviews/:id/approve` → `postReviewsIdApprove`: for routes added without an entry above. */
function derivedId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((w) => w && w !== 'v1')
    .map((w) => w.replace(/^:/, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase()));
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

export const WEBHOOK_PATHS = new Set(['/webhooks/hubspot', '/webhooks/hubspot/workflow']);
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** onRoute hook: operationId, security and the error responses of one route. */
export function documentRoute(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const method = methods.find((m) => m !== 'HEAD') ?? 'HEAD';
  if (route.url.startsWith('/docs')) return;
  const schema = (route.schema ??= {}) as Record<string, unknown>;
  if (schema.hide) return;
  const op = OPERATIONS[`${method} ${route.url}`];
  schema.operationId ??= method === 'HEAD' ? `${derivedId('GET', route.url)}Head` : (op?.id ?? derivedId(method, route.url));

  const auth = route.config?.auth ?? 'admin';
  const webhook = WEBHOOK_PATHS.has(route.url);
  const probe = PROBES.has(route.url);
  const codes = new Set<number>([500, ...(op?.errors ?? [])]);
  if (!probe) codes.add(503);
  if (!probe && !webhook) codes.add(429);
  if (auth !== 'public') codes.add(401).add(403);
  if (webhook) codes.add(400).add(401).add(413);
  const hasBody = BODY_METHODS.has(method) && (schema.body !== undefined || webhook);
  if (schema.body !== undefined || schema.querystring !== undefined || schema.params !== undefined) codes.add(400);
  if (hasBody) codes.add(413);
  if (hasBody && !webhook) codes.add(415);
  if (schema.params !== undefined) codes.add(404);

  const response = (schema.response ??= {}) as Record<string | number, unknown>;
  for (const code of [...codes].sort()) response[code] ??= ErrorBody.describe(WHY[code] ?? 'Error');
  if (auth === 'public') schema.security ??= webhook ? [{ hubspotSignature: [] }] : [];
}

/**
 * The webhook routes read their body as raw bytes (the signature covers them), so they carry no body schema to
 * validate with; the document still shows what HubSpot sends and what comes back.
 */
const WEBHOOK_DOCS = {
  tags: ['webhooks'],
  description:
    'Called by HubSpot, not with a bearer token: every delivery must carry a valid `X-HubSpot-Signature-v3` (Base64 HMAC-SHA256 keyed with the ' +
    'app client secret over method + URI + body + `X-HubSpot-Request-Timestamp`, at most 5 minutes old) or, where WEBHOOK_SIGNATURE_VERSIONS ' +
    'allows it, a v1/v2 `X-HubSpot-Signature`. The delivery is journaled durably before the 200.',
  headers: {
    type: 'object',
    properties: {
      'x-hubspot-signature-v3': { type: 'string', description: 'v3 signature (Base64)' },
      'x-hubspot-request-timestamp': { type: 'string', description: 'Milliseconds since the epoch, signed with the v3 signature' },
      'x-hubspot-signature': { type: 'string', description: 'v1/v2 signature (hex SHA-256), when allowed' },
      'x-hubspot-signature-version': { type: 'string', enum: ['v1', 'v2'] },
    },
  },
  accepted: {
    type: 'object',
    required: ['accepted', 'ignored', 'jobId'],
    properties: {
      accepted: { type: 'integer', description: 'Events journaled for processing' },
      ignored: { type: 'integer', description: 'Events of subscription types the product does not use' },
      jobId: { type: 'string', nullable: true },
    },
  },
} as const;

const WEBHOOK_BODY = {
  '/webhooks/hubspot': {
    summary: 'HubSpot webhook deliveries: a JSON array of up to 100 events (signature-protected)',
    body: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        required: ['eventId', 'portalId', 'occurredAt', 'subscriptionType'],
        properties: {
          eventId: { type: 'integer' },
          subscriptionId: { type: 'integer' },
          portalId: { type: 'integer' },
          appId: { type: 'integer' },
          occurredAt: { type: 'integer', description: 'ms since the epoch' },
          subscriptionType: { type: 'string', example: 'contact.propertyChange' },
          attemptNumber: { type: 'integer' },
          objectId: { type: 'integer' },
          objectTypeId: { type: 'string', example: '0-48' },
          changeSource: { type: 'string' },
          sourceId: { type: 'string' },
          propertyName: { type: 'string' },
          propertyValue: { type: 'string' },
        },
      },
    },
  },
  '/webhooks/hubspot/workflow': {
    summary: 'HubSpot workflow "Send a webhook" action: the enrolled object (signature-protected, v2 or v3)',
    body: { type: 'object', description: "The enrolled object's data as HubSpot sends it (objectId, properties, ...)", additionalProperties: true },
  },
} as const;

/** A 204 has no body (and no Content-Type): `type: 'null'` is how @fastify/swagger documents that. */
function noContentFor204(out: ReturnType<typeof jsonSchemaTransform>): ReturnType<typeof jsonSchemaTransform> {
  const schema = out.schema as { response?: Record<string, { description?: string }> };
  const noContent = schema.response?.['204'];
  if (!noContent) return out;
  return { ...out, schema: { ...schema, response: { ...schema.response, 204: { description: noContent.description ?? 'No content', type: 'null' } } } };
}

/** @fastify/swagger's transform: zod schemas to JSON Schema, plus the webhook routes' documentation. */
export function openApiTransform(input: Parameters<typeof jsonSchemaTransform>[0]): ReturnType<typeof jsonSchemaTransform> {
  const out = noContentFor204(jsonSchemaTransform(input));
  const extra = WEBHOOK_BODY[input.url as keyof typeof WEBHOOK_BODY];
  if (!extra) return out;
  const schema = out.schema as Record<string, unknown>;
  const response = { ...(schema.response as Record<string, unknown>), 200: { description: 'Recorded', ...WEBHOOK_DOCS.accepted } };
  return {
    ...out,
    schema: { ...schema, tags: WEBHOOK_DOCS.tags, summary: extra.summary, description: WEBHOOK_DOCS.description, body: extra.body, headers: WEBHOOK_DOCS.headers, response },
  };
}

export const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'An API token from API_TOKENS' },
  hubspotSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-HubSpot-Signature-v3',
    description: 'HubSpot request signature (with X-HubSpot-Request-Timestamp); see the webhook operations',
  },
} as const;
