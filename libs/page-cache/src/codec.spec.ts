import { deflateRawSync } from 'node:zlib';
import { decodeEntry, encodeEntry } from './codec.js';

describe('decodeEntry', () => {
  it('inflates a compressed payload up to maxBytes, and refuses a larger one', () => {
    const payload = Buffer.alloc(64 * 1024, 'a');
    const entry = encodeEntry({ k: 'buf' }, payload, 1);
    expect(decodeEntry(entry, 64 * 1024)?.payload.equals(payload)).toBe(true);
    expect(decodeEntry(entry, 1024)).toBeUndefined();
  });

  it('refuses a compression bomb under our key rather than inflating it', () => {
    const bomb = deflateRawSync(Buffer.alloc(50 * 1024 * 1024));
    const meta = Buffer.from(JSON.stringify({ k: 'buf' }));
    const header = Buffer.from([0xfe, 0xca, 1, 1, 0, 0, 0, 0]);
    header.writeUInt32BE(meta.length, 4);
    expect(decodeEntry(Buffer.concat([header, meta, bomb]))).toBeUndefined();
  });
});
