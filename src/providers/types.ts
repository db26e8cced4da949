import type { AxiosInstance } from 'axios';
import type { EmploymentReading, Hire } from '../domain/hire.js';
import type { HireItem, HireRef } from '../domain/hire-item.js';

/** What an HR system's webhook request looks like to an adapter: the exact bytes and the headers. */
export interface WebhookRequest {
  readonly raw: Buffer;
  /** A header's value (case-insensitive name), or undefined. */
  readonly header: (name: string) => string | undefined;
  readonly contentType: string | undefined;
  /** When the request arrived, in ms since the epoch (the clock convention: `now: () => number`). */
  readonly now: number;
}

/** What a verified delivery asks for. */
export type ProviderEvent =
  | {
      readonly kind: 'hires';
      readonly type: string;
      /**
       * The idempotency key: the provider's own delivery id where it has one, otherwise built from
       * its stable ids (event type, employee id…), never from a hash of the body.
       */
      readonly deliveryId: string;
      readonly items: readonly HireItem[];
      /** Wait this long before working on the hires (e.g. an HR API's read-after-write lag). */
      readonly delayMs?: number;
      /**
       * Possible leavers named in the same delivery (a BambooHR body that mixes a status change
       * with other changes): stored as leaver references under their own delivery id, as a
       * `leavers` event would be, so that one delivery never drops the other's people.
       */
      readonly leavers?: { readonly deliveryId: string; readonly refs: readonly HireRef[] };
    }
  | {
      /**
       * A vendor's leaver event (src/providers/leaver-events.ts): people the HR system only
       * named; the worker reads their termination from its API (workers/offboard.ts).
       */
      readonly kind: 'leavers';
      readonly type: string;
      /** The idempotency key, built as for hires (never from a hash of the body). */
      readonly deliveryId: string;
      readonly refs: readonly HireRef[];
      /** Wait this long before reading them (an HR API's read-after-write lag). */
      readonly delayMs?: number;
    }
  | {
      readonly kind: 'ignored';
      readonly type: string;
      /**
       * Why an event the service knows is not acted on (a vendor's leaver event:
       * src/providers/leaver-events.ts); logged with the delivery, never sent back.
       */
      readonly note?: string;
    }
  /** The sender's connection test: answered 200, nothing stored. */
  | { readonly kind: 'ping' };

/** One setting of a provider, read by `loadConfig` (the one place that reads the environment). */
export interface ProviderSetting {
  /** Environment variable, e.g. `BAMBOOHR_WEBHOOK_SECRET`. */
  readonly env: string;
  readonly description: string;
  readonly kind: 'secret' | 'text' | 'url' | { readonly oneOf: readonly string[] };
  readonly default?: string;
  /** Needed by workers when the provider is enabled (its webhook secret is set). */
  readonly requiredForWorker?: boolean;
}

/** The settings of one provider, as `loadConfig` read them: env name → value ('' when unset). */
export type ProviderSettings = Readonly<Record<string, string>>;

/**
 * The webhook side of one HR system: checks, then reads, a delivery. Pure of I/O: it gets the bytes
 * and headers and answers with hires or refs; storing them is the intake's job.
 */
export interface WebhookAdapter {
  /**
   * For schemes that authenticate by a header alone (a static token): checked before the body is
   * read, so a caller without the token cannot make the service receive up to 1 MiB first. Throws
   * SignatureError (401).
   */
  verifyHeaders?(request: Pick<WebhookRequest, 'header' | 'now'>): void;
  /** Throws SignatureError when the delivery is not authentic (answered 401). */
  verify(request: WebhookRequest): void;
  /** Throws PayloadError when the body cannot be read (answered 400). */
  parse(request: WebhookRequest): ProviderEvent;
}

/** The worker side of one HR system: fetches a referenced person from its API. */
export interface HireFetcher {
  /** Throws HrApiError (passing or lasting) as DocSpace calls do; HireIncompleteError when no email. */
  fetch(ref: HireRef): Promise<Hire>;
  /**
   * Reads the person's employment for a leaver (their work email and the termination the HR
   * system shows now): once for a vendor's leaver event, and again just before the disable
   * (docs/design.md, rule 12). Throws as `fetch` does.
   */
  fetchEmployment?(ref: HireRef): Promise<EmploymentReading>;
}

/**
 * One HR system. A fifth provider is one module exporting this and one line in `registry.ts`.
 * `name` is the route segment (`/webhooks/<name>`) and the hire's `source`.
 */
export interface Provider {
  readonly name: string;
  readonly title: string;
  readonly settings: readonly ProviderSetting[];
  /** The setting whose presence enables the provider; unset → its route answers 503. */
  readonly enabledBy: string;
  createWebhook(settings: ProviderSettings): WebhookAdapter;
  /** Absent for providers whose deliveries carry complete hires. */
  createFetcher?(
    settings: ProviderSettings,
    http: (baseURL: string, headers: Record<string, string>) => AxiosInstance,
  ): HireFetcher;
}
