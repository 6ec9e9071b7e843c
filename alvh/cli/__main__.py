"""`python -m alvh.cli ...`: the `alvh` console script."""

from alvh.cli.process import entry_point

entry_point()
