import { Command } from 'commander';

/** `hubspot-ai sandbox ...`: hands the arguments to the sandbox's own command definition. */
export async function sandboxEntry(argv: string[]): Promise<void> {
  const { registerSandboxCommand } = await import('./sandbox.ts');
  const program = new Command('hubspot-ai');
  registerSandboxCommand(program);
  await program.parseAsync(argv);
}
