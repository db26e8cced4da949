import { hash } from 'node:crypto';
import { normalizeEmail } from '../domain/email.js';

/** BullMQ queue names; BullMQ puts its keys under `<QUEUE_PREFIX>:<queue>:…`. */
export const QUEUES = { hires: 'hires', invites: 'invites' } as const;

/**
 * Our own keys, under `<QUEUE_PREFIX>:state:…` so they never meet BullMQ's. Emails are hashed in key
 * names: keys show up in monitoring tools that should not list people.
 */
export function createKeys(prefix: string) {
  const base = `${prefix}:state`;
  return {
    /** Hash per person: state, DocSpace user id, times, last error. */
    hire: (emailKey: string) => `${base}:hire:${emailKey}`,
    /** List per person: the timeline shown to operators. */
    timeline: (emailKey: string) => `${base}:hire:${emailKey}:timeline`,
    /** Lock per person, held by the job working on them. */
    hireLock: (emailKey: string) => `${base}:lock:${emailKey}`,
    /** Lock per HR record (source and employee id), held while a job reads it from the HR API. */
    refLock: (source: string, employeeId: string) =>
      `${base}:lock:ref:${sha256(`${source}:${employeeId}`).slice(0, 32)}`,
    /**
     * Marker per HR record skipped for lacking a work email: an update that adds one provisions
     * the person (docs/hr-systems.md).
     */
    awaitingEmail: (source: string, employeeId: string) =>
      `${base}:awaiting-email:${sha256(`${source}:${employeeId}`).slice(0, 32)}`,
    /** Marker per delivery (`webhook-id`), so a redelivery is answered `duplicate`. */
    delivery: (deliveryId: string) => `${base}:delivery:${sha256(deliveryId).slice(0, 40)}`,
    /** ZSET of people created and waiting for their invitation call (score: when created). */
    invitePending: `${base}:invites:pending`,
    /**
     * ZSET of every person recorded `created` and owed an invitation (score: when created), kept by
     * the transition script: the reconciler's index, so it never scans the keyspace.
     */
    inviteOwed: `${base}:invites:owed`,
    /** Hash per person: what the rules want them to have, and their DocSpace user id (rule 13). */
    grants: (emailKey: string) => `${base}:grants:${emailKey}`,
    /** Set per person: the group names this service added them to. */
    grantedGroups: (emailKey: string) => `${base}:grants:${emailKey}:groups`,
    /** Hash per person: room id → the access this service shared it with. */
    grantedRooms: (emailKey: string) => `${base}:grants:${emailKey}:rooms`,
    /** Hash per person: what could not be given (`group:<name>`, `room:<id>`) → why. */
    grantFailures: (emailKey: string) => `${base}:grants:${emailKey}:failed`,
    /** ZSET of people whose groups and rooms wait for a grants flush (score: when asked). */
    grantsPending: `${base}:grants:pending`,
    /** Hash: group name → the DocSpace group id this service uses for it. */
    groupIds: `${base}:grants:group-ids`,
    /** Lock per group name, held while a worker looks the group up and creates it if missing. */
    groupLock: (name: string) => `${base}:lock:group:${sha256(name).slice(0, 32)}`,
    /** Sliding-window log of DocSpace requests, shared by all workers. */
    docspaceRate: `${base}:docspace:rate`,
    /** Until when every worker holds DocSpace requests (set on 429). */
    docspacePause: `${base}:docspace:pause`,
    /** ZSET of people by their record's last change (score: ms): the people page's list. */
    people: `${base}:people`,
    /**
     * Hash of every account this service created: email key → DocSpace user id, kept without
     * expiry (OFFBOARDING_SCOPE=created reads it long after the hire record has expired).
     */
    ours: `${base}:ours`,
    /** Hash per leaver: the pending or finished disable of their account (rule 12). */
    offboarding: (emailKey: string) => `${base}:offboarding:${emailKey}`,
    /** ZSET of leavers with an offboarding record (score: when it takes effect). */
    offboardings: `${base}:offboardings`,
    /** ZSET of disables sent in the last hour (score: when), for OFFBOARDING_MAX_PER_HOUR. */
    offboardingSent: `${base}:offboardings:sent`,
    /** Hash: the shared circuit breaker of DocSpace requests (absent: closed, no failures). */
    docspaceCircuit: `${base}:docspace:circuit`,
  };
}

export type Keys = ReturnType<typeof createKeys>;

/**
 * The short hash of a delivery (`<source>:<delivery id>`) that its job ids are made from
 * (src/queue/intake.ts, leaver-intake.ts).
 */
export function deliveryHash(source: string, deliveryId: string): string {
  return sha256(`${source}:${deliveryId}`).slice(0, 24);
}

/** The stable key of a person: a hash of the normalized email. */
export function emailKey(email: string): string {
  return sha256(normalizeEmail(email)).slice(0, 32);
}

// `crypto.hash` (Node ≥ 20.12): one call, no Hash object per key (docs/performance.md#intake-levers).
function sha256(value: string): string {
  return hash('sha256', value);
}
