// JSON text to values, the way stout reads it (picojson underneath):
// objects, arrays, strings with the usual escapes, `true`, `false`, `null`,
// and numbers as picojson takes them (a run of digits, signs, dots and
// exponents that strtoll or strtod reads whole). A failure is one line:
// "syntax error at line N near: <the rest of that line>", or the trailing
// characters after a complete value. Objects are Maps, so that no key can
// reach an object's prototype.

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

import { clip } from '../text';

export class JsonSyntaxError extends Error {}

/** Deeper nesting than this is refused as a syntax error, before the stack is at risk. */
const MAX_DEPTH = 256;

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

class Parser {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(): never {
    let line = 1;
    for (let i = 0; i < this.pos && i < this.text.length; i++) if (this.text[i] === '\n') line++;
    const end = this.text.indexOf('\n', this.pos);
    const near = clip(this.text.slice(this.pos, end === -1 ? undefined : end));
    throw new JsonSyntaxError(`syntax error at line ${line} near: ${near}`);
  }

  skipWhitespace(): void {
    while (this.pos < this.text.length && WHITESPACE.has(this.text[this.pos]!)) this.pos++;
  }

  value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) this.fail();
    this.skipWhitespace();
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.object(depth);
      case '[':
        return this.array(depth);
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c !== undefined && (c === '-' || (c >= '0' && c <= '9'))) return this.number();
        return this.fail();
    }
  }

  literal<T>(word: string, value: T): T {
    for (let i = 0; i < word.length; i++) {
      if (this.text[this.pos] !== word[i]) this.fail();
      this.pos++;
    }
    return value;
  }

  number(): number {
    const start = this.pos;
    while (this.pos < this.text.length && /[0-9+\-.eE]/.test(this.text[this.pos]!)) this.pos++;
    const run = this.text.slice(start, this.pos);
    // What strtoll or strtod would read in full.
    if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(run)) {
      this.pos = start;
      this.fail();
    }
    return Number(run);
  }

  string(): string {
    this.pos++; // the opening quote
    let out = '';
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined || c < ' ') this.fail();
      this.pos++;
      if (c === '"') return out;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos];
      this.pos++;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          out += this.unicodeEscape();
          break;
        default:
          this.pos--;
          this.fail();
      }
    }
  }

  hex4(): number {
    const digits = this.text.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) this.fail();
    this.pos += 4;
    return parseInt(digits, 16);
  }

  unicodeEscape(): string {
    const unit = this.hex4();
    if (unit >= 0xdc00 && unit <= 0xdfff) this.fail();
    if (unit < 0xd800 || unit > 0xdbff) return String.fromCharCode(unit);
    // A high surrogate must be followed by an escaped low one.
    if (this.text[this.pos] !== '\\' || this.text[this.pos + 1] !== 'u') this.fail();
    this.pos += 2;
    const low = this.hex4();
    if (low < 0xdc00 || low > 0xdfff) this.fail();
    return String.fromCharCode(unit, low);
  }

  array(depth: number): JsonValue[] {
    this.pos++;
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return out;
      }
      this.fail();
    }
  }

  object(depth: number): JsonObject {
    this.pos++;
    const out: JsonObject = new Map();
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail();
      const key = this.string();
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail();
      this.pos++;
      out.set(key, this.value(depth + 1));
      this.skipWhitespace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return out;
      }
      this.fail();
    }
  }
}

/** Parses one JSON value; whitespace may surround it, nothing else. */
export function parseJson(text: string): JsonValue {
  const parser = new Parser(text);
  const value = parser.value(0);
  const rest = text.slice(parser.pos).replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');
  if (rest !== '') {
    throw new JsonSyntaxError(`Parsed JSON included non-whitespace trailing characters: ${clip(rest)}`);
  }
  return value;
}

/** The JSON type a value has, in stout's words ("object", "string", ...). */
export function jsonType(value: JsonValue): 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'object';
  return typeof value as 'string' | 'number' | 'boolean';
}

/** A double as rapidjson writes it: shortest round trip, with a fraction when it is whole ("15.0"). */
export function formatDouble(value: number): string {
  if (!Number.isFinite(value)) return JSON.stringify(Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity');
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value).replace('e+', 'e');
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}
