"""The device catalogue of a site and the simulator of a whole library."""
