import { AGENTS, type AgentName } from '../core/proposal.ts';
import { portalEmbedder } from '../text/embedder.ts';
import { withContainer } from './context.ts';
import { CliExit, EXIT } from './exit-codes.ts';
import { printJson, printTable } from './output.ts';

/** `hubspot-ai generate <agent> <accountId>`: run an agent now, print proposals and decisions. */
export async function generateCommand(agent: string, accountId: string, opts: { dryRun?: boolean; json?: boolean }): Promise<void> {
  if (!(AGENTS as readonly string[]).includes(agent)) throw new CliExit(EXIT.USAGE, `unknown agent "${agent}": use one of ${AGENTS.join(', ')}`);
  if (!/^(contact:)?\d+$/.test(accountId)) throw new CliExit(EXIT.USAGE, `accountId must be a company id or contact:<id> (got "${accountId}")`);
  await withContainer(async (c) => {
    const { runAgentForAccount } = await import('../agents/run-agent.ts');
    const portalId = await c.portalId();
    // The portal's scope: its gateway, write-back and current scorer (from the database), as the workers load them.
    const { gateway, writeback: sink, scorer: currentScorer } = await c.portal(portalId);
    const [store, embedder, provider] = await Promise.all([c.store(), c.embedder().then((e) => portalEmbedder(e, portalId)), c.provider()]);
    const scorer = await currentScorer();
    const result = await runAgentForAccount(
      { store, embedder, gateway, provider, sink, scorer, enrichment: await c.enrichment(), validations: await (await c.validations()).records(portalId), logger: c.logger },
      { portalId, accountId, agent: agent as AgentName, dryRun: Boolean(opts.dryRun) || c.config.DRY_RUN, actor: 'cli' },
    );
    if (opts.json) printJson(result);
    else {
      process.stdout.write(`${agent} on ${accountId} (run ${result.runId}${result.dryRun ? ', dry run' : ''})\n`);
      printTable(result.results.map((r) => ({
        target: `${r.target.objectType}:${r.target.objectId}`,
        what: r.kind === 'property' ? r.field : r.kind,
        value: r.value.replace(/\s+/g, ' ').slice(0, 50),
        confidence: r.confidence.toFixed(2),
        decision: r.decision,
        status: r.status,
        reason: r.reasons[0] ?? '',
      })));
    }
  });
}

/** `hubspot-ai train-scorer`. */
export async function trainScorerCommand(opts: { json?: boolean }): Promise<void> {
  await withContainer(async (c) => {
    const { trainScorerCommand: train } = await import('../agents/scorer/train-command.ts');
    const lines: string[] = [];
    const { validationStatus } = await import('../agents/scorer/validation.ts');
    const { model, id } = await train({
      gateway: await c.gateway(),
      store: await c.scorers(),
      logger: c.logger,
      print: opts.json ? (l) => lines.push(l) : (l) => process.stdout.write(`${l}\n`),
    });
    if (opts.json) printJson({ id, evaluation: model.evaluation, validation: model.validation, status: validationStatus(model.validation), features: model.featureNames });
  });
}

/** `hubspot-ai scorer report`. */
export async function scorerReportCommand(opts: { json?: boolean }): Promise<void> {
  await withContainer(async (c) => {
    const { scorerReportCommand: report } = await import('../writeback/scorer-report/report-command.ts');
    const wb = await c.writeback();
    const result = await report({
      gateway: await c.gateway(),
      store: await c.scorers(),
      audit: (filter) => wb.audit(filter),
      ...(opts.json ? {} : { print: (l: string) => process.stdout.write(`${l}\n`) }),
    });
    if (opts.json) printJson(result);
  });
}

/** `hubspot-ai validate judgments [--write]`: live drift of churn ratings and next steps for the portal. */
export async function validateJudgmentsCommand(opts: { write?: boolean; json?: boolean }): Promise<void> {
  await withContainer(async (c) => {
    const { validateJudgments } = await import('../writeback/scorer-report/judgment-report.ts');
    const portalId = await c.portalId();
    const [{ gateway, writeback }, provider, validations, records] = await Promise.all([c.portal(portalId), c.provider(), c.validations(), c.modelRecords()]);
    const result = await validateJudgments(
      {
        portalId, gateway, validations, records,
        audit: (filter) => writeback.audit(filter),
        model: { provider: provider.provider, model: provider.model },
        ...(opts.json ? {} : { print: (l: string) => process.stdout.write(`${l}\n`) }),
      },
      { write: Boolean(opts.write) },
    );
    if (opts.json) printJson(result);
  });
}
