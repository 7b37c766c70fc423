// Cluster mode: Redis backends and the NATS bus.
export * from './redis';
export { decodeFrame, encodeFrame, FRAME_KINDS, SUPPORTED_WIRE_VERSIONS, WIRE_VERSION } from './frame';
export type { ForwardAckStatus, Frame, FrameKind } from './frame';
export { FrameStats } from './frame-stats';
export type { FrameCounters } from './frame-stats';
export { MemoryBusHub, MemoryClusterBus } from './memory-bus';
export type { MemoryBusOptions } from './memory-bus';
export { NatsClusterBus } from './nats/nats-cluster-bus';
export type { NatsClusterBusOptions } from './nats/nats-cluster-bus';
export { controlSubject, forwardSubject, HEARTBEAT_SUBJECT, ROUTES_SUBJECT, SUBJECT_PREFIX } from './nats/subjects';
