import { useCallback, useEffect, useState } from 'react';
import {
  Alert,
  Button,
  ButtonRow,
  Divider,
  EmptyState,
  Flex,
  Heading,
  Input,
  Link,
  LoadingSpinner,
  Tag,
  Text,
  TextArea,
  Tile,
} from '@hubspot/ui-extensions';

/**
 * The record's AI suggestions waiting for a person, in HubSpot itself: current and suggested value, the reasons in
 * plain words, the sentence of the source that supports it, and approve / edit-and-approve / reject. Every call
 * goes through `fetcher` (hubspot.fetch in HubSpot), which HubSpot signs and stamps with the acting user; the
 * service records that user as the reviewer.
 */

/** What `hubspot.fetch` returns that this card uses. */
export interface FetchResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}
export type Fetcher = (url: string, options?: { method?: 'GET' | 'POST'; body?: Record<string, unknown>; timeout?: number }) => Promise<FetchResponse>;

export interface PanelContext {
  crm: { objectId: number; objectTypeId: string };
}

interface Reason {
  code: string;
  text: string;
  detail: string;
  /** False when the reason is for the technical record only (e.g. "below the threshold" of an unvalidated model). */
  shown?: boolean;
}
interface Evidence {
  id: string;
  text: string;
  sourceType?: string;
  occurredAt?: string;
  highlight?: { start: number; end: number } | null;
}
export interface CardReview {
  id: string;
  agent: string;
  kind: 'property' | 'note' | 'task';
  field: string | null;
  title: string | null;
  proposedValue: string;
  observedValue: string | null;
  currentValue?: string | null;
  confidence: number;
  /** How to show the confidence (the service's words): a calibrated "% sure", no figure, or "% backed by sources". */
  confidenceView?: { kind: 'calibrated' | 'unvalidated' | 'grounding'; value: number | null; label: string };
  reasonsExplained?: Reason[];
  evidenceChunks?: Evidence[];
  drivers?: Array<{ feature: string; label?: string; contribution: number }>;
}

const OBJECT_TYPES: Record<string, string> = { '0-1': 'contacts', '0-2': 'companies', '0-3': 'deals', '0-5': 'tickets' };
const AGENTS: Record<string, string> = { call_summary: 'Call summary', lead_score: 'Lead score', reply_draft: 'Reply draft', account_summary: 'Account summary' };
const FIELDS: Record<string, string> = { lifecyclestage: 'Lifecycle stage', hs_lead_status: 'Lead status', dealstage: 'Deal stage', amount: 'Amount', closedate: 'Close date', hubspot_owner_id: 'Owner' };
const SOURCES: Record<string, string> = { call: 'Call', email: 'E-mail', meeting: 'Meeting', note: 'Note', task: 'Task', ticket: 'Ticket', record: 'Record' };

export function fieldLabel(field: string | null, kind: CardReview['kind'], title: string | null): string {
  if (kind !== 'property') return title ?? (kind === 'note' ? 'New note' : 'New task');
  if (!field) return 'Property';
  return FIELDS[field] ?? field.replace(/^hs_/, '').split('_').map((w, i) => (w === 'ai' ? 'AI' : i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w)).join(' ');
}

/** The highlighted sentence of an evidence chunk (or its opening), for one line of the card. */
export function supportingText(e: Evidence): string {
  const text = e.highlight ? e.text.slice(e.highlight.start, e.highlight.end) : e.text.slice(0, 200);
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}

type Outcome = { kind: 'success' | 'warning' | 'error'; text: string };

