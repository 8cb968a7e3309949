"""Gunicorn settings for ``make run`` and production.

No access log: a respondent's address and browser must never be written down. The request
line limit is raised because unfinished answers travel in (encrypted) cookies.
"""

accesslog = None
errorlog = "-"
loglevel = "info"
limit_request_field_size = 40960
limit_request_fields = 60
timeout = 60
forwarded_allow_ips = "127.0.0.1"
