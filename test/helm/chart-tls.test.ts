/**
 * Unit tests of the chart's TLS: for the admin API, and at the broker (MQTT over TLS and secure
 * WebSocket). Render with values (Helm 4, Kubernetes 1.31 unless said otherwise), parse, assert.
 */
import { brokerContainer, configOf, find, get, podSpec, refusal, renderOk, type Doc } from './chart';

const CM = 'cert-manager.io/v1';

describe('TLS for the admin API', () => {
  const TLS = {
    'admin.tls.enabled': true,
    'admin.tls.requireClientCert': true,
    'admin.tls.certManager.enabled': true,
    'admin.tls.certManager.issuerRef.name': 'ca',
  };

  test('a cert-manager Certificate, mounted and passed to the broker', async () => {
    const docs = await renderOk({ set: TLS, apiVersions: [CM] });
    const cert = get(docs, 'Certificate');
    expect(cert.spec.issuerRef).toEqual({ name: 'ca', kind: 'Issuer', group: 'cert-manager.io' });
    expect(cert.spec.dnsNames).toEqual(['flock-flockmq-admin', 'flock-flockmq-admin.mqtt.svc', 'localhost']);
    const volume = podSpec(docs).volumes.find((v: Doc) => v.name === 'admin-tls');
    expect(volume.secret.secretName).toBe(cert.spec.secretName);
    expect(brokerContainer(docs).volumeMounts).toContainEqual({
      name: 'admin-tls',
      mountPath: '/etc/flockmq/admin-tls',
      readOnly: true,
    });
    expect(configOf(docs)).toMatchObject({
      adminTlsCert: '/etc/flockmq/admin-tls/tls.crt',
      adminTlsKey: '/etc/flockmq/admin-tls/tls.key',
      adminTlsCa: '/etc/flockmq/admin-tls/ca.crt',
    });
  });

  test('an existing Secret instead', async () => {
    const docs = await renderOk({ set: { 'admin.tls.enabled': true, 'admin.tls.existingSecret': 'admin-cert' } });
    expect(find(docs, 'Certificate')).toBeUndefined();
    expect(podSpec(docs).volumes.find((v: Doc) => v.name === 'admin-tls').secret.secretName).toBe('admin-cert');
    expect(configOf(docs).adminTlsCa).toBeUndefined();
  });

  test('refusals: no cert-manager API, no certificate source', async () => {
    expect(await refusal({ set: TLS })).toContain(
      'admin.tls.certManager.enabled is true but the cluster has no cert-manager.io/v1 API: install cert-manager or set admin.tls.certManager.enabled=false',
    );
    expect(await refusal({ set: { 'admin.tls.enabled': true } })).toContain('there is no certificate');
  });
});

