/**
 * MQTT UTF-8 Encoded String validation (MQTT 5 §1.5.4, MQTT 3.1.1 §1.5.3).
 *
 * The character data must be well-formed UTF-8 (which excludes the surrogates U+D800–U+DFFF and
 * overlong forms) [MQTT-1.5.4-1] and must not contain U+0000 [MQTT-1.5.4-2]. The SHOULD NOT list
 * of control characters and non-characters is left to the application.
 */
import { isUtf8 } from 'node:buffer';

/** Below this many bytes a JavaScript loop beats the native call (which needs a subarray view). */
const SHORT_STRING = 64;

/** True when the bytes are well-formed UTF-8 without U+0000 [MQTT-1.5.4-1] [MQTT-1.5.4-2]. */
export function isValidMqttUtf8(bytes: Buffer): boolean {
  return isValidMqttUtf8Range(bytes, 0, bytes.length);
}

/**
 * Same check on `buf[start, end)` without creating a view for short or pure-ASCII strings: the
 * decoder's hot path (topic names, client ids) runs the ASCII loop and never allocates.
 */
export function isValidMqttUtf8Range(buf: Buffer, start: number, end: number): boolean {
  if (end - start <= SHORT_STRING) {
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b === 0) return false; // [MQTT-1.5.4-2] [MQTT-1.5.3-2 in 3.1.1]
      if (b >= 0x80) return nonAscii(buf, i, end);
    }
    return true;
  }
  return nonAscii(buf, start, end);
}

function nonAscii(buf: Buffer, start: number, end: number): boolean {
  const view = buf.subarray(start, end);
  // [MQTT-1.5.4-1] well-formed, no surrogates; [MQTT-1.5.4-2] no U+0000 (a 0x00 byte is only ever NUL).
  return isUtf8(view) && view.indexOf(0) === -1;
}
