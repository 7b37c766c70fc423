#!/usr/bin/python3
"""Drives a FlockMQ broker with Eclipse paho-mqtt (1.6, Debian's python3-paho-mqtt).

Run by test/interop/paho.test.ts and mixed.test.ts with /usr/bin/python3. Every result is one
JSON object per line on stdout, so the Jest side can wait on lines instead of sleeping.

Modes:
  qos        QoS 0/1/2 publish -> subscribe round trips; prints one {"event": "result"} line
             with the granted QoS and the messages received.
  retained   a retained QoS 1 message reaches a later subscriber (then is cleared); prints
             one {"event": "result"} line.
  sub        subscribes, prints {"event": "subscribed"} once the SUBACK is in, then one
             {"event": "message"} line per message; exits after --count messages.

Exit codes: 0 done, 1 error (an {"event": "error"} line says why), 2 timed out.
"""

import argparse
import json
import sys
import threading
import time

try:
    import paho.mqtt.client as mqtt
except ImportError:  # the Jest side checks this first; this is the message if run by hand
    print(json.dumps({"event": "error", "message": "paho-mqtt missing: apt-get install python3-paho-mqtt"}))
    sys.exit(1)


_emit_lock = threading.Lock()


def emit(obj):
    # One write per line under a lock: paho's network thread and the main thread both emit, and
    # print() writes the text and the newline separately, so two lines could interleave.
    with _emit_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def fail(message, code=1):
    emit({"event": "error", "message": message})
    sys.exit(code)


def code_of(rc):
    """paho 1.6 gives ints for MQTT 3.1.1 and ReasonCodes objects for MQTT 5."""
    return rc.value if hasattr(rc, "value") else int(rc)


class Client:
    """A paho client on its network thread, with waits that end at a deadline."""

    def __init__(self, args, client_id):
        self.protocol = mqtt.MQTTv5 if args.protocol == "5" else mqtt.MQTTv311
        if self.protocol == mqtt.MQTTv5:
            self.mqtt = mqtt.Client(client_id=client_id, protocol=self.protocol)
        else:
            self.mqtt = mqtt.Client(client_id=client_id, clean_session=True, protocol=self.protocol)
        self.deadline = args.deadline
        self.connected = threading.Event()
        self.connect_rc = None
        self.subscribed = threading.Event()
        self.granted = []
        self.messages = []
        self.message_cond = threading.Condition()
        self.on_message_hook = None
        self.mqtt.on_connect = self._on_connect
        self.mqtt.on_subscribe = self._on_subscribe
        self.mqtt.on_message = self._on_message
        self.mqtt.connect(args.host, args.port, keepalive=30)
        self.mqtt.loop_start()
        if not self.connected.wait(self.remaining()):
            fail("timed out waiting for CONNACK", 2)
        if self.connect_rc != 0:
            fail("CONNACK refused: %s" % self.connect_rc)

    def remaining(self):
        return max(0.0, self.deadline - time.monotonic())

    def _on_connect(self, client, userdata, flags, rc, properties=None):
        self.connect_rc = code_of(rc)
        self.connected.set()

    def _on_subscribe(self, client, userdata, mid, granted, properties=None):
        self.granted = [code_of(g) for g in granted]
        self.subscribed.set()

    def _on_message(self, client, userdata, msg):
        record = {
            "topic": msg.topic,
            "payload": msg.payload.decode("utf-8", "replace"),
            "qos": msg.qos,
            "retain": bool(msg.retain),
        }
        with self.message_cond:
            self.messages.append(record)
            self.message_cond.notify_all()
        if self.on_message_hook:
            self.on_message_hook(record)

    def subscribe(self, topic, qos):
        self.subscribed.clear()
        result, _ = self.mqtt.subscribe(topic, qos)
        if result != mqtt.MQTT_ERR_SUCCESS:
            fail("subscribe failed to send: %s" % result)
        if not self.subscribed.wait(self.remaining()):
            fail("timed out waiting for SUBACK", 2)
        return self.granted

    def publish(self, topic, payload, qos, retain=False):
        """Publishes and waits for the flow to finish (PUBACK for QoS 1, PUBCOMP for QoS 2)."""
        info = self.mqtt.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(self.remaining())
        if not info.is_published():
            fail("timed out waiting for the broker to acknowledge QoS %d publish to %s" % (qos, topic), 2)

    def wait_messages(self, count):
        with self.message_cond:
            if not self.message_cond.wait_for(lambda: len(self.messages) >= count, self.remaining()):
                fail("timed out after %d of %d messages: %s" % (len(self.messages), count, json.dumps(self.messages)), 2)
            return list(self.messages)

    def close(self):
        self.mqtt.disconnect()
        self.mqtt.loop_stop()


def qos_roundtrip(args):
    sub = Client(args, args.prefix + "-sub")
    granted = sub.subscribe(args.prefix + "/rt/#", 2)
    pub = Client(args, args.prefix + "-pub")
    for qos in (0, 1, 2):
        pub.publish("%s/rt/q%d" % (args.prefix, qos), "paho-q%d" % qos, qos)
    received = sub.wait_messages(3)
    for client in (sub, pub):
        client.close()
    emit({"event": "result", "granted": granted, "received": received})


def retained(args):
    topic = args.prefix + "/ret/state"
    pub = Client(args, args.prefix + "-pub")
    pub.publish(topic, "paho-retained", 1, retain=True)
    late = Client(args, args.prefix + "-late")
    granted = late.subscribe(args.prefix + "/ret/#", 1)
    received = late.wait_messages(1)
    pub.publish(topic, "", 1, retain=True)  # clear it again
    for client in (pub, late):
        client.close()
    emit({"event": "result", "granted": granted, "received": received})


def subscribe_only(args):
    sub = Client(args, args.prefix + "-sub")
    # Set before SUBSCRIBE: a retained message can arrive right behind the SUBACK.
    sub.on_message_hook = lambda record: emit(dict(record, event="message"))
    granted = sub.subscribe(args.topic, args.qos)
    emit({"event": "subscribed", "granted": granted})
    sub.wait_messages(args.count)
    sub.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["qos", "retained", "sub"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", choices=["311", "5"], required=True)
    parser.add_argument("--prefix", default="paho")
    parser.add_argument("--topic", default="#")
    parser.add_argument("--qos", type=int, default=2)
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    args.deadline = time.monotonic() + args.timeout
    try:
        {"qos": qos_roundtrip, "retained": retained, "sub": subscribe_only}[args.mode](args)
    except Exception as error:  # a refused connection, a broken socket: report, don't hang
        fail("%s: %s" % (type(error).__name__, error))


if __name__ == "__main__":
    main()
