/**
 * A typed promise client for the admin API, built at runtime from the same .proto as the server.
 * `flockmq ctl` and the tests use it; other tools can too.
 */
import * as grpc from '@grpc/grpc-js';
import type * as api from './api-types';
import { ADMIN_PACKAGE, loadAdminPackageDefinition, type AdminServiceName } from './proto';

export interface AdminClientOptions {
  /** `host:port` of any node's admin API. */
  address: string;
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** `true`: TLS with the system's CAs. An object: TLS with this CA and/or a client certificate. */
  tls?: boolean | { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /**
   * Deadline of each call in milliseconds (default 5000, and DEFAULT_REBALANCE_CLIENT_TIMEOUT_MS
   * for rebalance(), which waits for the moved clients to go).
   */
  timeoutMs?: number;
}

export const DEFAULT_CLIENT_TIMEOUT_MS = 5000;

/** Default deadline of rebalance(): the server waits up to 30 s for each node, plus a margin. */
export const DEFAULT_REBALANCE_CLIENT_TIMEOUT_MS = 35_000;

function channelCredentials(tls: AdminClientOptions['tls']): grpc.ChannelCredentials {
  if (tls === undefined || tls === false) return grpc.credentials.createInsecure();
  if (tls === true) return grpc.credentials.createSsl();
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

export class AdminClient {
  private readonly client: grpc.Client;
  private readonly definitions = loadAdminPackageDefinition();
  private readonly timeoutMs: number | undefined;
  private readonly token: string | undefined;

  constructor(options: AdminClientOptions) {
    this.client = new grpc.Client(options.address, channelCredentials(options.tls));
    this.timeoutMs = options.timeoutMs;
    this.token = options.token === '' ? undefined : options.token;
  }

  /**
   * One unary call on the shared channel. `waitForReady` is left off on purpose: with it, a call to
   * a port nobody listens on would retry until the deadline and end as DEADLINE_EXCEEDED; without
   * it the call fails at once with UNAVAILABLE and the cause (connection refused, TLS handshake,
   * unknown host). The deadline still bounds a server that accepts the connection and stays silent.
   */
  private call<Res>(
    service: AdminServiceName,
    method: string,
    request: object,
    defaultTimeoutMs = DEFAULT_CLIENT_TIMEOUT_MS,
  ): Promise<Res> {
    const definition = (this.definitions[`${ADMIN_PACKAGE}.${service}`] as grpc.ServiceDefinition)[method];
    if (definition === undefined) return Promise.reject(new Error(`admin proto has no ${service}.${method}`));
    const metadata = new grpc.Metadata();
    if (this.token !== undefined) metadata.set('authorization', `Bearer ${this.token}`);
    const deadline = Date.now() + (this.timeoutMs ?? defaultTimeoutMs);
    return new Promise<Res>((resolve, reject) => {
      this.client.makeUnaryRequest<object, Res>(
        definition.path,
        definition.requestSerialize as (value: object) => Buffer,
        definition.responseDeserialize as (bytes: Buffer) => Res,
        request,
        metadata,
        { deadline },
        (err, response) => {
          if (err) reject(err);
          else resolve(response as Res);
        },
      );
    });
  }

  getStatus(): Promise<api.GetStatusResponse> {
    return this.call('ClusterService', 'GetStatus', {});
  }

  listClients(request: api.ListClientsRequest = {}): Promise<api.ListClientsResponse> {
    return this.call('ClientService', 'ListClients', request);
  }

  getSession(clientId: string): Promise<api.GetSessionResponse> {
    return this.call('ClientService', 'GetSession', { clientId });
  }

  kickClient(clientId: string): Promise<api.KickClientResponse> {
    return this.call('ClientService', 'KickClient', { clientId });
  }

  deleteSession(clientId: string): Promise<api.DeleteSessionResponse> {
    return this.call('ClientService', 'DeleteSession', { clientId });
  }

  listSubscriptions(request: api.ListSubscriptionsRequest = {}): Promise<api.ListSubscriptionsResponse> {
    return this.call('SubscriptionService', 'ListSubscriptions', request);
  }

  listSharedGroups(): Promise<api.ListSharedGroupsResponse> {
    return this.call('SubscriptionService', 'ListSharedGroups', {});
  }

  publish(request: api.PublishRequest): Promise<api.PublishResponse> {
    return this.call('MessageService', 'Publish', request);
  }

  listRetained(request: api.ListRetainedRequest = {}): Promise<api.ListRetainedResponse> {
    return this.call('MessageService', 'ListRetained', request);
  }

  async deleteRetained(topic: string): Promise<void> {
    await this.call('MessageService', 'DeleteRetained', { topic });
  }

  drainNode(request: api.DrainNodeRequest = {}): Promise<api.DrainNodeResponse> {
    return this.call('NodeService', 'DrainNode', request);
  }

  setLogLevel(request: api.SetLogLevelRequest): Promise<api.SetLogLevelResponse> {
    return this.call('NodeService', 'SetLogLevel', request);
  }

  /** Waits for the nodes to shed their excess: see DEFAULT_REBALANCE_CLIENT_TIMEOUT_MS. */
  rebalance(request: api.RebalanceRequest = {}): Promise<api.RebalanceResponse> {
    return this.call('NodeService', 'Rebalance', request, DEFAULT_REBALANCE_CLIENT_TIMEOUT_MS);
  }

  close(): void {
    this.client.close();
  }
}

/** A failed call's error as grpc-js reports it. */
export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}
