/** Stream URL normalisation and the page-wide registry. */
import { expect } from '@open-wc/testing';
import { getStream, httpBaseOf, normaliseStreamUrl, REGISTRY_KEY } from '../../src/stream/index.js';

describe('stream URL normalisation and registry', () => {
  it('normalises scheme, host, default path, trailing slash, http(s) and default ports', () => {
    expect(normaliseStreamUrl('WS://Example.COM:8080')).to.equal('ws://example.com:8080/stream');
    expect(normaliseStreamUrl('http://example.com/')).to.equal('ws://example.com/stream');
    expect(normaliseStreamUrl('https://example.com:443/feed/stream/')).to.equal('wss://example.com/feed/stream');
    expect(normaliseStreamUrl('ws://example.com:80/stream#x')).to.equal('ws://example.com/stream');
    expect(normaliseStreamUrl('ws://example.com/stream?a=1')).to.equal('ws://example.com/stream?a=1');
    expect(normaliseStreamUrl('/stream')).to.equal(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/stream`);
  });

  it('rejects what is not a stream URL with a readable TypeError', () => {
    expect(() => normaliseStreamUrl('')).to.throw(TypeError, /non-empty/);
    expect(() => normaliseStreamUrl('ftp://example.com')).to.throw(TypeError, /ws, wss, http or https/);
    expect(() => normaliseStreamUrl('ws://user:secret@example.com')).to.throw(TypeError, /credentials/);
  });

  it('derives the HTTP base for REST', () => {
    expect(httpBaseOf('ws://127.0.0.1:9000/stream')).to.equal('http://127.0.0.1:9000');
    expect(httpBaseOf('wss://example.com/feed/stream?t=1')).to.equal('https://example.com/feed');
  });

  it('two getStream calls for spellings of one URL give the same instance; options of the later call are ignored', () => {
    const a = getStream('ws://registry-test.invalid:1234/', { lingerMs: 10 });
    const b = getStream('HTTP://REGISTRY-TEST.invalid:1234/stream', { lingerMs: 99_999 });
    try {
      expect(a).to.equal(b);
      expect(a.url).to.equal('ws://registry-test.invalid:1234/stream');
      const registry = (globalThis as unknown as Record<symbol, Map<string, unknown>>)[REGISTRY_KEY]!;
      expect(REGISTRY_KEY).to.equal(Symbol.for('live-market-widgets.streams'));
      expect(registry.get(a.url)).to.equal(a);
      expect(a.state).to.equal('idle'); // nothing subscribed: no socket
      expect(a.debug.socketsOpened).to.equal(0);
    } finally {
      a.close();
    }
  });
});
