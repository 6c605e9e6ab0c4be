import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from './config.js';

function writeTemp(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gpuscope-config-')), 'gpuscope.yaml');
  writeFileSync(path, text);
  return path;
}

describe('parseConfig', () => {
  it('fills defaults for an empty file: PGlite in ./data, listen on loopback, dry defaults', () => {
    const config = parseConfig({});
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toBe('./data');
    expect(config.server.listen).toBe('127.0.0.1:8080');
    expect(config.retention).toEqual({ minuteRollupDays: 14, hourlyRollupDays: 400, apiAuditDays: 90 });
  });

  it('accepts targets as plain URLs or as objects naming the node', () => {
    const config = parseConfig({
      collectors: {
        dcgm: { targets: ['http://n1:9400/metrics', { url: 'http://10.0.0.2:9400/metrics', node: 'n2' }] },
      },
    });
    expect(config.collectors.dcgm?.targets).toEqual([
      { url: 'http://n1:9400/metrics', node: undefined },
      { url: 'http://10.0.0.2:9400/metrics', node: 'n2' },
    ]);
    expect(config.collectors.dcgm?.intervalSeconds).toBe(15);
  });
});

describe('loadConfig', () => {
  it('reads YAML and lets env variables override it', () => {
    const path = writeTemp(
      'server:\n  listen: 0.0.0.0:9000\ncollectors:\n  dcgm:\n    targets: [http://n1:9400/metrics]\n',
    );
    const config = loadConfig({
      path,
      env: {
        GPUSCOPE_DATABASE_URL: 'postgres://gpuscope@db:5432/gpuscope',
        GPUSCOPE__collectors__dcgm__intervalSeconds: '30',
      },
    });
    expect(config.server.listen).toBe('0.0.0.0:9000');
    expect(config.database.url).toBe('postgres://gpuscope@db:5432/gpuscope');
    expect(config.collectors.dcgm?.intervalSeconds).toBe(30);
  });

  it('takes the file from GPUSCOPE_CONFIG', () => {
    const path = writeTemp('cluster: west\n');
    expect(loadConfig({ env: { GPUSCOPE_CONFIG: path } }).cluster).toBe('west');
  });

  describe('errors', () => {
    it('names the key path and the reason of each invalid value', () => {
      const path = writeTemp(
        'collectors:\n  dcgm:\n    targets: ["not a url"]\n    intervalSeconds: -5\nauth:\n  tokens:\n    - name: ci\n      role: root\n      token: short\n',
      );
      let message = '';
      try {
        loadConfig({ path, env: {} });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        message = (error as Error).message;
      }
      expect(message).toContain(path);
      expect(message).toMatch(/collectors\.dcgm\.intervalSeconds: .*0/);
      expect(message).toMatch(/collectors\.dcgm\.targets\.0/);
      expect(message).toMatch(/auth\.tokens\.0\.role/);
      expect(message).toMatch(/auth\.tokens\.0\.token: a token needs at least 16 characters/);
    });

    it('rejects unknown keys so a typo does not silently do nothing', () => {
      expect(() => parseConfig({ colectors: {} })).toThrow(/colectors|Unrecognized key/);
    });

    it('rejects a token given both in clear and as a digest', () => {
      expect(() =>
        parseConfig({
          auth: {
            tokens: [{ name: 'a', role: 'viewer', token: 'x'.repeat(20), tokenSha256: 'a'.repeat(64) }],
          },
        }),
      ).toThrow(/exactly one of token or tokenSha256/);
    });

    it('reports a YAML syntax error with the file name', () => {
      const path = writeTemp('server: [unclosed\n');
      expect(() => loadConfig({ path, env: {} })).toThrow(/not valid YAML/);
    });

    it('reports a missing file', () => {
      expect(() => loadConfig({ path: '/nonexistent/gpuscope.yaml', env: {} })).toThrow(
        /cannot read config file/,
      );
    });
  });
});
