// The master's identifiers, formatted as Mesos formats them: a random UUID
// for the master; frameworks "<master>-0000", offers "<master>-O<n>",
// agents "<master>-S<n>"; stream ids and status uuids are random UUIDs.
import { randomUuid } from '../subcommand/uuid';

export function newUuid(): string {
  return randomUuid();
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
