#!/usr/bin/env bash
# Installs the system packages FlockMQ's tests drive (Debian/Ubuntu): the interop clients
# (mosquitto-clients, python3-paho-mqtt) and the servers cluster tests start (redis-server,
# nats-server), haproxy (the load balancer of the scaling test) and promtool (package prometheus)
# for the alert-rule tests. Only what is missing is
# installed. Needs root (or sudo).
set -euo pipefail

missing=()
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
/usr/bin/python3 -c 'import paho.mqtt' >/dev/null 2>&1 || missing+=(python3-paho-mqtt)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system test dependencies present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
