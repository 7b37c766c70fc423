/** Bearer token, TLS (and client certificates), and server reflection. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { AdminClient, ctlMain, isServiceError, type AdminServer } from '@flockmq/admin';
import { MemoryNode, captureIo, memoryLogger, serve } from './fixtures';

// The descriptor messages, from the protobufjs that @grpc/proto-loader uses (not a dependency of its own).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { FileDescriptorProto } = require(
  require.resolve('protobufjs/ext/descriptor', { paths: [require.resolve('@grpc/proto-loader')] }),
) as { FileDescriptorProto: { decode(bytes: Uint8Array): unknown } };

interface DecodedFile {
  name: string;
  package: string;
  dependency?: string[];
  messageType: { name: string; field: { name: string; typeName?: string }[] }[];
}

const TOKEN = 's3cret-token';

async function failure(call: Promise<unknown>): Promise<grpc.ServiceError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isServiceError(err)) throw new Error('expected the call to fail');
  return err;
}

describe('bearer token', () => {
  let server: AdminServer;
  let logger: ReturnType<typeof memoryLogger>;
  const address = (): string => `127.0.0.1:${server.port}`;

  beforeAll(async () => {
    logger = memoryLogger();
    server = await serve(new MemoryNode('node-a').connect('alpha'), { token: TOKEN, logger });
  });
  afterAll(() => server.close());

  test.each([
    ['no token', undefined, /missing admin token: send the metadata 'authorization: Bearer <token>'/],
    ['a wrong token', 'nope', /wrong admin token/],
    ['a longer wrong token', `${TOKEN}x`, /wrong admin token/],
  ])('a call with %s fails with UNAUTHENTICATED', async (_, token, details) => {
    const client = new AdminClient({ address: address(), ...(token === undefined ? {} : { token }) });
    try {
      const err = await failure(client.getStatus());
      expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(err.details).toMatch(details);
    } finally {
      client.close();
    }
  });

  test('the right token is accepted, and never logged', async () => {
    const client = new AdminClient({ address: address(), token: TOKEN });
    try {
      expect((await client.getStatus()).nodes.map((n) => n.nodeId)).toEqual(['node-a']);
      await client.kickClient('alpha');
    } finally {
      client.close();
    }
    expect(logger.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['admin_unauthenticated', 'admin_kick']));
    expect(JSON.stringify(logger.lines)).not.toContain(TOKEN);
  });

  test('ctl without the token says how to pass it; with it (flag or env) the call works', async () => {
    const missing = captureIo();
    expect(await ctlMain(['status', '--server', address()], missing.io)).toBe(1);
    expect(missing.stderr).toBe(
      'flockmq ctl: the admin API refused the call: wrong or missing token; pass --token or set FLOCKMQ_ADMIN_TOKEN\n',
    );
    expect(missing.stdout).toBe('');

    const wrong = captureIo({ FLOCKMQ_ADMIN_TOKEN: 'nope' });
    expect(await ctlMain(['status', '--server', address()], wrong.io)).toBe(1);
    expect(wrong.stderr).toMatch(/wrong or missing token/);

    const byFlag = captureIo({ FLOCKMQ_ADMIN_TOKEN: 'nope' });
    expect(await ctlMain(['status', '--server', address(), '--token', TOKEN], byFlag.io)).toBe(0);
    expect(byFlag.stdout).toMatch(/^node-a\s+0\.1\.0/m);

    const byEnv = captureIo({ FLOCKMQ_ADMIN_TOKEN: TOKEN, FLOCKMQ_ADMIN_SERVER: address() });
    expect(await ctlMain(['status'], byEnv.io)).toBe(0);
  });

  test('Rebalance needs the token too (AdminClient and ctl)', async () => {
    const anonymous = new AdminClient({ address: address() });
    const withToken = new AdminClient({ address: address(), token: TOKEN });
    try {
      expect((await failure(anonymous.rebalance())).code).toBe(grpc.status.UNAUTHENTICATED);
      expect(await withToken.rebalance()).toEqual({ results: [{ nodeId: 'node-a', moved: 0 }], unreachableNodes: [] });
    } finally {
      anonymous.close();
      withToken.close();
    }
    const missing = captureIo();
    expect(await ctlMain(['rebalance', '--server', address()], missing.io)).toBe(1);
    expect(missing.stderr).toMatch(/wrong or missing token/);
    const byEnv = captureIo({ FLOCKMQ_ADMIN_TOKEN: TOKEN, FLOCKMQ_ADMIN_SERVER: address() });
    expect(await ctlMain(['rebalance'], byEnv.io)).toBe(0);
    expect(byEnv.stdout).toBe('NODE    MOVED\nnode-a  0\n');
  });
});

describe('server reflection', () => {
  const reflectionProtoDir = path.join(path.dirname(require.resolve('@grpc/reflection')), '..', 'proto');
  let server: AdminServer;

  beforeAll(async () => {
    server = await serve(new MemoryNode('node-a'), { token: TOKEN });
  });
  afterAll(() => server.close());

  /** One request on the reflection stream of the given API version. */
  async function reflect(version: 'v1' | 'v1alpha', request: object, token?: string): Promise<Record<string, unknown>> {
    const definition = protoLoader.loadSync(`grpc/reflection/${version}/reflection.proto`, {
      includeDirs: [reflectionProtoDir],
    });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> };
    };
    const Client = loaded.grpc.reflection[version]!.ServerReflection;
    const client = new Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
    try {
      return await new Promise((resolve, reject) => {
        const stream = (
          client as unknown as {
            ServerReflectionInfo(m: grpc.Metadata): grpc.ClientDuplexStream<object, Record<string, unknown>>;
          }
        ).ServerReflectionInfo(metadata);
        stream.on('data', (response) => {
          resolve(response);
          stream.end();
        });
        stream.on('error', reject);
        stream.write(request);
      });
    } finally {
      client.close();
    }
  }

  test.each(['v1', 'v1alpha'] as const)('%s lists the admin services (token required)', async (version) => {
    const res = await reflect(version, { listServices: '' }, TOKEN);
    const names = (res['listServicesResponse'] as { service: { name: string }[] }).service.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'flockmq.admin.v1.ClusterService',
        'flockmq.admin.v1.ClientService',
        'flockmq.admin.v1.SubscriptionService',
        'flockmq.admin.v1.MessageService',
        'flockmq.admin.v1.NodeService',
      ]),
    );

    const err = await reflect(version, { listServices: '' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isServiceError(err) && err.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  test('describes the admin proto as written: snake_case fields, no unresolvable imports (what grpcurl needs)', async () => {
    const res = await reflect('v1', { fileContainingSymbol: 'flockmq.admin.v1.NodeService' }, TOKEN);
    const files = (res['fileDescriptorResponse'] as { fileDescriptorProto: Buffer[] }).fileDescriptorProto;
    const decoded = files.map((bytes) => FileDescriptorProto.decode(bytes) as unknown as DecodedFile);
    expect(decoded).toHaveLength(1);
    const file = decoded[0]!;
    expect(file.package).toBe('flockmq.admin.v1');
    expect(file.dependency ?? []).toEqual([]);
    const drain = file.messageType.find((m) => m.name === 'DrainNodeRequest')!;
    expect(drain.field.map((f) => f.name)).toEqual(['node_id', 'rate_per_second', 'server_reference']);
    // Every referenced type is defined in the file itself, so a client resolves it without imports.
    const referenced = file.messageType.flatMap((m) => m.field.flatMap((f) => (f.typeName ? [f.typeName] : [])));
    const defined = new Set(file.messageType.map((m) => m.name));
    expect(referenced.filter((name) => !defined.has(name.replace(/^\.flockmq\.admin\.v1\./, '')))).toEqual([]);

    const byName = await reflect('v1alpha', { fileByFilename: file.name }, TOKEN);
    expect(byName['fileDescriptorResponse']).toBeDefined();
  });
});

