"""dermtrial: run a dermatology clinical trial from screening to the primary-endpoint report.

The protocol is data (:mod:`dermtrial.protocol`), the clinic is a pure core (protocol, forms, instruments,
eligibility, conduct, safety, analysis) and everything that touches the outside world is a thin adapter.
"""

__version__ = "0.1.0"
