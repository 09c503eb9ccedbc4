import { randomUUID } from 'node:crypto';
import { Client } from '@hubspot/api-client';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { Embeddings } from '@langchain/core/embeddings';
import { VectorStore } from '@langchain/core/vectorstores';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { Embedder } from '../../src/text/embedder.ts';

/**
 * The baseline the backfill benchmark compares against: a HubSpot → vector store pipeline written the way a
 * typical LangChain.js integration is, on purpose without our optimisations:
 * - the official client with its own limiter (HubSpot's recommended set-up) and retries,
 * - companies listed page by page, then one `getById` per associated contact, deal, ticket and engagement,
 * - `RecursiveCharacterTextSplitter` with the tutorial settings (1,000 characters, 200 overlap),
 * - no embedding cache, random point ids, and everything embedded and upserted in one final call
 *   (what `@langchain/qdrant`'s `addDocuments` does), so a re-run re-embeds and duplicates every point.
 * It reads the same records as our pipeline, so records/s compare like with like.
 */

/** Our offline embedder behind LangChain's Embeddings interface, counting the tokens it is billed. */
export class NaiveEmbeddings extends Embeddings {
  tokens = 0;
  constructor(private readonly embedder: Embedder) {
    super({});
  }
  async embedDocuments(texts: string[]): Promise<number[][]> {
    const r = await this.embedder.embed(texts);
    this.tokens += r.tokens;
    return r.vectors.map((v) => Array.from(v));
  }
  async embedQuery(text: string): Promise<number[]> {
    return (await this.embedDocuments([text]))[0] ?? [];
  }
}

/** LangChain's in-memory vector store, reduced to what ingest uses (one array of points, random ids). */
export class NaiveMemoryVectorStore extends VectorStore {
  declare FilterType: (doc: DocumentInterface) => boolean;
  points: Array<{ id: string; vector: number[]; doc: DocumentInterface }> = [];
  _vectorstoreType(): string {
    return 'naive-memory';
  }
  async addVectors(vectors: number[][], documents: DocumentInterface[]): Promise<string[]> {
    const ids = documents.map(() => randomUUID());
    documents.forEach((doc, i) => this.points.push({ id: ids[i]!, vector: vectors[i] ?? [], doc }));
    return ids;
  }
  async addDocuments(documents: DocumentInterface[]): Promise<string[]> {
    return this.addVectors(await this.embeddings.embedDocuments(documents.map((d) => d.pageContent)), documents);
  }
  async similaritySearchVectorWithScore(query: number[], k: number): Promise<Array<[DocumentInterface, number]>> {
    const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
    return this.points
      .map((p): [DocumentInterface, number] => [p.doc, dot(query, p.vector)])
      .sort((a, b) => b[1] - a[1])
      .slice(0, k);
  }
}

const PROPS: Record<string, string[]> = {
  companies: ['name', 'domain', 'industry', 'description', 'lifecyclestage'],
  contacts: ['firstname', 'lastname', 'email', 'jobtitle'],
  deals: ['dealname', 'dealstage', 'amount', 'closedate', 'description'],
  tickets: ['subject', 'content', 'hs_pipeline_stage'],
  notes: ['hs_note_body', 'hs_timestamp'],
  emails: ['hs_email_subject', 'hs_email_text', 'hs_email_direction', 'hs_timestamp'],
  calls: ['hs_call_title', 'hs_call_body', 'hs_call_direction', 'hs_timestamp'],
  meetings: ['hs_meeting_title', 'hs_meeting_body', 'hs_internal_meeting_notes', 'hs_timestamp'],
  tasks: ['hs_task_subject', 'hs_task_body', 'hs_task_status', 'hs_timestamp'],
};
const ASSOCIATED = ['contacts', 'deals', 'tickets', 'notes', 'emails', 'calls', 'meetings', 'tasks'] as const;

export interface NaiveResult {
  companies: number;
  records: number;
  chunks: number;
  embeddingTokens: number;
  durationMs: number;
  points: number;
}

interface ByIdApi {
  getById(id: string, properties?: string[]): Promise<{ id: string; properties: Record<string, string | null> }>;
}

export async function runNaivePipeline(opts: {
  baseUrl: string;
  accessToken: string;
  embedder: Embedder;
  maxCompanies: number;
  /** The portal's 10-second budget: the client's limiter is set to it, as HubSpot's docs recommend. */
  rateLimitPer10s: number;
  /** Stop fetching after this long (its records/s is what the benchmark compares). */
  maxDurationMs?: number;
  store?: NaiveMemoryVectorStore;
}): Promise<NaiveResult> {
  const started = Date.now();
  const client = new Client({
    accessToken: opts.accessToken,
    basePath: opts.baseUrl,
    numberOfApiCallRetries: 3,
    limiterOptions: { maxConcurrent: 1, minTime: Math.ceil(10_000 / opts.rateLimitPer10s) },
  });
  // Touched right away: the SDK's decorators are a process-wide singleton captured when an API is first used.
  const companiesApi = client.crm.companies.basicApi;
  const apis: Record<(typeof ASSOCIATED)[number], ByIdApi> = {
    contacts: client.crm.contacts.basicApi,
    deals: client.crm.deals.basicApi,
    tickets: client.crm.tickets.basicApi,
    notes: client.crm.objects.notes.basicApi,
    emails: client.crm.objects.emails.basicApi,
    calls: client.crm.objects.calls.basicApi,
    meetings: client.crm.objects.meetings.basicApi,
    tasks: client.crm.objects.tasks.basicApi,
  };
  const embeddings = new NaiveEmbeddings(opts.embedder);
  const store = opts.store ?? new NaiveMemoryVectorStore(embeddings, {});
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 1000, chunkOverlap: 200 });

  const docs: Document[] = [];
  let companies = 0;
  let records = 0;
  let after: string | undefined;
  const deadline = started + (opts.maxDurationMs ?? Number.POSITIVE_INFINITY);
  const timeUp = () => Date.now() >= deadline;
  do {
    const page = await companiesApi.getPage(Math.min(100, opts.maxCompanies - companies), after, PROPS.companies);
    for (const listed of page.results) {
      if (companies >= opts.maxCompanies || timeUp()) break;
      companies += 1;
      const company = await companiesApi.getById(listed.id, PROPS.companies, undefined, [...ASSOCIATED]);
      records += 1;
      docs.push(new Document({ pageContent: propsText(company.properties), metadata: { companyId: company.id, type: 'companies' } }));
      for (const type of ASSOCIATED) {
        const linked = (company.associations as Record<string, { results?: Array<{ id: string }> }> | undefined)?.[type]?.results ?? [];
        for (const { id } of linked) {
          if (timeUp()) break;
          const obj = await apis[type].getById(id, PROPS[type]);
          records += 1;
          docs.push(new Document({ pageContent: propsText(obj.properties), metadata: { companyId: company.id, type, id } }));
        }
      }
    }
    after = page.paging?.next?.after;
  } while (after && companies < opts.maxCompanies && !timeUp());

  const chunks = await splitter.splitDocuments(docs.filter((d) => d.pageContent.trim() !== ''));
  const tokensBefore = embeddings.tokens;
  await store.addDocuments(chunks);
  return {
    companies,
    records,
    chunks: chunks.length,
    embeddingTokens: embeddings.tokens - tokensBefore,
    durationMs: Date.now() - started,
    points: store.points.length,
  };
}

function propsText(props: Record<string, string | null>): string {
  return Object.entries(props)
    .filter(([k, v]) => v && !k.startsWith('hs_object_id') && k !== 'createdate' && k !== 'hs_lastmodifieddate')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}
