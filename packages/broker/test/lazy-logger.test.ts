import { LazyChildLogger, type Logger } from '../src/logger';

/** A parent logger that records the children it makes and the lines they write. */
function recordingParent(enabled: (level: string) => boolean) {
  const children: Record<string, unknown>[] = [];
  const lines: { level: string; bindings: Record<string, unknown>; obj: object; msg: string }[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const write = (level: string) => (obj: object, msg: string) => lines.push({ level, bindings, obj, msg });
    return {
      child: (more) => {
        children.push({ ...bindings, ...more });
        return make({ ...bindings, ...more });
      },
      trace: write('trace'),
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
    };
  };
  const parent = Object.assign(make({}), { isLevelEnabled: enabled });
  return { parent, children, lines };
}

describe('LazyChildLogger', () => {
  it('makes no child until a line is written at an enabled level', () => {
    const { parent, children, lines } = recordingParent((level) => level !== 'debug' && level !== 'trace');
    let computed = 0;
    const log = new LazyChildLogger(parent, () => {
      computed++;
      return { remote: '127.0.0.1:5000' };
    });
    log.debug({ a: 1 }, 'quiet');
    log.trace({}, 'quieter');
    expect(children).toEqual([]);
    expect(computed).toBe(0);
    log.info({ b: 2 }, 'loud');
    log.warn({}, 'louder');
    expect(children).toEqual([{ remote: '127.0.0.1:5000' }]);
    expect(computed).toBe(1);
    expect(lines.map((l) => [l.level, l.msg, l.bindings])).toEqual([
      ['info', 'loud', { remote: '127.0.0.1:5000' }],
      ['warn', 'louder', { remote: '127.0.0.1:5000' }],
    ]);
  });

  it('composes the bindings of its own children without making any', () => {
    const { parent, children, lines } = recordingParent(() => true);
    const log = new LazyChildLogger(parent, () => ({ remote: 'r' })).child({ clientId: 'c1' });
    expect(children).toEqual([]);
    log.error({ err: 'x' }, 'failed');
    expect(children).toEqual([{ remote: 'r', clientId: 'c1' }]);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'failed', obj: { err: 'x' } });
  });

  it('writes every level when the parent cannot say which are enabled', () => {
    const { parent, lines } = recordingParent(() => true);
    const plain: Logger = { ...parent, child: parent.child };
    delete (plain as { isLevelEnabled?: unknown }).isLevelEnabled;
    new LazyChildLogger(plain, () => ({})).debug({}, 'kept');
    expect(lines.map((l) => l.msg)).toEqual(['kept']);
  });
});