function ReviewTile({ review, act }: { review: CardReview; act: (r: CardReview, action: 'approve' | 'reject', body: Record<string, unknown>) => Promise<Outcome> }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(review.proposedValue);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const current = review.currentValue !== undefined ? review.currentValue : review.observedValue;
  // Never "0% sure" for a model nobody validated: the service says what kind of figure it is.
  const shown = review.confidenceView ?? { kind: 'grounding', value: review.confidence, label: `${Math.round(review.confidence * 100)}% backed by sources` };
  const pct = shown.value === null ? null : Math.round(shown.value * 100);
  const done = outcome !== null && outcome.kind !== 'error';

  const run = async (action: 'approve' | 'reject', body: Record<string, unknown>) => {
    setBusy(true);
    setOutcome(await act(review, action, body));
    setBusy(false);
  };

  return (
    <Tile compact={true}>
      <Flex direction="column" gap="extra-small">
        <Flex direction="row" gap="small" align="center" wrap="wrap">
          <Heading>{fieldLabel(review.field, review.kind, review.title)}</Heading>
          <Tag variant="info">{AGENTS[review.agent] ?? review.agent}</Tag>
          <Tag variant={pct === null ? 'warning' : pct >= 75 ? 'success' : pct >= 50 ? 'warning' : 'error'}>{shown.label}</Tag>
        </Flex>
        {review.kind === 'property' && (
          <Text>
            <Text inline={true} format={{ fontWeight: 'demibold' }}>Now: </Text>
            {current ? current : '(empty)'}
          </Text>
        )}
        <Text>
          <Text inline={true} format={{ fontWeight: 'demibold' }}>Suggested: </Text>
          {review.proposedValue}
        </Text>
        {(review.reasonsExplained ?? []).filter((r) => r.shown !== false).map((r) => (
          <Text key={r.code} variant="microcopy">{`• ${r.text}`}</Text>
        ))}
        {(review.drivers ?? []).slice(0, 4).map((d) => (
          <Text key={d.feature} variant="microcopy">{`${d.contribution >= 0 ? '▲ raises' : '▼ lowers'}: ${d.label ?? d.feature.replace(/=/g, ': ').replace(/_/g, ' ')} (${d.contribution >= 0 ? '+' : ''}${d.contribution.toFixed(2)})`}</Text>
        ))}
        {(review.evidenceChunks ?? []).slice(0, 2).map((e) => (
          <Text key={e.id} format={{ italic: true }}>{`“${supportingText(e)}” — ${SOURCES[e.sourceType ?? ''] ?? 'Source'}${e.occurredAt ? `, ${e.occurredAt.slice(0, 10)}` : ''}`}</Text>
        ))}
        {editing && !done && <TextArea label="Your version" name={`edit-${review.id}`} value={value} onChange={(v: string) => setValue(v)} />}
        {outcome && <Alert title={outcome.kind === 'success' ? 'Done' : outcome.kind === 'warning' ? 'Not written' : 'Failed'} variant={outcome.kind === 'error' ? 'danger' : outcome.kind}>{outcome.text}</Alert>}
        {!done && (
          <>
            <ButtonRow>
              <Button variant="primary" disabled={busy} onClick={() => void run('approve', editing ? { value } : {})}>
                {editing ? 'Approve my edit' : 'Approve'}
              </Button>
              {!editing && (
                <Button variant="secondary" disabled={busy} onClick={() => setEditing(true)}>
                  Edit &amp; approve
                </Button>
              )}
            </ButtonRow>
            <Flex direction="row" gap="small" align="end">
              <Input label="Reason to reject" name={`reason-${review.id}`} value={reason} onChange={(v: string) => setReason(v)} />
              <Button variant="destructive" disabled={busy || reason.trim() === ''} onClick={() => void run('reject', { reason: reason.trim() })}>
                Reject
              </Button>
            </Flex>
          </>
        )}
      </Flex>
    </Tile>
  );
}

export function ReviewPanel({ context, fetcher, serviceUrl }: { context: PanelContext; fetcher: Fetcher; serviceUrl: string }) {
  const objectType = OBJECT_TYPES[context.crm.objectTypeId];
  const objectId = String(context.crm.objectId);
  const [reviews, setReviews] = useState<CardReview[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    if (!objectType) return setError('This card works on contacts, companies, deals and tickets.');
    try {
      const res = await fetcher(`${serviceUrl}/hubspot/card/reviews?objectType=${objectType}&objectId=${objectId}`, { method: 'GET', timeout: 10_000 });
      const data = (await res.json()) as { reviews?: CardReview[]; error?: { message: string } };
      if (!res.ok) return setError(data.error?.message ?? `The service answered ${res.status}`);
      setReviews(data.reviews ?? []);
    } catch (err) {
      setError(`The hubspot-ai service could not be reached: ${err instanceof Error ? err.message : String(err)}`);
    }
  }, [fetcher, serviceUrl, objectType, objectId]);

  useEffect(() => {
    void load();
  }, [load]);

  const act = async (r: CardReview, action: 'approve' | 'reject', body: Record<string, unknown>): Promise<Outcome> => {
    try {
      const res = await fetcher(`${serviceUrl}/hubspot/card/reviews/${r.id}/${action}`, { method: 'POST', body, timeout: 15_000 });
      const data = (await res.json()) as { status?: string; detail?: string; error?: { message: string } };
      if (!res.ok) return { kind: 'error', text: data.error?.message ?? `The service answered ${res.status}` };
      if (data.status === 'approved') return { kind: 'success', text: 'Approved and written to HubSpot. Refresh the record to see it.' };
      if (data.status === 'rejected') return { kind: 'success', text: 'Rejected. Nothing was written.' };
      if (data.status === 'stale') return { kind: 'warning', text: data.detail ?? 'The record changed since the suggestion.' };
      return { kind: 'error', text: data.detail ?? `Could not ${action}: ${data.status ?? 'unknown'}` };
    } catch (err) {
      return { kind: 'error', text: err instanceof Error ? err.message : String(err) };
    }
  };

  if (error) return <Alert title="AI suggestions unavailable" variant="danger">{error}</Alert>;
  if (reviews === null) return <LoadingSpinner label="Loading AI suggestions" />;
  if (reviews.length === 0) {
    return (
      <EmptyState title="Nothing to review" layout="vertical">
        <Text>The AI has no suggestion waiting for a person on this record.</Text>
      </EmptyState>
    );
  }
  return (
    <Flex direction="column" gap="small">
      <Text>{`${reviews.length} AI suggestion${reviews.length === 1 ? '' : 's'} waiting for a person. Nothing is written until someone approves it.`}</Text>
      {reviews.map((r) => (
        <ReviewTile key={r.id} review={r} act={act} />
      ))}
      <Divider />
      <Link href={`${serviceUrl}/review`}>Open the full review queue</Link>
    </Flex>
  );
}
