import express, { type Router } from 'express';
import { z } from 'zod';
import {
  HireDataSchema,
  HiresEventSchema,
  LeaverDataSchema,
  PersonRefDataSchema,
} from '../domain/hire.js';
import { PROVIDERS } from '../providers/registry.js';
import type { Provider } from '../providers/types.js';
import {
  BulkRetryAnswer,
  BulkRetryQuery,
  HireRecordAnswer,
  JobList,
  JobListQuery,
  RetryOneAnswer,
  RetryOneQuery,
} from './admin-schemas.js';
import { ErrorBody } from './errors.js';
import { WebhookAnswer } from './webhook-hires.js';

type JsonSchema = Record<string, unknown>;

/**
 * The HTTP contract as an OpenAPI 3.1 document, served at `GET /openapi.json`. Bodies, queries and
 * answers are not written here: they are generated from the zod schemas the routes validate with
 * (`z.toJSONSchema`), so the document says what the code accepts. What is written here is what no
 * schema holds: paths, status codes, headers, security and summaries.
 */

const COMPONENTS = '#/components/schemas/';

/** A `$ref` to the component of a schema given an id with `.meta({ id })`. */
function ref(schema: z.ZodType): { $ref: string } {
  const id = z.globalRegistry.get(schema)?.id;
  if (id === undefined) throw new Error('openapi: this schema has no .meta({ id })');
  return { $ref: `${COMPONENTS}${id}` };
}

/**
 * The schemas given as components, each with the id of its `.meta({ id })`: the bodies and answers
 * below, and every schema with an id inside them (a schema with an id that is missing here would
 * come out as `__shared`, which the test of this document refuses).
 */
const COMPONENT_SCHEMAS: readonly z.ZodType[] = [
  HiresEventSchema,
  HireDataSchema,
  LeaverDataSchema,
  PersonRefDataSchema,
  WebhookAnswer,
  ErrorBody,
  JobList,
  RetryOneAnswer,
  BulkRetryAnswer,
  HireRecordAnswer,
];

/** The components, read as a sender writes them (`io: 'input'`). */
function components(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const schema of COMPONENT_SCHEMAS)
    registry.add(schema, { id: ref(schema).$ref.slice(COMPONENTS.length) });
  const { schemas } = z.toJSONSchema(registry, {
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `${COMPONENTS}${id}`,
  });
  // Each comes as a document of its own ($schema, $id): as components they are plain schemas.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const component: JsonSchema = { ...schema };
      delete component['$schema'];
      delete component['$id'];
      return [id, component];
    }),
  );
}

/**
 * A strict query schema as OpenAPI parameters: each value's type as the route reads it (`io:
 * 'output'`: integers, booleans, defaults), required when the sender must give it.
 */
function queryParameters(schema: z.ZodObject): JsonSchema[] {
  const read = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  const sent = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  const required = new Set(sent.required ?? []);
  return Object.entries(read.properties ?? {}).map(([name, value]) => {
    const { description, ...valueSchema } = value as JsonSchema;
    return {
      name,
      in: 'query',
      ...(required.has(name) ? { required: true } : {}),
      ...(typeof description === 'string' ? { description } : {}),
      schema: valueSchema,
    };
  });
}

const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const answer = (description: string, schema: z.ZodType) => ({
  description,
  content: json(ref(schema)),
});
const error = { $ref: '#/components/responses/Error' };
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [String(status), error]));
const retryLater = (description: string) => ({
  description,
  headers: { 'Retry-After': { schema: { type: 'string' } } },
  content: json(ref(ErrorBody)),
});
const bearer = [{ bearerAuth: [] }];

const signatureHeaders = [
  ['webhook-id', 'Delivery id, the same on every retry (idempotency key)'],
  ['webhook-timestamp', 'Unix seconds; refused when more than 5 minutes off'],
  ['webhook-signature', 'Space-separated `v1,<base64 HMAC-SHA256>` entries'],
].map(([name, description]) => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string' },
}));

