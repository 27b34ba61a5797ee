"""Devices: the registry of gateways and devices, and commands sent to them."""
