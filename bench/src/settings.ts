/** What the benchmark can run, the settings a run takes, and what one run measures. */
import type { QoS } from '@flockmq/protocol';
import type { LatencySummary } from './load.ts';

export const SCENARIOS = [
  'fan-in',
  'fan-out',
  'pairwise',
  'shared',
  'latency',
  'connections',
  'persistent',
  'retained',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Settings {
  protocol: 4 | 5;
  qos: QoS;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
  /** Deliveries in flight across publishers (closed loop). */
  budget: number;
  /** Unacknowledged QoS 1/2 publishes per publisher. */
  window: number;
  /** Frames per write. */
  batch: number;
  /** Open-loop rate of the latency scenario, messages/s. */
  latencyRate: number;
  /** Idle connections of the connections scenario. */
  connections: number;
  fanInPublishers: number;
  fanOutSubscribers: number;
  pairs: number;
  sharedMembers: number;
  persistentSessions: number;
  persistentMessagesEach: number;
  retainedTopics: number;
  retainedSubscribers: number;
}

export const DEFAULT_SETTINGS: Settings = {
  protocol: 4,
  qos: 0,
  warmupMs: 3000,
  durationMs: 10_000,
  payloadBytes: 64,
  budget: 10_000,
  window: 100,
  batch: 64,
  latencyRate: 5000,
  connections: 19_000,
  fanInPublishers: 50,
  fanOutSubscribers: 100,
  pairs: 500,
  sharedMembers: 20,
  persistentSessions: 100,
  persistentMessagesEach: 100,
  retainedTopics: 10_000,
  retainedSubscribers: 50,
};

/** What one run measured. Rates are per second of the measured window. */
export interface Measurement {
  /** Deliveries per second received by the generator's subscribers (the headline number). */
  throughput?: number;
  publishRate?: number;
  delivered?: number;
  published?: number;
  /** QoS 0 deliveries that never arrived. */
  lost?: number;
  /** Average cores the broker's processes used. */
  brokerCores: number;
  /** The same for the generator (it must stay below one core to not be the bottleneck). */
  generatorCores: number;
  /** Broker CPU microseconds per delivered message, every process together. */
  cpuMicrosPerMessage?: number;
  redisCommandsPerPublish?: number;
  natsMessagesPerPublish?: number;
  brokerRssMB: number;
  latency?: LatencySummary;
  connections?: {
    count: number;
    setupPerSecond: number;
    rssBytesPerConnection: number;
    rssBytesPerSubscription: number;
    failed: number;
    /** Peers over Redis: commands and memory per connect and per subscribe. */
    redisCommandsPerConnect?: number | undefined;
    redisCommandsPerSubscribe?: number | undefined;
    redisBytesPerConnection?: number | undefined;
    redisBytesPerSubscription?: number | undefined;
  };
  persistent?: {
    sessions: number;
    messages: number;
    offlinePublishPerSecond: number;
    resumeDeliveredPerSecond: number;
    received: number;
    missing: number;
    sessionsPresent: number;
  };
  retained?: {
    topics: number;
    subscribers: number;
    storePerSecond: number;
    deliveredPerSecond: number;
    missing: number;
  };
  /** FlockMQ only: flockmq_messages_delivered_total over the run against what the generator received. */
  check?: { brokerDelivered: number; generatorReceived: number };
  /** Why the scenario could not run on this peer (e.g. shared subscriptions refused). */
  unsupported?: string;
}

export const scenarioKey = (scenario: ScenarioName, qos: QoS): string =>
  scenario === 'fan-in' || scenario === 'fan-out' || scenario === 'pairwise' || scenario === 'shared'
    ? `${scenario} QoS ${qos}`
    : scenario;
