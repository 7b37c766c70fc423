export * from './node-admin';
export { startAdminServer, type AdminServerOptions, type AdminServer } from './server';
export { answerPeer, PEER_METHODS, type PeerMethod, type PeerArgs } from './peer';
export { ctlMain, type CtlIo } from './ctl';
export {
  AdminClient,
  isServiceError,
  DEFAULT_CLIENT_TIMEOUT_MS,
  DEFAULT_REBALANCE_CLIENT_TIMEOUT_MS,
  type AdminClientOptions,
} from './client';
export { ADMIN_PROTO_PATH, ADMIN_PROTO_ROOT, ADMIN_PROTO_FILE, ADMIN_PACKAGE, ADMIN_SERVICES } from './proto';
export { DEFAULT_PEER_TIMEOUT_MS, DEFAULT_REBALANCE_TIMEOUT_MS, type AdminLogger } from './fanout';
export { LOG_LEVELS } from './validate';
/** The API's messages as AdminClient returns them. */
export type * as AdminApi from './api-types';
