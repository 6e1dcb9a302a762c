"""Neural knowledge tracing: an LSTM model (DKT) and a monotonic-attention model (AttentionKT).

Both share the sequence encoding, training loop and persistence in this package, and honour
:class:`models.base.KTPredictor`. torch is imported only by the modules that need it.
"""
