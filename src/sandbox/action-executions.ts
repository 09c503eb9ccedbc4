import type { Logger } from './logger.ts';
import { validationError, notFound } from './hubspot-errors.ts';
import { signV3 } from './webhook-dispatcher.ts';
import { createHash } from 'node:crypto';

/**
 * HubSpot's side of custom workflow actions, emulated: a workflow reaching an action POSTs a signed execution
 * request to the action's URL (`callbackId`, `origin`, `context`, `object`, `inputFields`); the answer's
 * `outputFields.hs_execution_state` says SUCCESS or FAIL_CONTINUE (done, outputs kept) or BLOCK (the enrolment
 * waits, up to `hs_expiration_duration`, for `POST /automation/v4/actions/callbacks/complete`). Requests carry the
 * v3 signature and the legacy v2 one, as HubSpot's do.
 */

export type ExecutionState = 'RUNNING' | 'BLOCKED' | 'SUCCESS' | 'FAIL_CONTINUE' | 'FAILED' | 'EXPIRED';

export interface ActionExecution {
  callbackId: string;
  actionUrl: string;
  request: Record<string, unknown>;
  state: ExecutionState;
  /** HTTP status of the execution request's answer (0 when it never came). */
  httpStatus: number;
  outputFields: Record<string, string>;
  completedVia: 'response' | 'callback' | null;
  startedAt: number;
  completedAt: number | null;
  expiresAt: number | null;
  error: string | null;
}

export interface ExecuteInput {
  actionUrl: string;
  objectType: string;
  objectId: string;
  inputFields?: Record<string, unknown>;
  workflowId?: number;
  actionDefinitionId?: number;
  /** `forged` signs with a wrong secret; `none` sends no signature (for tests of the receiving side). */
  signature?: 'valid' | 'forged' | 'none';
}

const DEFAULT_EXPIRY_MS = 7 * 86_400_000;

/** `P1D`, `PT12H`, `P1WT1H` → milliseconds (HubSpot's `hs_expiration_duration`). */
export function isoDurationMs(d: string): number | null {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(d);
  if (!m || d === 'P' || d.endsWith('T')) return null;
  const [w, day, h, min, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number];
  return ((((w * 7 + day) * 24 + h) * 60 + min) * 60 + s) * 1000;
}

export class ActionExecutions {
  private readonly executions = new Map<string, ActionExecution>();
  private seq = 0;

