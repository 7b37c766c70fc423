/**
 * Fixture tables expanded into parse, serialize and mirror tests (as mqtt-packet's test.js):
 * parse: bytes → packet; serialize: packet → bytes; mirror: parse(serialize(packet)) → packet
 * and serialize(parse(bytes)) → bytes. Non-canonical fixtures (parseOnly) only parse.
 */
import { encodePacket } from '../src/codec/encoder';
import { FIXTURE_TABLES, type Fixture } from './codec-fixtures';
import { decodeOne } from './codec-support';

const canonical = (table: Fixture[]): Fixture[] => table.filter((f) => f.parseOnly !== true);

describe.each(FIXTURE_TABLES)('codec - %s fixtures', (_type, table) => {
  test.each(table.map((f) => [f.name, f] as const))('parse - %s', (_name, f) => {
    expect(decodeOne(f.bytes, f.level)).toEqual(f.packet);
  });

  const serializable = canonical(table);
  if (serializable.length > 0) {
    test.each(serializable.map((f) => [f.name, f] as const))('serialize - %s', (_name, f) => {
      expect(encodePacket(f.packet, f.level).toString('hex')).toBe(f.bytes.toString('hex'));
    });

    test.each(serializable.map((f) => [f.name, f] as const))('mirror - %s', (_name, f) => {
      expect(decodeOne(encodePacket(f.packet, f.level), f.level)).toEqual(f.packet);
      expect(encodePacket(decodeOne(f.bytes, f.level), f.level).toString('hex')).toBe(f.bytes.toString('hex'));
    });
  }
});

describe('codec - CONNECT fixtures decoded without a preset level', () => {
  const connects = FIXTURE_TABLES.find(([type]) => type === 'CONNECT')![1];
  test.each(connects.map((f) => [f.name, f] as const))('parse - %s', (_name, f) => {
    expect(decodeOne(f.bytes)).toEqual(f.packet);
  });
});
