/**
 * On Redis Cluster, a Lua script or a MULTI may only touch keys of one hash slot. BullMQ's scripts
 * take a queue's keys together, and our own scripts and transactions (hire record + timeline +
 * invite buffer, rate log + pause, …) do the same; so every key the service writes must hash to
 * the slot of the braced QUEUE_PREFIX. This computes the slots itself, from the Cluster spec.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueueKeys } from 'bullmq';
import { createKeys, emailKey, QUEUES } from '../../src/queue/keys.js';

/** CRC16-CCITT (XMODEM), the Cluster spec's key hash; its test vector is checked below. */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** HASH_SLOT of the spec: the first non-empty {…} alone is hashed when there is one. */
function slotOf(key: string): number {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(Buffer.from(key.slice(open + 1, close))) % 16384;
  }
  return crc16(Buffer.from(key)) % 16384;
}

/** Every key `createKeys(prefix)` can build: its strings, and its functions on sample ids. */
function ownKeys(prefix: string): string[] {
  const samples = [emailKey('Ana.Smith@Example.com'), 'bamboohr:msg_2f9a', 'x'];
  return Object.values(createKeys(prefix)).flatMap((key) =>
    typeof key === 'string' ? [key] : samples.map((sample) => key(sample, sample)),
  );
}

/** BullMQ's keys of our two queues, and those of one job (hash, lock, logs, dependencies). */
function bullKeys(prefix: string): string[] {
  const keys = new QueueKeys(prefix);
  return Object.values(QUEUES).flatMap((queue) => [
    ...Object.values(keys.getKeys(queue)),
    ...['hire-0123abcd-0', '1'].flatMap((id) =>
      ['', ':lock', ':logs', ':dependencies', ':processed'].map(
        (suffix) => `${keys.toKey(queue, id)}${suffix}`,
      ),
    ),
  ]);
}

describe('Redis Cluster hash slots', () => {
  it('computes the spec test vectors (CRC16 of "123456789" is 0x31C3; CLUSTER KEYSLOT foo is 12182)', () => {
    assert.equal(crc16(Buffer.from('123456789')), 0x31c3);
    assert.equal(slotOf('foo'), 12182);
    assert.equal(slotOf('{user1000}.following'), slotOf('{user1000}.followers'));
  });

  it('when QUEUE_PREFIX is in braces, then every key of the service and of its queues shares its slot', () => {
    for (const prefix of ['{docspace-onboarding}', '{acme}-demo']) {
      const slot = slotOf(prefix);
      const keys = [...ownKeys(prefix), ...bullKeys(prefix)];
      assert.ok(keys.length > 40, `found ${keys.length} keys`);
      for (const key of keys) {
        assert.ok(key.startsWith(prefix), `${key} starts with the prefix`);
        assert.equal(slotOf(key), slot, `${key} hashes to slot ${slot}`);
      }
    }
  });

  it('when QUEUE_PREFIX has no braces, then the keys spread over slots (why start refuses it)', () => {
    const slots = new Set(
      [...ownKeys('docspace-onboarding'), ...bullKeys('docspace-onboarding')].map(slotOf),
    );

    assert.ok(slots.size > 10, `${slots.size} slots`);
  });
});
