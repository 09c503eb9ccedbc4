import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { ActionExecutions } from '../action-executions.ts';
import { notFound, validationError } from '../hubspot-errors.ts';

/**
 * Workflow actions in the sandbox. HubSpot's API: `POST /automation/v4/actions/callbacks/complete` (batch) and
 * `POST /automation/v4/actions/callbacks/{callbackId}/complete`, both 204. Harness: `POST /_sandbox/workflows/execute`
 * `{ actionUrl, objectType, objectId, inputFields?, workflowId?, signature? }` runs an action as a workflow would and
 * answers with the execution; `GET /_sandbox/workflows/executions[/{callbackId}]` shows where executions stand.
 */
export function workflowActionRoutes(executions: ActionExecutions): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.post<{ Body: { inputs?: unknown } | undefined }>('/automation/v4/actions/callbacks/complete', async (req, reply) => {
      executions.complete(req.body?.inputs);
      return reply.status(204).send();
    });
    app.post<{ Params: { callbackId: string }; Body: { outputFields?: unknown } | undefined }>('/automation/v4/actions/callbacks/:callbackId/complete', async (req, reply) => {
      executions.complete([{ callbackId: req.params.callbackId, outputFields: req.body?.outputFields }]);
      return reply.status(204).send();
    });

    app.post<{ Body: Record<string, unknown> | undefined }>('/_sandbox/workflows/execute', async (req) => {
      const b = req.body ?? {};
      const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
      const actionUrl = str(b.actionUrl);
      const objectType = str(b.objectType);
      const objectId = str(b.objectId);
      if (!actionUrl || !objectType || !objectId) throw validationError('execute needs actionUrl, objectType (CONTACT, COMPANY, DEAL, TICKET) and objectId');
      const signature = b.signature === 'forged' || b.signature === 'none' ? b.signature : 'valid';
      return executions.execute({
        actionUrl,
        objectType,
        objectId,
        signature,
        ...(b.inputFields && typeof b.inputFields === 'object' ? { inputFields: b.inputFields as Record<string, unknown> } : {}),
        ...(typeof b.workflowId === 'number' ? { workflowId: b.workflowId } : {}),
      });
    });
    app.get('/_sandbox/workflows/executions', async () => ({ results: executions.list() }));
    app.get<{ Params: { callbackId: string } }>('/_sandbox/workflows/executions/:callbackId', async (req) => {
      const e = executions.get(req.params.callbackId);
      if (!e) throw notFound(`No action execution ${req.params.callbackId}`);
      return e;
    });
  };
}