const paths = {
  '/webhooks/hires': {
    post: {
      summary: 'A delivery of the generic payload, signed per Standard Webhooks',
      parameters: signatureHeaders,
      requestBody: { required: true, content: json(ref(HiresEventSchema)) },
      responses: {
        '200': answer(
          'Stored (accepted), already stored (duplicate) or not acted on (ignored)',
          WebhookAnswer,
        ),
        ...errors(400, 401, 413, 415),
        '503': retryLater(
          'Redis unreachable, shutting down, over WEBHOOK_RATE_LIMIT_PER_MINUTE, WEBHOOK_SECRET not set, or our own trouble; deliver again (never a 4xx for these)',
        ),
      },
    },
  },
  '/healthz': {
    get: { summary: 'The process runs', responses: { '200': { description: 'ok' } } },
  },
  '/readyz': {
    get: {
      summary: 'Redis answers a PING within 1 s',
      responses: {
        '200': { description: 'ready' },
        '503': { description: 'Redis unreachable or shutting down' },
      },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics',
      description:
        'Public unless METRICS_TOKEN is set; then only Authorization: Bearer <METRICS_TOKEN>.',
      responses: {
        '200': {
          description: 'Prometheus text exposition',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        ...errors(401),
      },
    },
  },
  '/openapi.json': {
    get: {
      summary: 'This document',
      responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
    },
  },
  '/admin/jobs': {
    get: {
      summary: 'Jobs in one state, paged',
      security: bearer,
      parameters: queryParameters(JobListQuery),
      responses: { '200': answer('Jobs', JobList), ...errors(400, 401, 404) },
    },
  },
  '/admin/jobs/{id}/retry': {
    post: {
      summary: 'Replay one job with a fresh attempt budget',
      security: bearer,
      parameters: [pathParameter('id', 'The job id'), ...queryParameters(RetryOneQuery)],
      responses: { '200': answer('Replayed', RetryOneAnswer), ...errors(400, 401, 404, 409) },
    },
  },
  '/admin/jobs/retry': {
    post: {
      summary: 'Replay every failed job, optionally filtered',
      security: bearer,
      parameters: queryParameters(BulkRetryQuery),
      responses: {
        '200': answer('How many were replayed', BulkRetryAnswer),
        ...errors(400, 401, 404),
      },
    },
  },
  '/admin/hires/{email}': {
    get: {
      summary: "A person's record and timeline",
      security: bearer,
      parameters: [pathParameter('email', 'The address, any case')],
      responses: { '200': answer('The record', HireRecordAnswer), ...errors(400, 401, 404) },
    },
  },
  '/admin/queues': {
    get: {
      summary: 'The queue dashboard (bull-board), HTML',
      security: [{ basicAuth: [] }, { bearerAuth: [] }],
      responses: {
        '200': {
          description: 'The dashboard',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
        ...errors(401, 404),
      },
    },
  },
};

/** One `POST /webhooks/<name>` per HR system with its own format (its body is its own). */
function providerPaths(providers: readonly Pick<Provider, 'name' | 'title' | 'enabledBy'>[]) {
  return Object.fromEntries(
    providers.map((provider) => [
      `/webhooks/${provider.name}`,
      {
        post: {
          summary: `A ${provider.title} webhook, verified with its own scheme`,
          description: `503 (deliver again) while ${provider.enabledBy} is not set. Deliveries that only name a person are completed from the ${provider.title} API by the worker.`,
          requestBody: { required: true, content: { '*/*': { schema: {} } } },
          responses: {
            '200': answer('Stored, duplicate, ignored, or the connection test', WebhookAnswer),
            ...errors(400, 401, 413, 415, 503),
          },
        },
      },
    ]),
  );
}

/** The document for the given HR systems. */
export function openApiDocument(
  providers: readonly Pick<Provider, 'name' | 'title' | 'enabledBy'>[],
) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'docspace-onboarding',
      version: '0.1.0',
      description:
        'Receives signed new-hire webhooks, stores them in Redis (BullMQ) and provisions the people in ONLYOFFICE DocSpace with batched invitations.',
    },
    paths: { ...paths, ...providerPaths(providers) },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
        basicAuth: {
          type: 'http',
          scheme: 'basic',
          description: 'user admin, password ADMIN_TOKEN',
        },
      },
      responses: { Error: { description: 'An error', content: json(ref(ErrorBody)) } },
      schemas: components(),
    },
  };
}

/** The document of this build (the registered HR systems), built once. */
export const OPENAPI_DOCUMENT = openApiDocument(PROVIDERS);

/** `GET /openapi.json`. */
export function createOpenApiRoute(): Router {
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.status(200).json(OPENAPI_DOCUMENT);
  });
  return router;
}
