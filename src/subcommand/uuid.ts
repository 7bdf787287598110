// Random (version 4) UUIDs: the ids of the master, the agent and each
// container, the master's stream ids, and the uuid of every status update.
// Read from /dev/urandom: loading node:crypto for them would add ~3 ms to
// every mesos-execute start, before the helper is spawned.
import { closeSync, openSync, readSync } from 'node:fs';

/** 16 random bytes with the version (4) and variant (10) bits of RFC 4122. */
export function randomUuidBytes(): Buffer {
  const bytes = Buffer.alloc(16);
  const fd = openSync('/dev/urandom', 'r');
  try {
    for (let got = 0; got < bytes.length; ) {
      const read = readSync(fd, bytes, got, bytes.length - got, null);
      if (read === 0) throw new Error('/dev/urandom ended early');
      got += read;
    }
  } finally {
    closeSync(fd);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return bytes;
}

/** A UUID in its text form: "0f6c...-...". */
export function randomUuid(): string {
  const hex = randomUuidBytes().toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A status update's uuid: its 16 bytes in standard base64, as the v1 API carries them. */
export function statusUpdateUuid(): string {
  return randomUuidBytes().toString('base64');
}
