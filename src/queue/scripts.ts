import type { ChainableCommander } from 'ioredis';
import type { RedisConnection } from './redis.js';

type ScriptArg = string | number;

/** Lua that sets `now` to Redis' own clock in ms: the one clock every worker's scripts share. */
export const REDIS_CLOCK_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * A Lua script registered once per connection with `defineCommand`, so ioredis sends EVALSHA and
 * falls back to EVAL by itself. Every key a script touches is passed in KEYS (Redis Cluster rule).
 */
export function defineScript(
  redis: RedisConnection,
  name: string,
  numberOfKeys: number,
  lua: string,
) {
  const commands = redis as unknown as Record<string, (...args: ScriptArg[]) => Promise<unknown>>;
  // A negative count: each call names its keys, however many (their count is sent first).
  const variadic = numberOfKeys < 0;
  if (typeof commands[name] !== 'function') {
    redis.defineCommand(name, variadic ? { lua } : { numberOfKeys, lua });
  }
  return {
    run: (keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> => {
      const command = commands[name];
      if (command === undefined) throw new Error(`script ${name} is not defined`);
      return variadic
        ? command.call(redis, keys.length, ...keys, ...args)
        : command.call(redis, ...keys, ...args);
    },
    /** Adds the script to a pipeline or transaction. */
    queue: (pipeline: ChainableCommander, keys: readonly string[], args: readonly ScriptArg[]) => {
      const command = (pipeline as unknown as Record<string, (...a: ScriptArg[]) => unknown>)[name];
      if (command === undefined) throw new Error(`script ${name} is not defined`);
      if (variadic) command.call(pipeline, keys.length, ...keys, ...args);
      else command.call(pipeline, ...keys, ...args);
    },
  };
}
