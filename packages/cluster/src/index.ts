// Cluster mode: Redis backends and the NATS bus.
export * from './redis';
