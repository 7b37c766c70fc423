import type { Message } from '../message';

/** Retained messages, one per topic name. */
export interface RetainStore {
  /** Stores (or replaces) the retained message of its topic; an empty payload removes it [MQTT-3.3.1-6]. */
  put(message: Message): Promise<void>;
  get(topic: string): Promise<Message | undefined>;
  /** Retained messages whose topic matches a (non-shared) filter, honouring the `$` rule [MQTT-4.7.2-1]. */
  match(filter: string): Promise<Message[]>;
  delete(topic: string): Promise<boolean>;
  size(): Promise<number>;
}
