import { describe, expect, it } from 'vitest';
import { systemClock } from '../../core/clock.js';
import { Config, ConfigError, parseConfig } from '../../core/config.js';
import { openDb } from '../../core/db.js';
import { createSilentLogger } from '../../core/log.js';
import { createRegistry } from '../../core/telemetry.js';
import { startWebhookDelivery } from './start-webhook-delivery.js';

describe('webhooks config', () => {
  it('defaults to no private networks and the documented delivery settings', () => {
    expect(Config.parse({}).webhooks).toEqual({
      allowPrivateNetworks: [],
      retentionDays: 30,
      delivery: {
        enabled: true,
        concurrency: 64,
        batchSize: 200,
        pollIntervalMs: 1000,
        timeoutSeconds: 10,
        leaseSeconds: 60,
        retryBaseSeconds: 5,
        retryMaxSeconds: 3600,
        maxAgeHours: 24,
        previousSecretHours: 24,
      },
    });
  });

  it('accepts IPv4 and IPv6 CIDRs', () => {
    const config = parseConfig({
      webhooks: { allowPrivateNetworks: ['10.0.0.0/8', 'fd00::/8', '127.0.0.1/32'] },
    });
    expect(config.webhooks.allowPrivateNetworks).toHaveLength(3);
  });

  describe('errors', () => {
    it.each(['10.0.0.0', '10.0.0.0/33', 'fd00::/129', 'intranet/8', '10.0.0.0/8/1'])(
      'refuses %s in allowPrivateNetworks, naming the key',
      (cidr) => {
        expect(() => parseConfig({ webhooks: { allowPrivateNetworks: [cidr] } })).toThrow(ConfigError);
        expect(() => parseConfig({ webhooks: { allowPrivateNetworks: [cidr] } })).toThrow(
          /webhooks\.allowPrivateNetworks\.0.*CIDR/,
        );
      },
    );

    it('refuses a lease no longer than the timeout', () => {
      expect(() => parseConfig({ webhooks: { delivery: { timeoutSeconds: 30, leaseSeconds: 30 } } })).toThrow(
        /leaseSeconds must be longer than timeoutSeconds/,
      );
    });
  });
});

describe('startWebhookDelivery', () => {
  it('registers the gauges even when delivery is off, and starts no worker', async () => {
    const handle = await openDb({ inMemory: true });
    try {
      await handle.migrate();
      const registry = createRegistry({ defaultMetrics: false });
      const config = parseConfig({ webhooks: { delivery: { enabled: false } } }).webhooks;
      const started = startWebhookDelivery({
        config,
        db: handle.db,
        clock: systemClock,
        log: createSilentLogger(),
        registry,
      });
      expect(started).toBeNull();
      const text = await registry.metrics();
      expect(text).toMatch(/gpuscope_webhook_pending_deliveries 0/);
      expect(text).toMatch(/gpuscope_webhook_dead_letters 0/);
      expect(text).toMatch(/gpuscope_webhook_deliveries_total\{result="gone"\} 0/);
    } finally {
      await handle.close();
    }
  }, 120_000);
});
