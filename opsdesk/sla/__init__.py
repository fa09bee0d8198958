"""Service levels: business calendars, the pure clock arithmetic (clock.py), and later policies."""
