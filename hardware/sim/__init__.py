"""A simulated library: devices that speak the same serial protocols as the real ones."""
