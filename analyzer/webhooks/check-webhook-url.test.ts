import { describe, expect, it } from 'vitest';
import {
  checkWebhookAddress,
  checkWebhookUrl,
  createAddressPolicy,
  type LookupAll,
} from './check-webhook-url.js';

const none = createAddressPolicy([]);
const lab = createAddressPolicy(['10.20.0.0/16', '127.0.0.0/8', 'fd12::/16']);
const resolvesTo =
  (...addresses: string[]): LookupAll =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('checkWebhookAddress', () => {
  it.each(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '8.8.8.8'])(
    'allows public %s',
    (ip) => {
      expect(checkWebhookAddress(ip, none).ok).toBe(true);
    },
  );

  it.each(['10.20.3.4', '127.0.0.1', 'fd12::1'])('allows %s inside the allow-list', (ip) => {
    expect(checkWebhookAddress(ip, lab)).toEqual({ ok: true, value: ip });
  });

  describe('security', () => {
    it.each([
      '169.254.169.254',
      '169.254.170.2',
      '100.100.100.200',
      'fd00:ec2::254',
      'fe80::1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
    ])('always refuses link-local, metadata or reserved %s, allow-list or not', (ip) => {
      const everything = createAddressPolicy(['0.0.0.0/0', '::/0']);
      expect(checkWebhookAddress(ip, everything)).toEqual({
        ok: false,
        error: expect.stringMatching(/link-local, metadata or reserved/),
      });
    });

    it.each([
      '10.0.0.1',
      '172.16.5.5',
      '192.168.1.1',
      '127.0.0.1',
      '::1',
      'fc00::1',
      'fd99::1',
      '100.64.0.1',
    ])('refuses private or loopback %s outside the allow-list', (ip) => {
      expect(checkWebhookAddress(ip, none)).toEqual({
        ok: false,
        error: expect.stringMatching(/not in webhooks.allowPrivateNetworks/),
      });
    });

    it('refuses a private address just outside an allowed range', () => {
      expect(checkWebhookAddress('10.21.0.1', lab).ok).toBe(false);
    });

    it.each([
      ['::ffff:169.254.169.254', /metadata/],
      ['::ffff:a9fe:a9fe', /metadata/],
      ['64:ff9b::a9fe:a9fe', /metadata/],
      ['::ffff:10.0.0.1', /allowPrivateNetworks/],
    ])('judges the IPv4 address inside %s', (ip, reason) => {
      expect(checkWebhookAddress(ip, none)).toEqual({ ok: false, error: expect.stringMatching(reason) });
    });
  });
});

describe('checkWebhookUrl', () => {
  it('resolves the host and returns the checked address to connect to', async () => {
    const result = await checkWebhookUrl('https://hooks.example.com/in', none, resolvesTo('93.184.215.14'));
    expect(result).toMatchObject({ ok: true, value: { address: '93.184.215.14', family: 4 } });
  });

  it('takes an IP literal without a lookup, IPv6 brackets included', async () => {
    const noLookup: LookupAll = async () => {
      throw new Error('looked up');
    };
    expect(await checkWebhookUrl('http://127.0.0.1:9000/x', lab, noLookup)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('http://[fd12::5]/x', lab, noLookup)).toMatchObject({
      ok: true,
      value: { address: 'fd12::5', family: 6 },
    });
  });

  describe('errors', () => {
    it.each([
      ['not a url', /absolute URL/],
      ['ftp://hooks.example.com/x', /http or https/],
      ['file:///etc/passwd', /http or https/],
      ['https://user:pw@hooks.example.com/x', /credentials/],
    ])('refuses %s', async (raw, reason) => {
      expect(await checkWebhookUrl(raw, none, resolvesTo('93.184.215.14'))).toEqual({
        ok: false,
        error: expect.stringMatching(reason),
      });
    });

    it('refuses a host that does not resolve, naming it', async () => {
      const fail: LookupAll = async () => {
        throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
      };
      expect(await checkWebhookUrl('https://nowhere.invalid/', none, fail)).toEqual({
        ok: false,
        error: 'url host nowhere.invalid does not resolve: ENOTFOUND',
      });
    });
  });

  describe('security', () => {
    it('refuses a host when any of its addresses is refused (a name that also points at metadata)', async () => {
      const result = await checkWebhookUrl(
        'https://rebind.example.com/',
        none,
        resolvesTo('93.184.215.14', '169.254.169.254'),
      );
      expect(result).toEqual({
        ok: false,
        error: expect.stringMatching(/rebind.example.com resolves to 169.254/),
      });
    });

    it('refuses metadata and loopback literals, decimal and short forms included', async () => {
      for (const raw of [
        'http://169.254.169.254/latest/meta-data/',
        'http://[fd00:ec2::254]/',
        'http://2852039166/',
        'http://0x7f.1/',
        'http://localhost./',
      ]) {
        const result = await checkWebhookUrl(raw, none, resolvesTo('127.0.0.1'));
        expect(result.ok, raw).toBe(false);
      }
    });
  });
});
