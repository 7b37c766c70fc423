export * from './packets';
export * from './reason-codes';
export * from './errors';
export * from './topic';
export * from './topic-trie';
export { PacketDecoder } from './codec/decoder';
export type { DecoderOptions } from './codec/decoder';
export { encodePacket } from './codec/encoder';
export { isValidMqttUtf8 } from './codec/utf8';
