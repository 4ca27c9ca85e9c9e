import { readFileSync } from 'node:fs';
import { hitPathSvg, markdownReport } from './report.js';
import type { BenchResults } from './results.js';

const LINKS = { json: 'bench/results/x.json', svg: 'bench/results/hit-path.svg' };

function committedResults(): BenchResults {
  const url = new URL('../results/2026-11-23.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as BenchResults;
}

describe('the benchmark report', () => {
  it('renders the statistics section with its interval, control and counting figures', () => {
    const results = committedResults();
    const statistics = results.scenarios.statistics!;
    const report = markdownReport(results, LINKS);
    const express = statistics.adapters.express;
    expect(report).toContain('#### What the statistics cost');
    expect(report).toContain(
      `| Express | **${express.onOff.median.toFixed(3)} ×** (${express.onOff.low.toFixed(3)}–${express.onOff.high.toFixed(3)})`,
    );
    expect(report).toContain(`${statistics.counting.nsPerHit} ns per hit`);
    // The control's interval of this run excludes 1 ×: the report must say so.
    const apart = express.control.low > 1 || express.control.high < 1;
    expect(report.includes('the A/A interval excludes 1 ×')).toBe(apart);
    expect(report).toContain('A global interceptor that does nothing, in front of');
  });

  it('still renders results written before the statistics scenario and the interceptor ceiling', () => {
    const results = committedResults();
    delete results.scenarios.statistics;
    for (const adapter of ['express', 'fastify'] as const) {
      delete results.scenarios.hit!.adapters[adapter]['noop-interceptor'];
    }
    const report = markdownReport(results, LINKS);
    expect(report).not.toContain('What the statistics cost');
    expect(report).not.toContain('does nothing, in front of');
    expect(report).toContain('| nestjs-page-cache, Redis store |');
    const svg = hitPathSvg(results, results.scenarios.hit!);
    expect(svg).toContain('nestjs-page-cache, Redis store');
    expect(svg).not.toContain('does nothing');
  });
});
