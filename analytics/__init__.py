"""Analytics: marts over the LRS's statements in an embedded DuckDB file, and the queries dashboards run."""
