import express, { type Router } from 'express';
import { PROVIDERS } from '../providers/registry.js';
import type { Provider } from '../providers/types.js';

const error = { $ref: '#/components/responses/Error' };
const json = (schema: object) => ({ 'application/json': { schema } });
const bearer = [{ bearerAuth: [] }];

/** The HTTP contract (README.md#http) as an OpenAPI 3.1 document, served at `GET /openapi.json`. */
const BASE_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'docspace-onboarding',
    version: '0.1.0',
    description:
      'Receives signed new-hire webhooks, stores them in Redis (BullMQ) and provisions the people in ONLYOFFICE DocSpace with batched invitations.',
  },
  paths: {
    '/webhooks/hires': {
      post: {
        summary: 'A new-hire delivery signed per Standard Webhooks',
        parameters: [
          {
            name: 'webhook-id',
            in: 'header',
            required: true,
            schema: { type: 'string' },
            description: 'Delivery id, the same on every retry (idempotency key)',
          },
          {
            name: 'webhook-timestamp',
            in: 'header',
            required: true,
            schema: { type: 'string' },
            description: 'Unix seconds; refused when more than 5 minutes off',
          },
          {
            name: 'webhook-signature',
            in: 'header',
            required: true,
            schema: { type: 'string' },
            description: 'Space-separated `v1,<base64 HMAC-SHA256>` entries',
          },
        ],
        requestBody: { required: true, content: json({ $ref: '#/components/schemas/HiresEvent' }) },
        responses: {
          '200': {
            description: 'Stored (accepted), already stored (duplicate) or not a hire (ignored)',
            content: json({ $ref: '#/components/schemas/WebhookAnswer' }),
          },
          '400': error,
          '401': error,
          '413': error,
          '415': error,
          '503': {
            description:
              'Redis unreachable, shutting down, over WEBHOOK_RATE_LIMIT_PER_MINUTE, WEBHOOK_SECRET not set, or our own trouble; deliver again (never a 4xx for these)',
            headers: { 'Retry-After': { schema: { type: 'string' } } },
            content: json({ $ref: '#/components/schemas/Error' }),
          },
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
          '401': error,
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
        parameters: [
          {
            name: 'state',
            in: 'query',
            schema: {
              type: 'string',
              enum: ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized'],
              default: 'failed',
            },
          },
          { name: 'queue', in: 'query', schema: { type: 'string', enum: ['hires', 'invites'] } },
          { name: 'start', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
          },
        ],
        responses: {
          '200': { description: 'Jobs', content: json({ $ref: '#/components/schemas/JobList' }) },
          '400': error,
          '401': error,
          '404': error,
        },
      },
    },
    '/admin/jobs/{id}/retry': {
      post: {
        summary: 'Replay one job with a fresh attempt budget',
        security: bearer,
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'queue', in: 'query', schema: { type: 'string', enum: ['hires', 'invites'] } },
        ],
        responses: {
          '200': {
            description: 'Replayed',
            content: json({
              type: 'object',
              properties: {
                status: { const: 'replayed' },
                id: { type: 'string' },
                queue: { type: 'string' },
              },
            }),
          },
          '401': error,
          '404': error,
          '409': error,
        },
      },
    },
    '/admin/jobs/retry': {
      post: {
        summary: 'Replay every failed job, optionally filtered',
        security: bearer,
        parameters: [
          { name: 'state', in: 'query', required: true, schema: { const: 'failed' } },
          {
            name: 'since',
            in: 'query',
            schema: { type: 'string', examples: ['2h', '30m', '7d'] },
            description: 'Only jobs that failed within this long',
          },
          {
            name: 'reason',
            in: 'query',
            schema: { type: 'string' },
            description: 'Only jobs whose failure reason contains this text (any case)',
          },
          { name: 'queue', in: 'query', schema: { type: 'string', enum: ['hires', 'invites'] } },
          { name: 'dryRun', in: 'query', schema: { type: 'boolean' } },
        ],
        responses: {
          '200': {
            description: 'How many were replayed',
            content: json({
              type: 'object',
              properties: {
                replayed: { type: 'integer' },
                dryRun: { type: 'boolean' },
                ids: { type: 'array', items: { type: 'string' } },
              },
            }),
          },
          '400': error,
          '401': error,
          '404': error,
        },
      },
    },
    '/admin/hires/{email}': {
      get: {
        summary: "A person's record and timeline",
        security: bearer,
        parameters: [{ name: 'email', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'The record',
            content: json({ $ref: '#/components/schemas/HireRecord' }),
          },
          '401': error,
          '404': error,
        },
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
          '401': error,
          '404': error,
        },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
      basicAuth: { type: 'http', scheme: 'basic', description: 'user admin, password ADMIN_TOKEN' },
    },
    responses: {
      Error: { description: 'An error', content: json({ $ref: '#/components/schemas/Error' }) },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message', 'details'],
            properties: {
              code: { type: 'string', pattern: '^ERR_' },
              message: { type: 'string' },
              details: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { path: { type: 'string' }, message: { type: 'string' } },
                },
              },
            },
          },
        },
      },
      Hire: {
        type: 'object',
        required: ['email', 'firstName'],
        properties: {
          employeeId: { type: ['string', 'number'] },
          firstName: { type: 'string', maxLength: 255 },
          lastName: { type: 'string', maxLength: 255 },
          email: { type: 'string', format: 'email', maxLength: 255 },
          department: { type: 'string' },
          title: { type: 'string' },
          startDate: { type: 'string' },
        },
      },
      HiresEvent: {
        type: 'object',
        required: ['type', 'data'],
        properties: {
          type: {
            type: 'string',
            description: '`employee.hired` provisions; other types are ignored',
          },
          timestamp: { type: 'string', format: 'date-time' },
          data: {
            oneOf: [
              { $ref: '#/components/schemas/Hire' },
              {
                type: 'array',
                items: { $ref: '#/components/schemas/Hire' },
                minItems: 1,
                maxItems: 500,
              },
            ],
          },
        },
      },
      WebhookAnswer: {
        type: 'object',
        properties: {
          status: { enum: ['accepted', 'duplicate', 'ignored', 'ok'] },
          hires: { type: 'integer' },
          type: { type: 'string' },
        },
      },
      JobList: {
        type: 'object',
        properties: {
          jobs: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                name: { type: 'string' },
                queue: { type: 'string' },
                state: { type: 'string' },
                failedReason: { type: ['string', 'null'] },
                attemptsMade: { type: 'integer' },
                data: { type: 'object' },
                timestamp: { type: 'integer' },
              },
            },
          },
          start: { type: 'integer' },
          limit: { type: 'integer' },
        },
      },
      HireRecord: {
        type: 'object',
        properties: {
          email: { type: 'string' },
          hireId: { type: 'string' },
          source: { type: 'string' },
          state: { enum: ['received', 'created', 'existed', 'invited', 'failed'] },
          userId: { type: 'string' },
          lastError: { type: 'string' },
          userType: {
            enum: ['User', 'RoomAdmin', 'DocSpaceAdmin', 'Guest'],
            description: 'The type DocSpace gave the account',
          },
          downgraded: {
            type: 'boolean',
            description:
              'DocSpace made a User although requestedType was asked: the paid seats were used up',
          },
          requestedType: { enum: ['RoomAdmin', 'DocSpaceAdmin'] },
          timeline: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                at: { type: 'integer' },
                event: { type: 'string' },
                jobId: { type: 'string' },
                detail: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** The document for the given HR systems: one `POST /webhooks/<name>` each. */
export function openApiDocument(
  providers: readonly Pick<Provider, 'name' | 'title' | 'enabledBy'>[],
) {
  const providerPaths = Object.fromEntries(
    providers.map((provider) => [
      `/webhooks/${provider.name}`,
      {
        post: {
          summary: `A ${provider.title} webhook, verified with its own scheme`,
          description: `503 (deliver again) while ${provider.enabledBy} is not set. Deliveries that only name a person are completed from the ${provider.title} API by the worker.`,
          requestBody: { required: true, content: { '*/*': { schema: {} } } },
          responses: {
            '200': {
              description: 'Stored, duplicate, ignored, or the connection test',
              content: json({ $ref: '#/components/schemas/WebhookAnswer' }),
            },
            '400': error,
            '401': error,
            '413': error,
            '415': error,
            '503': error,
          },
        },
      },
    ]),
  );
  return { ...BASE_DOCUMENT, paths: { ...BASE_DOCUMENT.paths, ...providerPaths } };
}

/** The document of this build (the registered HR systems). */
export const OPENAPI_DOCUMENT = openApiDocument(PROVIDERS);

/** `GET /openapi.json`. */
export function createOpenApiRoute(): Router {
  const router = express.Router();
  router.get('/openapi.json', (_req, res) => {
    res.status(200).json(OPENAPI_DOCUMENT);
  });
  return router;
}
