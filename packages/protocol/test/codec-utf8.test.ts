/** isValidMqttUtf8: well-formed UTF-8 without U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]. */
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { isValidMqttUtf8, isValidMqttUtf8Range } from '../src/codec/utf8';

describe('codec - isValidMqttUtf8', () => {
  test.each<[string, number[]]>([
    ['empty', []],
    ['ASCII', [...Buffer.from('sensors/+/temp')]],
    ['two-byte é', [0xc3, 0xa9]],
    ['three-byte €', [0xe2, 0x82, 0xac]],
    ['four-byte 😀', [0xf0, 0x9f, 0x98, 0x80]],
    ['U+FEFF', [0xef, 0xbb, 0xbf]],
    ['U+FFFF (a non-character, allowed)', [0xef, 0xbf, 0xbf]],
    ['U+10FFFF', [0xf4, 0x8f, 0xbf, 0xbf]],
    ['control character U+0001 (SHOULD NOT, not MUST NOT)', [0x01]],
  ])('codec - [MQTT-1.5.4-1] %s is valid', (_name, bytes) => {
    expect(isValidMqttUtf8(Buffer.from(bytes))).toBe(true);
  });

  test.each<[string, number[]]>([
    ['U+0000', [0x61, 0x00]],
    ['U+0000 after non-ASCII', [0xc3, 0xa9, 0x00]],
    ['overlong NUL', [0xc0, 0x80]],
    ['overlong slash', [0xe0, 0x80, 0xaf]],
    ['high surrogate U+D800', [0xed, 0xa0, 0x80]],
    ['low surrogate U+DFFF', [0xed, 0xbf, 0xbf]],
    ['stray continuation', [0x80]],
    ['truncated three-byte sequence', [0xe2, 0x82]],
    ['above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['byte FE', [0xfe]],
  ])('codec - [MQTT-1.5.4-1] [MQTT-1.5.4-2] %s is invalid', (_name, bytes) => {
    expect(isValidMqttUtf8(Buffer.from(bytes))).toBe(false);
  });

  test('codec - [MQTT-1.5.4-2] U+0000 in a long string (native path) is invalid', () => {
    expect(isValidMqttUtf8(Buffer.from('é'.repeat(100) + '\u0000', 'utf8'))).toBe(false);
    expect(isValidMqttUtf8(Buffer.from('a'.repeat(100) + '\u0000', 'utf8'))).toBe(false);
  });

  test('codec - [MQTT-1.5.4-1] agrees with node:buffer isUtf8 plus a NUL check on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (arr) => {
        const b = Buffer.from(arr);
        expect(isValidMqttUtf8(b)).toBe(isUtf8(b) && !b.includes(0));
      }),
      { numRuns: 2000 },
    );
  });

  test('codec - the range form checks only its range', () => {
    const b = Buffer.from([0xff, 0x61, 0x62, 0x00]);
    expect(isValidMqttUtf8Range(b, 1, 3)).toBe(true);
    expect(isValidMqttUtf8Range(b, 0, 3)).toBe(false);
    expect(isValidMqttUtf8Range(b, 1, 4)).toBe(false);
  });
});
