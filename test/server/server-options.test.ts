// The options schema: one source for defaults, validation, --help and the docs' tables.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startMarketServer } from '../../server/app.js';
import { parseArgs } from '../../server/cli.js';
import { describeDefault, OPTIONS, optionForFlag, resolveOptions, usage, type MarketServerOptions, type OptionName, type OptionSpec } from '../../server/options.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const specs = OPTIONS as Record<OptionName, OptionSpec>;

// Compile-time drift check both ways: the schema has exactly the public options.
const schemaKeys: Record<keyof typeof OPTIONS, true> = {} as Record<keyof Required<MarketServerOptions>, true>;
const optionKeys: Record<keyof Required<MarketServerOptions>, true> = {} as Record<keyof typeof OPTIONS, true>;
void schemaKeys;
void optionKeys;

/** Rows of every markdown table in `file` whose header has a "default" column. */
function defaultTables(file: string): Array<{ line: number; cells: Record<string, string> }> {
  const rows: Array<{ line: number; cells: Record<string, string> }> = [];
  const lines = readFileSync(`${root}${file}`, 'utf8').split('\n');
  let header: string[] | undefined;
  lines.forEach((text, i) => {
    if (!text.startsWith('|')) {
      header = undefined;
      return;
    }
    const cells = text.split('|').slice(1, -1).map((c) => c.trim());
    if (!header) {
      header = cells;
      return;
    }
    if (cells.every((c) => /^-+$/.test(c)) || !header.includes('default')) return;
    rows.push({ line: i + 1, cells: Object.fromEntries(header.map((h, j) => [h, cells[j] ?? ''])) });
  });
  return rows;
}

describe('options schema', () => {
  test('bad values and combinations throw a TypeError that names the option', async () => {
    const cases: Array<[MarketServerOptions, RegExp]> = [
      [{ port: 70000 }, /^port must be an integer from 0 to 65535, got 70000$/],
      [{ port: 1.5 }, /^port must be an integer/],
      [{ feed: 'x' as never }, /^feed must be sim, none or replay, got "x"$/],
      [{ rate: -1 }, /^rate must be a non-negative number, got -1$/],
      [{ symbols: ['bad symbol'] }, /^symbols: bad symbol "bad symbol"$/],
      [{ history: -1 }, /^history must be a non-negative integer/],
      [{ heartbeatMs: 0 }, /^heartbeatMs must be an integer of at least 1, got 0$/],
      [{ publishToken: '' }, /^publishToken must not be empty$/],
      [{ allowedOrigins: ['not an origin'] }, /^allowedOrigins: "not an origin" is not an origin/],
      [{ maxConnections: -1 }, /^maxConnections must be a non-negative integer, got -1$/],
      [{ slowConsumerMs: -1 }, /^slowConsumerMs must be an integer from 0 to 3600000, got -1$/],
      [{ slowConsumerMs: 2.5 }, /^slowConsumerMs must be an integer from 0 to 3600000, got 2.5$/],
      [{ slowConsumerMs: '10' as never }, /^slowConsumerMs must be an integer from 0 to 3600000, got "10"$/],
      [{ clientBurst: 0 }, /^clientBurst must be at least 1 while clientRate is on, got 0$/],
      [{ feed: 'replay' }, /^feed replay needs replayFile$/],
      [{ host: '0.0.0.0', devControls: true }, /^devControls on a non-loopback host \(0\.0\.0\.0\) need adminToken$/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => resolveOptions(options), (error: unknown) => error instanceof TypeError && message.test(error.message), JSON.stringify(options));
    }
    await assert.rejects(startMarketServer({ port: 0, feed: 'none', maxSubscriptions: -2 }), TypeError);
    // Valid edge values pass: rate 0 allows burst 0; dev controls on a public host with an admin token.
    assert.equal(resolveOptions({ clientRate: 0, clientBurst: 0 }).clientBurst, 0);
    assert.equal(resolveOptions({ host: '0.0.0.0', devControls: true, adminToken: 'a' }).devControls, true);
  });

  test('defaults come from the schema; the burst follows maxSubscriptions', () => {
    const resolved = resolveOptions();
    assert.equal(resolved.port, OPTIONS.port.default);
    assert.equal(resolved.maxBufferedBytes, 1024 * 1024);
    assert.equal(resolved.slowConsumerMs, 10_000);
    assert.equal(resolved.maxConnections, 10_000);
    assert.equal(resolved.clientBurst, 120);
    assert.equal(resolveOptions({ maxSubscriptions: 500 }).clientBurst, 520);
    assert.equal(resolved.feed, 'sim');
    assert.equal(resolveOptions({ replayFile: 'f' }).feed, 'replay');
  });

  test('every flag of the schema is parsed by the CLI and listed by --help', () => {
    const help = usage();
    for (const [name, spec] of Object.entries(specs) as Array<[OptionName, OptionSpec]>) {
      if (!spec.flag) continue;
      assert.equal(optionForFlag(spec.flag), name);
      assert.ok(help.includes(`--${spec.flag}`), spec.flag);
      const described = describeDefault(spec, spec.cliDefault ?? spec.default);
      if (described !== undefined) assert.ok(help.replace(/\s+/g, ' ').includes(described), `${spec.flag} default ${described}`);
      if (!spec.metavar) assert.equal(typeof parseArgs([`--${spec.flag}`], '/r'), 'object');
      else assert.throws(() => parseArgs([`--${spec.flag}`], '/r'), /needs a value/);
    }
  });

  test('the docs tables of defaults agree with the schema', () => {
    const documented = new Set<OptionName>();
    for (const file of ['docs/reliability.md', 'docs/protocol.md']) {
      for (const { line, cells } of defaultTables(file)) {
        const where = `${file}:${line}`;
        const flagCell = cells['flag'] ?? cells['flag / option'] ?? '';
        const flags = [...flagCell.matchAll(/`--([a-z-]+)`/g)].map((m) => m[1]!);
        for (const m of flagCell.matchAll(/`([a-z][A-Za-z]+)`/g)) assert.ok(m[1]! in OPTIONS, `${where}: unknown option ${m[1]}`);
        for (const flag of flags) {
          const name = optionForFlag(flag);
          assert.ok(name, `${where}: unknown flag --${flag}`);
          documented.add(name);
          const spec = specs[name];
          const values = [spec.default, ...(spec.cliDefault !== undefined ? [spec.cliDefault] : [])];
          for (const value of values) {
            const expected = Array.isArray(value) ? value : [describeDefault(spec, value)];
            for (const text of expected) assert.ok(cells['default']!.includes(String(text)), `${where}: --${flag} default should say ${text}, says "${cells['default']}"`);
          }
        }
      }
    }
    for (const [name, spec] of Object.entries(specs) as Array<[OptionName, OptionSpec]>) {
      if (spec.flag && (spec.default !== undefined || spec.unset !== undefined)) assert.ok(documented.has(name), `--${spec.flag} is in no docs table of defaults`);
    }
  });
});
