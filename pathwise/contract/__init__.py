"""What serving and the platform share: table definitions and the event stream format."""
