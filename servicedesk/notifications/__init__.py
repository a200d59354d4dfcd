"""Notifications: the outbox writer, delivery in-process or through rq, e-mail rendering."""
