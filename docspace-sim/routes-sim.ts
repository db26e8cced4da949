import { FaultsPatchError, parseFaultsPatch } from './faults-patch.js';
import { parseSeedRoom, type SeedRoom } from './org-store.js';
import type { SeedUser } from './seed.js';
import { SeedUserError, parseSeedUser } from './seed.js';
import type { SimFaults, SimResponse, SimState, SimUser } from './types.js';

/** The simulator operations the control routes expose. */
export interface SimControl {
  readonly state: () => SimState;
  readonly reset: () => void;
  readonly addUser: (user: SeedUser) => SimUser;
  readonly addRoom: (room: SeedRoom) => { id: number };
  readonly addGroup: (name: string, memberIds?: readonly string[]) => { id: string };
  readonly setFaults: (patch: Partial<SimFaults>) => void;
  readonly resetFaults: () => void;
}

/**
 * Serves the unauthenticated control routes for the demo and out-of-process tests:
 * `GET /sim/state`, `POST /sim/reset`, `POST /sim/users`, `POST /sim/rooms`, `PUT /sim/faults`,
 * `DELETE /sim/faults`.
 * They are never faulted, delayed or logged as calls.
 */
export function handleSimRoute(
  control: SimControl,
  method: string,
  path: string,
  rawBody: string,
): SimResponse {
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  try {
    switch (route) {
      case 'GET /sim/state':
        return json(200, control.state());
      case 'POST /sim/reset':
        control.reset();
        return json(200, { ok: true });
      case 'POST /sim/users':
        return json(201, { user: control.addUser(parseSeedUser(parseJson(rawBody))) });
      case 'POST /sim/rooms': {
        const room = parseSeedRoom(parseJson(rawBody));
        if (typeof room === 'string') throw new ControlRequestError(room);
        return json(201, { room: control.addRoom(room) });
      }
      case 'PUT /sim/faults':
        control.setFaults(parseFaultsPatch(parseJson(rawBody)));
        return json(200, { faults: control.state().faults });
      case 'DELETE /sim/faults':
        control.resetFaults();
        return json(200, { faults: control.state().faults });
      default:
        return json(404, { error: { message: `no simulator route ${route}` } });
    }
  } catch (err: unknown) {
    if (
      err instanceof SeedUserError ||
      err instanceof FaultsPatchError ||
      err instanceof ControlRequestError
    ) {
      return json(400, { error: { message: err.message } });
    }
    throw err;
  }
}

class ControlRequestError extends Error {
  override name = 'ControlRequestError' as const;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new ControlRequestError('body must be JSON');
  }
}

function json(status: number, body: unknown): SimResponse {
  return { status, body };
}
