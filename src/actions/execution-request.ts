import { z } from 'zod';

/**
 * The body HubSpot POSTs to an action's `actionUrl` when a workflow runs it (HubSpot's custom action reference,
 * "Execution"): `{ callbackId, origin: { portalId, actionDefinitionId, actionDefinitionVersion }, context: { source,
 * workflowId }, object: { objectId, objectType, properties? }, inputFields }`. Extra keys are kept: HubSpot adds
 * fields over time.
 */
const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]).transform(String);

export const ExecutionRequestSchema = z.looseObject({
  callbackId: z.string().min(1).max(200),
  origin: z.looseObject({
    portalId: id,
    actionDefinitionId: id.optional(),
    actionDefinitionVersion: z.union([z.number(), z.string()]).optional(),
  }),
  context: z.looseObject({ source: z.string().optional(), workflowId: id.optional() }).optional(),
  object: z.looseObject({
    objectId: id,
    objectType: z.string().min(1).max(40),
    properties: z.record(z.string(), z.unknown()).optional(),
  }),
  inputFields: z.record(z.string(), z.unknown()).default({}),
});

export type ExecutionRequest = z.infer<typeof ExecutionRequestSchema>;

/** The states HubSpot knows for an execution (`hs_execution_state` in outputFields). */
export type ExecutionState = 'SUCCESS' | 'FAIL_CONTINUE' | 'BLOCK';
