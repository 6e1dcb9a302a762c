"""What serving and the platform share, defined once below both: the rule language, the course catalog
serving ranks from (and the sequencer that ranks it), the tables both read and write (``tables``),
and the event stream's message format (``stream``)."""
