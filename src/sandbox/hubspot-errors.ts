import { randomUUID } from 'node:crypto';

/** HubSpot's error body: `{ status: 'error', message, correlationId, category, ... }`, thrown by routes. */
export class HubSpotHttpError extends Error {
  readonly body: Record<string, unknown>;

  constructor(
    readonly status: number,
    category: string,
    message: string,
    extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.body = { status: 'error', message, correlationId: randomUUID(), category, ...extra };
  }
}

export function validationError(message: string, extra: Record<string, unknown> = {}): HubSpotHttpError {
  return new HubSpotHttpError(400, 'VALIDATION_ERROR', message, extra);
}

export function notFound(message = 'Object not found.  objectId are usually numeric.'): HubSpotHttpError {
  return new HubSpotHttpError(404, 'OBJECT_NOT_FOUND', message);
}

export function unauthorized(missing: boolean): HubSpotHttpError {
  return new HubSpotHttpError(
    401,
    'INVALID_AUTHENTICATION',
    missing
      ? 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview'
      : 'Authentication credentials are invalid. The access token is not valid for this portal or has been revoked.',
  );
}

/** The body HubSpot sends with a 429 (no `category`; `errorType` and `policyName` instead). */
export function rateLimited(policy: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY', headers: Record<string, string>): HubSpotHttpError {
  const err = new HubSpotHttpError(429, 'RATE_LIMITS', '', {}, headers);
  const body = err.body;
  delete body.category;
  Object.assign(body, {
    message: `You have reached your ${policy === 'TEN_SECONDLY_ROLLING' ? 'ten_secondly_rolling' : policy === 'DAILY' ? 'daily' : 'secondly'} limit.`,
    errorType: 'RATE_LIMIT',
    policyName: policy,
    groupName: policy === 'SECONDLY' ? 'publicapi:search' : 'publicapi:private-app',
  });
  return err;
}

/** A token without a scope the call needs. */
export function missingScopes(scopes: string[]): HubSpotHttpError {
  return new HubSpotHttpError(
    403,
    'MISSING_SCOPES',
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    {
      errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: scopes } }],
      links: { scopes: 'https://developers.hubspot.com/scopes' },
    },
  );
}

/** A batch limit error, e.g. more than 100 inputs. */
export function tooManyInputs(max: number, got: number): HubSpotHttpError {
  return validationError(`Batch input limit exceeded: at most ${max} inputs are allowed, got ${got}.`, {
    errors: [{ message: `size must be between 1 and ${max}`, in: 'inputs', code: 'INVALID_INPUT_SIZE' }],
    context: { inputs: [`size must be between 1 and ${max}`] },
  });
}
