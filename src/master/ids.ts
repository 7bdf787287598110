// The master's identifiers, formatted as Mesos formats them: a random UUID
// for the master; frameworks "<master>-0000", offers "<master>-O<n>",
// agents "<master>-S<n>"; stream ids and status uuids are random UUIDs.
import { randomBytes, randomUUID } from 'node:crypto';

export function newUuid(): string {
  return randomUUID();
}

/** 16 random bytes of a version 4 UUID, base64 encoded (a TaskStatus uuid). */
export function newUuidBytes(): string {
  const bytes = randomBytes(16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes.toString('base64');
}

/**
 * Whether `bytes` are a UUID as stout's UUID::fromBytes takes one: sixteen
 * bytes whose version nibble is one boost knows (1 to 5).
 */
export function isUuidBytes(bytes: Buffer): boolean {
  if (bytes.length !== 16) return false;
  const version = bytes[6]! >> 4;
  return version >= 1 && version <= 5;
}

export class IdSequence {
  private nextFramework = 0;
  private nextOffer = 0;
  private nextAgent = 0;

  constructor(readonly masterId: string) {}

  framework(): string {
    return `${this.masterId}-${String(this.nextFramework++).padStart(4, '0')}`;
  }

  offer(): string {
    return `${this.masterId}-O${this.nextOffer++}`;
  }

  agent(): string {
    return `${this.masterId}-S${this.nextAgent++}`;
  }
}
