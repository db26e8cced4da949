import type { AxiosInstance } from 'axios';
import type { Hire } from '../domain/hire.js';

/** What an HR system's webhook request looks like to an adapter: the exact bytes and the headers. */
export interface WebhookRequest {
  readonly raw: Buffer;
  /** A header's value (case-insensitive name), or undefined. */
  readonly header: (name: string) => string | undefined;
  readonly contentType: string | undefined;
  readonly now: Date;
}

/** A person the HR system only named: the worker fetches the rest from the HR system's API. */
export interface HireRef {
  readonly source: string;
  readonly employeeId: string;
  /** Anything the adapter needs to fetch (company id, person id…); no personal data. */
  readonly context?: Readonly<Record<string, string>>;
  /**
   * Only if the person was skipped earlier for lacking a work email (an update that may add one):
   * otherwise nothing is fetched or done, so an email change never makes a second account.
   */
  readonly onlyIfAwaitingEmail?: boolean;
}

/**
 * One hire of a delivery: complete, a reference to fetch, or a person the delivery names but who
 * cannot be provisioned (no usable email…): stored as a job that fails at once with `reason`, so
 * operators see it with the other failures instead of it vanishing in a 200.
 */
export type HireItem =
  | { readonly kind: 'full'; readonly hire: Hire }
  | { readonly kind: 'ref'; readonly ref: HireRef }
  | {
      readonly kind: 'invalid';
      readonly source: string;
      readonly hireId: string;
      readonly reason: string;
    };

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
    }
  | { readonly kind: 'ignored'; readonly type: string }
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
