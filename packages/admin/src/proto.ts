import * as path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';

/**
 * Directory the admin .proto files live in, as `--import-path` for protoc or grpcurl. Resolved from
 * this file so it works both from src/ (tests) and from dist/ (the published package).
 */
export const ADMIN_PROTO_ROOT = path.join(__dirname, '..', 'proto');

/** The admin API's .proto, relative to ADMIN_PROTO_ROOT. */
export const ADMIN_PROTO_FILE = 'flockmq/admin/v1/admin.proto';

/** Absolute path of the admin API's .proto. */
export const ADMIN_PROTO_PATH = path.join(ADMIN_PROTO_ROOT, ADMIN_PROTO_FILE);

/** Fully qualified names of the admin services, as clients and reflection see them. */
export const ADMIN_PACKAGE = 'flockmq.admin.v1';
export const ADMIN_SERVICES = [
  'ClusterService',
  'ClientService',
  'SubscriptionService',
  'MessageService',
  'NodeService',
] as const;
export type AdminServiceName = (typeof ADMIN_SERVICES)[number];

/**
 * Server and client must decode messages the same way, so both load the proto with these options:
 * camelCase field names, 64-bit integers as JS numbers (counts and seconds stay far below 2^53),
 * bytes as Buffers, and default values filled in so handlers never see missing scalars.
 */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: false,
  oneofs: true,
  includeDirs: [ADMIN_PROTO_ROOT],
};

let cached: protoLoader.PackageDefinition | undefined;

/** The parsed admin proto (loaded once per process). */
export function loadAdminPackageDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(ADMIN_PROTO_FILE, LOADER_OPTIONS);
  return cached;
}

/**
 * The proto as server reflection describes it. Loaded apart with the field names as written
 * (node_id, not nodeId): proto-loader's camelCase option rewrites the descriptors too, and grpcurl
 * would then show and expect names that are not the ones in admin.proto.
 */
export function loadAdminReflectionDefinition(): protoLoader.PackageDefinition {
  return protoLoader.loadSync(ADMIN_PROTO_FILE, { ...LOADER_OPTIONS, keepCase: true });
}
