import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

/**
 * What one attempt of one gateway call saw on the wire. `@hubspot/api-client` hides most of it: its typed APIs
 * return bodies without headers, its error model drops `policyName` from a 429 body, and neither its typed APIs
 * nor `apiRequest` accept an AbortSignal. So each attempt runs inside an AsyncLocalStorage scope holding an
 * Exchange; the SDK middleware below fills it, and the HTTP hook below aborts the attempt's socket on timeout.
 */
export interface Exchange {
  readonly signal: AbortSignal;
  status?: number;
  headers?: Record<string, string>;
  /** Raw body of a non-2xx answer, read before the SDK's deserializer drops fields from it. */
  errorBody?: string;
  /** The OAuth access token for this attempt (unset with a private-app token, which the SDK sends itself). */
  accessToken?: string;
}

/** For the SDK's generic `apiRequest`: the attempt's OAuth token as a header, or nothing. */
export function exchangeAuthHeaders(): { headers?: Record<string, string> } {
  const token = current.getStore()?.accessToken;
  return token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } };
}

const current = new AsyncLocalStorage<Exchange>();

export function runInExchange<T>(exchange: Exchange, fn: () => Promise<T>): Promise<T> {
  return current.run(exchange, fn);
}

export function currentExchange(): Exchange | undefined {
  return current.getStore();
}

/**
 * node-fetch (used by the SDK) creates its request synchronously inside our scope, so Node's documented
 * `http.client.request.start` channel sees it with our Exchange still current: destroying the request on
 * abort frees the socket instead of leaving it to finish in the background. Requests made outside a gateway
 * call have no Exchange and are left alone.
 */
diagnosticsChannel.subscribe('http.client.request.start', (message) => {
  const exchange = current.getStore();
  if (!exchange) return;
  const request = (message as { request: ClientRequest }).request;
  const abort = () => request.destroy(new Error('request aborted: HubSpot call timed out'));
  if (exchange.signal.aborted) {
    abort();
    return;
  }
  exchange.signal.addEventListener('abort', abort, { once: true });
  request.once('close', () => exchange.signal.removeEventListener('abort', abort));
});

/** The subset of the SDK's ResponseContext the middleware touches. */
export interface SdkResponseContext {
  httpStatusCode: number;
  headers: { [key: string]: string };
  body: { text(): Promise<string>; binary(): Promise<Buffer> };
}

/**
 * SDK middleware recording status and headers of every typed-API answer into the current Exchange. For
 * failures it reads the body once and hands the SDK a replay of it, so our error mapping sees HubSpot's full
 * JSON (e.g. `policyName: DAILY`) while the SDK still builds its ApiException.
 *
 * It must be passed per call (see sdk-client.ts): in @hubspot/api-client 13.5.0 the generated APIs run
 * configured middleware only when a call passes options, so `new Client({ middleware })` alone never runs it.
 */
export const exchangeMiddleware = {
  pre: async <T extends { setHeaderParam(key: string, value: string): void }>(context: T): Promise<T> => {
    const token = current.getStore()?.accessToken;
    if (token !== undefined) context.setHeaderParam('Authorization', `Bearer ${token}`);
    return context;
  },
  post: async <T extends SdkResponseContext>(res: T): Promise<T> => {
    const exchange = current.getStore();
    if (!exchange) return res;
    exchange.status = res.httpStatusCode;
    exchange.headers = res.headers;
    if (res.httpStatusCode >= 400) {
      const text = await res.body.text();
      exchange.errorBody = text;
      res.body = { text: async () => text, binary: async () => Buffer.from(text) };
    }
    return res;
  },
};
