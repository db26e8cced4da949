import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiDispatcher } from './dispatch.js';
import type { SimLogger } from './dispatch.js';
import { createFaultInjector } from './faults.js';
import { parseFaultsPatch } from './faults-patch.js';
import { BodyTooLargeError, readBody, writeResponse } from './http-io.js';
import { createRouter } from './router.js';
import { createInviteRoutes } from './routes-invite.js';
import { createPeopleRoutes } from './routes-people.js';
import type { SimControl } from './routes-sim.js';
import { handleSimRoute } from './routes-sim.js';
import { createStatusRoutes } from './routes-status.js';
import { createGroupRoutes } from './routes-groups.js';
import { createRoomRoutes } from './routes-rooms.js';
import { createOrgStore, type SeedRoom } from './org-store.js';
import type { SeedUser } from './seed.js';
import { seedUser } from './seed.js';
import { createSimStore } from './store.js';
import { messagesFor, type SimLang } from './messages.js';
import { httpError, emptyResponse } from './envelope.js';
import type { SimFaults, SimState, SimUser } from './types.js';

export { DEMO_API_KEY } from './constants.js';
export type { SimLogger } from './dispatch.js';
export type { SeedUser } from './seed.js';
export type { SeedRoom } from './org-store.js';
export { SIM_LANGS, parseSimLang, type SimLang } from './messages.js';
export type * from './types.js';

/** Options of {@link createDocspaceSim}. */
export interface DocspaceSimOptions {
  /** Keys accepted as `Authorization: Bearer <key>`. */
  readonly apiKeys: readonly string[];
  /** Behave like a ≤ v3.0 server: duplicate email → 500, invite skips bad entries silently. */
  readonly legacy?: boolean;
  /** Sim clock for registration dates, mail and call times, and the rate limiters. */
  readonly now?: () => number;
  /** Source of randomness for latency jitter and the random fault rates. */
  readonly random?: () => number;
  /** Receives one line per API call; never sees keys or headers. */
  readonly logger?: SimLogger;
  /**
   * The API key owner's language, which DocSpace writes its error texts in (`en`, `de`;
   * default `en`; messages.ts cites the server's resource files).
   */
  readonly lang?: SimLang;
  /** Paid seats (Room admins, DocSpace admins) the plan allows; default no limit (knob `paidSeats`). */
  readonly paidSeats?: number;
}

/** A running (or ready to run) DocSpace simulator. */
export interface DocspaceSim {
  listen(port?: number, host?: string): Promise<{ url: string }>;
  /** Stops listening and destroys every connection, including hung ones. */
  close(): Promise<void>;
  state(): SimState;
  setFaults(patch: Partial<SimFaults>): void;
  resetFaults(): void;
  addUser(user: SeedUser): SimUser;
  /** A room that exists before the test or demo starts; made by the key's owner unless told otherwise. */
  addRoom(room: SeedRoom): { id: number };
  /** A group made by hand before the test or demo starts. */
  addGroup(name: string, memberIds?: readonly string[]): { id: string };
  /** Forgets users, mails, calls and faults. */
  reset(): void;
}

/**
 * Creates the built-in DocSpace simulator: a real HTTP server for the people API that follows
 * the DocSpace server's sources (auth, envelopes, error texts, validation order, invite semantics;
 * ONLYOFFICE/DocSpace-server at v3.7.2-server, cited by file and method; docs/docspace.md)
 * and injects faults on demand. It shows what it did at `GET /sim/state`.
 *
 * @example
 * const sim = createDocspaceSim({ apiKeys: [DEMO_API_KEY] });
 * const { url } = await sim.listen();
 * sim.setFaults({ script: [{ kind: '429', retryAfterSec: 2 }] });
 */
export function createDocspaceSim(options: DocspaceSimOptions): DocspaceSim {
  const now = options.now ?? Date.now;
  const legacy = options.legacy ?? false;
  const keys = new Set(options.apiKeys);
  const store = createSimStore({ now });
  const org = createOrgStore({ now });
  const faults = createFaultInjector({ now, random: options.random ?? Math.random });
  // The plan's seats are the portal's, not a fault: a reset of the faults keeps them.
  const resetFaults = (): void => {
    faults.reset();
    if (options.paidSeats !== undefined) faults.set({ paidSeats: options.paidSeats });
  };
  resetFaults();
  const messages = messagesFor(options.lang ?? 'en');
  const paidSeats = () => faults.get().paidSeats;
  const closing = new AbortController();
  // Every delayed request waits on this one signal: any number may be in flight at once.
  setMaxListeners(0, closing.signal);
  const match = createRouter([
    ...createInviteRoutes({
      store,
      legacy,
      messages,
      paidSeats,
      invitationLimit: () => faults.get().invitationLimit,
    }),
    ...createStatusRoutes({ store, legacy, messages, now }),
    ...createGroupRoutes({ store, org, messages }),
    ...createRoomRoutes({ store, org, messages }),
    ...createPeopleRoutes({ store, legacy, messages, paidSeats }),
  ]);
  const dispatch = createApiDispatcher({
    store,
    faults,
    match,
    isAuthorized: (header) => isAuthorized(keys, header),
    signal: closing.signal,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });

  const control: SimControl = {
    state: () =>
      structuredClone({
        keyOwner: store.keyOwner,
        users: [...store.users()],
        mails: [...store.mails()],
        calls: [...store.calls()],
        faults: faults.get(),
        groups: org.groups().map((g) => ({ id: g.id, name: g.name, members: [...g.members] })),
        rooms: org.rooms().map((r) => ({
          id: r.id,
          title: r.title,
          type: r.type,
          createdBy: r.createdBy,
          shares: Object.fromEntries(r.shares),
        })),
        roomMails: [...org.roomMails()],
      }),
    reset: () => {
      store.clear();
      org.clear();
      resetFaults();
    },
    addUser: (user) => structuredClone(seedUser(store, user)),
    addRoom: (room) => {
      const made = org.addRoom({
        title: room.title,
        type: room.type ?? 'CustomRoom',
        createdBy: room.createdByKeyOwner === false ? store.otherAdmin.id : store.keyOwner.id,
      });
      return { id: made.id };
    },
    addGroup: (name, memberIds = []) => ({ id: org.addGroup(name, memberIds).id }),
    setFaults: (patch) => {
      faults.set(parseFaultsPatch(patch));
    },
    resetFaults: () => {
      resetFaults();
    },
  };

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    let rawBody: string;
    try {
      rawBody = await readBody(req);
    } catch (err: unknown) {
      if (err instanceof BodyTooLargeError) writeResponse(res, emptyResponse(413));
      else req.socket.destroy();
      return;
    }
    if (/^\/sim(\/|$)/i.test(url.pathname)) {
      writeResponse(res, handleSimRoute(control, method, url.pathname, rawBody));
      return;
    }
    await dispatch({ req, res, method, url, rawBody });
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      writeResponse(res, httpError(500, message));
    });
  });

  return {
    ...control,
    listen: async (port = 0, host = '127.0.0.1') => {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      return { url: `http://${urlHost(host)}:${address.port}` };
    },
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * `Bearer <key>` with a known key. A bare token works only when it is not an `sk-` API key:
 * DocSpace routes a bare header to the cookie handler, which takes tokens but not API keys (BaseStartup.cs, `ForwardDefaultSelector`).
 */
function isAuthorized(keys: ReadonlySet<string>, header: string | undefined): boolean {
  if (header === undefined) return false;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  const token = bearer?.[1] ?? header.trim();
  if (bearer === null && token.startsWith('sk-')) return false;
  return keys.has(token);
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
