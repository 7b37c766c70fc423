/** The cluster suite on a 3-master Redis Cluster and a 3-server NATS cluster. */
import { clusterSuite } from './suite';

clusterSuite('clustered');
