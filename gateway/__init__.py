"""The edge process of one branch: device adapters, outbox, MQTT link and command execution."""
