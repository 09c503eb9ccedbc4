import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stackedColumns } from '../../src/api/dashboard/svg-charts.ts';
import { AGENTS } from '../../src/core/proposal.ts';

const ticks = (svg: string) => [...svg.matchAll(/text-anchor="end"[^>]*>([^<]+)</g)].map((m) => m[1]);

describe('dashboard and review page labels', () => {
  it('counts on a y axis of whole numbers (25 proposals: 0, 7, 14, 21, 28, not 6.25 and 18.75), dollars as they are', () => {
    const chart = (values: number[], unit?: string) =>
      stackedColumns({ title: 't', labels: values.map((_, i) => `d${i}`), series: [{ name: 's', color: '#000', values }], ...(unit ? { unit } : {}) });
    expect(ticks(chart([3, 25]))).toEqual(['0', '7', '14', '21', '28']);
    expect(ticks(chart([0, 0]))).toEqual(['0', '1', '2', '3', '4']);
    for (const t of ticks(chart([12_345, 800]))) expect(t).not.toMatch(/\.\d*[1-9]\d*$/);
    expect(ticks(chart([0.5, 1], '$'))).toEqual(['$0.00', '$0.25', '$0.50', '$0.75', '$1.00']);
  });

  it('names every agent in words and lets the queue be filtered by each', () => {
    const common = fs.readFileSync('src/api/review-page/common.js', 'utf8');
    const page = fs.readFileSync('src/api/review-page/review.html', 'utf8');
    const route = fs.readFileSync('src/api/routes/dashboard.ts', 'utf8');
    for (const agent of AGENTS) {
      expect(common, agent).toMatch(new RegExp(`\\b${agent}: '`));
      expect(page, agent).toContain(`<option value="${agent}">`);
      expect(route, agent).toMatch(new RegExp(`\\b${agent}: '`));
    }
  });
});
