import { sql, type Kysely, type Migration } from 'kysely';
import type { SqlHandle } from '../sql.ts';

/** The write-back module's tables (their row types live in writeback/sql-schema.ts). */
export function writebackMigrations(dialect: SqlHandle['dialect']): Record<string, Migration> {
  const pg = dialect === 'postgres';
  const ms = pg ? 'bigint' : 'integer';
  const real = pg ? 'double precision' : 'real';
  return {
    '0001_writeback': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('writeback_traces')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('run_id', 'text', (c) => c.notNull())
          .addColumn('agent', 'text', (c) => c.notNull())
          .addColumn('provider', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('prompt_version', 'text', (c) => c.notNull())
          .addColumn('prompt', 'text', (c) => c.notNull())
          .addColumn('response', 'text', (c) => c.notNull())
          .addColumn('usage', 'text', (c) => c.notNull())
          .addColumn('inputs', 'text', (c) => c.notNull())
          .addColumn('started_at', 'text', (c) => c.notNull())
          .addColumn('finished_at', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .execute();

        let audit = db.schema.createTable('audit_entries');
        audit = pg
          ? audit.addColumn('id', 'bigserial', (c) => c.primaryKey())
          : audit.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
        await audit
          .addColumn('at', ms, (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('proposal_id', 'text')
          .addColumn('run_id', 'text')
          .addColumn('trace_id', 'text')
          .addColumn('portal_id', 'text')
          .addColumn('agent', 'text')
          .addColumn('object_type', 'text')
          .addColumn('object_id', 'text')
          .addColumn('kind', 'text')
          .addColumn('field', 'text')
          .addColumn('proposed_value', 'text')
          .addColumn('confidence', real)
          .addColumn('decision', 'text')
          .addColumn('reasons', 'text')
          .addColumn('status', 'text')
          .addColumn('outcome', 'text')
          .addColumn('previous_value', 'text')
          .addColumn('new_value', 'text')
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('dry_run', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('proposal', 'text')
          .addColumn('detail', 'text')
          .execute();
        await db.schema.createIndex('audit_entries_at').on('audit_entries').column('at').execute();
        await db.schema.createIndex('audit_entries_object').on('audit_entries').columns(['object_type', 'object_id']).execute();
        await db.schema.createIndex('audit_entries_proposal').on('audit_entries').column('proposal_id').execute();
        await db.schema.createIndex('audit_entries_run').on('audit_entries').column('run_id').execute();

        // The audit log is evidence: the database itself refuses edits, not just our code.
        if (pg) {
          await sql`CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END; $$ LANGUAGE plpgsql`.execute(db);
          await sql`CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON audit_entries
            FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()`.execute(db);
        } else {
          await sql`CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
            BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END`.execute(db);
          await sql`CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
            BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END`.execute(db);
        }

        await db.schema
          .createTable('writeback_reviews')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('proposal_id', 'text', (c) => c.notNull().unique())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('proposal', 'text', (c) => c.notNull())
          .addColumn('reasons', 'text', (c) => c.notNull())
          .addColumn('observed_value', 'text')
          .addColumn('owner_id', 'text')
          .addColumn('object_type', 'text', (c) => c.notNull())
          .addColumn('object_id', 'text', (c) => c.notNull())
          .addColumn('agent', 'text', (c) => c.notNull())
          .addColumn('confidence', real, (c) => c.notNull())
          .addColumn('trace_id', 'text')
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('decided_at', ms)
          .addColumn('decided_by', 'text')
          .addColumn('note', 'text')
          .execute();
        await db.schema.createIndex('writeback_reviews_status').on('writeback_reviews').columns(['status', 'created_at']).execute();

        await db.schema
          .createTable('writeback_writes')
          .addColumn('proposal_id', 'text', (c) => c.primaryKey())
          .addColumn('run_id', 'text', (c) => c.notNull())
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('object_type', 'text', (c) => c.notNull())
          .addColumn('object_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('field', 'text')
          .addColumn('previous_value', 'text')
          .addColumn('new_value', 'text', (c) => c.notNull())
          .addColumn('created_id', 'text')
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('automatic', 'integer', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('written_at', ms, (c) => c.notNull())
          .addColumn('undone_at', ms)
          .execute();
        await db.schema.createIndex('writeback_writes_run').on('writeback_writes').column('run_id').execute();
        await db.schema.createIndex('writeback_writes_time').on('writeback_writes').columns(['written_at']).execute();
      },
    },
    '0003_owner_tasks': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('writeback_owner_tasks')
          .addColumn('object_type', 'text', (c) => c.notNull())
          .addColumn('object_id', 'text', (c) => c.notNull())
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('owner_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('closed_at', ms)
          .addPrimaryKeyConstraint('writeback_owner_tasks_pk', ['object_type', 'object_id'])
          .execute();
      },
    },
    '0002_review_record_name': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('writeback_reviews').addColumn('record_name', 'text').execute();
        await db.schema.createIndex('writeback_reviews_object').on('writeback_reviews').columns(['object_type', 'object_id', 'status']).execute();
      },
    },
    // Every entry names the account its job worked for, so "did this write stay in its account?" is answerable
    // from the log alone. Older rows keep null.
    '0003_audit_account': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('audit_entries').addColumn('account_id', 'text').execute();
        await db.schema.createIndex('audit_entries_account').on('audit_entries').column('account_id').execute();
      },
    },
    // With tracing on, the OpenTelemetry trace of the run that wrote the entry (webhook to HubSpot write).
    '0004_audit_otel_trace_id': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('audit_entries').addColumn('otel_trace_id', 'text').execute();
      },
    },
    // Many portals in one deployment: every review, trace and owner task names its portal, and every read is
    // filtered by it. Rows from before carry null until the deployment's served portal adopts them
    // (adoptLegacyRows); owner tasks are keyed by portal, since two portals can hold the same record id.
    '0005_portal_tenancy': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable('writeback_reviews').addColumn('portal_id', 'text').execute();
        await db.schema.createIndex('writeback_reviews_portal').on('writeback_reviews').columns(['portal_id', 'status', 'created_at']).execute();
        await db.schema.alterTable('writeback_traces').addColumn('portal_id', 'text').execute();
        await db.schema.createIndex('writeback_traces_portal').on('writeback_traces').columns(['portal_id', 'created_at']).execute();
        await db.schema.createIndex('audit_entries_portal').on('audit_entries').columns(['portal_id', 'id']).execute();
        await db.schema.createIndex('writeback_writes_portal').on('writeback_writes').columns(['portal_id', 'written_at']).execute();
        await db.schema.alterTable('writeback_owner_tasks').renameTo('writeback_owner_tasks_0004').execute();
        await db.schema
          .createTable('writeback_owner_tasks')
          .addColumn('portal_id', 'text', (c) => c.notNull())
          .addColumn('object_type', 'text', (c) => c.notNull())
          .addColumn('object_id', 'text', (c) => c.notNull())
          .addColumn('task_id', 'text', (c) => c.notNull())
          .addColumn('owner_id', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('created_at', ms, (c) => c.notNull())
          .addColumn('closed_at', ms)
          .addPrimaryKeyConstraint('writeback_owner_tasks_portal_pk', ['portal_id', 'object_type', 'object_id'])
          .execute();
        // '' marks a task from before: adoptLegacyRows gives it to the served portal.
        await sql`INSERT INTO writeback_owner_tasks (portal_id, object_type, object_id, task_id, owner_id, state, created_at, closed_at)
          SELECT '', object_type, object_id, task_id, owner_id, state, created_at, closed_at FROM writeback_owner_tasks_0004`.execute(db);
        await db.schema.dropTable('writeback_owner_tasks_0004').execute();

        // Purging a portal (its owner asked, or it uninstalled the app) is the one deletion the audit log allows:
        // only rows of a portal with a purge on record, so the database still refuses any other edit.
        await db.schema
          .createTable('portal_purges')
          .addColumn('portal_id', 'text', (c) => c.primaryKey())
          .addColumn('requested_at', ms, (c) => c.notNull())
          .addColumn('requested_by', 'text', (c) => c.notNull())
          .execute();
        if (pg) {
          await sql`CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM portal_purges p WHERE p.portal_id = OLD.portal_id) THEN RETURN OLD; END IF;
              RAISE EXCEPTION 'audit_entries is append-only';
            END; $$ LANGUAGE plpgsql`.execute(db);
        } else {
          await sql`DROP TRIGGER audit_entries_no_delete`.execute(db);
          await sql`CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
            WHEN NOT EXISTS (SELECT 1 FROM portal_purges p WHERE p.portal_id = OLD.portal_id)
            BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END`.execute(db);
        }
      },
    },
  };
}
