"""Analytics as the API serves it: reports built from the analytics store's marts (``analytics/``)."""
