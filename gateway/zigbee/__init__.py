"""Zigbee sensors: ZCL attribute reports (zigpy) and zigbee2mqtt messages to canonical readings."""
