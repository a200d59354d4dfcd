"""Ticket domain services shared by the portal, the desk and the API."""
