import { hubspot } from '@hubspot/ui-extensions';
import { ReviewPanel } from './ReviewPanel.tsx';

/** Where the hubspot-ai service runs: must also be listed in app-hsmeta.json `permittedUrls.fetch`. */
export const SERVICE_URL = 'https://hubspot-ai.example.com';

hubspot.extend<'crm.record.tab'>(({ context }) => <ReviewPanel context={context} fetcher={hubspot.fetch} serviceUrl={SERVICE_URL} />);
