/**
 * The cluster suite's world: real Redis and NATS (one server each, or a 3-master Redis Cluster and
 * a 3-server NATS cluster), FlockMQ nodes as separate processes, and MQTT.js clients over TCP.
 */
import mqtt from 'mqtt';
import {
  Flock,
  startNats,
  startNatsCluster,
  startRedis,
  startRedisCluster,
  waitFor,
  type FlockNode,
  type NatsFixture,
  type ServerControl,
} from '@flockmq/testkit';

export type Topology = 'single' | 'clustered';

export interface Backends {
  /** What `--redis` gets. */
  readonly redis: string;
  /** What `--nats` gets. */
  readonly nats: string[];
  /** Every NATS server, for its monitoring endpoints. */
  readonly natsServers: NatsFixture[];
  /** The Redis servers (one, or the cluster's masters), to stop and start. */
  readonly redisServers: ServerControl[];
  close(): Promise<void>;
}

export async function startBackends(topology: Topology): Promise<Backends> {
  if (topology === 'single') {
    const [redis, nats] = await Promise.all([startRedis(), startNats()]);
    return {
      redis: redis.url,
      nats: [nats.url],
      natsServers: [nats],
      redisServers: [redis],
      close: async () => {
        await Promise.allSettled([redis.close(), nats.close()]);
      },
    };
  }
  const [redis, nats] = await Promise.all([startRedisCluster(), startNatsCluster()]);
  await nats.waitUntilRouted();
  return {
    redis: `redis-cluster://${redis.startupNodes.map((n) => `${n.host}:${n.port}`).join(',')}`,
    nats: nats.urls,
    natsServers: nats.servers,
    redisServers: redis.nodes,
    close: async () => {
      await Promise.allSettled([redis.close(), nats.close()]);
    },
  };
}

/** MQTT.js clients opened by a test, all ended by closeClients(). */
export class Clients {
  private readonly open: mqtt.MqttClient[] = [];

  /**
   * Connects and waits for CONNACK. `onMessage` is attached before the connection opens: a
   * resumed session's queued messages arrive right behind the CONNACK.
   */
  async connect(
    node: FlockNode,
    options: mqtt.IClientOptions = {},
    onMessage?: (topic: string, payload: Buffer, packet: mqtt.IPublishPacket) => void,
  ): Promise<mqtt.MqttClient> {
    const client = mqtt.connect(node.url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 0,
      ...options,
    });
    this.open.push(client);
    if (onMessage) client.on('message', onMessage);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`connection to ${node.nodeId} closed before CONNACK`)));
    });
    client.on('error', () => undefined); // later errors (a takeover, a killed node) show as 'close'
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled(this.open.splice(0).map((client) => client.endAsync(true)));
  }
}

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
  properties: mqtt.IPublishPacket['properties'];
}

const isProbe = (payload: Buffer): boolean => payload.subarray(0, 6).toString() === 'probe-';

/** Records every message a client receives, except waitForRoute's probes. */
export function record(client: mqtt.MqttClient): Received[] {
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    if (isProbe(payload)) return;
    got.push({
      topic,
      payload: payload.toString(),
      qos: packet.qos,
      retain: packet.retain,
      properties: packet.properties,
    });
  });
  return got;
}

/**
 * Waits until a subscription made on one node is known to the others: a QoS 1 probe published on
 * each of `from` reaches `client` (route deltas travel over NATS; this is how a test knows they
 * arrived without sleeping).
 */
export async function waitForRoute(
  client: mqtt.MqttClient,
  probeTopic: string,
  from: mqtt.MqttClient[],
  what = 'the route to reach every node',
): Promise<void> {
  const seen = new Set<string>();
  const onMessage = (topic: string, payload: Buffer): void => {
    if (topic === probeTopic && isProbe(payload)) seen.add(payload.toString());
  };
  client.on('message', onMessage);
  try {
    let round = 0;
    await waitFor(
      async () => {
        round++;
        await Promise.all(from.map((pub, i) => pub.publishAsync(probeTopic, `probe-${i}-${round}`, { qos: 1 })));
        await new Promise((resolve) => setTimeout(resolve, 50));
        return from.every((_, i) => [...seen].some((p) => p.startsWith(`probe-${i}-`)));
      },
      { timeoutMs: 15_000, what },
    );
  } finally {
    client.off('message', onMessage);
  }
}

export const flockArgs = ['--flap-threshold', '1000'];

export async function startFlock(backends: Backends, nodes: number, prefix: string): Promise<Flock> {
  return Flock.start({ nodes, redis: backends.redis, nats: backends.nats, prefix, args: flockArgs });
}

interface Connz {
  connections?: { name?: string; in_msgs: number; out_msgs: number; in_bytes: number; out_bytes: number }[];
}

/** Bytes NATS has delivered to a FlockMQ node's connection(s), summed over the NATS servers. */
export async function natsBytesTo(backends: Backends, nodeId: string): Promise<number> {
  let total = 0;
  for (const server of backends.natsServers) {
    const connz = await server.monitor<Connz>('connz?limit=1000');
    for (const c of connz.connections ?? []) if (c.name === `flockmq-${nodeId}`) total += c.out_bytes;
  }
  return total;
}
