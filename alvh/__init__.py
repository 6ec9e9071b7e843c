"""ALVH Risk: the Adaptive Layered VIX Hedge over an SPX iron-condor book.

The domain library. It never imports Prefect, so every function here can be called from a
notebook, a test or another orchestrator; `flows/` wraps it for scheduling.
"""

__version__ = "0.1.0"
