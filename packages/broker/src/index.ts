export { Broker } from './broker';
export type { Backends, BrokerOptions } from './broker';
export type { Channel } from './channel';
export { systemClock } from './clock';
export type { Clock, TimerHandle } from './clock';
export type { AuthenticateRequest, AuthenticateResult, BrokerHooks, ClientInfo } from './hooks';
export { DEFAULT_LIMITS } from './limits';
export type { BrokerLimits } from './limits';
export { LazyChildLogger, silentLogger } from './logger';
export type { Logger } from './logger';
export type { Message } from './message';
export { RingBuffer } from './ring-buffer';
export {
  BrokerStats,
  BucketHistogram,
  LabelledCounter,
  DELIVERY_LATENCY_BOUNDS_MS,
  protocolLabel,
  reasonLabel,
} from './stats';
export type { AuthResult, CloseInitiator, DropReason, TakeoverResult } from './stats';
export type { Transport } from './transport';
export { MemoryRetainStore } from './backends/memory-retain-store';
export { MemoryRouteRegistry } from './backends/memory-route-registry';
export { MemorySessionStore } from './backends/memory-session-store';
export { MemoryNodeRegistry } from './backends/memory-node-registry';
export { ClusterLink } from './cluster/cluster-link';
export type { ClusterOptions } from './cluster/cluster-link';
export { DEFAULT_REBALANCE, Rebalancer, clientsToShed } from './cluster/rebalancer';
export type { RebalanceOptions } from './cluster/rebalancer';
export { RouteReplica } from './cluster/route-replica';
export type { RetainStore } from './backends/retain-store';
export type {
  ClusterBus,
  ClusterBusHandlers,
  ControlReply,
  ControlRequest,
  ForwardedMessage,
  NodeInfo,
  NodeRegistry,
  RouteDelta,
} from './backends/cluster-bus';
export type { RouteRegistry } from './backends/route-registry';
export { packetIdForSeq } from './backends/session-store';
export { applyChanges } from './backends/memory-session-store';
export type {
  AppendOutcome,
  Claim,
  Ownership,
  SessionChanges,
  StoredWill,
  PendingMessage,
  SessionState,
  SessionStore,
  StoredSubscription,
  SubscriptionOptions,
} from './backends/session-store';
export type { DrainOptions } from './drain';
