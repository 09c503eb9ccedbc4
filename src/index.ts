/** The package's library surface: build the app, run pieces programmatically, or plug our retriever into LangChain. */
export { buildApp, type AppDeps } from './api/app.ts';
export { loadConfig, type Config } from './config/config.ts';
export { createContainer, type Container } from './runtime/container.ts';
export { AccountHistoryRetriever, type AccountHistoryRetrieverInput } from './retrieval/langchain-retriever.ts';
export { startSandbox, generatePortal, type SandboxOptions, type SandboxHandle } from './sandbox/index.ts';
export type { VectorStore, ChunkHit, ChunkPayload, AccountProfile } from './retrieval/vector-store.ts';
export type { Proposal, Decision, ProposalSink } from './core/proposal.ts';
export { createLogger, silentLogger, type Logger } from './logging.ts';