  constructor(
    private readonly opts: { portalId: number; appId: number; clientSecret?: string; logger: Logger; now?: () => number; timeoutMs?: number },
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  async execute(input: ExecuteInput): Promise<ActionExecution> {
    if (!this.opts.clientSecret && input.signature !== 'none') {
      throw validationError('The sandbox signs action requests with its client secret: start it with clientSecret (--client-secret).');
    }
    let url: URL;
    try {
      url = new URL(input.actionUrl);
    } catch {
      throw validationError(`actionUrl is not a URL: ${input.actionUrl}`);
    }
    this.seq += 1;
    const callbackId = `ap-${this.opts.portalId}-${Date.now()}${String(this.seq).padStart(4, '0')}-1-0`;
    const request = {
      callbackId,
      origin: {
        portalId: this.opts.portalId,
        actionDefinitionId: input.actionDefinitionId ?? 1000 + this.seq,
        actionDefinitionVersion: 1,
        extensionDefinitionId: input.actionDefinitionId ?? 1000 + this.seq,
        extensionDefinitionVersionId: 1,
      },
      context: { source: 'WORKFLOWS', workflowId: input.workflowId ?? 5000 },
      object: { objectId: Number(input.objectId), objectType: input.objectType.toUpperCase() },
      inputFields: input.inputFields ?? {},
    };
    const body = JSON.stringify(request);
    const execution: ActionExecution = {
      callbackId, actionUrl: url.toString(), request, state: 'RUNNING', httpStatus: 0, outputFields: {}, completedVia: null,
      startedAt: this.now(), completedAt: null, expiresAt: null, error: null,
    };
    this.executions.set(callbackId, execution);

    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'HubSpot Connect 2.0 (sandbox)' };
    if (input.signature !== 'none') {
      const secret = input.signature === 'forged' ? `${this.opts.clientSecret}-not` : this.opts.clientSecret!;
      const ts = Date.now();
      headers['x-hubspot-signature-v3'] = signV3(secret, 'POST', url.toString(), body, ts);
      headers['x-hubspot-request-timestamp'] = String(ts);
      headers['x-hubspot-signature'] = createHash('sha256').update(`${secret}POST${url.toString()}${body}`).digest('hex');
      headers['x-hubspot-signature-version'] = 'v2';
    }
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 20_000) });
      execution.httpStatus = res.status;
      const text = await res.text();
      if (!res.ok) {
        execution.state = 'FAILED';
        execution.error = `HTTP ${res.status}: ${text.slice(0, 300)}`;
        execution.completedAt = this.now();
        return execution;
      }
      const answer = (text ? JSON.parse(text) : {}) as { outputFields?: Record<string, unknown> };
      const outputs = Object.fromEntries(Object.entries(answer.outputFields ?? {}).map(([k, v]) => [k, String(v)]));
      const state = outputs.hs_execution_state ?? 'SUCCESS';
      if (state === 'BLOCK') {
        execution.state = 'BLOCKED';
        execution.expiresAt = this.now() + (isoDurationMs(outputs.hs_expiration_duration ?? '') ?? DEFAULT_EXPIRY_MS);
      } else {
        execution.state = state === 'FAIL_CONTINUE' ? 'FAIL_CONTINUE' : 'SUCCESS';
        execution.outputFields = outputs;
        execution.completedVia = 'response';
        execution.completedAt = this.now();
      }
    } catch (err) {
      execution.state = 'FAILED';
      execution.error = err instanceof Error ? err.message : String(err);
      execution.completedAt = this.now();
    }
    this.opts.logger.debug({ callbackId, state: execution.state }, 'sandbox: workflow action executed');
    return execution;
  }

  get(callbackId: string): ActionExecution | undefined {
    const e = this.executions.get(callbackId);
    if (e?.state === 'BLOCKED' && e.expiresAt !== null && this.now() > e.expiresAt) {
      e.state = 'EXPIRED';
      e.completedAt = e.expiresAt;
    }
    return e;
  }

  list(): ActionExecution[] {
    return [...this.executions.keys()].map((id) => this.get(id)!);
  }

  /** `POST /automation/v4/actions/callbacks/complete`: all inputs are checked before any is applied. */
  complete(inputs: unknown): void {
    if (!Array.isArray(inputs) || inputs.length === 0) throw validationError('inputs must be a non-empty array of { callbackId, outputFields }');
    if (inputs.length > 100) throw validationError(`Too many inputs: at most 100 callbacks per request, got ${inputs.length}`);
    const checked = inputs.map((raw, i) => {
      const input = (raw ?? {}) as { callbackId?: unknown; outputFields?: unknown };
      if (typeof input.callbackId !== 'string' || !input.callbackId) throw validationError(`inputs[${i}].callbackId is required`);
      const fields = input.outputFields;
      if (!fields || typeof fields !== 'object' || Array.isArray(fields)) throw validationError(`inputs[${i}].outputFields must be an object of strings`);
      const outputs: Record<string, string> = {};
      for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
        if (typeof v !== 'string') throw validationError(`inputs[${i}].outputFields.${k} must be a string`);
        outputs[k] = v;
      }
      const state = outputs.hs_execution_state ?? 'SUCCESS';
      if (state !== 'SUCCESS' && state !== 'FAIL_CONTINUE') throw validationError(`inputs[${i}]: hs_execution_state must be SUCCESS or FAIL_CONTINUE to complete a callback, got ${state}`);
      const execution = this.get(input.callbackId);
      if (!execution) throw notFound(`No blocked action execution with callbackId ${input.callbackId}`);
      if (execution.state !== 'BLOCKED') throw validationError(`Callback ${input.callbackId} cannot be completed: the execution is ${execution.state}`);
      return { execution, outputs, state };
    });
    for (const { execution, outputs, state } of checked) {
      execution.state = state === 'FAIL_CONTINUE' ? 'FAIL_CONTINUE' : 'SUCCESS';
      execution.outputFields = outputs;
      execution.completedVia = 'callback';
      execution.completedAt = this.now();
    }
  }
}
