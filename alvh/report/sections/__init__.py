"""The daily report's sections, one module each; `alvh.report.context` assembles them."""
