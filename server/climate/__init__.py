"""Climate: readings' quality, zone control of air conditioning, ventilation and curtains, and
preservation metrics, as pure rules first."""
