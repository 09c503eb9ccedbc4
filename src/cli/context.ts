import { loadConfig, type Config } from '../config/config.ts';
import { createLogger, type Logger } from '../logging.ts';
import { createContainer, type Container } from '../runtime/container.ts';

/** Loads the configuration (failing with every problem listed), a logger, and the container. */
export function cliContext(overrides?: Partial<NodeJS.ProcessEnv>, role = 'cli'): { config: Config; logger: Logger; container: Container } {
  const config = loadConfig({ ...process.env, ...overrides });
  const logger = createLogger(config.LOG_LEVEL);
  return { config, logger, container: createContainer(config, logger, { role }) };
}

/** Runs `fn` with a container and always closes it. */
export async function withContainer<T>(fn: (c: Container) => Promise<T>, overrides?: Partial<NodeJS.ProcessEnv>): Promise<T> {
  const { container } = cliContext(overrides);
  try {
    return await fn(container);
  } finally {
    await container.close();
  }
}
