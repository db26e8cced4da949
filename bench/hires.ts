import { createHmac, randomBytes } from 'node:crypto';
import { signStandardWebhook } from '../src/domain/signature.js';
import { forEachLimited, seededRandom, shuffled, sleep } from './stats.js';

/** A fresh Standard Webhooks secret for one benchmark. */
export function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/**
 * Signs like any Standard Webhooks sender, with the key decoded once: the load generator must not
 * spend its CPU on the signing library while it measures the server. Checked against
 * {@link signStandardWebhook} when created.
 */
export function createSigner(secret: string) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const sign = (id: string, body: string, at = new Date()) => {
    const timestamp = String(Math.floor(at.getTime() / 1000));
    const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
    return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` };
  };
  const probe = new Date();
  if (
    sign('msg_probe', '{}', probe)['webhook-signature'] !==
    signStandardWebhook(secret, 'msg_probe', '{}', probe)['webhook-signature']
  ) {
    throw new Error('the bench signer disagrees with signStandardWebhook');
  }
  return sign;
}

export interface BenchHire {
  readonly employeeId: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly email: string;
  readonly department: string;
  readonly title: string;
  readonly startDate: string;
}

export function benchHire(n: number, tag: string): BenchHire {
  return {
    employeeId: `E-${n}`,
    firstName: 'Bench',
    lastName: `Person ${tag}`,
    email: `bench.${tag}.${n}@example.com`,
    department: 'Sales',
    title: 'Account Executive',
    startDate: '2026-12-01',
  };
}

export function hiredBody(data: BenchHire | readonly BenchHire[]): string {
  return JSON.stringify({ type: 'employee.hired', timestamp: new Date().toISOString(), data });
}

export interface Delivery {
  readonly id: string;
  readonly hires: readonly BenchHire[];
  /** `retry`: the sender delivers the same webhook-id again; `event`: a second event, new id. */
  readonly repeat?: 'retry' | 'event';
}

export interface Workload {
  readonly hires: readonly BenchHire[];
  /** Emails that have a DocSpace account before the run (seeded in the simulator). */
  readonly existing: readonly BenchHire[];
  readonly deliveries: readonly Delivery[];
}

/**
 * `count` hires, one per delivery; `existingShare` of them already have an account, and
 * `repeatShare` are delivered twice, half as a sender retry (same `webhook-id`, answered
 * `duplicate` at intake) and half as a second event for the same person (a new id: a second job
 * reaches the worker). The order is shuffled with a fixed seed: every variant and run gets the same.
 */
export function workload(count: number, existingShare: number, repeatShare: number): Workload {
  const random = seededRandom(6);
  const hires = Array.from({ length: count }, (_, n) => benchHire(n, 'e2e'));
  const order = shuffled(hires, random);
  const existing = order.slice(0, Math.round(count * existingShare));
  const repeated = order.slice(-Math.round(count * repeatShare));
  const firsts: Delivery[] = hires.map((hire, n) => ({ id: `msg_e2e_${n}`, hires: [hire] }));
  const deliveries = shuffled(firsts, random);
  repeated.forEach((hire, index) => {
    const n = hires.indexOf(hire);
    const repeat = index % 2 === 0 ? 'retry' : 'event';
    const copy: Delivery = {
      id: repeat === 'retry' ? `msg_e2e_${n}` : `msg_e2e_${n}_again`,
      hires: [hire],
      repeat,
    };
    // Somewhere after the first delivery: a retry or a later event, never before it.
    const first = deliveries.findIndex((d) => d.hires[0] === hire);
    const at = first + 1 + Math.floor(random() * (deliveries.length - first));
    deliveries.splice(at, 0, copy);
  });
  return { hires, existing, deliveries };
}

/**
 * Posts every delivery, signed, `concurrency` at a time. A 503 or a failed connection is delivered again after a pause,
 * as every HR sender does (on a loaded machine Redis may be slower than the API's 2 s command
 * timeout), at most 5 times; any other answer but 200 throws.
 */
export async function postDeliveries(
  apiUrl: string,
  secret: string,
  deliveries: readonly Delivery[],
  concurrency: number,
): Promise<void> {
  const sign = createSigner(secret);
  await forEachLimited(deliveries, concurrency, async (delivery) => {
    const [only] = delivery.hires;
    const body = hiredBody(
      delivery.hires.length === 1 && only !== undefined ? only : delivery.hires,
    );
    for (let attempt = 1; ; attempt++) {
      const answer = await fetch(`${apiUrl}/webhooks/hires`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...sign(delivery.id, body) },
        body,
      }).then(
        async (response) => ({ status: response.status, text: await response.text() }),
        (err: unknown) => ({ status: 0, text: err instanceof Error ? err.message : String(err) }),
      );
      if (answer.status === 200) return;
      if ((answer.status !== 503 && answer.status !== 0) || attempt >= 5) {
        throw new Error(`intake answered ${answer.status}: ${answer.text}`);
      }
      await sleep(500 * attempt);
    }
  });
}
