"""Service levels: business calendars, policies, due times and their escalation."""
