import { createLogger } from '../src/logging';

/** A destination that keeps what pino writes. */
function sink(isTTY = false) {
  const chunks: string[] = [];
  return {
    isTTY,
    chunks,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    json: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

test('logging - JSON lines carry the node, a level label and an ISO time', () => {
  const out = sink();
  createLogger({ level: 'info', nodeId: 'node-a', destination: out }).info({ clientId: 'c1' }, 'client_connected');
  const [line] = out.json();
  expect(line).toMatchObject({ level: 'info', node: 'node-a', clientId: 'c1', msg: 'client_connected' });
  expect(typeof line?.time).toBe('string');
  expect(line).not.toHaveProperty('pid');
});

test('logging - the level filters', () => {
  const out = sink();
  const logger = createLogger({ level: 'warn', nodeId: 'n', destination: out });
  logger.info({}, 'hidden');
  logger.warn({}, 'shown');
  expect(out.json().map((l) => l.msg)).toEqual(['shown']);
});

test('logging - passwords and tokens are redacted', () => {
  const out = sink();
  const logger = createLogger({ level: 'info', nodeId: 'n', destination: out });
  logger.info({ password: 'p', connect: { username: 'u', password: 'p' }, auth: { jwt: { token: 't' } } }, 'connect');
  const [line] = out.json();
  expect(line).toMatchObject({
    password: '[redacted]',
    connect: { username: 'u', password: '[redacted]' },
    auth: { jwt: { token: '[redacted]' } },
  });
  expect(JSON.stringify(line)).not.toContain('"p"');
});

test('logging - a terminal gets human-readable lines', () => {
  const out = sink(true);
  createLogger({ level: 'info', nodeId: 'node-a', destination: out }).info({ password: 'secret' }, 'listening');
  const text = out.chunks.join('');
  expect(text).toContain('listening');
  expect(text).not.toContain('secret');
  expect(() => JSON.parse(text)).toThrow();
});
