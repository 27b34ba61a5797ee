"""Safety: fire, intrusion, supervisory and trouble alarms, arming, device supervision."""
