export { FakeClock } from './fake-clock';
export { RawClient } from './raw-client';
export { startTestBroker } from './test-broker';
export type { TestBroker, TestBrokerOptions } from './test-broker';
export { WaitTimeoutError, waitFor, withTimeout } from './wait';
