"""What serving and the platform share, defined once below both: the event stream's messages."""
