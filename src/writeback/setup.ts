import type { ObjectType } from '../core/objects.ts';
import { errorMessage } from '../errors.ts';
import { HubSpotInvalidRequestError } from '../hubspot/errors.ts';
import type { HubSpotGateway, PropertyDefinition } from '../hubspot/gateway.ts';
import { AI_ENGAGEMENT_PROPERTY, AI_GROUP, AI_OBJECT_TYPES, aiPropertyDefinitions } from './ai-properties.ts';

/**
 * `hubspot-ai setup`: creates the `ai_insights` property group and the `ai_*` properties on companies, contacts
 * and deals, and the `ai_generated` flag on notes and tasks. Idempotent: what exists is left as it is (and
 * reported if it sits in another group). The engagement flag is best effort: some portals refuse custom
 * properties on engagements, and the visible header still marks AI notes there.
 */

export interface SetupStep {
  objectType: ObjectType;
  name: string;
  kind: 'group' | 'property';
  result: 'created' | 'exists' | 'failed';
  detail?: string;
}

export interface SetupReport {
  created: number;
  existing: number;
  failed: number;
  steps: SetupStep[];
}

export async function setupAiProperties(gateway: HubSpotGateway): Promise<SetupReport> {
  const steps: SetupStep[] = [];
  for (const type of AI_OBJECT_TYPES) steps.push(...(await ensure(gateway, type, aiPropertyDefinitions(), true)));
  for (const type of ['notes', 'tasks'] as const) {
    steps.push(...(await ensure(gateway, type, [{ ...AI_ENGAGEMENT_PROPERTY, groupName: AI_GROUP.name }], false)));
  }
  return {
    created: steps.filter((s) => s.result === 'created').length,
    existing: steps.filter((s) => s.result === 'exists').length,
    failed: steps.filter((s) => s.result === 'failed').length,
    steps,
  };
}

async function ensure(gateway: HubSpotGateway, type: ObjectType, defs: PropertyDefinition[], required: boolean): Promise<SetupStep[]> {
  const steps: SetupStep[] = [];
  try {
    const existing = new Map((await gateway.listProperties(type)).map((p) => [p.name, p]));
    const missing = defs.filter((d) => !existing.has(d.name));
    if (missing.length > 0 || ![...existing.values()].some((p) => p.groupName === AI_GROUP.name)) {
      steps.push(await ensureGroup(gateway, type));
    } else {
      steps.push({ objectType: type, name: AI_GROUP.name, kind: 'group', result: 'exists' });
    }
    for (const def of defs) {
      const found = existing.get(def.name);
      if (found) {
        steps.push({ objectType: type, name: def.name, kind: 'property', result: 'exists', ...(found.groupName !== AI_GROUP.name ? { detail: `in group ${found.groupName}` } : {}) });
        continue;
      }
      try {
        await gateway.createProperty(type, def);
        steps.push({ objectType: type, name: def.name, kind: 'property', result: 'created' });
      } catch (err) {
        // Another setup running at the same time created it first.
        if (isConflict(err)) steps.push({ objectType: type, name: def.name, kind: 'property', result: 'exists' });
        else steps.push({ objectType: type, name: def.name, kind: 'property', result: 'failed', detail: errorMessage(err) });
      }
    }
  } catch (err) {
    if (required) throw err;
    steps.push({ objectType: type, name: AI_ENGAGEMENT_PROPERTY.name, kind: 'property', result: 'failed', detail: errorMessage(err) });
  }
  if (required) {
    const failed = steps.filter((s) => s.result === 'failed');
    if (failed.length) throw new Error(`setup failed on ${type}: ${failed.map((f) => `${f.name}: ${f.detail}`).join('; ')}`);
  }
  return steps;
}

async function ensureGroup(gateway: HubSpotGateway, type: ObjectType): Promise<SetupStep> {
  try {
    await gateway.createPropertyGroup(type, { name: AI_GROUP.name, label: AI_GROUP.label });
    return { objectType: type, name: AI_GROUP.name, kind: 'group', result: 'created' };
  } catch (err) {
    if (isConflict(err)) return { objectType: type, name: AI_GROUP.name, kind: 'group', result: 'exists' };
    return { objectType: type, name: AI_GROUP.name, kind: 'group', result: 'failed', detail: errorMessage(err) };
  }
}

function isConflict(err: unknown): boolean {
  return err instanceof HubSpotInvalidRequestError && (err.status === 409 || err.category === 'OBJECT_ALREADY_EXISTS' || /already exists/i.test(err.hubspotMessage ?? ''));
}