describe('TLS at the broker (MQTT over TLS and secure WebSocket)', () => {
  const CERT_MANAGER = {
    'broker.tls.enabled': true,
    'broker.tls.requireClientCert': true,
    'broker.tls.certManager.enabled': true,
    'broker.tls.certManager.issuerRef.name': 'mqtt-ca',
  };
  const SECRET = { 'broker.tls.enabled': true, 'broker.tls.existingSecret': 'mqtt-cert' };

  test('the config file names the listeners and the mounted PEM files; the Secret is mounted read-only, 0440', async () => {
    const docs = await renderOk({ set: CERT_MANAGER, apiVersions: [CM] });
    expect(configOf(docs)).toMatchObject({
      tlsPort: 8883,
      wssPort: 8084,
      tlsCert: '/etc/flockmq/tls/tls.crt',
      tlsKey: '/etc/flockmq/tls/tls.key',
      tlsCa: '/etc/flockmq/tls/ca.crt',
    });
    expect(brokerContainer(docs).volumeMounts).toContainEqual({
      name: 'tls',
      mountPath: '/etc/flockmq/tls',
      readOnly: true,
    });
    const volume = podSpec(docs).volumes.find((v: Doc) => v.name === 'tls');
    expect(volume.secret).toEqual({ secretName: 'flock-flockmq-mqtt-tls', defaultMode: 0o440 });
    expect(podSpec(docs).securityContext.fsGroup).toBe(65532);
    expect(get(docs, 'Certificate', '-mqtt').spec.secretName).toBe(volume.secret.secretName);
  });

  test('an existing Secret: no Certificate, no CA without requireClientCert', async () => {
    const docs = await renderOk({ set: SECRET });
    expect(find(docs, 'Certificate')).toBeUndefined();
    expect(podSpec(docs).volumes.find((v: Doc) => v.name === 'tls').secret.secretName).toBe('mqtt-cert');
    expect(configOf(docs).tlsCa).toBeUndefined();
    expect(configOf(docs)).toMatchObject({ tlsPort: 8883, tlsCert: '/etc/flockmq/tls/tls.crt' });
  });

  test('off by default: no TLS keys, ports or volume', async () => {
    const docs = await renderOk();
    for (const key of ['tlsPort', 'wssPort', 'tlsCert', 'tlsKey', 'tlsCa']) expect(configOf(docs)[key]).toBeUndefined();
    expect(brokerContainer(docs).ports.map((p: Doc) => p.name)).toEqual(['mqtt', 'ws', 'http', 'admin']);
    expect(podSpec(docs).volumes.map((v: Doc) => v.name)).toEqual(['config']);
  });

  test('container ports mqtts and wss; websocketPort null turns the secure WebSocket listener off', async () => {
    const docs = await renderOk({ set: { ...SECRET, 'broker.tls.port': 18883, 'broker.tls.websocketPort': 18084 } });
    expect(brokerContainer(docs).ports.map((p: Doc) => [p.name, p.containerPort])).toEqual([
      ['mqtt', 1883],
      ['ws', 8083],
      ['mqtts', 18883],
      ['wss', 18084],
      ['http', 9090],
      ['admin', 9091],
    ]);
    expect(configOf(docs)).toMatchObject({ tlsPort: 18883, wssPort: 18084 });
    const noWss = await renderOk({ set: { ...SECRET, 'broker.tls.websocketPort': null } });
    expect(brokerContainer(noWss).ports.map((p: Doc) => p.name)).toEqual(['mqtt', 'ws', 'mqtts', 'http', 'admin']);
    expect(configOf(noWss).wssPort).toBe('off');
  });

  test("the Service's mqtts and wss ports target the broker's TLS listeners by default", async () => {
    const ports = { 'service.ports.mqtts.enabled': true, 'service.ports.wss.enabled': true };
    const docs = await renderOk({ set: { ...SECRET, ...ports } });
    expect(get(docs, 'Service', 'flock-flockmq').spec.ports).toEqual([
      { name: 'mqtt', port: 1883, targetPort: 'mqtt', protocol: 'TCP' },
      { name: 'mqtts', port: 8883, targetPort: 'mqtts', protocol: 'TCP' },
      { name: 'ws', port: 8083, targetPort: 'ws', protocol: 'TCP' },
      { name: 'wss', port: 8084, targetPort: 'wss', protocol: 'TCP' },
    ]);
    // Load-balancer termination: the default without broker TLS, or forced with it.
    const lb = await renderOk({ set: ports });
    expect(get(lb, 'Service', 'flock-flockmq').spec.ports.map((p: Doc) => p.targetPort)).toEqual([
      'mqtt',
      'mqtt',
      'ws',
      'ws',
    ]);
    const forced = await renderOk({
      set: { ...SECRET, ...ports, 'service.ports.mqtts.targetPort': 'mqtt', 'service.ports.wss.targetPort': 'ws' },
    });
    expect(get(forced, 'Service', 'flock-flockmq').spec.ports.map((p: Doc) => p.targetPort)).toEqual([
      'mqtt',
      'mqtt',
      'ws',
      'ws',
    ]);
    const noWss = await renderOk({ set: { ...SECRET, ...ports, 'broker.tls.websocketPort': null } });
    expect(get(noWss, 'Service', 'flock-flockmq').spec.ports.find((p: Doc) => p.name === 'wss').targetPort).toBe('ws');
  });

  test('the Certificate names the public hosts first, then the MQTT Service names', async () => {
    const docs = await renderOk({
      set: {
        ...CERT_MANAGER,
        'broker.tls.certManager.dnsNames': ['mqtt.example.com'],
        'headlessService.enabled': true,
      },
      apiVersions: [CM],
    });
    const cert = get(docs, 'Certificate', '-mqtt');
    expect(cert.metadata.name).toBe('flock-flockmq-mqtt');
    expect(cert.spec.commonName).toBe('mqtt.example.com');
    expect(cert.spec.dnsNames).toEqual([
      'mqtt.example.com',
      'flock-flockmq',
      'flock-flockmq.mqtt',
      'flock-flockmq.mqtt.svc',
      'flock-flockmq-headless.mqtt.svc',
    ]);
    expect(cert.spec.issuerRef).toEqual({ name: 'mqtt-ca', kind: 'Issuer', group: 'cert-manager.io' });
    expect(cert.spec.usages).toContain('server auth');
    const publicOnly = await renderOk({
      set: {
        ...CERT_MANAGER,
        'broker.tls.certManager.dnsNames': ['mqtt.example.com'],
        'broker.tls.certManager.serviceNames': false,
      },
      apiVersions: [CM],
    });
    expect(get(publicOnly, 'Certificate', '-mqtt').spec.dnsNames).toEqual(['mqtt.example.com']);
    const defaults = await renderOk({ set: CERT_MANAGER, apiVersions: [CM] });
    expect(get(defaults, 'Certificate', '-mqtt').spec.commonName).toBe('flock-flockmq');
  });

  test('the NetworkPolicy lets clients reach the TLS ports', async () => {
    const docs = await renderOk({ set: { ...SECRET, 'networkPolicy.enabled': true } });
    expect(get(docs, 'NetworkPolicy').spec.ingress[0].ports).toEqual([
      { port: 'mqtt', protocol: 'TCP' },
      { port: 'ws', protocol: 'TCP' },
      { port: 'mqtts', protocol: 'TCP' },
      { port: 'wss', protocol: 'TCP' },
    ]);
  });

  test('refusals: no certificate source, two sources, no cert-manager API, no issuer, no name', async () => {
    expect(await refusal({ set: { 'broker.tls.enabled': true } })).toContain(
      'broker.tls.enabled is true but there is no certificate: set broker.tls.existingSecret (a kubernetes.io/tls Secret) or enable broker.tls.certManager',
    );
    expect(await refusal({ set: { ...CERT_MANAGER, 'broker.tls.existingSecret': 'x' }, apiVersions: [CM] })).toContain(
      'broker.tls.existingSecret and broker.tls.certManager.enabled are both set: choose one source',
    );
    expect(await refusal({ set: CERT_MANAGER })).toContain(
      'broker.tls.certManager.enabled is true but the cluster has no cert-manager.io/v1 API: install cert-manager or set broker.tls.certManager.enabled=false',
    );
    expect(
      await refusal({ set: { ...CERT_MANAGER, 'broker.tls.certManager.issuerRef.name': '' }, apiVersions: [CM] }),
    ).toContain('broker.tls.certManager.issuerRef.name is empty');
    expect(
      await refusal({ set: { ...CERT_MANAGER, 'broker.tls.certManager.serviceNames': false }, apiVersions: [CM] }),
    ).toContain('the certificate would name no host');
    expect(await refusal({ set: { ...SECRET, 'broker.tls.port': 1883 } })).toContain(
      'broker.tls.port 1883 is already used by another listener',
    );
  });

  test('refusals: a Service port aimed at a TLS listener that does not run', async () => {
    expect(
      await refusal({ set: { 'service.ports.mqtts.enabled': true, 'service.ports.mqtts.targetPort': 'mqtts' } }),
    ).toContain(
      "service.ports.mqtts.targetPort is mqtts but broker.tls.enabled is false: turn the broker's TLS listener on, or set service.ports.mqtts.targetPort to mqtt (TLS terminated at the load balancer)",
    );
    expect(
      await refusal({
        set: {
          ...SECRET,
          'broker.tls.websocketPort': null,
          'service.ports.wss.enabled': true,
          'service.ports.wss.targetPort': 'wss',
        },
      }),
    ).toContain('service.ports.wss.targetPort is wss but the broker runs no secure WebSocket listener');
    expect(
      await refusal({
        set: {
          'broker.websocket.enabled': false,
          'service.ports.ws.enabled': false,
          'service.ports.wss.enabled': true,
        },
      }),
    ).toContain('service.ports.wss targets ws but broker.websocket.enabled is false');
  });
});
