/** The cluster suite on one Redis server and one NATS server. */
import { clusterSuite } from './suite';

clusterSuite('single');
