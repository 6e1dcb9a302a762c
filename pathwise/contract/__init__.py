"""What serving and the platform share, defined once below both: the rule language and the event stream."""