describe('TLS', () => {
  let dir: string;
  let serverCert: Buffer;
  let serverKey: Buffer;
  const file = (name: string): string => path.join(dir, name);

  /** A self-signed P-256 certificate valid for localhost and 127.0.0.1 (or for a client CN). */
  function selfSigned(name: string, cn: string): void {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1',
      '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`),
    ], { stdio: 'ignore' }); // prettier-ignore
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'flockmq-admin-tls-'));
    selfSigned('server', 'localhost');
    selfSigned('client', 'ops');
    serverCert = readFileSync(file('server.pem'));
    serverKey = readFileSync(file('server.key'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('ctl --ca talks TLS; plaintext and untrusted certificates fail with a one-line error', async () => {
    const server = await serve(new MemoryNode('node-a'), { tls: { cert: serverCert, key: serverKey } });
    const address = `127.0.0.1:${server.port}`;
    try {
      const ok = captureIo();
      expect(await ctlMain(['status', '--server', address, '--ca', file('server.pem'), '--json'], ok.io)).toBe(0);
      expect(JSON.parse(ok.stdout).nodes[0].nodeId).toBe('node-a');

      const untrusted = captureIo();
      expect(await ctlMain(['status', '--server', address, '--tls', '--timeout', '3000'], untrusted.io)).toBe(1);
      expect(untrusted.stderr).toMatch(
        /^flockmq ctl: TLS with the admin API at 127\.0\.0\.1:\d+ failed \(.+\): check --ca/,
      );
      expect(untrusted.stderr.split('\n')).toHaveLength(2);

      const plaintext = captureIo();
      expect(await ctlMain(['status', '--server', address, '--timeout', '3000'], plaintext.io)).toBe(1);
      expect(plaintext.stderr).toMatch(/^flockmq ctl: .*admin API at 127\.0\.0\.1:\d+/);
      expect(plaintext.stderr.split('\n')).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  test('with a CA on the server, clients must present a certificate it signed', async () => {
    const clientCert = readFileSync(file('client.pem'));
    const server = await serve(new MemoryNode('node-a'), { tls: { cert: serverCert, key: serverKey, ca: clientCert } });
    const address = `127.0.0.1:${server.port}`;
    try {
      const withCert = new AdminClient({
        address,
        tls: { ca: serverCert, cert: clientCert, key: readFileSync(file('client.key')) },
      });
      expect((await withCert.getStatus()).nodes).toHaveLength(1);
      withCert.close();

      const withoutCert = new AdminClient({ address, tls: { ca: serverCert }, timeoutMs: 3000 });
      expect((await failure(withoutCert.getStatus())).code).toBe(grpc.status.UNAVAILABLE);
      withoutCert.close();

      const ctl = captureIo();
      const argv = ['status', '--server', address, '--ca', file('server.pem')];
      expect(await ctlMain([...argv, '--cert', file('client.pem'), '--key', file('client.key')], ctl.io)).toBe(0);
      expect(ctl.stdout).toMatch(/^node-a/m);
    } finally {
      await server.close();
    }
  });
});
