import { PermanentJobError, type JobHandler } from '../queue/queue.ts';
import { GENERATION_JOBS, type GenerationJobType } from './routing.ts';

/**
 * Generation handlers until the agents exist: the jobs are routed and journaled, and then fail loudly and
 * permanently (dead-letter, no retries) instead of pretending to have produced something. Once the agents land,
 * `hubspot-ai jobs retry --all` re-drives what piled up.
 */
export function notImplementedGenerationHandler(type: GenerationJobType): JobHandler {
  const agent = type.slice('generate.'.length);
  return async () => {
    throw new PermanentJobError(`agent ${agent} is not implemented yet`);
  };
}

export function notImplementedGenerationHandlers(): Record<GenerationJobType, JobHandler> {
  return Object.fromEntries(GENERATION_JOBS.map((t) => [t, notImplementedGenerationHandler(t)])) as Record<GenerationJobType, JobHandler>;
}
