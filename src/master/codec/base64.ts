// Base64 as stout decodes it: the standard alphabet, whitespace skipped,
// everything from the first '=' on ignored, any other character refused
// ("Invalid character 'x'"). Encoding is standard and padded.

import { quote } from '../text';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SPACE = new Set([' ', '\t', '\n', '\v', '\f', '\r']);

export class Base64Error extends Error {}

export function decodeBase64(text: string): Buffer {
  const sextets: number[] = [];
  for (const c of text) {
    if (c === '=') break;
    if (SPACE.has(c)) continue;
    const index = ALPHABET.indexOf(c);
    if (index === -1 || c.length !== 1) throw new Base64Error(`Invalid character '${quote(c)}'`);
    sextets.push(index);
  }
  const bytes: number[] = [];
  for (let i = 0; i + 1 < sextets.length; i += 4) {
    const [a, b, c = 0, d = 0] = sextets.slice(i, i + 4) as [number, number, number?, number?];
    const group = [(a << 2) | (b >> 4), ((b & 0xf) << 4) | (c >> 2), ((c & 0x3) << 6) | d].map((x) => x & 0xff);
    // A last group of n sextets carries n - 1 bytes.
    bytes.push(...group.slice(0, Math.min(3, sextets.length - i - 1)));
  }
  return Buffer.from(bytes);
}

export function encodeBase64(bytes: Buffer): string {
  return bytes.toString('base64');
}
