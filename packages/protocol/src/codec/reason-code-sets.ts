/**
 * Which reason codes each MQTT 5 packet may carry (§3.2.2.2, §3.4.2.1 … §3.15.2.1), and the
 * 3.1.1 CONNACK return codes and SUBACK return codes. Shared by the decoder (a code outside the
 * set is a protocol error) and the encoder (a programmer error).
 */

const byType = new Uint16Array(256);

function allow(type: number, codes: readonly number[]): void {
  for (const code of codes) byType[code]! |= 1 << type;
}

allow(
  2,
  [
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b,
    0x9c, 0x9d, 0x9f,
  ],
); // CONNACK [MQTT-3.2.2-8]
allow(4, [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]); // PUBACK [MQTT-3.4.2-1]
allow(5, [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99]); // PUBREC [MQTT-3.5.2-1]
allow(6, [0x00, 0x92]); // PUBREL [MQTT-3.6.2-1]
allow(7, [0x00, 0x92]); // PUBCOMP [MQTT-3.7.2-1]
allow(9, [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2]); // SUBACK [MQTT-3.9.3-2]
allow(11, [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91]); // UNSUBACK [MQTT-3.11.3-2]
allow(
  14,
  [
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
    0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ],
); // DISCONNECT [MQTT-3.14.2-1]
allow(15, [0x00, 0x18, 0x19]); // AUTH [MQTT-3.15.2-1]

/** True when `code` is one of the MQTT 5 reason codes of packet type `type` (2 = CONNACK … 15 = AUTH). */
export function isReasonCodeFor(type: number, code: number): boolean {
  // A non-integer or out-of-range index reads undefined from the typed array: not a valid code.
  return ((byType[code] ?? 0) & (1 << type)) !== 0;
}

/** MQTT 3.1 / 3.1.1 CONNACK return codes 0x00–0x05; 6–255 are reserved (§3.2.2.3). */
export function isConnackReturnCode(code: number): boolean {
  return Number.isInteger(code) && code >= 0 && code <= 5;
}

/** MQTT 3.1 / 3.1.1 SUBACK return codes: granted QoS 0–2 or 0x80 failure [MQTT-3.9.3-2 in 3.1.1]. */
export function isSubackReturnCode(code: number): boolean {
  return code === 0 || code === 1 || code === 2 || code === 0x80;
}

/** All reason codes of packet type `type`, ascending (for tests and tools). */
export function reasonCodesFor(type: number): number[] {
  const out: number[] = [];
  for (let code = 0; code < 256; code++) if ((byType[code]! & (1 << type)) !== 0) out.push(code);
  return out;
}
