import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig } from '../../src/config/config.ts';
import { HARD_STOP_MARGIN_MS } from '../../src/runtime/lifecycle.ts';
import client from 'prom-client';
import { ContainerMetrics, processMetrics } from '../../src/metrics.ts';

/**
 * The deployment files agree with the code: the Grafana dashboard only queries metrics (and labels) the service
 * exports; Prometheus scrapes the ports the API and workers listen on; the image and compose stop and check
 * processes the way the code expects.
 */

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
}

const compose = YAML.parse(fs.readFileSync('docker-compose.yml', 'utf8')) as {
  'x-app-env': Record<string, string>;
  services: Record<string, { command?: string[]; healthcheck?: { test: string[] }; stop_grace_period?: string; environment?: Record<string, string> }>;
};

describe('deployment files', () => {
  it('the Grafana dashboard queries only metrics and labels the service exports', async () => {
    const dash = JSON.parse(fs.readFileSync('deploy/grafana/hubspot-ai.json', 'utf8')) as { panels: Panel[] };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(15);
    // What /metrics serves: the process-wide registry merged with a container's scrape-time gauges.
    const registry = client.Registry.merge([processMetrics(), new ContainerMetrics().registry]);
    const exported = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, m]));
    for (const { panel, expr } of exprs) {
      const names = expr.match(/\b(?:hubspot_ai|http|process|nodejs)_[a-z0-9_]+/g) ?? [];
      expect(names.length, panel).toBeGreaterThan(0);
      const labels = new Set(['instance', 'job', 'le']);
      for (const raw of names) {
        const name = exported.has(raw) ? raw : raw.replace(/_(bucket|count|sum)$/, '');
        expect(exported.has(name), `${panel}: ${raw} is not exported`).toBe(true);
        for (const l of (registry.getSingleMetric(name) as unknown as { labelNames?: string[] }).labelNames ?? []) labels.add(l);
      }
      const used = [...expr.matchAll(/by \(([^)]+)\)|\{([^}]*)\}/g)].flatMap((m) =>
        m[1] ? m[1].split(',').map((x) => x.trim()) : (m[2] ?? '').split(',').map((x) => x.split(/[=!~]/)[0]!.trim()).filter(Boolean),
      );
      for (const l of used) expect(labels.has(l), `${panel}: label "${l}" not on ${names.join(', ')}`).toBe(true);
    }
    // The webhook latency panel reads the histogram of the webhook route.
    expect(exprs.some((e) => e.expr.includes('http_request_duration_seconds_bucket{route="/webhooks/hubspot"'))).toBe(true);
  });

  it('Prometheus scrapes the API and every worker on the ports they listen on', () => {
    const prom = YAML.parse(fs.readFileSync('deploy/prometheus/prometheus.yml', 'utf8')) as { scrape_configs: Array<{ job_name: string; dns_sd_configs: Array<{ names: string[]; port: number }> }> };
    const targets = prom.scrape_configs.flatMap((c) => c.dns_sd_configs.map((d) => ({ service: d.names[0]!, port: d.port })));
    const env = compose['x-app-env'];
    expect(targets).toEqual(expect.arrayContaining([{ service: 'app', port: Number(env.PORT) }, { service: 'worker', port: Number(env.WORKER_PORT) }]));
    for (const t of targets) expect(Object.keys(compose.services)).toContain(t.service);
    // The worker's health check asks its own listener.
    expect(compose.services.worker!.healthcheck!.test).toEqual(['CMD', 'node', 'dist/healthcheck.js', '--port', env.WORKER_PORT, '--path', '/readyz']);
    expect(compose.services.app!.healthcheck!.test).toContain(env.PORT);
  });

  it('Prometheus sends METRICS_TOKEN, from the same .env setting the API and workers read', () => {
    const prom = YAML.parse(fs.readFileSync('deploy/prometheus/prometheus.yml', 'utf8')) as { scrape_configs: Array<{ authorization?: { type: string; credentials_file: string } }> };
    const raw = YAML.parse(fs.readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, { environment?: Record<string, string>; entrypoint?: string[] }> };
    expect(compose['x-app-env'].METRICS_TOKEN).toBe('${METRICS_TOKEN:-}');
    const p = raw.services.prometheus!;
    expect(p.environment?.METRICS_TOKEN).toBe('${METRICS_TOKEN:-}');
    for (const job of prom.scrape_configs) {
      expect(job.authorization?.type).toBe('Bearer');
      // The entrypoint writes the token to the file each job reads ($$ is compose's escape for $).
      expect(p.entrypoint!.join(' ')).toContain(`printf %s "$$METRICS_TOKEN" > ${job.authorization!.credentials_file}`);
    }
  });

  it('gives processes enough time to drain before the container is killed', () => {
    const graceMs = loadConfig({ SHUTDOWN_GRACE_MS: compose['x-app-env'].SHUTDOWN_GRACE_MS!.replace(/^\$\{SHUTDOWN_GRACE_MS:-(\d+)\}$/, '$1') }).SHUTDOWN_GRACE_MS;
    for (const name of ['app', 'worker']) {
      const stop = compose.services[name]!.stop_grace_period!;
      expect(Number(/^(\d+)s$/.exec(stop)![1]) * 1000, name).toBeGreaterThan(graceMs + HARD_STOP_MARGIN_MS);
    }
  });

  it('builds an image that runs compiled JavaScript as a non-root user, without compilers, with a health check', () => {
    const lines = fs.readFileSync('Dockerfile', 'utf8').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    const stages = lines.map((l, i) => ({ l, i })).filter(({ l }) => /^FROM /.test(l));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = lines.slice(stages.at(-1)!.i).join('\n');
    expect(final).not.toMatch(/apt-get install|g\+\+|\bmake\b|python3|\btsx\b|tsconfig/);
    expect(final).toMatch(/^USER node$/m);
    expect(final).toMatch(/^HEALTHCHECK .*dist\/healthcheck\.js/m);
    // node, the API process's V8 flags (test/build/api-node-flags.test.ts checks which), then the compiled entry.
    expect(final).toMatch(/^ENTRYPOINT \["node", ("--[\w-]+=\d+", )*"dist\/main\.js"\]$/m);
    expect(final).toMatch(/COPY --from=build \/app\/dist/);
    const build = lines.slice(stages[0]!.i, stages.at(-1)!.i).join('\n');
    expect(build).toMatch(/npm run build/);
    expect(build).toMatch(/npm prune --omit=dev/);
  });
});
